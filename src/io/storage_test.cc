#include "imgfeat/storage.h"

#include <arrow/filesystem/localfs.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "io/object_fetcher.h"
#include "io/storage_internal.h"

namespace fs = std::filesystem;

namespace imgfeat {
namespace {

using io::ParseEndpoint;
using io::S3PathOf;

TEST(StorageTest, TellsS3UrisFromPaths) {
  EXPECT_TRUE(IsS3Uri("s3://bucket/key"));
  EXPECT_FALSE(IsS3Uri("bucket/key"));
  EXPECT_FALSE(IsS3Uri("/s3://x"));
  EXPECT_FALSE(IsS3Uri("S3://bucket"));  // the scheme is lower case, as Spark writes it
}

TEST(StorageTest, S3PathsDropTheSchemeAndTrailingSlashes) {
  EXPECT_EQ(S3PathOf("s3://bucket/a/b/").ValueOrDie(), "bucket/a/b");
  EXPECT_EQ(S3PathOf("s3://bucket").ValueOrDie(), "bucket");
  EXPECT_TRUE(S3PathOf("s3://").status().IsInvalid());
  EXPECT_TRUE(S3PathOf("s3:///key").status().IsInvalid());
}

TEST(StorageTest, EndpointsTakeASchemeAndAHost) {
  auto e = ParseEndpoint("http://127.0.0.1:9000/").ValueOrDie();
  EXPECT_EQ(e.scheme, "http");
  EXPECT_EQ(e.host, "127.0.0.1:9000");
  e = ParseEndpoint("minio.example:9000").ValueOrDie();
  EXPECT_EQ(e.scheme, "https");
  EXPECT_EQ(e.host, "minio.example:9000");
  EXPECT_TRUE(ParseEndpoint("ftp://host").status().IsInvalid());
  EXPECT_TRUE(ParseEndpoint("http://host/path").status().IsInvalid());
  EXPECT_TRUE(ParseEndpoint("http://").status().IsInvalid());
}

TEST(StorageTest, LocalPathsResolveToAbsolutePaths) {
  auto where = ResolveStorage("some/dir").ValueOrDie();
  EXPECT_FALSE(where.is_s3);
  EXPECT_EQ(where.path, (fs::current_path() / "some/dir").string());
  EXPECT_EQ(where.uri, where.path);
  EXPECT_EQ(JoinUri("s3://b/p", "_SUCCESS"), "s3://b/p/_SUCCESS");
}

// The fetcher is file-system neutral: local files stand in for objects.
class FetcherTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("imgfeat_fetch_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  ImageFile Write(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ / name, std::ios::binary) << bytes;
    return ImageFile{(dir_ / name).string(), 0, static_cast<int64_t>(bytes.size())};
  }
  fs::path dir_;
  std::shared_ptr<arrow::fs::FileSystem> local_ = std::make_shared<arrow::fs::LocalFileSystem>();
};

TEST_F(FetcherTest, ReadsWholeObjectsAhead) {
  ObjectFetcher fetcher(local_, 1 << 20);
  ImageFile a = Write("a", "alpha"), b = Write("b", std::string(1000, 'b'));
  PendingObject pa = fetcher.Start(a), pb = fetcher.Start(b);
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(fetcher.Finish(b, &pb, &bytes).ok());
  EXPECT_EQ(bytes.size(), 1000u);
  ASSERT_TRUE(fetcher.Finish(a, &pa, &bytes).ok());
  EXPECT_EQ(std::string(bytes.begin(), bytes.end()), "alpha");
}

TEST_F(FetcherTest, AShortOrMissingObjectFailsAfterItsRetries) {
  ObjectFetcher fetcher(local_, 1 << 20, /*attempts=*/2);
  ImageFile a = Write("a", "alpha");
  a.length = 10;  // listed larger than it is: cut short
  PendingObject p = fetcher.Start(a);
  std::vector<uint8_t> bytes;
  Status st = fetcher.Finish(a, &p, &bytes);
  EXPECT_TRUE(st.IsIOError()) << st.ToString();
  EXPECT_NE(st.message().find("5 of 10 bytes"), std::string::npos) << st.message();
  ImageFile missing{(dir_ / "missing").string(), 0, 3};
  p = fetcher.Start(missing);
  EXPECT_FALSE(fetcher.Finish(missing, &p, &bytes).ok());
}

TEST_F(FetcherTest, TheByteBudgetHoldsStartUntilFinishOrClose) {
  ObjectFetcher fetcher(local_, 8);
  ImageFile a = Write("a", "12345"), b = Write("b", "67890");
  PendingObject pa = fetcher.Start(a);  // 5 of 8 bytes
  std::atomic<bool> started{false};
  PendingObject pb;
  std::thread second([&] {
    pb = fetcher.Start(b);  // 10 > 8: waits for a
    started = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(started);
  std::vector<uint8_t> bytes;
  ASSERT_TRUE(fetcher.Finish(a, &pa, &bytes).ok());
  second.join();
  EXPECT_TRUE(started);
  ASSERT_TRUE(fetcher.Finish(b, &pb, &bytes).ok());

  PendingObject held = fetcher.Start(a);
  std::thread blocked([&] { pb = fetcher.Start(b); });
  fetcher.Close();  // a stopping run wakes the waiting listing thread
  blocked.join();
  EXPECT_TRUE(pb.data.status().IsCancelled());
}

}  // namespace
}  // namespace imgfeat
