// The read stage: a file is refused before it is read when it is larger than
// the limit, and when it changed or vanished after it was listed.
#include "pipeline/image_preparer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "testing/test_util.h"

namespace imgfeat {
namespace {

class ImagePreparerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("imgfeat-preparer-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "a.jpg").string();
    Write(std::string(100, 'x'));
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void Write(const std::string& text) { std::ofstream(path_, std::ios::binary) << text; }

  // The file as the lister saw it.
  ImageFile Listed() const {
    struct stat st;
    EXPECT_EQ(::stat(path_.c_str(), &st), 0);
    return ImageFile{path_,
                     static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000 + st.st_mtim.tv_nsec / 1000,
                     st.st_size};
  }

  Status Prepare(const ImageFile& file, int64_t max_file_bytes, std::string* stage) {
    InputGeometry geometry;
    geometry.max_file_bytes = max_file_bytes;
    ImagePreparer preparer(geometry);
    std::vector<float> out(geometry.floats());
    return preparer.Prepare(file, out.data(), stage);
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(ImagePreparerTest, ReadsAListedFileThenDecodes) {
  std::string stage;
  const Status status = Prepare(Listed(), 1000, &stage);
  EXPECT_EQ(stage, "decode") << status.ToString();  // 100 x's are no image
}

TEST_F(ImagePreparerTest, RefusesAFileAboveTheLimitBeforeReadingIt) {
  std::string stage;
  const Status status = Prepare(Listed(), 99, &stage);
  EXPECT_EQ(stage, "read");
  EXPECT_NE(status.message().find("100 bytes is larger than --max-file-bytes 99"),
            std::string::npos)
      << status.ToString();
}

TEST_F(ImagePreparerTest, RefusesAFileThatChangedAfterListing) {
  const ImageFile listed = Listed();
  Write(std::string(150, 'y'));
  std::string stage;
  const Status status = Prepare(listed, 1000, &stage);
  EXPECT_EQ(stage, "read");
  EXPECT_NE(status.message().find("changed since it was listed (100 bytes then, 150 now)"),
            std::string::npos)
      << status.ToString();
}

// The read stage on its own, as the Spark workers' reads use it.
TEST_F(ImagePreparerTest, ReadListedFileGivesTheBytesOrRefusesAChangedFile) {
  std::vector<uint8_t> bytes;
  ASSERT_OK(ReadListedFile(Listed(), 1000, &bytes));
  EXPECT_EQ(bytes, std::vector<uint8_t>(100, 'x'));
  const ImageFile listed = Listed();
  Write(std::string(150, 'y'));
  EXPECT_TRUE(ReadListedFile(listed, 1000, &bytes).message().starts_with("changed since"));
  // Without a modification time the listing is not compared.
  ASSERT_OK(ReadListedFile(ImageFile{path_, 0, 0}, 1000, &bytes));
  EXPECT_EQ(bytes.size(), 150u);
}

TEST_F(ImagePreparerTest, RefusesAFileThatVanishedAfterListing) {
  const ImageFile listed = Listed();
  std::filesystem::remove(path_);
  std::string stage;
  const Status status = Prepare(listed, 1000, &stage);
  EXPECT_EQ(stage, "read");
  EXPECT_TRUE(status.IsIOError());
  EXPECT_NE(status.message().find("No such file"), std::string::npos) << status.ToString();
}

TEST_F(ImagePreparerTest, RefusesAFifoPutWhereTheListedFileWas) {
  const ImageFile listed = Listed();
  std::filesystem::remove(path_);
  ASSERT_EQ(::mkfifo(path_.c_str(), 0600), 0);
  std::string stage;
  const Status status = Prepare(listed, 1000, &stage);  // must not block on the FIFO
  EXPECT_EQ(stage, "read");
  EXPECT_NE(status.message().find("not a regular file"), std::string::npos) << status.ToString();
}

}  // namespace
}  // namespace imgfeat
