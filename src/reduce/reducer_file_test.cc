#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "imgfeat/reduce.h"
#include "reduce/memory_row_source.h"
#include "testing/test_util.h"

namespace imgfeat {
namespace {

class ReducerFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("imgfeat_reducer_file_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Saves, loads, and checks that the loaded reducer transforms bit for bit alike.
  void ExpectRoundTrip(const Reducer& reducer, const std::string& name) {
    const std::string path = (dir_ / name).string();
    ASSERT_OK(SaveReducer(reducer, path));
    EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));
    ASSERT_OK_AND_ASSIGN(auto loaded, LoadReducer(path));
    EXPECT_EQ(loaded->kind(), reducer.kind());
    EXPECT_EQ(loaded->input_dim(), reducer.input_dim());
    EXPECT_EQ(loaded->output_dim(), reducer.output_dim());
    EXPECT_EQ(loaded->DescribeJson(), reducer.DescribeJson());
    const int64_t rows = 5;
    std::mt19937 gen(5);
    std::uniform_real_distribution<float> uniform(0.0f, 2.0f);
    std::vector<float> x(rows * reducer.input_dim());
    for (float& v : x) v = uniform(gen);
    std::vector<float> a(rows * reducer.output_dim()), b(a.size());
    reducer.Transform(x.data(), rows, a.data());
    loaded->Transform(x.data(), rows, b.data());
    EXPECT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float)));
  }

  std::filesystem::path dir_;
};

TEST_F(ReducerFileTest, SparseRandomProjectionAutoAndGivenDensity) {
  ASSERT_OK_AND_ASSIGN(auto automatic,
                       MakeSparseRandomProjection({.n_components = 40, .n_features = 900}));
  ExpectRoundTrip(*automatic, "srp_auto.parquet");
  ASSERT_OK_AND_ASSIGN(
      auto given,
      MakeSparseRandomProjection(
          {.n_components = 40, .n_features = 900, .density = 0.3, .seed = 4000000000U}));
  ExpectRoundTrip(*given, "srp_given.parquet");
}

TEST_F(ReducerFileTest, Pca) {
  std::mt19937 gen(2);
  std::normal_distribution<float> normal;
  std::vector<float> data(60 * 25);
  for (size_t i = 0; i < data.size(); ++i) data[i] = normal(gen) * (1.0f + (i % 25) * 0.3f);
  reduce::MemoryRowSource source(data.data(), 60, 25);
  ASSERT_OK_AND_ASSIGN(auto pca, FitPca(&source, {.n_components = 4, .seed = 9}));
  ExpectRoundTrip(*pca, "pca.parquet");
  ASSERT_OK_AND_ASSIGN(auto loaded, LoadReducer((dir_ / "pca.parquet").string()));
  ASSERT_OK_AND_ASSIGN(PcaState a, PcaStateOf(*pca));
  ASSERT_OK_AND_ASSIGN(PcaState b, PcaStateOf(*loaded));
  EXPECT_EQ(a.mean, b.mean);
  EXPECT_EQ(a.components, b.components);
  EXPECT_EQ(a.explained_variance, b.explained_variance);
  EXPECT_EQ(a.explained_variance_ratio, b.explained_variance_ratio);
  EXPECT_EQ(a.total_variance, b.total_variance);
  EXPECT_EQ(a.n_samples, b.n_samples);
}

TEST_F(ReducerFileTest, Identity) { ExpectRoundTrip(*MakeIdentityReducer(12), "none.parquet"); }

TEST_F(ReducerFileTest, MissingOrForeignFilesAreClearErrors) {
  auto missing = LoadReducer((dir_ / "absent.parquet").string());
  EXPECT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("absent.parquet"), std::string::npos);
  std::ofstream(dir_ / "junk.parquet") << "not parquet";
  EXPECT_FALSE(LoadReducer((dir_ / "junk.parquet").string()).ok());
}

}  // namespace
}  // namespace imgfeat
