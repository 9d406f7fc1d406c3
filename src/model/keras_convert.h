// MobileNetV2 from Keras' own weight file: download, convert into the ONNX
// model imgfeat's engines run, check it against recorded reference features,
// and only then put it (with a .sha256 sidecar) into the model cache.
#pragma once

#include <string>

#include "imgfeat/model.h"
#include "imgfeat/status.h"

namespace imgfeat::model {

// The ONNX model (serialized, not yet checked) made from the Keras legacy
// HDF5 weights at `h5_path`.
Result<std::string> KerasMobileNetV2Onnx(const std::string& h5_path, const std::string& origin);

// Converts the Keras legacy HDF5 weights at `h5_path` into `dest_path`
// (ONNX) and `dest_path`.sha256. `origin` names where the weights came from
// in messages. Nothing is written under either final name unless the model
// reproduces the recorded features to 1e-3; the error is then one line.
Status ConvertKerasMobileNetV2(const std::string& h5_path, const std::string& origin,
                               const ModelSpec& spec, const std::string& dest_path);

// Downloads spec.url (Keras' MobileNetV2 weight file) beside `dest_path` and
// converts it there; the download is removed afterwards, whatever happens.
Status FetchKerasMobileNetV2(const ModelSpec& spec, const std::string& dest_path);

}  // namespace imgfeat::model
