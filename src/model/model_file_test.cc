#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "imgfeat/model.h"
#include "model/model_dirs.h"
#include "model/model_test_util.h"
#include "testing/test_util.h"

namespace imgfeat {
namespace {

namespace fs = std::filesystem;

// Sets an environment variable for one test and restores it after.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    const char* old = std::getenv(name);
    had_old_ = old != nullptr;
    if (had_old_) old_ = old;
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (had_old_) {
      ::setenv(name_, old_.c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  bool had_old_ = false;
  std::string old_;
};

void WriteFile(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

class ModelFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("imgfeat_model_file_test_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  fs::path root_;
};

TEST_F(ModelFileTest, Sha256OfKnownVectors) {
  // FIPS 180-2 test vectors.
  WriteFile(root_ / "abc", "abc");
  WriteFile(root_ / "empty", "");
  ASSERT_OK_AND_ASSIGN(std::string abc, Sha256File((root_ / "abc").string()));
  EXPECT_EQ(abc, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  ASSERT_OK_AND_ASSIGN(std::string empty, Sha256File((root_ / "empty").string()));
  EXPECT_EQ(empty, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_TRUE(Sha256File((root_ / "missing").string()).status().IsIOError());
}

TEST_F(ModelFileTest, CacheDirFollowsXdgThenHome) {
  {
    ScopedEnv xdg("XDG_CACHE_HOME", "/x/cache");
    EXPECT_EQ(model::CacheDir(), "/x/cache/imgfeat");
    EXPECT_EQ(model::ModelCacheDir(), "/x/cache/imgfeat/models");
  }
  ScopedEnv no_xdg("XDG_CACHE_HOME", "");
  ScopedEnv home("HOME", "/home/someone");
  EXPECT_EQ(model::CacheDir(), "/home/someone/.cache/imgfeat");
  EXPECT_EQ(model::ModelCacheDir(), "/home/someone/.cache/imgfeat/models");
  ScopedEnv no_home("HOME", "relative");
  EXPECT_EQ(model::CacheDir(), "");
  EXPECT_EQ(model::ModelCacheDir(), "");
}

TEST_F(ModelFileTest, SearchOrderIsModelDirThenEnvThenCache) {
  ModelSpec spec;
  spec.name = "m";
  spec.file_name = "sub/m.onnx";
  ScopedEnv env_dir("IMGFEAT_MODEL_DIR", (root_ / "env").string());
  ScopedEnv xdg("XDG_CACHE_HOME", (root_ / "xdg").string());
  ModelSearch search{.model_dir = (root_ / "given").string(), .allow_download = false};

  WriteFile(root_ / "xdg/imgfeat/models/sub/m.onnx", "cache");
  ASSERT_OK_AND_ASSIGN(std::string found, ResolveModelFile(spec, search));
  EXPECT_EQ(found, (root_ / "xdg/imgfeat/models/sub/m.onnx").string());

  WriteFile(root_ / "env/sub/m.onnx", "env");
  ASSERT_OK_AND_ASSIGN(found, ResolveModelFile(spec, search));
  EXPECT_EQ(found, (root_ / "env/sub/m.onnx").string());

  WriteFile(root_ / "given/sub/m.onnx", "given");
  ASSERT_OK_AND_ASSIGN(found, ResolveModelFile(spec, search));
  EXPECT_EQ(found, (root_ / "given/sub/m.onnx").string());
}

TEST_F(ModelFileTest, MissingWithoutDownloadNamesFileAndFolders) {
  ModelSpec spec;
  spec.name = "m";
  spec.file_name = "m.onnx";
  ScopedEnv env_dir("IMGFEAT_MODEL_DIR", (root_ / "env").string());
  ScopedEnv xdg("XDG_CACHE_HOME", (root_ / "xdg").string());
  Status st = ResolveModelFile(spec, {.model_dir = "", .allow_download = false}).status();
  ASSERT_TRUE(st.IsIOError());
  EXPECT_NE(st.message().find("m.onnx"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find((root_ / "env").string()), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("downloads are off"), std::string::npos) << st.message();
  EXPECT_EQ(st.message().find('\n'), std::string::npos);
}

TEST_F(ModelFileTest, CachedFileIsCheckedAgainstItsSidecar) {
  ModelSpec spec;
  spec.name = "m";
  spec.file_name = "sub/m.onnx";
  ScopedEnv xdg("XDG_CACHE_HOME", (root_ / "xdg").string());
  fs::path cached = root_ / "xdg/imgfeat/models/sub/m.onnx";
  WriteFile(cached, "model bytes");
  ASSERT_OK_AND_ASSIGN(std::string sum, Sha256File(cached.string()));
  WriteFile(cached.string() + ".sha256", sum + "  m.onnx\n");
  ModelSearch offline{.model_dir = "", .allow_download = false};
  ASSERT_OK_AND_ASSIGN(std::string found, ResolveModelFile(spec, offline));
  EXPECT_EQ(found, cached.string());

  WriteFile(cached, "model bytEs");
  Status st = ResolveModelFile(spec, offline).status();
  ASSERT_TRUE(st.IsIOError());
  EXPECT_NE(st.message().find(cached.string() + " does not match its .sha256"), std::string::npos)
      << st.message();
}

TEST_F(ModelFileTest, AbsoluteFileIsUsedAsIs) {
  ModelSpec spec;
  spec.name = "m";
  spec.file_name = (root_ / "abs.onnx").string();
  EXPECT_TRUE(ResolveModelFile(spec, {}).status().IsIOError());
  WriteFile(root_ / "abs.onnx", "x");
  ASSERT_OK_AND_ASSIGN(std::string found, ResolveModelFile(spec, {}));
  EXPECT_EQ(found, spec.file_name);
}

TEST_F(ModelFileTest, DownloadFromFileUrlIsVerifiedIntoTheCache) {
  WriteFile(root_ / "published/m.onnx", "model bytes");
  ModelSpec spec;
  spec.name = "m";
  spec.file_name = "sub/m.onnx";
  spec.url = "file://" + (root_ / "published/m.onnx").string();
  ASSERT_OK_AND_ASSIGN(spec.sha256, Sha256File((root_ / "published/m.onnx").string()));
  ScopedEnv env_dir("IMGFEAT_MODEL_DIR", "");
  ScopedEnv xdg("XDG_CACHE_HOME", (root_ / "xdg").string());

  ASSERT_OK_AND_ASSIGN(std::string path, ResolveModelFile(spec, {}));
  EXPECT_EQ(path, (root_ / "xdg/imgfeat/models/sub/m.onnx").string());
  ASSERT_OK_AND_ASSIGN(std::string sum, Sha256File(path));
  EXPECT_EQ(sum, spec.sha256);

  spec.file_name = "sub/other.onnx";
  spec.sha256 = std::string(64, '0');
  Status st = ResolveModelFile(spec, {}).status();
  ASSERT_TRUE(st.IsIOError());
  EXPECT_NE(st.message().find("checksum mismatch"), std::string::npos) << st.message();
  EXPECT_FALSE(fs::exists(root_ / "xdg/imgfeat/models/sub/other.onnx"));
  for (const auto& entry : fs::directory_iterator(root_ / "xdg/imgfeat/models/sub")) {
    EXPECT_EQ(entry.path().filename(), "m.onnx") << "left behind: " << entry.path();
  }
}

TEST(SharedModelTest, RegisteredModelIsFoundInTheSharedFolder) {
  ASSERT_OK_AND_ASSIGN(ModelSpec spec, FindRegisteredModel(kDefaultModel));
  ModelSearch search{.model_dir = testing::TestModelDir(), .allow_download = false};
  ASSERT_OK_AND_ASSIGN(std::string path, ResolveModelFile(spec, search));
  EXPECT_EQ(fs::path(path), fs::path(testing::TestModelDir()) / spec.file_name);
}

}  // namespace
}  // namespace imgfeat
