// The models imgfeat knows by name.
#include <string>
#include <vector>

#include "imgfeat/model.h"

namespace imgfeat {
namespace {

// MobileNetV2 (alpha 1.0, 224x224, ImageNet, no top): Keras'
// MobileNetV2(include_top=False) as ONNX, input already preprocessed to
// [-1, 1], output 7x7x1280 in Keras' order. Fetched from where Keras itself
// takes its weights and converted on first use; no checksum is pinned, since
// the file is made here (the check of its features stands in for one).
ModelSpec MobileNetV2() {
  ModelSpec spec;
  spec.name = "mobilenet_v2";
  spec.file_name = "mobilenet_v2_1.0_224/mobilenet_v2_1.0_224_no_top_nhwc.onnx";
  spec.url =
      "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v2/"
      "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5";
  spec.url_format = UrlFormat::kKerasMobileNetV2H5;
  spec.input_height = 224;
  spec.input_width = 224;
  spec.input_channels = 3;
  spec.input_layout = TensorLayout::kNHWC;
  spec.preprocess = PreprocessMode::kTf;
  spec.input_name = "input";
  spec.output_name = "features";
  spec.output_layout = TensorLayout::kNHWC;
  spec.output_hwc = {7, 7, 1280};
  return spec;
}

}  // namespace

const std::vector<ModelSpec>& RegisteredModels() {
  static const std::vector<ModelSpec> models = {MobileNetV2()};
  return models;
}

Result<ModelSpec> FindRegisteredModel(const std::string& name) {
  std::string known;
  for (const ModelSpec& spec : RegisteredModels()) {
    if (spec.name == name) return spec;
    known += (known.empty() ? "" : ", ") + spec.name;
  }
  return Status::KeyError("unknown model '", name, "' (known: ", known,
                          "; or give a model spec file)");
}

}  // namespace imgfeat
