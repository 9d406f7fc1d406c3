// Finding a model's file, or fetching it into the cache.
#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "imgfeat/model.h"
#include "model/cache_file.h"
#include "model/download.h"
#include "model/keras_convert.h"
#include "model/model_dirs.h"

namespace imgfeat {
namespace model {
namespace {

std::string EnvDir(const char* name) {
  const char* value = std::getenv(name);
  return value && value[0] == '/' ? std::string(value) : std::string();
}

}  // namespace

std::string CacheDir() {
  std::string base = EnvDir("XDG_CACHE_HOME");
  if (base.empty()) {
    std::string home = EnvDir("HOME");
    if (home.empty()) return "";
    base = home + "/.cache";
  }
  return base + "/imgfeat";
}

std::string ModelCacheDir() {
  const std::string cache = CacheDir();
  return cache.empty() ? cache : cache + "/models";
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

}  // namespace model

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

// A file imgfeat made (a converted model) has a .sha256 sidecar; one that
// no longer matches it was damaged after it was written.
Result<bool> MatchesItsSidecar(const fs::path& path) {
  std::string recorded = model::ReadSha256Sidecar(path.string());
  if (recorded.empty()) return true;
  ARROW_ASSIGN_OR_RAISE(std::string actual, Sha256File(path.string()));
  return actual == recorded;
}

// $IMGFEAT_MODEL_MIRROR=BASE fetches BASE/<the url's file name> instead, for
// machines that reach the web only through a mirror (and for offline tests).
std::string FetchUrl(const std::string& url) {
  const char* mirror = std::getenv("IMGFEAT_MODEL_MIRROR");
  if (!mirror || !mirror[0]) return url;
  std::string base(mirror);
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/" + url.substr(url.rfind('/') + 1);
}

}  // namespace

Result<std::string> ResolveModelFile(const ModelSpec& spec, const ModelSearch& search) {
  fs::path file(spec.file_name);
  if (file.is_absolute()) {
    if (IsRegularFile(file)) return file.string();
    return Status::IOError("model file '", spec.file_name, "' does not exist");
  }
  std::vector<std::string> dirs = model::ModelSearchDirs(search);
  std::string damaged;
  for (const std::string& dir : dirs) {
    fs::path candidate = fs::path(dir) / file;
    if (!IsRegularFile(candidate)) continue;
    ARROW_ASSIGN_OR_RAISE(bool intact, MatchesItsSidecar(candidate));
    if (intact) return candidate.string();
    if (damaged.empty()) damaged = candidate.string();
  }

  std::string missing =
      damaged.empty()
          ? "model '" + spec.name + "': " + spec.file_name + " is not in " + JoinedDirs(dirs)
          : "model '" + spec.name + "': " + damaged + " does not match its .sha256 (damaged)";
  if (!search.allow_download) return Status::IOError(missing, " (downloads are off)");
  if (spec.url.empty()) return Status::IOError(missing, " and the spec has no url");
  std::string cache = model::ModelCacheDir();
  if (cache.empty()) return Status::IOError(missing, " and there is no cache folder (HOME unset)");

  fs::path dest = fs::path(cache) / file;
  std::error_code ec;
  fs::create_directories(dest.parent_path(), ec);
  if (ec) {
    return Status::IOError(missing, "; cannot create ", dest.parent_path().string(), ": ",
                           ec.message());
  }
  ModelSpec source = spec;
  source.url = FetchUrl(spec.url);
  Status fetched = source.url_format == UrlFormat::kKerasMobileNetV2H5
                       ? model::FetchKerasMobileNetV2(source, dest.string())
                       : model::DownloadVerified(source.url, dest.string(), source.sha256);
  if (!fetched.ok()) return Status::IOError(missing, "; ", fetched.message());
  return dest.string();
}

}  // namespace imgfeat
