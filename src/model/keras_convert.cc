#include "model/keras_convert.h"

#include "imgfeat/engine.h"
#include "model/cache_file.h"
#include "model/download.h"
#include "model/keras_h5.h"
#include "model/mobilenet_v2_check.h"
#include "model/mobilenet_v2_graph.h"
#include "model/onnx_writer.h"

namespace imgfeat::model {
namespace {

// Runs the converted model on the synthetic check image.
Status CheckConverted(const std::string& onnx_path, const ModelSpec& spec) {
  ARROW_RETURN_NOT_OK(CheckInputRecipe());
  EngineOptions options;
  options.max_batch = 1;
  ARROW_ASSIGN_OR_RAISE(std::unique_ptr<InferenceEngine> engine,
                        OpenEngine(kDefaultEngine, onnx_path, spec, options));
  std::vector<float> input = CheckInput();
  std::vector<float> features(static_cast<size_t>(spec.feature_length()));
  ARROW_RETURN_NOT_OK(engine->Run(input.data(), 1, features.data()));
  return CompareWithRecorded(features);
}

}  // namespace

Result<std::string> KerasMobileNetV2Onnx(const std::string& h5_path, const std::string& origin) {
  ARROW_ASSIGN_OR_RAISE(KerasWeights weights, ReadKerasLegacyWeights(h5_path));
  Result<OnnxGraph> graph = BuildMobileNetV2Graph(weights, kCheckImageSize);
  if (!graph.ok()) {
    return Status::Invalid("Keras weights from ", origin,
                           " are not MobileNetV2's: ", graph.status().message());
  }
  return SerializeOnnxModel(*graph, kMobileNetV2Opset);
}

Status ConvertKerasMobileNetV2(const std::string& h5_path, const std::string& origin,
                               const ModelSpec& spec, const std::string& dest_path) {
  if (spec.input_height != kCheckImageSize || spec.input_width != kCheckImageSize ||
      spec.input_channels != 3 || spec.output_hwc != std::vector<int64_t>{7, 7, 1280}) {
    return Status::Invalid("model '", spec.name,
                           "': Keras' MobileNetV2 weights convert only to the 224x224 model");
  }
  ARROW_ASSIGN_OR_RAISE(std::string bytes, KerasMobileNetV2Onnx(h5_path, origin));
  ARROW_ASSIGN_OR_RAISE(TempFileBeside model, TempFileBeside::Create(dest_path, ".onnx"));
  ARROW_RETURN_NOT_OK(model.Write(bytes));
  Status checked = CheckConverted(model.path(), spec);
  if (!checked.ok()) {
    return Status::Invalid(
        "the MobileNetV2 converted from ", origin,
        " does not reproduce the reference features, so it is refused: ", checked.message());
  }
  ARROW_ASSIGN_OR_RAISE(std::string sha256, Sha256File(model.path()));
  ARROW_ASSIGN_OR_RAISE(TempFileBeside sidecar,
                        TempFileBeside::Create(Sha256SidecarPath(dest_path), ""));
  ARROW_RETURN_NOT_OK(sidecar.Write(Sha256SidecarText(sha256, dest_path)));
  // The sidecar first: a model in the cache always has its checksum beside it.
  ARROW_RETURN_NOT_OK(sidecar.Commit());
  return model.Commit();
}

Status FetchKerasMobileNetV2(const ModelSpec& spec, const std::string& dest_path) {
  // Keras publishes no checksum for its weight file: the check of the
  // converted model's features stands in for one.
  ARROW_ASSIGN_OR_RAISE(TempFileBeside h5, TempFileBeside::Create(dest_path, ".h5"));
  ARROW_RETURN_NOT_OK(DownloadVerified(spec.url, h5.path(), ""));
  return ConvertKerasMobileNetV2(h5.path(), spec.url, spec, dest_path);
}

}  // namespace imgfeat::model
