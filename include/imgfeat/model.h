// Image models: what a network expects and gives (ModelSpec), the registry of
// named models, and finding (or fetching) a model's file.
//
// Thread-safety: the registry is immutable; ResolveModelFile may be called
// from several processes at once (downloads land under a temporary name and
// are renamed when verified).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "imgfeat/image.h"
#include "imgfeat/status.h"

namespace imgfeat {

enum class TensorLayout { kNHWC, kNCHW };

// What a spec's url serves: the model file itself, or Keras' MobileNetV2
// weight file (legacy HDF5), which is converted into the model file on first
// use and checked against recorded reference features (Keras publishes no
// checksum for it).
enum class UrlFormat { kOnnx, kKerasMobileNetV2H5 };
const char* UrlFormatName(UrlFormat format);  // "onnx", "keras_mobilenet_v2_h5"

struct ModelSpec {
  std::string name;       // registry name, e.g. "mobilenet_v2"
  std::string file_name;  // relative to a model folder, e.g. "mobilenet_v2_1.0_224/x.onnx"
  std::string url;        // where a missing file is fetched from
  UrlFormat url_format = UrlFormat::kOnnx;
  std::string sha256;  // lower-case hex of the file; empty: not checked
  int input_height = 224;
  int input_width = 224;
  int input_channels = 3;
  TensorLayout input_layout = TensorLayout::kNHWC;
  PreprocessMode preprocess = PreprocessMode::kTf;
  std::string input_name;   // empty: the model's only input
  std::string output_name;  // empty: the model's only output
  TensorLayout output_layout = TensorLayout::kNHWC;
  // Per-image output shape in HWC order, e.g. {7, 7, 1280}. Features are always
  // handed on in this order (Keras' flattening order).
  std::vector<int64_t> output_hwc;

  int64_t feature_length() const;  // product of output_hwc
};

// Parses a model spec from JSON and checks it is consistent. Unknown keys are
// errors; left-out ones take the defaults above:
//   {"name": "mobilenet_v2", "file": "dir/model.onnx", "url": "https://...",
//    "url_format": "onnx" | "keras_mobilenet_v2_h5", "sha256": "<64 hex digits>", "preprocess":
//    "tf" | "torch" | "caffe", "input":  {"name": "input", "layout": "NHWC" | "NCHW",
//               "height": 224, "width": 224, "channels": 3},
//    "output": {"name": "features", "layout": "NHWC" | "NCHW", "shape_hwc": [7, 7, 1280]}}
// "file" is relative to the model folders ResolveModelFile searches, or absolute.
Result<ModelSpec> ParseModelSpec(const std::string& json_text);
Result<ModelSpec> ReadModelSpecFile(const std::string& path);
std::string ModelSpecToJson(const ModelSpec& spec);

// The named models imgfeat knows; "mobilenet_v2" is the default.
const std::vector<ModelSpec>& RegisteredModels();
Result<ModelSpec> FindRegisteredModel(const std::string& name);
inline constexpr const char* kDefaultModel = "mobilenet_v2";

struct ModelSearch {
  std::string model_dir;  // --model-dir; searched first when set
  // Then $IMGFEAT_MODEL_DIR, then the cache (~/.cache/imgfeat/models, or
  // $XDG_CACHE_HOME/imgfeat/models), where downloads go.
  bool allow_download = true;
};

// The path of `spec`'s file: found in the search folders, or downloaded from
// spec.url into the cache and checked against spec.sha256 (or, for Keras'
// weights, converted and checked by its features). A converted model in the
// cache is checked against its .sha256 sidecar and fetched again when it does
// not match. Fails with one clear message when it is nowhere and cannot be
// fetched (offline, bad checksum, weights that do not give the reference
// features).
Result<std::string> ResolveModelFile(const ModelSpec& spec, const ModelSearch& search);

// Lower-case hex SHA-256 of a file.
Result<std::string> Sha256File(const std::string& path);

}  // namespace imgfeat
