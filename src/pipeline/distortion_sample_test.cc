#include "pipeline/distortion_sample.h"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <gtest/gtest.h>
#include <parquet/arrow/reader.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "testing/test_util.h"

namespace imgfeat {
namespace {

std::vector<FeatureRecord> Records(int begin, int end) {
  std::vector<FeatureRecord> out;
  for (int i = begin; i < end; ++i) {
    FeatureRecord r;
    r.file.path = "/in/" + std::to_string(i) + ".jpg";
    out.push_back(r);
  }
  return out;
}

// Row i: (i, i^2 mod 7, 1); reduced: twice the first two.
void Offer(DistortionSample* sample, int begin, int end) {
  std::vector<float> in, out;
  for (int i = begin; i < end; ++i) {
    in.insert(in.end(), {float(i), float(i * i % 7), 1.0f});
    out.insert(out.end(), {2.0f * i, 2.0f * (i * i % 7)});
  }
  sample->Offer(Records(begin, end), in.data(), out.data());
}

TEST(DistortionSampleTest, KeepsTheDrawnRowsAcrossBatchesAndMeasuresEveryPair) {
  ASSERT_OK_AND_ASSIGN(auto sample, DistortionSample::Make(100, 10, 42, 3, 2));
  for (int b = 0; b < 100; b += 16) Offer(&sample, b, std::min(100, b + 16));
  ASSERT_EQ(sample.rows_kept(), 10);
  auto pairs = sample.ComputePairs();
  ASSERT_EQ(pairs.a.size(), 45u);
  for (size_t p = 0; p < pairs.a.size(); ++p) {
    EXPECT_LT(pairs.a[p], pairs.b[p]);
    EXPECT_NEAR(pairs.output_distance[p], 2 * pairs.input_distance[p], 1e-9);
  }
  // Kept in row order, the same rows for the same seed, other rows for another.
  ASSERT_OK_AND_ASSIGN(auto again, DistortionSample::Make(100, 10, 42, 3, 2));
  ASSERT_OK_AND_ASSIGN(auto other, DistortionSample::Make(100, 10, 7, 3, 2));
  Offer(&again, 0, 100);
  Offer(&other, 0, 100);
  EXPECT_EQ(again.paths(), sample.paths());
  EXPECT_NE(other.paths(), sample.paths());
  EXPECT_TRUE(std::is_sorted(sample.paths().begin(), sample.paths().end(), [](auto& x, auto& y) {
    return std::stoi(x.substr(4)) < std::stoi(y.substr(4));
  }));
}

TEST(DistortionSampleTest, DistancesOfWideRowsMatchADirectSumAndIdenticalRowsAreZero) {
  // Rows of 10,000 floats far from the origin: where a Gram matrix without
  // the mean removed would cancel digits.
  const int64_t dim = 10000;
  ASSERT_OK_AND_ASSIGN(auto sample, DistortionSample::Make(4, 4, 42, dim, 1));
  std::vector<float> in(4 * dim), out = {0, 1, 2, 3};
  for (int64_t j = 0; j < dim; ++j) {
    in[j] = 1000.0f + 0.001f * static_cast<float>(j % 7);
    in[dim + j] = in[j] + 0.01f * static_cast<float>(j % 3);
    in[2 * dim + j] = in[j];  // row 2 repeats row 0
    in[3 * dim + j] = 1000.0f - 0.5f * static_cast<float>(j % 5);
  }
  sample.Offer(Records(0, 4), in.data(), out.data());
  auto pairs = sample.ComputePairs();
  ASSERT_EQ(pairs.a.size(), 6u);
  for (size_t p = 0; p < 6; ++p) {
    const float* x = &in[pairs.a[p] * dim];
    const float* y = &in[pairs.b[p] * dim];
    double sum = 0;
    for (int64_t j = 0; j < dim; ++j) sum += (double(x[j]) - y[j]) * (double(x[j]) - y[j]);
    if (pairs.a[p] == 0 && pairs.b[p] == 2) {
      EXPECT_EQ(pairs.input_distance[p], 0.0);
      EXPECT_EQ(pairs.output_distance[p], 0.0);
    } else {
      EXPECT_NEAR(pairs.input_distance[p], std::sqrt(sum), 1e-9 * std::sqrt(sum)) << p;
    }
  }
}

TEST(DistortionSampleTest, FewerRowsThanTheSampleKeepsThemAll) {
  ASSERT_OK_AND_ASSIGN(auto sample, DistortionSample::Make(5, 128, 42, 3, 2));
  Offer(&sample, 0, 5);
  EXPECT_EQ(sample.rows_kept(), 5);
  EXPECT_EQ(sample.ComputePairs().a.size(), 10u);
}

TEST(DistortionSampleTest, WritesAParquetFileWithItsMetadata) {
  namespace fs = std::filesystem;
  const fs::path dir =
      fs::temp_directory_path() / ("imgfeat_distortion_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  ASSERT_OK_AND_ASSIGN(auto sample, DistortionSample::Make(4, 128, 42, 3, 2));
  Offer(&sample, 0, 4);
  const std::string final_path = (dir / "_distortion.parquet").string();
  ASSERT_OK(sample.Write((dir / "d.tmp").string(), final_path, R"({"eps": 0.1})"));
  EXPECT_FALSE(fs::exists(dir / "d.tmp"));
  auto input = arrow::io::ReadableFile::Open(final_path).ValueOrDie();
  auto reader = parquet::arrow::OpenFile(input, arrow::default_memory_pool()).ValueOrDie();
  std::shared_ptr<arrow::Table> table;
  ASSERT_OK(reader->ReadTable(&table));
  EXPECT_EQ(table->num_rows(), 6);
  EXPECT_EQ(table->schema()->field_names(),
            (std::vector<std::string>{"path_a", "path_b", "input_distance", "output_distance"}));
  EXPECT_EQ(table->schema()->metadata()->Get("imgfeat.distortion").ValueOrDie(), R"({"eps": 0.1})");
  auto first = std::static_pointer_cast<arrow::DoubleArray>(table->column(2)->chunk(0));
  EXPECT_NEAR(first->Value(0), std::sqrt(1.0 + 1.0), 1e-12);  // rows 0 and 1: (0,0,1), (1,1,1)
  fs::remove_all(dir);
}

}  // namespace
}  // namespace imgfeat
