#include <vector>

#include "imgfeat/engine.h"

namespace imgfeat {

// Accumulates in double: Keras' float32 mean and this differ by far less than
// the engines' own rounding, and the result does not depend on H*W.
void AveragePoolHwc(const float* features, int64_t h, int64_t w, int64_t c, float* out) {
  std::vector<double> sum(static_cast<size_t>(c), 0.0);
  const int64_t positions = h * w;
  for (int64_t p = 0; p < positions; ++p) {
    const float* row = features + p * c;
    for (int64_t ch = 0; ch < c; ++ch) sum[ch] += row[ch];
  }
  for (int64_t ch = 0; ch < c; ++ch) out[ch] = static_cast<float>(sum[ch] / positions);
}

}  // namespace imgfeat
