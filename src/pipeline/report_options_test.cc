#include "imgfeat/report_options.h"

#include <gtest/gtest.h>

#include "testing/test_util.h"

namespace imgfeat {
namespace {

TEST(ReportOptionsTest, DefaultsAreReportOptions) {
  ASSERT_OK_AND_ASSIGN(ReportOptions o, ParseReportArgs({"out"}));
  const ReportOptions defaults;
  EXPECT_EQ(o.output, "out");
  EXPECT_EQ(o.html, "");
  EXPECT_EQ(o.png, "");
  EXPECT_EQ(o.max_rows, defaults.max_rows);
  EXPECT_EQ(o.max_thumbnails, defaults.max_thumbnails);
  EXPECT_EQ(o.seed, defaults.seed);
}

TEST(ReportOptionsTest, ParsesEveryFlag) {
  ASSERT_OK_AND_ASSIGN(ReportOptions o,
                       ParseReportArgs({"--html", "p.html", "out", "--png=m.png", "--max-rows", "1",
                                        "--thumbnails=0", "--seed", "4294967295"}));
  EXPECT_EQ(o.output, "out");
  EXPECT_EQ(o.html, "p.html");
  EXPECT_EQ(o.png, "m.png");
  EXPECT_EQ(o.max_rows, 1);
  EXPECT_EQ(o.max_thumbnails, 0);
  EXPECT_EQ(o.seed, 4294967295u);
}

TEST(ReportOptionsTest, BadValuesAreOneLineNamingTheFlag) {
  for (auto args :
       std::vector<std::vector<std::string>>{{"out", "--max-rows", "0"},
                                             {"out", "--max-rows", "-1"},
                                             {"out", "--max-rows", "99999999999999999999"},
                                             {"out", "--max-rows", "nan"},
                                             {"out", "--thumbnails", "-1"},
                                             {"out", "--thumbnails", "inf"},
                                             {"out", "--seed", "4294967296"},
                                             {"out", "--seed", "x"},
                                             {"out", "--html", std::string("a\0b", 3)}}) {
    auto r = ParseReportArgs(args);
    ASSERT_FALSE(r.ok()) << args[1] << " " << args[2];
    EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
    EXPECT_EQ(r.status().message().rfind(args[1] + " must ", 0), 0u) << r.status().message();
  }
  for (auto args : std::vector<std::vector<std::string>>{
           {"out", "--seed"}, {"out", "--nope", "1"}, {}, {"a", "b"}}) {
    EXPECT_FALSE(ParseReportArgs(args).ok());
  }
}

TEST(ReportOptionsTest, TypedValuesAreCheckedLikeText) {
  const ReportOptionSpec& max_rows = *FindReportOption("max_rows");
  ReportOptions o;
  EXPECT_TRUE(SetReportOption(&o, max_rows, true, "max_rows").IsTypeError());
  EXPECT_TRUE(SetReportOption(&o, max_rows, 2.0, "max_rows").IsTypeError());
  EXPECT_TRUE(SetReportOption(&o, max_rows, std::monostate{}, "max_rows").IsTypeError());
  EXPECT_TRUE(SetReportOption(&o, max_rows, int64_t{0}, "max_rows").IsInvalid());
  ASSERT_OK(SetReportOption(&o, max_rows, int64_t{12}, "max_rows"));
  EXPECT_EQ(o.max_rows, 12);
  EXPECT_TRUE(SetReportOption(&o, *FindReportOption("html"), int64_t{1}, "html").IsTypeError());
}

TEST(ReportOptionsTest, HelpListsEveryOptionWithItsDefault) {
  const std::string help = ReportOptionsHelp();
  for (const auto& spec : ReportOptionSpecs()) {
    EXPECT_NE(help.find(spec.cli_flag() + " " + spec.metavar), std::string::npos) << spec.name;
    EXPECT_EQ(FindReportOption(spec.name), &spec);
  }
  EXPECT_NE(help.find("[8000]"), std::string::npos);
}

}  // namespace
}  // namespace imgfeat
