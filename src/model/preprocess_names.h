// Names of the preprocessing modes in model specs ("tf", "torch", "caffe").
//
// imgfeat/image.h declares ParsePreprocessMode/PreprocessModeName for the
// image stage; the model stage keeps its own private copy so that it does not
// depend on the image stage's sources to read a spec.
#pragma once

#include <string>

#include "imgfeat/image.h"
#include "imgfeat/status.h"

namespace imgfeat::model_internal {

Result<PreprocessMode> PreprocessModeFromName(const std::string& name);
const char* NameOfPreprocessMode(PreprocessMode mode);

}  // namespace imgfeat::model_internal
