// The threaded stream with the real decoder and the real OpenVINO engine:
// listing order kept whatever order the decode threads finish in, bad files
// reported in place, skipped paths left out, features equal to a direct call.
#include "pipeline/feature_stream.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "model/model_test_util.h"
#include "testing/test_util.h"

namespace fs = std::filesystem;

namespace imgfeat {
namespace {

class FeatureStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("imgfeat_stream_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::path sample = fs::path(testing::SourceDir()) / ".." / "shared" / "datasets" /
                      "fruits-360-sample" / "Test" / "lemon";
    int i = 0;
    for (const auto& entry : fs::directory_iterator(sample)) {
      if (i == 9) break;
      fs::path dst = root_ / ("class" + std::to_string(i % 3)) / (std::to_string(i) + ".jpg");
      fs::create_directories(dst.parent_path());
      fs::copy_file(entry.path(), dst);
      ++i;
    }
    std::ofstream(root_ / "class1" / "5b.jpg") << "not an image";
    std::ofstream(root_ / "class2" / "0.png");  // empty
  }
  void TearDown() override { fs::remove_all(root_); }

  fs::path root_;
};

TEST_F(FeatureStreamTest, InListingOrderWithErrorsInPlace) {
  ASSERT_OK_AND_ASSIGN(ModelSpec spec, FindRegisteredModel(kDefaultModel));
  ModelSearch search;
  search.model_dir = testing::TestModelDir();
  search.allow_download = false;
  ASSERT_OK_AND_ASSIGN(std::string model_path, ResolveModelFile(spec, search));
  EngineOptions engine_options;
  engine_options.threads = 2;
  engine_options.max_batch = 4;
  ASSERT_OK_AND_ASSIGN(auto engine, OpenEngine(kDefaultEngine, model_path, spec, engine_options));
  ASSERT_OK_AND_ASSIGN(Labeler labeler, Labeler::Make());
  ASSERT_OK_AND_ASSIGN(auto lister, ImageLister::Open(root_.string()));

  const std::string skipped = (root_ / "class0" / "3.jpg").string();
  std::unordered_set<std::string> skip{skipped};
  StreamConfig config;
  config.decode_threads = 3;
  config.batch = 4;
  config.pooling = Pooling::kAvg;
  config.labeler = &labeler;
  config.skip = &skip;

  std::vector<std::string> events;  // paths in the order the stream reported them
  std::vector<float> features;
  StreamCallbacks callbacks;
  callbacks.on_batch = [&](const std::vector<FeatureRecord>& records, const float* f, int64_t dim) {
    EXPECT_EQ(dim, 1280);
    EXPECT_LE(records.size(), 4u);
    for (const auto& r : records) {
      events.push_back(r.file.path);
      EXPECT_EQ(r.label, "class");
    }
    features.insert(features.end(), f, f + records.size() * dim);
    return Status::OK();
  };
  callbacks.on_error = [&](const ImageFile& file, const std::string& stage, const Status& e) {
    events.push_back("error:" + stage + ":" + file.path);
    EXPECT_FALSE(e.message().empty());
    return Status::OK();
  };
  StreamStats stats;
  ASSERT_OK(StreamFeatures(lister.get(), engine.get(), config, callbacks, &stats));

  std::vector<std::string> want;
  ASSERT_OK_AND_ASSIGN(auto again, ImageLister::Open(root_.string()));
  while (true) {
    ASSERT_OK_AND_ASSIGN(auto next, again->Next());
    if (!next) break;
    if (next->path == skipped) continue;
    bool bad = next->path.ends_with("5b.jpg") || next->path.ends_with("0.png");
    want.push_back(bad ? "error:decode:" + next->path : next->path);
  }
  // Rows come in listing order, and so do errors; an error is reported as soon
  // as it is reached, possibly before the batch holding earlier rows is run.
  auto only = [](const std::vector<std::string>& v, bool errors) {
    std::vector<std::string> out;
    for (const auto& e : v) {
      if (e.starts_with("error:") == errors) out.push_back(e);
    }
    return out;
  };
  EXPECT_EQ(only(events, false), only(want, false));
  EXPECT_EQ(only(events, true), only(want, true));
  events = only(events, false);
  EXPECT_EQ(stats.listed, 11);
  EXPECT_EQ(stats.skipped, 1);
  EXPECT_EQ(stats.featurized, 8);
  EXPECT_EQ(stats.failed, 2);

  // The first image's features equal a direct, single-image call.
  ImagePreparer preparer(config.geometry);
  std::vector<float> input(config.geometry.floats()), raw(spec.feature_length()), pooled(1280);
  std::string stage;
  ASSERT_OK(preparer.Prepare(ImageFile{events[0], 0, 0}, input.data(), &stage));
  ASSERT_OK(engine->Run(input.data(), 1, raw.data()));
  AveragePoolHwc(raw.data(), 7, 7, 1280, pooled.data());
  for (int i = 0; i < 1280; ++i) ASSERT_FLOAT_EQ(features[i], pooled[i]) << i;
}

}  // namespace
}  // namespace imgfeat
