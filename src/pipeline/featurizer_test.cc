// Featurizer with the real decoder and OpenVINO engine: one row per input in
// order, paths and bytes giving the same features as a direct engine call,
// bad inputs as error rows, wrong array types and cancellation as errors; a
// reducer given to the call reducing each row as a separate Transform would.
#include "imgfeat/featurizer.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "imgfeat/engine.h"
#include "imgfeat/reduce.h"
#include "model/model_test_util.h"
#include "pipeline/image_preparer.h"
#include "testing/test_util.h"

namespace fs = std::filesystem;

namespace imgfeat {
namespace {

std::vector<std::string> SampleImages(int n) {
  fs::path dir = fs::path(testing::SourceDir()) / ".." / "shared" / "datasets" /
                 "fruits-360-sample" / "Test" / "lemon";
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(dir)) out.push_back(entry.path().string());
  std::sort(out.begin(), out.end());
  out.resize(std::min<size_t>(out.size(), n));
  return out;
}

std::unique_ptr<Featurizer> MakeFeaturizer(Pooling pooling, int batch) {
  FeaturizerOptions options;
  options.model_dir = testing::TestModelDir();
  options.pooling = pooling;
  options.threads = 2;
  options.batch = batch;
  auto made = Featurizer::Make(options);
  EXPECT_TRUE(made.ok()) << made.status().ToString();
  return made.ok() ? std::move(made).ValueUnsafe() : nullptr;
}

// One image through the preparer and a separately opened engine.
std::vector<float> DirectFeatures(const std::string& path) {
  ModelSpec spec = FindRegisteredModel(kDefaultModel).ValueOrDie();
  ModelSearch search;
  search.model_dir = testing::TestModelDir();
  search.allow_download = false;
  std::string model_path = ResolveModelFile(spec, search).ValueOrDie();
  EngineOptions engine_options;
  engine_options.threads = 1;
  engine_options.max_batch = 1;
  auto engine = OpenEngine(kDefaultEngine, model_path, spec, engine_options).ValueOrDie();
  ImagePreparer preparer(InputGeometry{});
  std::vector<float> input(InputGeometry{}.floats()), out(spec.feature_length());
  std::string stage;
  EXPECT_OK(preparer.Prepare(ImageFile{path, 0, 0}, input.data(), &stage));
  EXPECT_OK(engine->Run(input.data(), 1, out.data()));
  return out;
}

TEST(FeaturizerTest, PathsAndBytesInOrderWithErrorRows) {
  auto featurizer = MakeFeaturizer(Pooling::kNone, 4);
  ASSERT_NE(featurizer, nullptr);
  ASSERT_EQ(featurizer->feature_dim(), 7 * 7 * 1280);
  // Few images: the test also runs under the sanitizers, where decoding is slow.
  std::vector<std::string> paths = SampleImages(5);
  ASSERT_EQ(paths.size(), 5u);

  arrow::StringBuilder path_builder;
  arrow::BinaryBuilder bytes_builder;
  for (size_t i = 0; i < paths.size(); ++i) {
    if (i == 3) {  // a missing file, broken bytes, a null
      ASSERT_OK(path_builder.Append("/nonexistent/x.jpg"));
      ASSERT_OK(bytes_builder.Append(std::string("not an image")));
      ASSERT_OK(path_builder.AppendNull());
      ASSERT_OK(bytes_builder.AppendNull());
    }
    ASSERT_OK(path_builder.Append(paths[i]));
    std::vector<uint8_t> bytes;
    ASSERT_OK(ReadWholeFile(paths[i], &bytes));
    ASSERT_OK(bytes_builder.Append(bytes.data(), static_cast<int32_t>(bytes.size())));
  }
  ASSERT_OK_AND_ASSIGN(auto path_array, path_builder.Finish());
  ASSERT_OK_AND_ASSIGN(auto bytes_array, bytes_builder.Finish());
  ASSERT_OK_AND_ASSIGN(auto by_path, featurizer->Featurize(*path_array));
  std::atomic<int64_t> done{0};
  FeaturizeControl control;
  control.done = &done;
  ASSERT_OK_AND_ASSIGN(auto by_bytes, featurizer->Featurize(*bytes_array, control));
  EXPECT_EQ(done.load(), 7);
  ASSERT_OK(by_path->ValidateFull());
  ASSERT_EQ(by_path->num_rows(), 7);
  ASSERT_TRUE(by_path->Equals(*by_bytes) == false);  // error texts differ
  EXPECT_TRUE(by_path->column(0)->Equals(by_bytes->column(0)));

  auto errors = std::static_pointer_cast<arrow::StringArray>(by_path->column(1));
  EXPECT_EQ(errors->GetString(3), "/nonexistent/x.jpg: cannot open: No such file or directory");
  EXPECT_EQ(errors->GetString(4), "#4: no image (null)");
  auto byte_errors = std::static_pointer_cast<arrow::StringArray>(by_bytes->column(1));
  EXPECT_TRUE(byte_errors->GetString(3).starts_with("#3: ")) << byte_errors->GetString(3);
  EXPECT_EQ(by_path->column(0)->null_count(), 2);
  EXPECT_EQ(errors->null_count(), 5);

  // Row 6 (the fifth image) equals a single-image run.
  auto list = std::static_pointer_cast<arrow::ListArray>(by_path->column(0));
  auto row = std::static_pointer_cast<arrow::FloatArray>(list->value_slice(6));
  std::vector<float> want = DirectFeatures(paths[4]);
  ASSERT_EQ(row->length(), static_cast<int64_t>(want.size()));
  for (int64_t i = 0; i < row->length(); ++i) ASSERT_EQ(row->Value(i), want[i]) << i;
}

TEST(FeaturizerTest, PoolingEmptyInputWrongTypeAndCancel) {
  auto featurizer = MakeFeaturizer(Pooling::kAvg, 2);
  ASSERT_NE(featurizer, nullptr);
  EXPECT_EQ(featurizer->feature_dim(), 1280);
  arrow::StringBuilder builder;
  ASSERT_OK_AND_ASSIGN(auto empty, builder.Finish());
  ASSERT_OK_AND_ASSIGN(auto none, featurizer->Featurize(*empty));
  EXPECT_EQ(none->num_rows(), 0);

  for (const auto& p : SampleImages(3)) ASSERT_OK(builder.Append(p));
  ASSERT_OK_AND_ASSIGN(auto paths, builder.Finish());
  ASSERT_OK_AND_ASSIGN(auto pooled, featurizer->Featurize(*paths));
  auto list = std::static_pointer_cast<arrow::ListArray>(pooled->column(0));
  EXPECT_EQ(list->value_length(2), 1280);

  arrow::Int32Builder ints;
  ASSERT_OK(ints.Append(1));
  ASSERT_OK_AND_ASSIGN(auto wrong, ints.Finish());
  auto refused = featurizer->Featurize(*wrong);
  ASSERT_TRUE(refused.status().IsTypeError());
  EXPECT_EQ(refused.status().message(),
            "images must be paths (string) or encoded images (binary), not int32");

  std::atomic<bool> cancel{true};
  FeaturizeControl control;
  control.cancel = &cancel;
  EXPECT_TRUE(featurizer->Featurize(*paths, control).status().IsCancelled());
}

TEST(FeaturizerTest, AReducerGivenReducesEachRowAsTransformDoes) {
  FeaturizerOptions options;
  options.model_dir = testing::TestModelDir();
  options.threads = 2;
  options.batch = 2;  // several batches, the last one short
  options.embedding = true;
  ASSERT_OK_AND_ASSIGN(auto featurizer, Featurizer::Make(options));
  SrpOptions srp;
  srp.n_components = 50;
  srp.n_features = featurizer->feature_dim();
  ASSERT_OK_AND_ASSIGN(auto reducer, MakeSparseRandomProjection(srp));

  arrow::StringBuilder builder;
  std::vector<std::string> paths = SampleImages(4);
  ASSERT_EQ(paths.size(), 4u);
  for (size_t i = 0; i < paths.size(); ++i) {
    if (i == 2) ASSERT_OK(builder.Append("/nonexistent/x.jpg"));
    ASSERT_OK(builder.Append(paths[i]));
  }
  ASSERT_OK_AND_ASSIGN(auto images, builder.Finish());
  ASSERT_OK_AND_ASSIGN(auto full, featurizer->Featurize(*images));
  ASSERT_OK_AND_ASSIGN(auto reduced, featurizer->Featurize(*images, {}, reducer.get()));
  ASSERT_OK(reduced->ValidateFull());
  ASSERT_EQ(reduced->num_rows(), 5);
  // The error row and the embedding are those of the unreduced call.
  EXPECT_TRUE(reduced->GetColumnByName("error")->Equals(full->GetColumnByName("error")));
  EXPECT_TRUE(reduced->GetColumnByName("embedding")->Equals(full->GetColumnByName("embedding")));

  auto full_list = std::static_pointer_cast<arrow::ListArray>(full->column(0));
  auto list = std::static_pointer_cast<arrow::ListArray>(reduced->column(0));
  EXPECT_EQ(list->null_count(), 1);
  EXPECT_TRUE(list->IsNull(2));
  for (int64_t row = 0; row < 5; ++row) {
    if (row == 2) continue;
    auto in = std::static_pointer_cast<arrow::FloatArray>(full_list->value_slice(row));
    std::vector<float> want(50);
    reducer->Transform(in->raw_values(), 1, want.data());
    auto got = std::static_pointer_cast<arrow::FloatArray>(list->value_slice(row));
    ASSERT_EQ(got->length(), 50);
    for (int64_t i = 0; i < 50; ++i) ASSERT_EQ(got->Value(i), want[i]) << row << " " << i;
  }

  // A reducer for other features is refused before any image is read.
  srp.n_features = 1280;
  ASSERT_OK_AND_ASSIGN(auto other, MakeSparseRandomProjection(srp));
  auto refused = featurizer->Featurize(*images, {}, other.get());
  ASSERT_TRUE(refused.status().IsInvalid());
  EXPECT_EQ(refused.status().message(), "the reducer takes 1280 features, the model gives 62720");
}

TEST(FeaturizerTest, UnknownModelFailsAtOnce) {
  FeaturizerOptions options;
  options.model = "no_such_model";
  auto made = Featurizer::Make(options);
  ASSERT_FALSE(made.ok());
  EXPECT_NE(made.status().message().find("no_such_model"), std::string::npos)
      << made.status().message();
}

}  // namespace
}  // namespace imgfeat
