#include "imgfeat/path_text.h"

#include <gtest/gtest.h>

#include "testing/test_util.h"

namespace imgfeat {
namespace {

TEST(PathTextTest, Utf8PathsAreThemselves) {
  for (const char* p :
       {"/d/Train/apple/r_1_100.jpg", "s3://b/k/x.jpg", "/d/Fraise \xc3\xa9t\xc3\xa9/x.jpg",
        "/d/100%/a b#c?.jpg", "/d/\xf0\x9f\x8d\x8e.jpg"}) {
    EXPECT_EQ(PathText(p), p);
  }
}

TEST(PathTextTest, OtherPathsAreFileUris) {
  EXPECT_EQ(PathText("/d/caf\xe9.jpg"), "file:///d/caf%E9.jpg");
  EXPECT_EQ(PathText("/d/a\nb.jpg"), "file:///d/a%0Ab.jpg");
  EXPECT_EQ(PathText("/d/\xc3\xa9\xff 1%.jpg"), "file:///d/%C3%A9%FF%201%25.jpg");
  // A name that looks like the text form is itself encoded, so text leads back.
  EXPECT_EQ(PathText("file://x"), "file://file%3A//x");
}

TEST(PathTextTest, TextLeadsBackToEveryPath) {
  std::string all;
  for (int b = 1; b < 256; ++b) all += static_cast<char>(b);
  for (const std::string& p : {std::string("/d/caf\xe9.jpg"), std::string("/d/a\nb"),
                               std::string("/plain/x.jpg"), std::string("file://x"),
                               std::string("rel/\xc0\xaf"), "/" + all, std::string(255, '\xe9')}) {
    const std::string text = PathText(p);
    EXPECT_TRUE(IsValidUtf8(text)) << text;
    ASSERT_OK_AND_ASSIGN(std::string back, PathFromText(text));
    EXPECT_EQ(back, p);
  }
}

TEST(PathTextTest, FileUrisOfUsersAreAccepted) {
  ASSERT_OK_AND_ASSIGN(std::string p, PathFromText("file:///d/caf%c3%a9%20x.jpg"));
  EXPECT_EQ(p, "/d/caf\xc3\xa9 x.jpg");
}

TEST(PathTextTest, BadTextIsRefused) {
  EXPECT_TRUE(PathFromText("file:///d/%E").status().IsInvalid());
  EXPECT_TRUE(PathFromText("file:///d/%G0").status().IsInvalid());
  EXPECT_TRUE(PathFromText("file:///d/%00.jpg").status().IsInvalid());
  auto nul = PathFromText(std::string("/d/a\0b.jpg", 10));
  ASSERT_TRUE(nul.status().IsInvalid());
  EXPECT_NE(nul.status().message().find("NUL"), std::string::npos);
}

TEST(PathTextTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("abc \xc3\xa9 \xe2\x82\xac \xf0\x9f\x8d\x8e"));
  for (const char* bad : {"\xe9", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82",
                          "\xf8\x88\x80\x80\x80"}) {
    EXPECT_FALSE(IsValidUtf8(bad)) << bad;
  }
}

TEST(PathTextTest, Utf8TextEscapesOnlyTheBadBytes) {
  EXPECT_EQ(Utf8Text("Caf\xe9 \xc3\xa9"), "Caf\\xE9 \xc3\xa9");
  EXPECT_EQ(Utf8Text("plain"), "plain");
  EXPECT_TRUE(IsValidUtf8(Utf8Text("\xff\xfe\xed\xa0\x80")));
}

}  // namespace
}  // namespace imgfeat
