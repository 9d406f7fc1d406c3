#include "dataset/run_params.h"

#include <gtest/gtest.h>

#include "testing/test_util.h"

namespace imgfeat::dataset {
namespace {

std::optional<ParamDifference> Diff(const std::string& a, int64_t dim_a, const std::string& b,
                                    int64_t dim_b) {
  auto stored = MakeRunParamsDocument(a, dim_a).ValueOrDie();
  auto current = MakeRunParamsDocument(b, dim_b).ValueOrDie();
  return FirstDifference(stored, current).ValueOrDie();
}

TEST(RunParamsTest, EqualDocumentsHaveNoDifference) {
  EXPECT_FALSE(Diff(R"({"a": 1, "b": {"c": [1, 2]}})", 8, R"({"b": {"c": [1, 2]}, "a": 1})", 8));
}

TEST(RunParamsTest, NamesTheFirstDifferingNestedKey) {
  auto diff = Diff(R"({"model": {"name": "m", "sha256": "aa"}, "reducer": {"k": 1}})", 8,
                   R"({"model": {"name": "m", "sha256": "bb"}, "reducer": {"k": 2}})", 8);
  ASSERT_TRUE(diff);
  EXPECT_EQ(diff->key, "model.sha256");
  EXPECT_EQ(diff->stored, "\"aa\"");
  EXPECT_EQ(diff->current, "\"bb\"");
}

TEST(RunParamsTest, MissingAndAddedKeysDiffer) {
  auto removed = Diff(R"({"a": 1, "b": 2})", 8, R"({"a": 1})", 8);
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->key, "b");
  EXPECT_EQ(removed->current, "(absent)");
  auto added = Diff(R"({"a": 1})", 8, R"({"a": 1, "c": null})", 8);
  ASSERT_TRUE(added);
  EXPECT_EQ(added->key, "c");
}

TEST(RunParamsTest, FeatureLengthIsPartOfTheParameters) {
  auto diff = Diff("{}", 62720, "{}", 9468);
  ASSERT_TRUE(diff);
  EXPECT_EQ(diff->key, "feature_dim");
  EXPECT_EQ(diff->stored, "62720");
}

TEST(RunParamsTest, InvalidJsonIsRefused) {
  EXPECT_FALSE(MakeRunParamsDocument("{not json", 8).ok());
  EXPECT_FALSE(FirstDifference("{", "{}").ok());
}

}  // namespace
}  // namespace imgfeat::dataset
