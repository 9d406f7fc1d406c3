// Finding a model's file, or fetching it into the cache.
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "imgfeat/model.h"
#include "model/download.h"
#include "model/model_dirs.h"

namespace imgfeat {
namespace model_internal {
namespace {

std::string EnvDir(const char* name) {
  const char* value = std::getenv(name);
  return value && value[0] == '/' ? std::string(value) : std::string();
}

}  // namespace

std::string ModelCacheDir() {
  std::string base = EnvDir("XDG_CACHE_HOME");
  if (base.empty()) {
    std::string home = EnvDir("HOME");
    if (home.empty()) return "";
    base = home + "/.cache";
  }
  return base + "/imgfeat/models";
}

std::vector<std::string> ModelSearchDirs(const ModelSearch& search) {
  std::vector<std::string> dirs;
  if (!search.model_dir.empty()) dirs.push_back(search.model_dir);
  const char* env_dir = std::getenv("IMGFEAT_MODEL_DIR");
  if (env_dir && env_dir[0]) dirs.push_back(env_dir);
  std::string cache = ModelCacheDir();
  if (!cache.empty()) dirs.push_back(cache);
  return dirs;
}

}  // namespace model_internal

namespace {

namespace fs = std::filesystem;

bool IsRegularFile(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

std::string JoinedDirs(const std::vector<std::string>& dirs) {
  std::string text;
  for (const std::string& dir : dirs) text += (text.empty() ? "" : ", ") + dir;
  return text.empty() ? "(no model folder set)" : text;
}

}  // namespace

Result<std::string> ResolveModelFile(const ModelSpec& spec, const ModelSearch& search) {
  fs::path file(spec.file_name);
  if (file.is_absolute()) {
    if (IsRegularFile(file)) return file.string();
    return Status::IOError("model file '", spec.file_name, "' does not exist");
  }
  std::vector<std::string> dirs = model_internal::ModelSearchDirs(search);
  for (const std::string& dir : dirs) {
    fs::path candidate = fs::path(dir) / file;
    if (IsRegularFile(candidate)) return candidate.string();
  }

  std::string missing =
      "model '" + spec.name + "': " + spec.file_name + " is not in " + JoinedDirs(dirs);
  if (!search.allow_download) return Status::IOError(missing, " (downloads are off)");
  if (spec.url.empty()) return Status::IOError(missing, " and the spec has no url");
  std::string cache = model_internal::ModelCacheDir();
  if (cache.empty()) return Status::IOError(missing, " and there is no cache folder (HOME unset)");

  fs::path dest = fs::path(cache) / file;
  std::error_code ec;
  fs::create_directories(dest.parent_path(), ec);
  if (ec) {
    return Status::IOError(missing, "; cannot create ", dest.parent_path().string(), ": ",
                           ec.message());
  }
  Status fetched = model_internal::DownloadVerified(spec.url, dest.string(), spec.sha256);
  if (!fetched.ok()) return Status::IOError(missing, "; ", fetched.message());
  return dest.string();
}

}  // namespace imgfeat
