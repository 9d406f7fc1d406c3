#include "cli/run_command.h"

#include <gtest/gtest.h>

#include "testing/test_util.h"

namespace imgfeat::cli {
namespace {

TEST(RunCommandTest, DefaultsAreTheNotebooksChoices) {
  ASSERT_OK_AND_ASSIGN(RunOptions o, ParseRunArgs({"in", "out"}));
  EXPECT_EQ(o.input, "in");
  EXPECT_EQ(o.output, "out");
  EXPECT_EQ(o.reduce, ReduceKind::kSrp);
  EXPECT_EQ(o.components, -1);
  EXPECT_EQ(o.seed, 42u);
  EXPECT_DOUBLE_EQ(o.eps, 0.1);
  EXPECT_EQ(o.model, "mobilenet_v2");
  EXPECT_EQ(o.pooling, Pooling::kNone);
}

TEST(RunCommandTest, ParsesTheS3Flags) {
  ASSERT_OK_AND_ASSIGN(
      RunOptions o,
      ParseRunArgs({"s3://in/p", "s3://out/p", "--s3-endpoint", "http://127.0.0.1:9000",
                    "--s3-region", "eu-west-3", "--s3-anonymous", "--s3-attempts=4"}));
  EXPECT_EQ(o.input, "s3://in/p");
  EXPECT_EQ(o.storage.s3_endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(o.storage.s3_region, "eu-west-3");
  EXPECT_TRUE(o.storage.s3_anonymous);
  EXPECT_EQ(o.storage.s3_max_attempts, 4);
  EXPECT_FALSE(ParseRunArgs({"a", "b", "--s3-attempts", "0"}).ok());
  EXPECT_FALSE(ParseRunArgs({"a", "b", "--s3-anonymous=yes"}).ok());
  ASSERT_OK_AND_ASSIGN(o, ParseRunArgs({"a", "b"}));
  EXPECT_FALSE(o.storage.s3_anonymous);
  EXPECT_EQ(o.storage.s3_max_attempts, 10);
}

TEST(RunCommandTest, ParsesEveryKindOfFlag) {
  ASSERT_OK_AND_ASSIGN(
      RunOptions o, ParseRunArgs({"--glob", "*.jpg", "in", "--components=9468", "--reduce", "pca",
                                  "out", "--pooling", "avg", "--threads", "3", "--resume",
                                  "--density", "0.5", "--label-regex", "/(\\w+)/[^/]+$"}));
  EXPECT_EQ(o.list.glob, "*.jpg");
  EXPECT_EQ(o.components, 9468);
  EXPECT_EQ(o.reduce, ReduceKind::kPca);
  EXPECT_EQ(o.pooling, Pooling::kAvg);
  EXPECT_EQ(o.threads, 3);
  EXPECT_TRUE(o.resume);
  EXPECT_DOUBLE_EQ(o.density, 0.5);
  EXPECT_EQ(o.label_regex, "/(\\w+)/[^/]+$");
}

TEST(RunCommandTest, BadValuesNameTheFlag) {
  for (auto args : std::vector<std::vector<std::string>>{{"in", "out", "--components", "x"},
                                                         {"in", "out", "--eps", "1.5"},
                                                         {"in", "out", "--reduce", "tsne"},
                                                         {"in", "out", "--batch"},
                                                         {"in", "out", "--overwrite=yes"},
                                                         {"in", "out", "--nope"}}) {
    auto r = ParseRunArgs(args);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("--"), std::string::npos) << r.status().message();
  }
  EXPECT_FALSE(ParseRunArgs({"only-input"}).ok());
}

TEST(RunCommandTest, PcaOversamplingIsAutoOrANumber) {
  ASSERT_OK_AND_ASSIGN(auto o, ParseRunArgs({"in", "out"}));
  EXPECT_EQ(o.pca_oversampling, -1);
  ASSERT_OK_AND_ASSIGN(o, ParseRunArgs({"in", "out", "--pca-oversampling", "25"}));
  EXPECT_EQ(o.pca_oversampling, 25);
  ASSERT_OK_AND_ASSIGN(
      o, ParseRunArgs({"in", "out", "--pca-oversampling=10", "--pca-oversampling", "auto"}));
  EXPECT_EQ(o.pca_oversampling, -1);
  auto bad = ParseRunArgs({"in", "out", "--pca-oversampling", "-3"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("--pca-oversampling"), std::string::npos);
}

TEST(RunCommandTest, ReportOfAnS3OutputIsRefusedBeforeTheRun) {
  auto r = ParseRunArgs({"in", "s3://bucket/out", "--report"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("imgfeat report"), std::string::npos);
  EXPECT_TRUE(ParseRunArgs({"in", "s3://bucket/out"}).ok());
}

}  // namespace
}  // namespace imgfeat::cli
