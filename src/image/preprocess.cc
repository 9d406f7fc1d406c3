// Keras' preprocess_input on img_to_array's float32 pixels. Each output is a
// function of one byte and its channel, so the float32 arithmetic NumPy does
// (in the same order, on float32) is done once per byte value into tables;
// tf, the MobileNetV2 default, is computed directly with AVX2 instead.
#include <immintrin.h>

#include <array>

#include "imgfeat/image.h"

namespace imgfeat {
namespace {

using ChannelTable = std::array<float, 256>;

struct PreprocessTables {
  // Indexed by output channel; for kCaffe that is B, G, R.
  std::array<ChannelTable, 3> channel;
};

PreprocessTables MakeTf() {
  PreprocessTables t;
  for (int v = 0; v < 256; ++v) {
    float x = static_cast<float>(v);
    x /= 127.5f;  // x /= 127.5; x -= 1.  (float32 in place)
    x -= 1.0f;
    t.channel[0][v] = t.channel[1][v] = t.channel[2][v] = x;
  }
  return t;
}

PreprocessTables MakeTorch() {
  // Python floats meet float32 arrays as float32 (NumPy 2's weak scalars).
  constexpr float kMean[3] = {0.485f, 0.456f, 0.406f};
  constexpr float kStd[3] = {0.229f, 0.224f, 0.225f};
  PreprocessTables t;
  for (int c = 0; c < 3; ++c) {
    for (int v = 0; v < 256; ++v) {
      float x = static_cast<float>(v);
      x /= 255.0f;
      x -= kMean[c];
      x /= kStd[c];
      t.channel[c][v] = x;
    }
  }
  return t;
}

PreprocessTables MakeCaffe() {
  constexpr float kMeanBgr[3] = {103.939f, 116.779f, 123.68f};
  PreprocessTables t;
  for (int c = 0; c < 3; ++c) {
    for (int v = 0; v < 256; ++v) t.channel[c][v] = static_cast<float>(v) - kMeanBgr[c];
  }
  return t;
}

const PreprocessTables& TablesFor(PreprocessMode mode) {
  static const PreprocessTables kTf = MakeTf();
  static const PreprocessTables kTorch = MakeTorch();
  static const PreprocessTables kCaffe = MakeCaffe();
  switch (mode) {
    case PreprocessMode::kTorch:
      return kTorch;
    case PreprocessMode::kCaffe:
      return kCaffe;
    case PreprocessMode::kTf:
    default:
      return kTf;
  }
}

// tf treats every channel alike: eight bytes at a time with the same IEEE
// float32 division and subtraction as NumPy (vdivps is correctly rounded).
void PreprocessTf(const uint8_t* in, size_t count, float* out) {
  const __m256 divisor = _mm256_set1_ps(127.5f);
  const __m256 one = _mm256_set1_ps(1.0f);
  size_t i = 0;
  for (; i + 8 <= count; i += 8) {
    __m128i bytes = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(in + i));
    __m256 x = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes));
    _mm256_storeu_ps(out + i, _mm256_sub_ps(_mm256_div_ps(x, divisor), one));
  }
  const PreprocessTables& t = TablesFor(PreprocessMode::kTf);
  for (; i < count; ++i) out[i] = t.channel[0][in[i]];
}

}  // namespace

Result<PreprocessMode> ParsePreprocessMode(const std::string& name) {
  if (name == "tf") return PreprocessMode::kTf;
  if (name == "torch") return PreprocessMode::kTorch;
  if (name == "caffe") return PreprocessMode::kCaffe;
  return Status::Invalid("unknown preprocessing mode '", name, "' (expected tf, torch or caffe)");
}

const char* PreprocessModeName(PreprocessMode mode) {
  switch (mode) {
    case PreprocessMode::kTorch:
      return "torch";
    case PreprocessMode::kCaffe:
      return "caffe";
    case PreprocessMode::kTf:
    default:
      return "tf";
  }
}

void Preprocess(const RgbImage& image, PreprocessMode mode, float* out) {
  const size_t pixels = static_cast<size_t>(image.width) * image.height;
  const uint8_t* in = image.pixels.data();
  if (mode == PreprocessMode::kTf) {
    PreprocessTf(in, pixels * 3, out);
    return;
  }
  const PreprocessTables& t = TablesFor(mode);
  // caffe reads the channels in BGR order (x[..., ::-1]).
  const int r = mode == PreprocessMode::kCaffe ? 2 : 0;
  const int b = 2 - r;
  for (size_t i = 0; i < pixels; ++i, in += 3, out += 3) {
    out[0] = t.channel[0][in[r]];
    out[1] = t.channel[1][in[1]];
    out[2] = t.channel[2][in[b]];
  }
}

}  // namespace imgfeat
