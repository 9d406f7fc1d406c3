#include "model/preprocess_names.h"

namespace imgfeat::model_internal {

Result<PreprocessMode> PreprocessModeFromName(const std::string& name) {
  if (name == "tf") return PreprocessMode::kTf;
  if (name == "torch") return PreprocessMode::kTorch;
  if (name == "caffe") return PreprocessMode::kCaffe;
  return Status::Invalid("unknown preprocess mode '", name, "' (expected tf, torch or caffe)");
}

const char* NameOfPreprocessMode(PreprocessMode mode) {
  switch (mode) {
    case PreprocessMode::kTf:
      return "tf";
    case PreprocessMode::kTorch:
      return "torch";
    case PreprocessMode::kCaffe:
      return "caffe";
  }
  return "tf";
}

}  // namespace imgfeat::model_internal
