#include "report/map_figure.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "testing/test_util.h"

namespace imgfeat::report {
namespace {

TEST(ProjectTo2dTest, FindsTheTwoWidestDirections) {
  // 200 rows in 5-D: wide along (1,1,0,0,0), narrower along (0,0,1,0,0), noise elsewhere.
  const int64_t rows = 200, dim = 5;
  std::vector<float> x(rows * dim);
  std::vector<double> a(rows), b(rows);
  for (int64_t i = 0; i < rows; ++i) {
    a[i] = std::sin(0.37 * i) * 10;
    b[i] = std::cos(1.3 * i) * 3;
    x[i * dim + 0] = static_cast<float>(a[i] + 7);
    x[i * dim + 1] = static_cast<float>(a[i] - 2);
    x[i * dim + 2] = static_cast<float>(b[i]);
    x[i * dim + 3] = static_cast<float>(0.01 * std::sin(5.1 * i));
    x[i * dim + 4] = 1.0f;
  }
  ASSERT_OK_AND_ASSIGN(auto p, ProjectTo2d(x.data(), rows, dim, 42));
  ASSERT_EQ(p.xy.size(), 2u * rows);
  double dot_a = 0, dot_b = 0, norm_x = 0, norm_y = 0, norm_a = 0, norm_b = 0;
  for (int64_t i = 0; i < rows; ++i) {
    dot_a += p.xy[2 * i] * a[i], norm_x += p.xy[2 * i] * p.xy[2 * i], norm_a += a[i] * a[i];
    dot_b += p.xy[2 * i + 1] * b[i], norm_y += p.xy[2 * i + 1] * p.xy[2 * i + 1];
    norm_b += b[i] * b[i];
  }
  EXPECT_GT(std::abs(dot_a) / std::sqrt(norm_x * norm_a), 0.999);
  EXPECT_GT(std::abs(dot_b) / std::sqrt(norm_y * norm_b), 0.999);
  EXPECT_GT(p.explained[0], p.explained[1]);
  EXPECT_GT(p.explained[0] + p.explained[1], 0.99);
}

TEST(ProjectTo2dTest, TooFewRowsGiveZeros) {
  std::vector<float> x = {1, 2, 3, 4};
  ASSERT_OK_AND_ASSIGN(auto p, ProjectTo2d(x.data(), 2, 2, 42));
  EXPECT_EQ(p.xy, std::vector<float>(4, 0.0f));
}

TEST(PaletteTest, ColoursAreDistinct) {
  auto colors = Palette(40);
  EXPECT_EQ(std::set<Rgb>(colors.begin(), colors.end()).size(), 40u);
  EXPECT_EQ(CssColor(colors[0]), "#4e79a7");
}

TEST(DrawMapTest, PointsLandInTheirColours) {
  const std::vector<float> xy = {0, 0, 1, 1};
  const auto colors = Palette(2);
  const auto rgb = DrawMap(xy, {0, 1}, colors, 100, 80);
  // Point 0 at the bottom left, point 1 at the top right, inside the margin.
  auto pixel = [&](int x, int y) {
    const uint8_t* p = &rgb[(static_cast<size_t>(y) * 100 + x) * 3];
    return Rgb{p[0], p[1], p[2]};
  };
  const Rgb p0 = pixel(24, 80 - 1 - 24), p1 = pixel(100 - 25, 24);
  EXPECT_LT(std::abs(p0[0] - colors[0][0]), 70) << "point 0 is drawn";
  EXPECT_NE(p0, (Rgb{255, 255, 255}));
  EXPECT_NE(p1, (Rgb{255, 255, 255}));
  EXPECT_GT(p1[0], p1[2]) << "point 1 is orange";
  EXPECT_EQ(pixel(50, 40), (Rgb{255, 255, 255}));
}

TEST(DrawMapTest, NonFinitePointsAndTinyImagesAreSafe) {
  const auto rgb = DrawMap({NAN, 0, 1, INFINITY, 2, 2, 3, 3}, {0, 1, 0, 1}, Palette(2), 8, 6);
  EXPECT_EQ(rgb.size(), 8u * 6 * 3);
}

TEST(WriteMapPngTest, WritesAPngAndNoTemporaryFile) {
  namespace fs = std::filesystem;
  const fs::path path =
      fs::temp_directory_path() / ("imgfeat_map_" + std::to_string(::getpid()) + ".png");
  ASSERT_OK(WriteMapPng(path.string(), {0, 0, 1, 1, 2, 0}, {0, 1, 0}, Palette(2), 64, 48));
  std::ifstream in(path, std::ios::binary);
  char signature[8];
  in.read(signature, 8);
  EXPECT_EQ(std::string(signature + 1, 3), "PNG");
  EXPECT_FALSE(fs::exists(path.string() + ".tmp"));
  fs::remove(path);
  EXPECT_FALSE(WriteMapPng("/nonexistent-folder/x.png", {0, 0}, {0}, Palette(1), 8, 8).ok());
}

}  // namespace
}  // namespace imgfeat::report
