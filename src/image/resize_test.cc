// ResizeBicubic against a plain transcription of Pillow's Resample.c loops
// (double coefficients from precompute_coeffs, fixed point, two passes), so
// the vector kernels are checked on many sizes; tests/test_pixels_pillow.py
// checks both against Pillow itself.
#include <cmath>
#include <random>
#include <vector>

#include "image/resize_coefficients.h"
#include "imgfeat/image.h"
#include "testing/test_util.h"

namespace imgfeat {
namespace {

double Bicubic(double x) {
  const double a = -0.5;
  x = std::fabs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

struct Axis {
  std::vector<int> xmin, n;
  std::vector<std::vector<int>> k;
};

Axis Coefficients(int in_size, int out_size) {
  Axis axis;
  double scale = static_cast<double>(in_size) / out_size;
  double filterscale = std::max(scale, 1.0);
  double support = 2.0 * filterscale;
  for (int xx = 0; xx < out_size; ++xx) {
    double center = (xx + 0.5) * scale;
    int xmin = std::max(static_cast<int>(center - support + 0.5), 0);
    int xmax = std::min(static_cast<int>(center + support + 0.5), in_size) - xmin;
    std::vector<double> w(xmax);
    double sum = 0;
    for (int x = 0; x < xmax; ++x) sum += w[x] = Bicubic((x + xmin - center + 0.5) / filterscale);
    std::vector<int> k(xmax);
    for (int x = 0; x < xmax; ++x) {
      double v = sum != 0.0 ? w[x] / sum : w[x];
      k[x] = static_cast<int>(v < 0 ? -0.5 + v * (1 << 22) : 0.5 + v * (1 << 22));
    }
    axis.xmin.push_back(xmin);
    axis.n.push_back(xmax);
    axis.k.push_back(k);
  }
  return axis;
}

uint8_t Clip(int v) { return v >= (256 << 22) ? 255 : v <= 0 ? 0 : v >> 22; }

RgbImage ReferenceResize(const RgbImage& src, int width, int height) {
  Axis h = Coefficients(src.width, width), v = Coefficients(src.height, height);
  int first = v.xmin[0], last = v.xmin[height - 1] + v.n[height - 1];
  bool need_h = width != src.width, need_v = height != src.height;
  RgbImage temp = src;
  int offset = 0;
  if (need_h) {
    temp.width = width;
    temp.height = last - first;
    temp.pixels.assign(static_cast<size_t>(width) * temp.height * 3, 0);
    for (int y = 0; y < temp.height; ++y) {
      for (int x = 0; x < width; ++x) {
        for (int c = 0; c < 3; ++c) {
          int acc = 1 << 21;
          for (int t = 0; t < h.n[x]; ++t) {
            acc += src.pixels[((y + first) * src.width + h.xmin[x] + t) * 3 + c] * h.k[x][t];
          }
          temp.pixels[(y * width + x) * 3 + c] = Clip(acc);
        }
      }
    }
    offset = first;
  }
  if (!need_v) return temp;
  RgbImage out;
  out.width = width;
  out.height = height;
  out.pixels.assign(static_cast<size_t>(width) * height * 3, 0);
  for (int y = 0; y < height; ++y) {
    for (int i = 0; i < width * 3; ++i) {
      int acc = 1 << 21;
      for (int t = 0; t < v.n[y]; ++t) {
        acc += temp.pixels[(v.xmin[y] - offset + t) * width * 3 + i] * v.k[y][t];
      }
      out.pixels[y * width * 3 + i] = Clip(acc);
    }
  }
  return out;
}

RgbImage Noise(int width, int height, uint32_t seed) {
  std::mt19937 random(seed);
  RgbImage image;
  image.width = width;
  image.height = height;
  image.pixels.resize(static_cast<size_t>(width) * height * 3);
  // Extremes included: 0/255 edges make the bicubic overshoot and clip.
  for (auto& p : image.pixels) p = (random() % 4 == 0) ? (random() % 2) * 255 : random() % 256;
  return image;
}

TEST(ResizeBicubic, SameSizeIsACopy) {
  RgbImage src = Noise(17, 9, 1), dst;
  ResizeBicubic(src, 17, 9, &dst);
  EXPECT_EQ(dst.pixels, src.pixels);
}

TEST(ResizeBicubic, OutputHasTheRequestedShape) {
  RgbImage src = Noise(100, 100, 2), dst;
  ResizeBicubic(src, 224, 150, &dst);
  EXPECT_EQ(dst.width, 224);
  EXPECT_EQ(dst.height, 150);
  EXPECT_EQ(dst.pixels.size(), 224u * 150 * 3);
}

TEST(ResizeBicubic, FlatImageStaysFlat) {
  RgbImage src;
  src.width = 31;
  src.height = 7;
  src.pixels.assign(31 * 7 * 3, 200);
  RgbImage dst;
  ResizeBicubic(src, 224, 224, &dst);
  for (uint8_t p : dst.pixels) ASSERT_EQ(p, 200);
}

TEST(ResizeBicubic, MatchesResampleCOnManySizes) {
  const int sizes[][4] = {{100, 100, 224, 224}, {640, 480, 224, 224}, {1, 1, 224, 224},
                          {3, 500, 224, 224},   {1000, 7, 224, 224},  {224, 100, 224, 224},
                          {100, 224, 224, 224}, {5, 5, 3, 2},         {300, 200, 17, 251},
                          {7, 9, 7, 30},        {9, 7, 30, 7}};
  uint32_t seed = 10;
  RgbImage dst;  // reused, as the pipeline does
  for (const auto& s : sizes) {
    RgbImage src = Noise(s[0], s[1], seed++);
    ResizeBicubic(src, s[2], s[3], &dst);
    RgbImage expected = ReferenceResize(src, s[2], s[3]);
    ASSERT_EQ(dst.width, expected.width);
    ASSERT_EQ(dst.height, expected.height);
    ASSERT_EQ(dst.pixels, expected.pixels) << s[0] << "x" << s[1] << " -> " << s[2] << "x" << s[3];
  }
}

}  // namespace
}  // namespace imgfeat

TEST(BicubicResizeScratchBytes, CountsTheIntermediateImageAndTheTables) {
  using imgfeat::BicubicResizeScratchBytes;
  using imgfeat::image::ComputeBicubicCoefficients;
  EXPECT_EQ(BicubicResizeScratchBytes(224, 224, 224, 224), 0);
  const auto across = ComputeBicubicCoefficients(640, 224);
  const auto down = ComputeBicubicCoefficients(480, 224);
  EXPECT_EQ(BicubicResizeScratchBytes(640, 480, 224, 224),
            static_cast<int64_t>(across.weights.size() + down.weights.size()) * 4 +
                int64_t{224} * 480 * 3);
  // One axis only: no intermediate image.
  EXPECT_EQ(BicubicResizeScratchBytes(640, 224, 224, 224),
            static_cast<int64_t>(across.weights.size() +
                                 ComputeBicubicCoefficients(224, 224).weights.size()) *
                4);
  // A 1-pixel-wide strip: a 224-wide intermediate as tall as the strip.
  EXPECT_GT(BicubicResizeScratchBytes(1, 60'000'000, 224, 224), int64_t{40'000'000'000});
}
