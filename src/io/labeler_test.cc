#include <gtest/gtest.h>

#include "imgfeat/listing.h"
#include "testing/test_util.h"

namespace imgfeat {
namespace {

TEST(LabelerTest, DefaultStripsTrailingNonLetters) {
  ASSERT_OK_AND_ASSIGN(Labeler labeler, Labeler::Make());
  EXPECT_EQ(labeler.LabelFor("/d/Train/Apple Golden 1/r_1_100.jpg"), "Apple Golden");
  EXPECT_EQ(labeler.LabelFor("/d/Train/Cherry_2/x.jpg"), "Cherry");
  EXPECT_EQ(labeler.LabelFor("/d/Train/Apple Red Yellow 2/x.jpg"), "Apple Red Yellow");
  EXPECT_EQ(labeler.LabelFor("/d/Test/apple/x.jpg"), "apple");
  EXPECT_EQ(labeler.LabelFor("/d/a/b/c/Pear 10/deep.png"), "Pear");
  EXPECT_EQ(labeler.LabelFor("/d/2024/x.jpg"), "");
  EXPECT_EQ(labeler.LabelFor("/d/Fraise \xc3\xa9t\xc3\xa9 3/x.jpg"), "Fraise \xc3\xa9t\xc3\xa9");
}

TEST(LabelerTest, ALabelIsTextWhateverTheFolderName) {
  // A Latin-1 folder name: the label keeps its letters, the byte that is not
  // UTF-8 written as \xNN (a label column is UTF-8 text).
  ASSERT_OK_AND_ASSIGN(Labeler deflt, Labeler::Make());
  EXPECT_EQ(deflt.LabelFor("/d/Fraise \xe9t\xe9 3/x.jpg"), "Fraise \\xE9t\\xE9");
  ASSERT_OK_AND_ASSIGN(Labeler regex, Labeler::Make("/d/([^/]*)/"));
  EXPECT_EQ(regex.LabelFor("/d/caf\xe9/x.jpg"), "caf\\xE9");
}

TEST(LabelerTest, CustomRegexFirstGroup) {
  ASSERT_OK_AND_ASSIGN(Labeler labeler, Labeler::Make("/(Train|Test)/"));
  EXPECT_EQ(labeler.LabelFor("/d/Train/apple/x.jpg"), "Train");
  EXPECT_EQ(labeler.LabelFor("/d/other/apple/x.jpg"), "");
}

TEST(LabelerTest, NotebookRegexGivesTheSameAsDefault) {
  ASSERT_OK_AND_ASSIGN(Labeler notebook, Labeler::Make("(.*)/(.*[a-zA-Z])(.*)/"));
  ASSERT_OK_AND_ASSIGN(Labeler with_group2, Labeler::Make("^.*/(.*[a-zA-Z])[^/]*/[^/]*$"));
  ASSERT_OK_AND_ASSIGN(Labeler deflt, Labeler::Make());
  for (const char* p : {"/d/Train/Apple Golden 1/a.jpg", "/d/Cherry_2/b.jpg", "/x/Kiwi/c.jpg"}) {
    EXPECT_EQ(with_group2.LabelFor(p), deflt.LabelFor(p)) << p;
  }
  EXPECT_EQ(notebook.LabelFor("/d/Cherry_2/b.jpg"), "/d");  // group 1 of that regex
}

TEST(LabelerTest, BadRegexIsAClearError) {
  EXPECT_TRUE(Labeler::Make("([a-z").status().IsInvalid());
  EXPECT_TRUE(Labeler::Make("abc").status().IsInvalid());
  // RE2 has no backreferences: said at once, not at the first path.
  auto backreference = Labeler::Make("/(a)\\1/");
  ASSERT_TRUE(backreference.status().IsInvalid());
  EXPECT_NE(backreference.status().message().find("does not compile"), std::string::npos);
}

// An expression that backtracks exponentially in ECMAScript engines (std::regex
// took more than 30 s a path at 35 x's) runs in time linear in the path.
TEST(LabelerTest, PathologicalExpressionsRunInLinearTime) {
  ASSERT_OK_AND_ASSIGN(Labeler labeler, Labeler::Make("((x|y)*)*z"));
  const std::string path = "/data/" + std::string(100000, 'x') + "/a.jpg";
  EXPECT_EQ(labeler.LabelFor(path), "");
  EXPECT_EQ(labeler.LabelFor("/data/xxyz/a.jpg"), "xxy");
}

TEST(LabelerTest, PathsAreMatchedAsBytes) {
  ASSERT_OK_AND_ASSIGN(Labeler labeler, Labeler::Make("/([^/]+)/[^/]+$"));
  // A Latin-1 name matches byte by byte; the label is text (\xNN).
  EXPECT_EQ(labeler.LabelFor("/d/caf\xe9/a.jpg"), "caf\\xE9");
  EXPECT_EQ(labeler.LabelFor("/d/Fraise \xc3\xa9t\xc3\xa9/a.jpg"), "Fraise \xc3\xa9t\xc3\xa9");
}

}  // namespace
}  // namespace imgfeat
