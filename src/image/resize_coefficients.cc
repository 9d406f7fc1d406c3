// Pillow's coefficient tables, with its double arithmetic kept step for step:
// the fixed-point weights (and so the output bytes) depend on each rounding.
#include "image/resize_coefficients.h"

#include <cmath>

namespace imgfeat::image {
namespace {

constexpr double kBicubicSupport = 2.0;

double BicubicFilter(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

}  // namespace

int BicubicTaps(int in_size, int out_size) {
  const double scale = static_cast<double>(static_cast<float>(in_size)) / out_size;
  const double filterscale = scale < 1.0 ? 1.0 : scale;
  return static_cast<int>(std::ceil(kBicubicSupport * filterscale)) * 2 + 1;
}

ResizeCoefficients ComputeBicubicCoefficients(int in_size, int out_size) {
  ResizeCoefficients c;
  c.in_size = in_size;
  c.out_size = out_size;
  // The box is (0, in_size) in float, as Image.resize passes it.
  const float in0 = 0.0f, in1 = static_cast<float>(in_size);
  const double scale = static_cast<double>(in1 - in0) / out_size;
  const double filterscale = scale < 1.0 ? 1.0 : scale;
  const double support = kBicubicSupport * filterscale;
  c.taps = BicubicTaps(in_size, out_size);
  c.first.resize(out_size);
  c.count.resize(out_size);
  c.weights.assign(static_cast<size_t>(out_size) * c.taps, 0);
  std::vector<double> k(c.taps);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = in0 + (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      double w = BicubicFilter((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    int32_t* out = &c.weights[static_cast<size_t>(xx) * c.taps];
    for (int x = 0; x < xmax; ++x) {
      double w = ww != 0.0 ? k[x] / ww : k[x];
      // normalize_coeffs_8bpc: round half away from zero into fixed point.
      out[x] = w < 0 ? static_cast<int32_t>(-0.5 + w * (1 << kPrecisionBits))
                     : static_cast<int32_t>(0.5 + w * (1 << kPrecisionBits));
    }
    c.first[xx] = xmin;
    c.count[xx] = xmax;
  }
  return c;
}

std::shared_ptr<const ResizeCoefficients> CachedBicubicCoefficients(int in_size, int out_size) {
  constexpr size_t kCapacity = 16;
  thread_local std::vector<std::shared_ptr<const ResizeCoefficients>> cache;
  for (const auto& entry : cache) {
    if (entry->in_size == in_size && entry->out_size == out_size) return entry;
  }
  auto entry =
      std::make_shared<const ResizeCoefficients>(ComputeBicubicCoefficients(in_size, out_size));
  // The table of a very long axis (megabytes) is used once, not kept.
  constexpr size_t kLargestKept = size_t{1} << 18;
  if (entry->weights.size() > kLargestKept) return entry;
  if (cache.size() == kCapacity) cache.erase(cache.begin());
  cache.push_back(entry);
  return entry;
}

}  // namespace imgfeat::image
