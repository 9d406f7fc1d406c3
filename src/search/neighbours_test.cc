#include "imgfeat/neighbours.h"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <gtest/gtest.h>
#include <parquet/arrow/reader.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <set>
#include <string_view>

#include "imgfeat/dataset.h"
#include "testing/test_util.h"

namespace imgfeat {
namespace {

namespace fs = std::filesystem;
constexpr int kDim = 16;
constexpr int kRows = 300;

// Random rows, with planted near-copies: 17 of 5, and 41, 42 of 40 (a chain).
std::vector<float> PlantedFeatures() {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  std::vector<float> f(kRows * kDim);
  for (float& v : f) v = normal(rng);
  auto copy = [&](int to, int from) {
    for (int d = 0; d < kDim; ++d)
      f[to * kDim + d] = f[from * kDim + d] * 1.5f + 0.01f * normal(rng);
  };
  copy(17, 5);
  copy(41, 40);
  copy(42, 41);
  return f;
}

std::string PathOf(int i) {
  char path[32];
  std::snprintf(path, sizeof(path), "/in/x/%d.jpg", 1000 + i);
  return path;
}

class NeighboursTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string name = "imgfeat_neighbours_";
    name += std::to_string(::getpid());
    dir_ = fs::temp_directory_path() / name;
    fs::remove_all(dir_);
    features_ = PlantedFeatures();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string WriteOutput(const std::string& name) {
    DatasetOptions options;
    options.rows_per_part = 37;  // several parts and row groups
    options.rows_per_row_group = 11;
    const std::string out = (dir_ / name).string();
    auto writer = DatasetWriter::Open(out, kDim, "{}", options).ValueOrDie();
    std::vector<FeatureRecord> records(kRows);
    for (int i = 0; i < kRows; ++i) {
      records[i].file.path = PathOf(i);
      records[i].label = std::string(1, 'x');  // (GCC 12 -Wrestrict on = "x")
    }
    EXPECT_OK(writer->Append(records, features_.data(), nullptr));
    EXPECT_OK(writer->Finish("{}"));
    return out;
  }

  std::shared_ptr<arrow::Table> Read(const std::string& path) {
    auto input = arrow::io::ReadableFile::Open(path).ValueOrDie();
    auto reader = parquet::arrow::OpenFile(input, arrow::default_memory_pool()).ValueOrDie();
    std::shared_ptr<arrow::Table> table;
    EXPECT_OK(reader->ReadTable(&table));
    return table->CombineChunks().ValueOrDie();
  }

  double Cosine(int a, int b) const {
    double dot = 0, na = 0, nb = 0;
    for (int d = 0; d < kDim; ++d) {
      dot += double{features_[a * kDim + d]} * features_[b * kDim + d];
      na += double{features_[a * kDim + d]} * features_[a * kDim + d];
      nb += double{features_[b * kDim + d]} * features_[b * kDim + d];
    }
    return dot / std::sqrt(na * nb);
  }

  fs::path dir_;
  std::vector<float> features_;
};

TEST_F(NeighboursTest, EqualsBruteForceWhateverTheBlockSize) {
  const std::string out = WriteOutput("out");
  std::shared_ptr<arrow::Table> first;
  for (int64_t block_bytes : {int64_t{29 * kDim * 4}, int64_t{1} << 30}) {
    NeighboursOptions options;
    options.k = 5;
    options.block_bytes = block_bytes;
    ASSERT_OK_AND_ASSIGN(NeighboursSummary s, WriteNeighbours(out, options));
    EXPECT_EQ(s.rows, kRows);
    EXPECT_EQ(s.neighbour_rows, kRows * 5);
    auto table = Read(out + "/_neighbours.parquet");
    ASSERT_EQ(table->num_rows(), kRows * 5);
    const auto& path = static_cast<const arrow::StringArray&>(*table->column(0)->chunk(0));
    const auto& neighbour = static_cast<const arrow::StringArray&>(*table->column(1)->chunk(0));
    const auto& cosine = static_cast<const arrow::FloatArray&>(*table->column(2)->chunk(0));
    const auto& rank = static_cast<const arrow::Int32Array&>(*table->column(3)->chunk(0));
    for (int i = 0; i < kRows; ++i) {
      std::vector<std::pair<double, int>> all;
      for (int j = 0; j < kRows; ++j) {
        if (j != i) all.emplace_back(-Cosine(i, j), j);
      }
      std::sort(all.begin(), all.end());
      for (int r = 0; r < 5; ++r) {
        const int64_t at = i * 5 + r;
        EXPECT_EQ(path.GetView(at), PathOf(i));
        EXPECT_EQ(neighbour.GetView(at), PathOf(all[r].second)) << "row " << i << " rank " << r;
        EXPECT_NEAR(cosine.Value(at), -all[r].first, 1e-5);
        EXPECT_EQ(rank.Value(at), r + 1);
      }
    }
    if (first) {
      EXPECT_TRUE(first->Equals(*table)) << "the block size changed the result";
    }
    first = table;
  }
}

TEST_F(NeighboursTest, NearDuplicatesAreGroupedByConnectedComponents) {
  const std::string out = WriteOutput("out");
  NeighboursOptions options;
  options.duplicate_cosine = 0.99;
  ASSERT_OK_AND_ASSIGN(NeighboursSummary s, WriteNeighbours(out, options));
  EXPECT_EQ(s.duplicate_groups, 2);
  EXPECT_EQ(s.duplicate_rows, 5);
  auto table = Read(out + "/_duplicates.parquet");
  const auto& path = static_cast<const arrow::StringArray&>(*table->column(0)->chunk(0));
  const auto& group = static_cast<const arrow::Int64Array&>(*table->column(1)->chunk(0));
  std::vector<std::pair<std::string, int64_t>> got;
  for (int64_t i = 0; i < table->num_rows(); ++i) got.emplace_back(path.GetView(i), group.Value(i));
  EXPECT_EQ(
      got,
      (std::vector<std::pair<std::string, int64_t>>{
          {PathOf(5), 0}, {PathOf(17), 0}, {PathOf(40), 1}, {PathOf(41), 1}, {PathOf(42), 1}}));
  // Nothing staged is left, and the files are ones an --overwrite recognises.
  EXPECT_FALSE(fs::exists(fs::path(out) / "_temporary"));
}

TEST_F(NeighboursTest, RefusesAnIncompleteOutputAndBadOptions) {
  const std::string out = WriteOutput("out");
  fs::remove(fs::path(out) / "_SUCCESS");
  auto incomplete = WriteNeighbours(out, {});
  ASSERT_TRUE(incomplete.status().IsInvalid());
  EXPECT_NE(incomplete.status().message().find("--resume"), std::string::npos);
  NeighboursOptions bad;
  bad.k = 0;
  EXPECT_TRUE(ValidateNeighboursOptions(bad).IsInvalid());
  bad.k = 10;
  bad.duplicate_cosine = std::nan("");
  EXPECT_TRUE(ValidateNeighboursOptions(bad).IsInvalid());
}

}  // namespace
}  // namespace imgfeat

namespace imgfeat {
namespace {

TEST_F(NeighboursTest, ApproximateFindsNearlyAllOfExactWithTheirCosines) {
  // At most 512 features: the graph holds the rows themselves, so the
  // cosines of what it finds are exact; only the graph search can miss.
  const std::string exact_out = WriteOutput("exact");
  const std::string approx_out = WriteOutput("approximate");
  NeighboursOptions options;
  options.k = 5;
  options.method = NeighbourMethod::kExact;
  ASSERT_OK(WriteNeighbours(exact_out, options).status());
  options.method = NeighbourMethod::kApproximate;
  ASSERT_OK_AND_ASSIGN(NeighboursSummary s, WriteNeighbours(approx_out, options));
  EXPECT_EQ(s.method, NeighbourMethod::kApproximate);
  auto exact = Read(exact_out + "/_neighbours.parquet");
  auto approx = Read(approx_out + "/_neighbours.parquet");
  ASSERT_EQ(exact->num_rows(), approx->num_rows());
  const auto& e = static_cast<const arrow::StringArray&>(*exact->column(1)->chunk(0));
  const auto& a = static_cast<const arrow::StringArray&>(*approx->column(1)->chunk(0));
  const auto& a_cos = static_cast<const arrow::FloatArray&>(*approx->column(2)->chunk(0));
  int64_t found = 0;
  for (int i = 0; i < kRows; ++i) {
    std::set<std::string_view> want;
    for (int r = 0; r < 5; ++r) want.insert(e.GetView(i * 5 + r));
    for (int r = 0; r < 5; ++r) {
      const int64_t at = i * 5 + r;
      found += want.count(a.GetView(at));
      const int j = std::stoi(std::string(a.GetView(at)).substr(6)) - 1000;
      EXPECT_NEAR(a_cos.Value(at), Cosine(i, j), 1e-5);
    }
  }
  EXPECT_GE(static_cast<double>(found) / (kRows * 5), 0.95);
}

}  // namespace
}  // namespace imgfeat
