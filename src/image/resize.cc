// Pillow's ImagingResample for 8-bit RGB with the bicubic filter: a
// horizontal pass over only the input rows the vertical pass reads, then the
// vertical pass, each rounding (1 << 21 added) and clipping to 0..255 after
// 22 fractional bits. The kernels are SSE4.1/AVX2 versions of Resample.c's
// loops computing the same integer sums, so the bytes are Pillow's.
#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include "image/resize_coefficients.h"
#include "imgfeat/image.h"

namespace imgfeat {
namespace {

using image::kPrecisionBits;
using image::ResizeCoefficients;

constexpr int32_t kHalf = 1 << (kPrecisionBits - 1);

inline uint8_t Clip8(int32_t v) {
  if (v >= (1 << kPrecisionBits << 8)) return 255;
  if (v <= 0) return 0;
  return static_cast<uint8_t>(v >> kPrecisionBits);
}

// Four bytes from `p` (R, G, B and one byte beyond) as four int32 lanes.
inline __m128i LoadPixel(const uint8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm_cvtepu8_epi32(_mm_cvtsi32_si128(v));
}

// The same for the image's very last pixel, which has no byte beyond.
inline __m128i LoadLastPixel(const uint8_t* p) {
  uint8_t v[4] = {p[0], p[1], p[2], 0};
  return LoadPixel(v);
}

// Resample.c's ImagingResampleHorizontal_8bpc on rows [first_row, first_row +
// rows) of `src`, three channels per SSE register. `dst` needs one spare
// byte at its end: each pixel is stored as four bytes.
void ResampleHorizontal(const uint8_t* src, int src_width, int src_height, int first_row, int rows,
                        const ResizeCoefficients& c, uint8_t* dst) {
  const size_t src_stride = static_cast<size_t>(src_width) * 3;
  const size_t dst_stride = static_cast<size_t>(c.out_size) * 3;
  const __m128i half = _mm_set1_epi32(kHalf);
  const __m128i zero = _mm_setzero_si128();
  for (int y = 0; y < rows; ++y) {
    const uint8_t* in = src + static_cast<size_t>(first_row + y) * src_stride;
    uint8_t* out = dst + static_cast<size_t>(y) * dst_stride;
    const bool last_row = first_row + y == src_height - 1;
    for (int xx = 0; xx < c.out_size; ++xx) {
      const int xmin = c.first[xx];
      const int n = c.count[xx];
      const int32_t* k = &c.weights[static_cast<size_t>(xx) * c.taps];
      const uint8_t* p = in + static_cast<size_t>(xmin) * 3;
      // The last tap of the last row may end at the buffer's end.
      const int safe = (last_row && xmin + n == src_width) ? n - 1 : n;
      __m128i acc = half;
      int x = 0;
      for (; x < safe; ++x) {
        acc = _mm_add_epi32(acc, _mm_mullo_epi32(LoadPixel(p + 3 * x), _mm_set1_epi32(k[x])));
      }
      for (; x < n; ++x) {
        acc = _mm_add_epi32(acc, _mm_mullo_epi32(LoadLastPixel(p + 3 * x), _mm_set1_epi32(k[x])));
      }
      // clip8: an arithmetic shift then signed/unsigned saturation gives
      // 0 for sums <= 0 and 255 for sums >= 255.999.
      acc = _mm_srai_epi32(acc, kPrecisionBits);
      __m128i packed = _mm_packus_epi16(_mm_packs_epi32(acc, zero), zero);
      int32_t v = _mm_cvtsi128_si32(packed);
      std::memcpy(out + 3 * xx, &v, 4);
    }
  }
}

// Resample.c's ImagingResampleVertical_8bpc: every byte of an output row is
// the weighted sum of the same byte in `count` input rows, 16 bytes at a time.
void ResampleVertical(const uint8_t* src, int width, const ResizeCoefficients& c, int row_offset,
                      uint8_t* dst) {
  const size_t stride = static_cast<size_t>(width) * 3;
  const __m256i half = _mm256_set1_epi32(kHalf);
  for (int yy = 0; yy < c.out_size; ++yy) {
    const int ymin = c.first[yy] - row_offset;
    const int n = c.count[yy];
    const int32_t* k = &c.weights[static_cast<size_t>(yy) * c.taps];
    const uint8_t* in = src + static_cast<size_t>(ymin) * stride;
    uint8_t* out = dst + static_cast<size_t>(yy) * stride;
    size_t i = 0;
    for (; i + 16 <= stride; i += 16) {
      __m256i acc0 = half, acc1 = half;
      for (int y = 0; y < n; ++y) {
        __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + y * stride + i));
        __m256i w = _mm256_set1_epi32(k[y]);
        acc0 = _mm256_add_epi32(acc0, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(bytes), w));
        acc1 = _mm256_add_epi32(
            acc1, _mm256_mullo_epi32(_mm256_cvtepu8_epi32(_mm_srli_si128(bytes, 8)), w));
      }
      acc0 = _mm256_srai_epi32(acc0, kPrecisionBits);
      acc1 = _mm256_srai_epi32(acc1, kPrecisionBits);
      __m256i words = _mm256_permute4x64_epi64(_mm256_packs_epi32(acc0, acc1), 0xD8);
      __m128i packed =
          _mm_packus_epi16(_mm256_castsi256_si128(words), _mm256_extracti128_si256(words, 1));
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), packed);
    }
    for (; i < stride; ++i) {
      int32_t acc = kHalf;
      for (int y = 0; y < n; ++y) acc += in[y * stride + i] * k[y];
      out[i] = Clip8(acc);
    }
  }
}

}  // namespace

int64_t BicubicResizeScratchBytes(int src_width, int src_height, int width, int height) {
  if (src_width <= 0 || src_height <= 0 || width <= 0 || height <= 0) return 0;
  if (width == src_width && height == src_height) return 0;
  using image::BicubicTaps;
  const int64_t tables = int64_t{width} * BicubicTaps(src_width, width) +
                         int64_t{height} * BicubicTaps(src_height, height);
  const bool intermediate = width != src_width && height != src_height;
  return tables * static_cast<int64_t>(sizeof(int32_t)) +
         (intermediate ? int64_t{width} * src_height * 3 : 0);
}

Status CheckResizeScratch(int64_t src_width, int64_t src_height, int width, int height,
                          int64_t max_pixels) {
  const int64_t budget = 3 * max_pixels;
  // Sides above INT_MAX cannot be decoded anyway (checked by the caller's
  // pixel limit); they would need more than any budget here.
  const bool fits =
      src_width <= std::numeric_limits<int>::max() && src_height <= std::numeric_limits<int>::max();
  const int64_t scratch =
      fits ? BicubicResizeScratchBytes(static_cast<int>(src_width), static_cast<int>(src_height),
                                       width, height)
           : std::numeric_limits<int64_t>::max();
  if (scratch <= budget) return Status::OK();
  return Status::Invalid("image of ", src_width, "x", src_height,
                         " is too long and thin to resize: Pillow's resize to ", width, "x", height,
                         " would need ", scratch >> 20, " MiB besides the image, more than the ",
                         budget >> 20, " MiB that --max-pixels allows");
}

void ResizeBicubic(const RgbImage& src, int width, int height, RgbImage* dst) {
  dst->width = std::max(width, 0);
  dst->height = std::max(height, 0);
  dst->pixels.resize(static_cast<size_t>(dst->width) * dst->height * 3);
  if (dst->pixels.empty() || src.width <= 0 || src.height <= 0) return;
  if (width == src.width && height == src.height) {  // Pillow returns a copy
    std::copy(src.pixels.begin(), src.pixels.end(), dst->pixels.begin());
    return;
  }
  const bool need_horizontal = width != src.width;
  const bool need_vertical = height != src.height;
  auto horizontal = image::CachedBicubicCoefficients(src.width, width);
  auto vertical = image::CachedBicubicCoefficients(src.height, height);
  // The input rows the vertical pass reads.
  const int first_row = vertical->first[0];
  const int last_row = vertical->first[height - 1] + vertical->count[height - 1];

  if (!need_horizontal) {
    ResampleVertical(src.pixels.data(), width, *vertical, 0, dst->pixels.data());
    return;
  }
  const int rows = last_row - first_row;
  const size_t temp_bytes = static_cast<size_t>(width) * rows * 3;
  if (!need_vertical) {
    // One spare byte for the horizontal pass's four-byte stores.
    thread_local std::vector<uint8_t> spare;
    spare.resize(temp_bytes + 1);
    ResampleHorizontal(src.pixels.data(), src.width, src.height, first_row, rows, *horizontal,
                       spare.data());
    std::memcpy(dst->pixels.data(), spare.data(), temp_bytes);
    if (spare.capacity() > (size_t{64} << 20)) std::vector<uint8_t>().swap(spare);
    return;
  }
  thread_local std::vector<uint8_t> temp;
  temp.resize(temp_bytes + 1);
  ResampleHorizontal(src.pixels.data(), src.width, src.height, first_row, rows, *horizontal,
                     temp.data());
  ResampleVertical(temp.data(), width, *vertical, first_row, dst->pixels.data());
  // Kept for the next image of a common size; a rare huge one is not kept.
  if (temp.capacity() > (size_t{64} << 20)) std::vector<uint8_t>().swap(temp);
}

}  // namespace imgfeat
