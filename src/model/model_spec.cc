// Model specs as JSON. Unknown keys are refused so that a typo in a
// hand-written spec ("prepocess") fails loudly instead of silently using a
// default.
#include <cctype>
#include <fstream>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string_view>

#include "imgfeat/model.h"

namespace imgfeat {
namespace {

using nlohmann::json;

Result<TensorLayout> ParseLayout(const std::string& text) {
  if (text == "NHWC") return TensorLayout::kNHWC;
  if (text == "NCHW") return TensorLayout::kNCHW;
  return Status::Invalid("unknown layout '", text, "' (expected NHWC or NCHW)");
}

const char* LayoutName(TensorLayout layout) {
  return layout == TensorLayout::kNHWC ? "NHWC" : "NCHW";
}

Status CheckKeys(const json& object, std::string_view where,
                 std::initializer_list<std::string_view> allowed) {
  if (!object.is_object()) return Status::Invalid("model spec: ", where, " must be an object");
  for (const auto& item : object.items()) {
    bool known = false;
    for (std::string_view key : allowed) known = known || item.key() == key;
    if (!known) return Status::Invalid("model spec: unknown key '", item.key(), "' in ", where);
  }
  return Status::OK();
}

Status CheckSha256(std::string* sha256) {
  for (char& ch : *sha256) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (sha256->empty()) return Status::OK();
  bool hex = sha256->size() == 64;
  for (char ch : *sha256) hex = hex && std::isxdigit(static_cast<unsigned char>(ch));
  if (!hex) return Status::Invalid("model spec: sha256 must be 64 hexadecimal digits");
  return Status::OK();
}

Status CheckConsistent(const ModelSpec& spec) {
  if (spec.name.empty()) return Status::Invalid("model spec: 'name' is missing");
  if (spec.file_name.empty())
    return Status::Invalid("model spec '", spec.name, "': 'file' is missing");
  if (spec.input_height <= 0 || spec.input_width <= 0 || spec.input_channels <= 0) {
    return Status::Invalid("model spec '", spec.name, "': input sizes must be positive");
  }
  if (spec.output_hwc.size() != 3) {
    return Status::Invalid("model spec '", spec.name, "': output shape_hwc needs 3 values");
  }
  for (int64_t dim : spec.output_hwc) {
    if (dim <= 0)
      return Status::Invalid("model spec '", spec.name, "': output sizes must be positive");
  }
  return Status::OK();
}

// Sizes are whole numbers in a range whose products fit in 64 bits: a
// number such as 7.7e24 must not reach an integer conversion.
constexpr int64_t kMaxSize = 1 << 20;

template <typename Int>
Status GetSize(const json& object, const char* key, Int* value) {
  if (!object.contains(key)) return Status::OK();  // the default stays
  const json& number = object.at(key);
  if (!number.is_number_integer() || number.get<int64_t>() <= 0 ||
      number.get<int64_t>() > kMaxSize) {
    return Status::Invalid("model spec: input ", key, " must be an integer from 1 to ", kMaxSize);
  }
  *value = static_cast<Int>(number.get<int64_t>());
  return Status::OK();
}

Result<UrlFormat> ParseUrlFormat(const std::string& name) {
  for (UrlFormat format : {UrlFormat::kOnnx, UrlFormat::kKerasMobileNetV2H5}) {
    if (name == UrlFormatName(format)) return format;
  }
  return Status::Invalid("model spec: url_format must be 'onnx' or 'keras_mobilenet_v2_h5', not '",
                         name, "'");
}

Result<ModelSpec> ParseModelSpecJson(const json& root) {
  ARROW_RETURN_NOT_OK(
      CheckKeys(root, "the spec",
                {"name", "file", "url", "url_format", "sha256", "preprocess", "input", "output"}));
  ModelSpec spec;
  spec.name = root.value("name", "");
  spec.file_name = root.value("file", "");
  spec.url = root.value("url", "");
  ARROW_ASSIGN_OR_RAISE(spec.url_format, ParseUrlFormat(root.value("url_format", "onnx")));
  spec.sha256 = root.value("sha256", "");
  ARROW_RETURN_NOT_OK(CheckSha256(&spec.sha256));
  ARROW_ASSIGN_OR_RAISE(spec.preprocess, ParsePreprocessMode(root.value("preprocess", "tf")));

  const json input = root.value("input", json::object());
  ARROW_RETURN_NOT_OK(CheckKeys(input, "input", {"name", "layout", "height", "width", "channels"}));
  spec.input_name = input.value("name", "");
  ARROW_ASSIGN_OR_RAISE(spec.input_layout, ParseLayout(input.value("layout", "NHWC")));
  ARROW_RETURN_NOT_OK(GetSize(input, "height", &spec.input_height));
  ARROW_RETURN_NOT_OK(GetSize(input, "width", &spec.input_width));
  ARROW_RETURN_NOT_OK(GetSize(input, "channels", &spec.input_channels));

  if (!root.contains("output")) return Status::Invalid("model spec: 'output' is missing");
  const json& output = root.at("output");
  ARROW_RETURN_NOT_OK(CheckKeys(output, "output", {"name", "layout", "shape_hwc"}));
  spec.output_name = output.value("name", "");
  ARROW_ASSIGN_OR_RAISE(spec.output_layout, ParseLayout(output.value("layout", "NHWC")));
  if (output.contains("shape_hwc")) {
    const json& shape = output.at("shape_hwc");
    if (!shape.is_array()) return Status::Invalid("model spec: output shape_hwc must be a list");
    for (const json& dim : shape) {
      if (!dim.is_number_integer() || dim.get<int64_t>() <= 0 || dim.get<int64_t>() > kMaxSize) {
        return Status::Invalid("model spec: output sizes must be integers from 1 to ", kMaxSize);
      }
      spec.output_hwc.push_back(dim.get<int64_t>());
    }
  }

  ARROW_RETURN_NOT_OK(CheckConsistent(spec));
  return spec;
}

}  // namespace

const char* UrlFormatName(UrlFormat format) {
  return format == UrlFormat::kKerasMobileNetV2H5 ? "keras_mobilenet_v2_h5" : "onnx";
}

int64_t ModelSpec::feature_length() const {
  int64_t length = output_hwc.empty() ? 0 : 1;
  for (int64_t dim : output_hwc) length *= dim;
  return length;
}

Result<ModelSpec> ParseModelSpec(const std::string& json_text) {
  json root = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return Status::Invalid("model spec: not valid JSON");
  try {
    return ParseModelSpecJson(root);
  } catch (const json::exception& e) {
    // A value of the wrong type ("height": "224") lands here.
    return Status::Invalid("model spec: ", e.what());
  }
}

Result<ModelSpec> ReadModelSpecFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot open model spec '", path, "'");
  std::ostringstream text;
  text << in.rdbuf();
  auto spec = ParseModelSpec(text.str());
  if (!spec.ok()) return Status::Invalid(path, ": ", spec.status().message());
  return spec;
}

std::string ModelSpecToJson(const ModelSpec& spec) {
  json root = {
      {"name", spec.name},
      {"file", spec.file_name},
      {"url", spec.url},
      {"url_format", UrlFormatName(spec.url_format)},
      {"sha256", spec.sha256},
      {"preprocess", PreprocessModeName(spec.preprocess)},
      {"input",
       {{"name", spec.input_name},
        {"layout", LayoutName(spec.input_layout)},
        {"height", spec.input_height},
        {"width", spec.input_width},
        {"channels", spec.input_channels}}},
      {"output",
       {{"name", spec.output_name},
        {"layout", LayoutName(spec.output_layout)},
        {"shape_hwc", spec.output_hwc}}},
  };
  return root.dump(2);
}

}  // namespace imgfeat
