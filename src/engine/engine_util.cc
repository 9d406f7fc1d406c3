#include <cctype>

#include "engine/engine_internal.h"

namespace imgfeat::engine {

void NhwcToNchw(const float* in, int64_t batch, int64_t h, int64_t w, int64_t c, float* out) {
  const int64_t plane = h * w;
  for (int64_t n = 0; n < batch; ++n) {
    const float* src = in + n * plane * c;
    float* dst = out + n * plane * c;
    for (int64_t p = 0; p < plane; ++p) {
      for (int64_t ch = 0; ch < c; ++ch) dst[ch * plane + p] = src[p * c + ch];
    }
  }
}

void NchwToNhwc(const float* in, int64_t batch, int64_t h, int64_t w, int64_t c, float* out) {
  const int64_t plane = h * w;
  for (int64_t n = 0; n < batch; ++n) {
    const float* src = in + n * plane * c;
    float* dst = out + n * plane * c;
    for (int64_t ch = 0; ch < c; ++ch) {
      for (int64_t p = 0; p < plane; ++p) dst[p * c + ch] = src[ch * plane + p];
    }
  }
}

std::vector<int64_t> InputShape(const ModelSpec& spec, int64_t batch) {
  if (spec.input_layout == TensorLayout::kNHWC) {
    return {batch, spec.input_height, spec.input_width, spec.input_channels};
  }
  return {batch, spec.input_channels, spec.input_height, spec.input_width};
}

std::vector<int64_t> OutputShape(const ModelSpec& spec, int64_t batch) {
  const std::vector<int64_t>& hwc = spec.output_hwc;
  if (spec.output_layout == TensorLayout::kNHWC) return {batch, hwc[0], hwc[1], hwc[2]};
  return {batch, hwc[2], hwc[0], hwc[1]};
}

std::string ShapeText(const std::vector<int64_t>& dims) {
  std::string text = "[";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i) text += ",";
    text += dims[i] < 0 ? "?" : std::to_string(dims[i]);
  }
  return text + "]";
}

std::string OneLine(std::string text, size_t max_chars) {
  std::string out;
  for (char ch : text) {
    bool space = std::isspace(static_cast<unsigned char>(ch));
    if (space && (out.empty() || out.back() == ' ')) continue;
    out.push_back(space ? ' ' : ch);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (out.size() > max_chars) out = out.substr(0, max_chars) + "...";
  return out;
}

}  // namespace imgfeat::engine
