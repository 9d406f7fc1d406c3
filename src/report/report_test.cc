#include "imgfeat/report.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "imgfeat/dataset.h"
#include "pipeline/distortion_sample.h"
#include "report/map_figure.h"
#include "report/thumbnails.h"
#include "testing/test_util.h"

namespace fs = std::filesystem;

namespace imgfeat {
namespace {

constexpr int64_t kDim = 8;

std::string ReadText(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class ReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("imgfeat_report_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "images");
    out_ = root_ / "out";
  }
  void TearDown() override { fs::remove_all(root_); }

  // Three labels along three axes; rows alternate Train/Test; the first
  // row's image exists (a PNG), the others do not.
  void WriteOutput(int rows_per_label) {
    DatasetOptions options;
    options.rows_per_part = 7;
    options.rows_per_row_group = 3;
    auto writer = DatasetWriter::Open(out_.string(), kDim, "{}", options).ValueOrDie();
    const std::string labels[] = {"apple", "lemon", "mango"};
    std::vector<FeatureRecord> records;
    std::vector<float> features;
    for (int i = 0; i < 3 * rows_per_label; ++i) {
      const int label = i % 3;
      FeatureRecord r;
      r.label = labels[label];
      r.file.path =
          (root_ / "images" / (i % 2 ? "Test" : "Train") / r.label / (std::to_string(i) + ".png"))
              .string();
      records.push_back(r);
      for (int j = 0; j < kDim; ++j) {
        features.push_back(j == label ? 5.0f + i % 4 : 0.1f * ((i * 7 + j) % 5));
      }
    }
    fs::create_directories(fs::path(records[0].file.path).parent_path());
    ASSERT_OK(report::WriteMapPng(records[0].file.path, {0, 0, 1, 1}, {0, 1}, report::Palette(2),
                                  40, 30));
    ASSERT_OK(writer->Append(records, features.data(), nullptr));
    ASSERT_OK(writer->AddError("/in/bad1.jpg", "decode", "truncated JPEG"));
    ASSERT_OK(writer->AddError("/in/bad2.jpg", "decode", "truncated JPEG"));
    ASSERT_OK(writer->AddError("/in/gone.jpg", "read", "cannot open '/in/gone.jpg'"));
    // Pairs whose reduced distance is 1.02x, then 1.2x, the input distance.
    ASSERT_OK_AND_ASSIGN(auto sample, DistortionSample::Make(10, 10, 1, 1, 1));
    std::vector<float> in, reduced;
    for (int i = 0; i < 10; ++i) {
      in.push_back(static_cast<float>(i * i));
      reduced.push_back(static_cast<float>(i * i) * (i < 5 ? 1.02f : 1.2f));
    }
    std::vector<FeatureRecord> ten(records.begin(), records.begin() + 10);
    sample.Offer(ten, in.data(), reduced.data());
    ASSERT_OK(sample.Write((out_ / "_temporary" / "d.tmp").string(),
                           (out_ / "_distortion.parquet").string(),
                           R"({"eps": 0.1, "reducer": "srp", "seed": 1, "rows": 10})"));
    ASSERT_OK(writer->Finish(
        R"({"version": "0.1.0", "parameters": {"input": "/in", "reduce": {"eps": 0.1}},
            "model": {"name": "mobilenet_v2"}, "reducer": {"kind": "srp", "n_components": 8},
            "counts": {"images_listed": 33, "errors": 3, "feature_dim": 100}})"));
  }

  fs::path root_, out_;
};

TEST_F(ReportTest, WritesThePageAndTheMapWithTheFigures) {
  WriteOutput(10);
  ReportOptions options;
  options.output = out_.string();
  ASSERT_OK_AND_ASSIGN(auto summary, WriteReport(options));
  EXPECT_EQ(summary.html, (out_ / "_report.html").string());
  EXPECT_EQ(summary.rows, 30);
  EXPECT_EQ(summary.rows_analysed, 30);
  EXPECT_EQ(summary.knn_method, "train/test");
  EXPECT_EQ(summary.knn_queries, 15);
  EXPECT_DOUBLE_EQ(summary.knn_accuracy, 1.0);
  EXPECT_LT(summary.knn_low, 1.0);
  // The 10 pairs among rows 0-4 keep 1.02x, inside [sqrt(0.9), sqrt(1.1)];
  // every other pair stretches by 1.2x or more.
  EXPECT_EQ(summary.distortion_pairs, 45);
  EXPECT_DOUBLE_EQ(summary.distortion_within, 10.0 / 45);

  const std::string html = ReadText(summary.html);
  EXPECT_NE(html.find("Content-Security-Policy"), std::string::npos);
  EXPECT_NE(html.find("data:image/jpeg;base64,"), std::string::npos) << "the one thumbnail";
  EXPECT_NE(html.find("\"thumbs_missing\":29"), std::string::npos);
  EXPECT_NE(html.find("\"reason\":\"truncated JPEG\",\"count\":2"), std::string::npos);
  EXPECT_NE(html.find("\"reason\":\"cannot open 'FILE'\""), std::string::npos);
  EXPECT_EQ(html.find("<script src"), std::string::npos);
  EXPECT_TRUE(fs::exists(summary.png));
  EXPECT_FALSE(fs::exists(out_ / "_report.html.tmp"));
}

TEST_F(ReportTest, SamplesBeyondMaxRowsAndWritesWhereItIsTold) {
  WriteOutput(10);
  ReportOptions options;
  options.output = out_.string();
  options.max_rows = 12;
  options.html = (root_ / "r.html").string();
  options.png = (root_ / "r.png").string();
  ASSERT_OK_AND_ASSIGN(auto summary, WriteReport(options));
  EXPECT_EQ(summary.rows, 30);
  EXPECT_EQ(summary.rows_analysed, 12);
  EXPECT_TRUE(fs::exists(root_ / "r.html"));
  EXPECT_TRUE(fs::exists(root_ / "r.png"));
  EXPECT_NE(ReadText(root_ / "r.html").find("\"sampled\":true"), std::string::npos);
}

TEST_F(ReportTest, AnOutputWithoutRowsStillGetsAPage) {
  auto writer = DatasetWriter::Open(out_.string(), kDim, "{}", {}).ValueOrDie();
  ASSERT_OK(writer->AddError("/in/bad.jpg", "decode", "not an image"));
  ASSERT_OK(writer->Finish("{}"));
  ReportOptions options;
  options.output = out_.string();
  ASSERT_OK_AND_ASSIGN(auto summary, WriteReport(options));
  EXPECT_EQ(summary.rows, 0);
  EXPECT_TRUE(std::isnan(summary.knn_accuracy));
  EXPECT_EQ(summary.distortion_pairs, 0);
  EXPECT_NE(ReadText(summary.html).find("\"errors_total\":1"), std::string::npos);
  EXPECT_TRUE(fs::exists(summary.png));
}

TEST_F(ReportTest, RefusesAFolderThatIsNotAnOutput) {
  ReportOptions options;
  options.output = (root_ / "images").string();
  auto summary = WriteReport(options);
  ASSERT_FALSE(summary.ok());
  EXPECT_NE(summary.status().message().find("no part-*.parquet"), std::string::npos);
  options.output = (root_ / "missing").string();
  EXPECT_FALSE(WriteReport(options).ok());
}

TEST(ThumbnailTest, Base64MatchesTheStandard) {
  EXPECT_EQ(report::Base64({}), "");
  EXPECT_EQ(report::Base64({'f'}), "Zg==");
  EXPECT_EQ(report::Base64({'f', 'o'}), "Zm8=");
  EXPECT_EQ(report::Base64({'f', 'o', 'o', 'b', 'a', 'r'}), "Zm9vYmFy");
}

}  // namespace
}  // namespace imgfeat
