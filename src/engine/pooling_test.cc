#include <gtest/gtest.h>

#include <vector>

#include "imgfeat/engine.h"

namespace imgfeat {
namespace {

TEST(AveragePoolHwcTest, MeansEachChannelOverAllPositions) {
  const int64_t h = 2, w = 3, c = 2;
  std::vector<float> features(h * w * c);
  for (int64_t p = 0; p < h * w; ++p) {
    features[p * c + 0] = static_cast<float>(p);       // 0..5, mean 2.5
    features[p * c + 1] = static_cast<float>(10 * p);  // 0..50, mean 25
  }
  std::vector<float> pooled(c);
  AveragePoolHwc(features.data(), h, w, c, pooled.data());
  EXPECT_FLOAT_EQ(pooled[0], 2.5f);
  EXPECT_FLOAT_EQ(pooled[1], 25.f);
}

TEST(AveragePoolHwcTest, OnePositionIsTheIdentity) {
  std::vector<float> features = {1.5f, -2.f, 3.25f};
  std::vector<float> pooled(3);
  AveragePoolHwc(features.data(), 1, 1, 3, pooled.data());
  EXPECT_EQ(pooled, features);
}

}  // namespace
}  // namespace imgfeat
