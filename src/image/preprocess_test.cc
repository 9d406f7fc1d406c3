// Preprocess against Keras' formulas evaluated here in float32, and the
// mode names.
#include <vector>

#include "imgfeat/image.h"
#include "testing/test_util.h"

namespace imgfeat {
namespace {

RgbImage AllValues() {
  RgbImage image;
  image.width = 256;
  image.height = 1;
  for (int v = 0; v < 256; ++v) {
    image.pixels.push_back(static_cast<uint8_t>(v));
    image.pixels.push_back(static_cast<uint8_t>(255 - v));
    image.pixels.push_back(static_cast<uint8_t>(v / 2));
  }
  return image;
}

TEST(Preprocess, ParsesTheThreeModes) {
  for (const char* name : {"tf", "torch", "caffe"}) {
    ASSERT_OK_AND_ASSIGN(PreprocessMode mode, ParsePreprocessMode(name));
    EXPECT_STREQ(PreprocessModeName(mode), name);
  }
  EXPECT_FALSE(ParsePreprocessMode("TF").ok());
  EXPECT_FALSE(ParsePreprocessMode("").ok());
}

TEST(Preprocess, TfMapsToMinusOneToOne) {
  RgbImage image = AllValues();
  std::vector<float> out(image.pixels.size());
  Preprocess(image, PreprocessMode::kTf, out.data());
  for (size_t i = 0; i < out.size(); ++i) {
    volatile float x = static_cast<float>(image.pixels[i]);
    x = x / 127.5f;
    x = x - 1.0f;
    ASSERT_EQ(out[i], x) << "byte " << int(image.pixels[i]);
  }
  EXPECT_EQ(out[0], -1.0f);  // pixel 0, R = 0
  EXPECT_EQ(out[1], 1.0f);   // pixel 0, G = 255
}

TEST(Preprocess, TorchUsesImagenetMeanAndStd) {
  RgbImage image = AllValues();
  std::vector<float> out(image.pixels.size());
  Preprocess(image, PreprocessMode::kTorch, out.data());
  const float mean[3] = {0.485f, 0.456f, 0.406f}, std[3] = {0.229f, 0.224f, 0.225f};
  for (size_t i = 0; i < out.size(); ++i) {
    volatile float x = static_cast<float>(image.pixels[i]) / 255.0f;
    x = x - mean[i % 3];
    x = x / std[i % 3];
    ASSERT_EQ(out[i], x);
  }
}

TEST(Preprocess, CaffeIsBgrMinusMean) {
  RgbImage image = AllValues();
  std::vector<float> out(image.pixels.size());
  Preprocess(image, PreprocessMode::kCaffe, out.data());
  const float mean_bgr[3] = {103.939f, 116.779f, 123.68f};
  for (size_t p = 0; p < 256; ++p) {
    for (int c = 0; c < 3; ++c) {
      float source = static_cast<float>(image.pixels[p * 3 + (2 - c)]);
      ASSERT_EQ(out[p * 3 + c], source - mean_bgr[c]);
    }
  }
}

}  // namespace
}  // namespace imgfeat
