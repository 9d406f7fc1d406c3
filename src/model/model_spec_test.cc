#include <gtest/gtest.h>

#include "imgfeat/model.h"
#include "testing/test_util.h"

namespace imgfeat {
namespace {

TEST(ModelSpecTest, DefaultModelIsRegistered) {
  ASSERT_OK_AND_ASSIGN(ModelSpec spec, FindRegisteredModel(kDefaultModel));
  EXPECT_EQ(spec.name, "mobilenet_v2");
  EXPECT_EQ(spec.input_height, 224);
  EXPECT_EQ(spec.input_width, 224);
  EXPECT_EQ(spec.preprocess, PreprocessMode::kTf);
  // Keras' MobileNetV2(include_top=False) at 224: 7 x 7 x 1280.
  EXPECT_EQ(spec.feature_length(), 62720);
  // Keras' own weight file, converted on first use: no pinned checksum.
  EXPECT_EQ(spec.url.rfind("https://storage.googleapis.com/tensorflow/keras-applications/", 0), 0u);
  EXPECT_EQ(spec.url_format, UrlFormat::kKerasMobileNetV2H5);
  EXPECT_TRUE(spec.sha256.empty());
}

TEST(ModelSpecTest, UnknownModelNamesTheKnownOnes) {
  Status st = FindRegisteredModel("resnet_9000").status();
  EXPECT_TRUE(st.IsKeyError());
  EXPECT_NE(st.message().find("mobilenet_v2"), std::string::npos) << st.message();
}

TEST(ModelSpecTest, JsonRoundTrip) {
  ModelSpec spec;
  spec.name = "custom";
  spec.file_name = "dir/custom.onnx";
  spec.url = "http://example.invalid/custom.h5";
  spec.url_format = UrlFormat::kKerasMobileNetV2H5;
  spec.sha256 = std::string(64, 'a');
  spec.input_height = 299;
  spec.input_width = 300;
  spec.input_channels = 3;
  spec.input_layout = TensorLayout::kNCHW;
  spec.preprocess = PreprocessMode::kCaffe;
  spec.input_name = "data";
  spec.output_name = "pool";
  spec.output_layout = TensorLayout::kNCHW;
  spec.output_hwc = {10, 10, 2048};

  ASSERT_OK_AND_ASSIGN(ModelSpec back, ParseModelSpec(ModelSpecToJson(spec)));
  EXPECT_EQ(back.name, spec.name);
  EXPECT_EQ(back.file_name, spec.file_name);
  EXPECT_EQ(back.url, spec.url);
  EXPECT_EQ(back.url_format, UrlFormat::kKerasMobileNetV2H5);
  EXPECT_EQ(back.sha256, spec.sha256);
  EXPECT_EQ(back.input_height, 299);
  EXPECT_EQ(back.input_width, 300);
  EXPECT_EQ(back.input_layout, TensorLayout::kNCHW);
  EXPECT_EQ(back.preprocess, PreprocessMode::kCaffe);
  EXPECT_EQ(back.input_name, "data");
  EXPECT_EQ(back.output_name, "pool");
  EXPECT_EQ(back.output_layout, TensorLayout::kNCHW);
  EXPECT_EQ(back.output_hwc, spec.output_hwc);
  EXPECT_EQ(back.feature_length(), 10 * 10 * 2048);
}

TEST(ModelSpecTest, MinimalSpecTakesDefaults) {
  ASSERT_OK_AND_ASSIGN(
      ModelSpec spec,
      ParseModelSpec(
          R"({"name": "m", "file": "m.onnx", "sha256": "ABCDEF0123456789abcdef0123456789ABCDEF0123456789abcdef0123456789",
                         "output": {"shape_hwc": [1, 1, 8]}})"));
  EXPECT_EQ(spec.input_layout, TensorLayout::kNHWC);
  EXPECT_EQ(spec.preprocess, PreprocessMode::kTf);
  EXPECT_EQ(spec.input_height, 224);
  EXPECT_EQ(spec.sha256, "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
}

TEST(ModelSpecTest, BadSpecsAreClearErrors) {
  const char* ok_output = R"("output": {"shape_hwc": [7, 7, 1280]})";
  struct Case {
    std::string json;
    std::string expected_words;
  } cases[] = {
      {"{not json", "not valid JSON"},
      {R"({"name": "m", "file": "m.onnx", "prepocess": "tf", )" + std::string(ok_output) + "}",
       "unknown key 'prepocess'"},
      {R"({"name": "m", "file": "m.onnx", "preprocess": "keras", )" + std::string(ok_output) + "}",
       "unknown preprocessing mode 'keras'"},
      {R"({"name": "m", "file": "m.onnx", "input": {"layout": "HWC"}, )" + std::string(ok_output) +
           "}",
       "unknown layout 'HWC'"},
      {R"({"name": "m", "file": "m.onnx", "input": {"height": "224"}, )" + std::string(ok_output) +
           "}",
       "model spec:"},
      {R"({"name": "m", "file": "m.onnx", "sha256": "xyz", )" + std::string(ok_output) + "}",
       "64 hexadecimal"},
      {R"({"name": "m", "file": "m.onnx", "url_format": "h5", )" + std::string(ok_output) + "}",
       "url_format must be"},
      {R"({"name": "m", "file": "m.onnx"})", "'output' is missing"},
      {R"({"name": "m", "file": "m.onnx", "output": {"shape_hwc": [7, 1280]}})", "3 values"},
      {R"({"file": "m.onnx", )" + std::string(ok_output) + "}", "'name' is missing"},
  };
  for (const Case& c : cases) {
    Status st = ParseModelSpec(c.json).status();
    ASSERT_FALSE(st.ok()) << c.json;
    EXPECT_NE(st.message().find(c.expected_words), std::string::npos)
        << c.json << " -> " << st.message();
  }
}

TEST(ModelSpecTest, ReadMissingSpecFileNamesIt) {
  Status st = ReadModelSpecFile("/nonexistent/spec.json").status();
  EXPECT_TRUE(st.IsIOError());
  EXPECT_NE(st.message().find("/nonexistent/spec.json"), std::string::npos);
}

}  // namespace
}  // namespace imgfeat
