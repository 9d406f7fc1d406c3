#include "imgfeat/run_options.h"

#include <gtest/gtest.h>

#include "testing/test_util.h"

namespace imgfeat {
namespace {

Result<RunOptions> ParseRunArgs(const std::vector<std::string>& args) {
  return imgfeat::ParseRunArgs(args, kShellCli);
}

TEST(RunOptionsTest, DefaultsAreTheNotebooksChoices) {
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

TEST(RunOptionsTest, ParsesTheS3Flags) {
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

TEST(RunOptionsTest, ParsesEveryKindOfFlag) {
  ASSERT_OK_AND_ASSIGN(
      RunOptions o, ParseRunArgs({"--glob", "*.jpg", "in", "--components=9468", "--reduce", "pca",
                                  "out", "--pooling", "avg", "--threads", "3", "--resume",
                                  "--label-regex", "/(\\w+)/[^/]+$"}));
  EXPECT_EQ(o.list.glob, "*.jpg");
  EXPECT_EQ(o.components, 9468);
  EXPECT_EQ(o.reduce, ReduceKind::kPca);
  EXPECT_EQ(o.pooling, Pooling::kAvg);
  EXPECT_EQ(o.threads, 3);
  EXPECT_TRUE(o.resume);
  EXPECT_EQ(o.label_regex, "/(\\w+)/[^/]+$");
  ASSERT_OK_AND_ASSIGN(o, ParseRunArgs({"in", "out", "--density", "0.5"}));
  EXPECT_DOUBLE_EQ(o.density, 0.5);
}

TEST(RunOptionsTest, BadValuesNameTheFlag) {
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

TEST(RunOptionsTest, PcaOversamplingIsAutoOrANumber) {
  ASSERT_OK_AND_ASSIGN(auto o, ParseRunArgs({"in", "out"}));
  EXPECT_EQ(o.pca_oversampling, -1);
  ASSERT_OK_AND_ASSIGN(
      o, ParseRunArgs({"in", "out", "--reduce=pca", "--components=8", "--pca-oversampling", "25"}));
  EXPECT_EQ(o.pca_oversampling, 25);
  ASSERT_OK_AND_ASSIGN(o, ParseRunArgs({"in", "out", "--reduce=pca", "--components=8",
                                        "--pca-oversampling=10", "--pca-oversampling", "auto"}));
  EXPECT_EQ(o.pca_oversampling, -1);
  auto bad =
      ParseRunArgs({"in", "out", "--reduce=pca", "--components=8", "--pca-oversampling", "-3"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("--pca-oversampling"), std::string::npos);
}

TEST(RunOptionsTest, ReportOfAnS3OutputIsRefusedBeforeTheRun) {
  auto r = ParseRunArgs({"in", "s3://bucket/out", "--report"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("imgfeat report"), std::string::npos);
  EXPECT_TRUE(ParseRunArgs({"in", "s3://bucket/out"}).ok());
}

TEST(RunOptionsTest, KeptColumnsAreNewUniqueNames) {
  ASSERT_OK_AND_ASSIGN(auto kept, ParseRunArgs({"in", "out", "--keep-columns", "url,caption"}));
  EXPECT_EQ(kept.shards.keep_columns, (std::vector<std::string>{"url", "caption"}));
  for (const char* bad : {"url,label", "url,url", "url,,caption", ","}) {
    auto r = ParseRunArgs({"in", "out", "--keep-columns", bad});
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().message().rfind("--keep-columns", 0), 0u) << r.status().message();
  }
  ASSERT_OK_AND_ASSIGN(auto none, ParseRunArgs({"in", "out", "--keep-columns", ""}));
  EXPECT_TRUE(none.shards.keep_columns.empty());
}

TEST(RunOptionsTest, LimitsAreCheckedWhereTheOptionIsDescribed) {
  for (auto args : std::vector<std::vector<std::string>>{
           {"in", "out", "--batch", "1000000"},
           {"in", "out", "--batch", "-1"},
           {"in", "out", "--components", "1000000000"},
           {"in", "out", "--components", "99999999999999999999999"},
           {"in", "out", "--eps", "nan"},
           {"in", "out", "--eps", "inf"},
           {"in", "out", "--eps", "0"},
           {"in", "out", "--seed", "4294967296"},
           {"in", "out", "--max-pixels", "0"},
           {"in", "out", "--threads", "x"}}) {
    auto r = ParseRunArgs(args);
    ASSERT_FALSE(r.ok()) << args[2] << " " << args[3];
    EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
    EXPECT_EQ(r.status().message().rfind(args[2] + " must be ", 0), 0u) << r.status().message();
  }
  ASSERT_OK_AND_ASSIGN(auto o, ParseRunArgs({"in", "out", "--seed", "0", "--batch=1024"}));
  EXPECT_EQ(o.seed, 0u);
  EXPECT_EQ(o.batch, 1024);
}

TEST(RunOptionsTest, ReducerFromRefusesWhatItWouldIgnore) {
  for (const char* flag : {"--components=7", "--reduce=none", "--density=0.5"}) {
    auto r = ParseRunArgs({"in", "out", "--reducer-from", "old/_reducer.parquet", flag});
    ASSERT_FALSE(r.ok()) << flag;
    EXPECT_NE(r.status().message().find("--reducer-from"), std::string::npos);
  }
  EXPECT_TRUE(ParseRunArgs({"in", "out", "--reducer-from", "old/_reducer.parquet"}).ok());
}

TEST(RunOptionsTest, SwitchesOnByDefaultTurnOffWithNo) {
  ASSERT_OK_AND_ASSIGN(auto o, ParseRunArgs({"in", "out"}));
  EXPECT_TRUE(o.list.follow_symlinks);
  ASSERT_OK_AND_ASSIGN(o, ParseRunArgs({"in", "out", "--no-follow-symlinks"}));
  EXPECT_FALSE(o.list.follow_symlinks);
}

TEST(RunOptionsTest, ShellsGetOnlyTheirOptions) {
  EXPECT_FALSE(imgfeat::ParseRunArgs({"in", "out", "--report"}, kShellSpark).ok());
  EXPECT_TRUE(imgfeat::ParseRunArgs({"in", "out", "--report"}, kShellCli).ok());
  const std::string help = RunOptionsHelp(kShellCli);
  for (const auto& spec : RunOptionSpecs()) {
    EXPECT_NE(help.find(spec.cli_flag()), std::string::npos) << spec.name;
    EXPECT_EQ(FindRunOption(spec.python_name()), &spec);
  }
}

TEST(RunOptionsTest, TypedValuesAreCheckedLikeText) {
  const RunOptionSpec& components = *FindRunOption("components");
  RunOptions o;
  EXPECT_TRUE(SetRunOption(&o, components, true, "components").IsTypeError());
  EXPECT_TRUE(SetRunOption(&o, components, 2.0, "components").IsTypeError());
  EXPECT_TRUE(SetRunOption(&o, components, int64_t{0}, "components").IsInvalid());
  ASSERT_OK(SetRunOption(&o, components, std::monostate{}, "components"));
  EXPECT_EQ(o.components, -1);
  ASSERT_OK(SetRunOption(&o, *FindRunOption("eps"), int64_t{0}, "eps").IsInvalid()
                ? Status::OK()
                : Status::Invalid("eps 0 accepted"));
}

}  // namespace
}  // namespace imgfeat
