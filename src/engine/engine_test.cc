#include "imgfeat/engine.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <vector>

#include "engine/engine_internal.h"
#include "model/model_test_util.h"
#include "testing/test_util.h"

namespace imgfeat {
namespace {

namespace fs = std::filesystem;

std::vector<float> RandomInput(const ModelSpec& spec, int64_t batch, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.f, 1.f);
  std::vector<float> input(batch * spec.input_height * spec.input_width * spec.input_channels);
  for (float& x : input) x = uniform(rng);
  return input;
}

float MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  float worst = 0;
  for (size_t i = 0; i < a.size(); ++i) worst = std::max(worst, std::fabs(a[i] - b[i]));
  return worst;
}

class EngineTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(spec_, FindRegisteredModel(kDefaultModel));
    ModelSearch search{.model_dir = testing::TestModelDir(), .allow_download = false};
    ASSERT_OK_AND_ASSIGN(model_path_, ResolveModelFile(spec_, search));
  }
  ModelSpec spec_;
  std::string model_path_;
};

TEST_P(EngineTest, BatchesGiveTheSameFeaturesAsSingleImages) {
  EngineOptions options{.threads = 2, .max_batch = 4};
  ASSERT_OK_AND_ASSIGN(auto engine, OpenEngine(GetParam(), model_path_, spec_, options));
  EXPECT_EQ(engine->name(), GetParam());
  const int64_t n = 3, per_image = spec_.feature_length();
  std::vector<float> input = RandomInput(spec_, n, 1);
  std::vector<float> batched(n * per_image), single(n * per_image);
  ASSERT_OK(engine->Run(input.data(), n, batched.data()));
  const int64_t in_per_image = 224 * 224 * 3;
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_OK(engine->Run(input.data() + i * in_per_image, 1, single.data() + i * per_image));
  }
  EXPECT_LE(MaxAbsDiff(batched, single), 1e-4);
  // The last layer is a ReLU6: every feature lies in [0, 6], and some are not 0.
  auto [lo, hi] = std::minmax_element(batched.begin(), batched.end());
  EXPECT_GE(*lo, 0.f);
  EXPECT_LE(*hi, 6.f);
  EXPECT_GT(*hi, 0.5f);
  // Different images give different features.
  std::vector<float> first(batched.begin(), batched.begin() + per_image);
  std::vector<float> second(batched.begin() + per_image, batched.begin() + 2 * per_image);
  EXPECT_GT(MaxAbsDiff(first, second), 0.1f);
}

TEST_P(EngineTest, BatchLargerThanOpenedForIsRefused) {
  ASSERT_OK_AND_ASSIGN(auto engine, OpenEngine(GetParam(), model_path_, spec_, {.max_batch = 1}));
  std::vector<float> input = RandomInput(spec_, 2, 2), output(2 * spec_.feature_length());
  EXPECT_TRUE(engine->Run(input.data(), 2, output.data()).IsInvalid());
}

TEST_P(EngineTest, CorruptModelFileIsOneClearError) {
  fs::path bad = fs::temp_directory_path() / ("imgfeat_bad_" + GetParam() + ".onnx");
  std::ofstream(bad, std::ios::binary) << "this is not an ONNX protobuf at all";
  Status st = OpenEngine(GetParam(), bad.string(), spec_, {}).status();
  fs::remove(bad);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find(bad.string()), std::string::npos) << st.message();
  EXPECT_EQ(st.message().find('\n'), std::string::npos) << st.message();
}

TEST_P(EngineTest, SpecWithAnotherOutputShapeIsRefused) {
  ModelSpec wrong = spec_;
  wrong.output_hwc = {7, 7, 1000};
  Status st = OpenEngine(GetParam(), model_path_, wrong, {}).status();
  ASSERT_TRUE(st.IsInvalid()) << st.ToString();
  EXPECT_NE(st.message().find("[1,7,7,1280]"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("[1,7,7,1000]"), std::string::npos) << st.message();
}

TEST_P(EngineTest, SpecWithAnotherInputShapeIsRefused) {
  ModelSpec wrong = spec_;
  wrong.input_channels = 1;
  Status st = OpenEngine(GetParam(), model_path_, wrong, {}).status();
  ASSERT_TRUE(st.IsInvalid()) << st.ToString();
  EXPECT_NE(st.message().find(model_path_), std::string::npos) << st.message();
  EXPECT_EQ(st.message().find('\n'), std::string::npos) << st.message();
}

TEST_P(EngineTest, MissingModelFileNamesIt) {
  Status st = OpenEngine(GetParam(), "/nonexistent/m.onnx", spec_, {}).status();
  ASSERT_TRUE(st.IsIOError());
  EXPECT_NE(st.message().find("/nonexistent/m.onnx"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(AllEngines, EngineTest, ::testing::ValuesIn(EngineNames()),
                         [](const auto& info) { return info.param; });

class OpenVinoTest : public EngineTest {};

TEST_F(OpenVinoTest, StreamsGiveTheSameFeatures) {
  const int64_t n = 5, per_image = spec_.feature_length();
  std::vector<float> input = RandomInput(spec_, n, 3);
  std::vector<float> one(n * per_image), two(n * per_image);
  ASSERT_OK_AND_ASSIGN(auto single,
                       OpenEngine("openvino", model_path_, spec_, {.max_batch = 8, .streams = 1}));
  ASSERT_OK(single->Run(input.data(), n, one.data()));
  ASSERT_OK_AND_ASSIGN(auto dual,
                       OpenEngine("openvino", model_path_, spec_, {.max_batch = 8, .streams = 2}));
  ASSERT_OK(dual->Run(input.data(), n, two.data()));
  EXPECT_LE(MaxAbsDiff(one, two), 1e-4);
}

TEST_F(OpenVinoTest, EveryBatchSizeAndTuningGivesTheSameFeatures) {
  const int64_t n = 4, per_image = spec_.feature_length();
  std::vector<float> input = RandomInput(spec_, n, 5);
  std::vector<float> reference(n * per_image), got(n * per_image);
  ASSERT_OK_AND_ASSIGN(auto engine, OpenEngine("openvino", model_path_, spec_, {.max_batch = 4}));
  ASSERT_OK(engine->Run(input.data(), n, reference.data()));
  // Batches of 3 then 1: two more static compilations behind the scenes.
  ASSERT_OK(engine->Run(input.data(), 3, got.data()));
  ASSERT_OK(engine->Run(input.data() + 3 * 224 * 224 * 3, 1, got.data() + 3 * per_image));
  EXPECT_LE(MaxAbsDiff(reference, got), 1e-4);

  engine::OpenVinoTuning dynamic{.dynamic_batch = true, .cpu_pinning = "NO"};
  ASSERT_OK_AND_ASSIGN(
      auto tuned, engine::OpenOpenVinoEngineTuned(model_path_, spec_, {.max_batch = 4}, dynamic));
  std::fill(got.begin(), got.end(), -1.f);
  ASSERT_OK(tuned->Run(input.data(), n, got.data()));
  EXPECT_LE(MaxAbsDiff(reference, got), 1e-4);

  // Four chunks of one image, round-robin over two requests; then chunks of
  // two and one image (two compilations) at once.
  for (int per_request : {1, 2}) {
    engine::OpenVinoTuning chunked{.images_per_request = per_request};
    ASSERT_OK_AND_ASSIGN(auto streamed,
                         engine::OpenOpenVinoEngineTuned(model_path_, spec_,
                                                         {.max_batch = 4, .streams = 2}, chunked));
    const int64_t count = per_request == 1 ? 4 : 3;
    std::fill(got.begin(), got.end(), -1.f);
    ASSERT_OK(streamed->Run(input.data(), count, got.data()));
    std::vector<float> head(got.begin(), got.begin() + count * per_image);
    std::vector<float> want(reference.begin(), reference.begin() + count * per_image);
    EXPECT_LE(MaxAbsDiff(want, head), 1e-4) << per_request;
  }
}

TEST_F(OpenVinoTest, BatchesStartedTogetherGiveRunsFeatures) {
  const int64_t n = 3, per_image = spec_.feature_length(), in_per_image = 224 * 224 * 3;
  std::vector<float> input = RandomInput(spec_, 2 * n, 6);
  std::vector<float> reference(2 * n * per_image), got(2 * n * per_image, -1.f);
  ASSERT_OK_AND_ASSIGN(auto engine,
                       OpenEngine("openvino", model_path_, spec_, {.max_batch = 4, .streams = 2}));
  ASSERT_OK(engine->Run(input.data(), n, reference.data()));
  ASSERT_OK(engine->Run(input.data() + n * in_per_image, n, reference.data() + n * per_image));
  ASSERT_OK_AND_ASSIGN(int64_t first, engine->Start(input.data(), n, got.data()));
  ASSERT_OK_AND_ASSIGN(int64_t second, engine->Start(input.data() + n * in_per_image, n,
                                                     got.data() + n * per_image));
  // A third before the first is waited for is refused, not queued.
  Result<int64_t> third = engine->Start(input.data(), n, got.data());
  EXPECT_FALSE(third.ok());
  EXPECT_NE(third.status().message().find("in flight"), std::string::npos);
  ASSERT_OK(engine->Wait(first));
  ASSERT_OK(engine->Wait(second));
  EXPECT_EQ(MaxAbsDiff(reference, got), 0.0);
  EXPECT_FALSE(engine->Wait(second).ok()) << "a ticket is waited for once";
}

TEST_F(OpenVinoTest, Bf16WhereTheCpuHasItAndAClearErrorWhereNot) {
  const int64_t n = 2, per_image = spec_.feature_length();
  std::vector<float> input = RandomInput(spec_, n, 7);
  std::vector<float> f32(n * per_image), bf16(n * per_image);
  ASSERT_OK_AND_ASSIGN(auto exact, OpenEngine("openvino", model_path_, spec_, {.max_batch = 2}));
  ASSERT_OK(exact->Run(input.data(), n, f32.data()));
  auto lower = OpenEngine("openvino", model_path_, spec_, {.max_batch = 2, .precision = "bf16"});
  if (!lower.ok()) {
    EXPECT_NE(lower.status().message().find("does not compute bf16 natively"), std::string::npos)
        << lower.status().ToString();
    return;
  }
  ASSERT_OK((*lower)->Run(input.data(), n, bf16.data()));
  for (int64_t i = 0; i < n; ++i) {
    double dot = 0, a = 0, b = 0;
    for (int64_t j = i * per_image; j < (i + 1) * per_image; ++j) {
      dot += double(f32[j]) * bf16[j];
      a += double(f32[j]) * f32[j];
      b += double(bf16[j]) * bf16[j];
    }
    const double cosine = dot / std::sqrt(a * b);
    EXPECT_GT(cosine, 0.97) << "image " << i;
    EXPECT_LT(cosine, 1.0) << "bf16 was not used";
  }
  auto unknown = OpenEngine("openvino", model_path_, spec_, {.precision = "f8"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(), "unknown precision 'f8' (f32 or bf16 or int8)");
}

// int8 is in the model ('imgfeat models quantize' makes it; tests/test_precision.py
// runs it): an f32 model file at int8 would silently compute f32.
TEST_F(OpenVinoTest, Int8RefusesAModelThatIsNotQuantized) {
  auto engine = OpenEngine("openvino", model_path_, spec_, {.precision = "int8"});
  ASSERT_FALSE(engine.ok());
  const std::string message = engine.status().message();
  EXPECT_TRUE(message.find("runs a quantized model") != std::string::npos ||
              message.find("does not compute int8 natively") != std::string::npos)
      << message;
}

TEST_F(OpenVinoTest, AgreesWithOpenCvWhenBuilt) {
  std::vector<std::string> names = EngineNames();
  EXPECT_EQ(names.front(), kDefaultEngine);
  if (std::find(names.begin(), names.end(), "opencv") == names.end()) {
    GTEST_SKIP() << "this build has no OpenCV engine";
  }
  const int64_t n = 2, per_image = spec_.feature_length();
  std::vector<float> input = RandomInput(spec_, n, 4);
  std::vector<float> ov_out(n * per_image), cv_out(n * per_image);
  ASSERT_OK_AND_ASSIGN(auto ov_engine, OpenEngine("openvino", model_path_, spec_, {}));
  ASSERT_OK_AND_ASSIGN(auto cv_engine, OpenEngine("opencv", model_path_, spec_, {}));
  ASSERT_OK(ov_engine->Run(input.data(), n, ov_out.data()));
  ASSERT_OK(cv_engine->Run(input.data(), n, cv_out.data()));
  EXPECT_LE(MaxAbsDiff(ov_out, cv_out), 1e-3);
}

TEST(EngineRegistryTest, UnknownEngineListsTheKnownOnes) {
  ModelSpec spec;
  spec.output_hwc = {1, 1, 1};
  Status st = OpenEngine("tensorrt", "/x.onnx", spec, {}).status();
  ASSERT_TRUE(st.IsInvalid());
  EXPECT_NE(st.message().find("openvino"), std::string::npos) << st.message();
}

TEST(LayoutTest, NhwcNchwRoundTrip) {
  const int64_t n = 2, h = 3, w = 4, c = 5;
  std::vector<float> nhwc(n * h * w * c), nchw(nhwc.size()), back(nhwc.size());
  for (size_t i = 0; i < nhwc.size(); ++i) nhwc[i] = static_cast<float>(i);
  engine::NhwcToNchw(nhwc.data(), n, h, w, c, nchw.data());
  // Image 1, channel 2, row 1, column 3.
  EXPECT_EQ(nchw[((1 * c + 2) * h + 1) * w + 3], nhwc[((1 * h + 1) * w + 3) * c + 2]);
  engine::NchwToNhwc(nchw.data(), n, h, w, c, back.data());
  EXPECT_EQ(back, nhwc);
}

}  // namespace
}  // namespace imgfeat
