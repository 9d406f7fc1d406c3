// Pillow's bicubic resampling weights (libImaging/Resample.c:
// precompute_coeffs + normalize_coeffs_8bpc), per output pixel of one axis.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace imgfeat::image {

// Resample.c keeps 22 fractional bits so that 255 * sum|w| stays in an int.
inline constexpr int kPrecisionBits = 32 - 8 - 2;

struct ResizeCoefficients {
  int in_size = 0;
  int out_size = 0;
  int taps = 0;                  // Resample.c's ksize: weights per output pixel
  std::vector<int> first;        // first input pixel of each output pixel
  std::vector<int> count;        // how many input pixels it reads
  std::vector<int32_t> weights;  // out_size * taps fixed-point weights
};

// The weights of Image.resize's default BICUBIC filter (a = -0.5), widened
// by the scale when shrinking (antialiasing), over the whole input axis.
ResizeCoefficients ComputeBicubicCoefficients(int in_size, int out_size);
// Its `taps` (Resample.c's ksize), without building the table.
int BicubicTaps(int in_size, int out_size);

// The same, from a small per-thread cache: a pipeline resizes images of few
// distinct sizes, so the tables are built once per size pair and thread.
std::shared_ptr<const ResizeCoefficients> CachedBicubicCoefficients(int in_size, int out_size);

}  // namespace imgfeat::image
