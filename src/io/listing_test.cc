#include "imgfeat/listing.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace imgfeat {
namespace {

class ListingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("imgfeat_listing_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  void Touch(const fs::path& rel, const std::string& content = "x") {
    fs::create_directories((root_ / rel).parent_path());
    std::ofstream(root_ / rel) << content;
  }
  std::vector<std::string> List(const ListOptions& options = {}) {
    auto lister = ImageLister::Open(root_.string(), options).ValueOrDie();
    std::vector<std::string> out;
    while (true) {
      auto next = lister->Next().ValueOrDie();
      if (!next) break;
      out.push_back(fs::path(next->path).lexically_relative(root_).string());
    }
    return out;
  }
  fs::path root_;
};

TEST_F(ListingTest, SortedRecursiveImageExtensionsOnly) {
  Touch("b/2.JPG");
  Touch("b/1.jpeg");
  Touch("a b/x.png");
  Touch("a/z.webp");
  Touch("a/notes.txt");
  Touch("c/d/e/deep.TIFF");
  Touch("c/Ça été/é.bmp");
  EXPECT_EQ(List(), (std::vector<std::string>{"a/z.webp", "a b/x.png", "b/1.jpeg", "b/2.JPG",
                                              "c/d/e/deep.TIFF", "c/Ça été/é.bmp"}));
}

TEST_F(ListingTest, GlobNarrows) {
  Touch("a/1.jpg");
  Touch("a/2.png");
  ListOptions options;
  options.glob = "*.jpg";
  EXPECT_EQ(List(options), std::vector<std::string>{"a/1.jpg"});
}

TEST_F(ListingTest, FollowsSymlinksAndSurvivesCycles) {
  Touch("real/1.jpg");
  fs::create_directory_symlink(root_ / "real", root_ / "link");
  fs::create_directory_symlink(root_, root_ / "real" / "loop");
  auto files = List();
  EXPECT_EQ(files, (std::vector<std::string>{"link/1.jpg", "real/1.jpg"}));
}

TEST_F(ListingTest, KeepsLengthAndModificationTime) {
  Touch("a/1.jpg", "12345");
  auto lister = ImageLister::Open(root_.string()).ValueOrDie();
  auto f = lister->Next().ValueOrDie();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->length, 5);
  EXPECT_GT(f->modification_time_us, 1'500'000'000'000'000LL);
  EXPECT_EQ(f->path[0], '/');
}

TEST_F(ListingTest, MissingInputIsAnError) {
  auto r = ImageLister::Open((root_ / "nope").string());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nope"), std::string::npos);
}

}  // namespace
}  // namespace imgfeat
