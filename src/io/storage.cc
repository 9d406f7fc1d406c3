// Local paths and s3:// URIs as Arrow file systems (see imgfeat/storage.h).
#include "imgfeat/storage.h"

#include <arrow/buffer.h>
#include <arrow/filesystem/localfs.h>
#include <arrow/filesystem/s3fs.h>
#include <arrow/io/interfaces.h>
#include <arrow/io/memory.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>

#include "imgfeat/path_text.h"
#include "io/path_util.h"
#include "io/storage_internal.h"

namespace imgfeat {
namespace {

constexpr std::string_view kS3Scheme = "s3://";
// GETs in flight at once: enough to hide 100 ms of latency at a few hundred
// images per second (the fetch-ahead bounds what is really outstanding).
constexpr int kIoThreads = 32;

struct StorageState {
  std::mutex mutex;
  StorageOptions options;
  std::shared_ptr<arrow::fs::FileSystem> s3;
  std::shared_ptr<arrow::fs::FileSystem> local = std::make_shared<arrow::fs::LocalFileSystem>();
  bool s3_initialized = false;
};

StorageState& State() {
  static StorageState* state = new StorageState();  // lives until exit, used by atexit paths
  return *state;
}

// Retries what S3 says may be retried (throttling, 5xx, resets, timeouts)
// with capped exponential backoff and jitter. A server that refuses the
// connection or a name that does not resolve gets few tries: that is a
// wrong endpoint far more often than a passing fault, and the user waits.
class BackoffRetryStrategy final : public arrow::fs::S3RetryStrategy {
 public:
  explicit BackoffRetryStrategy(int max_attempts) : max_attempts_(max_attempts) {}

  bool ShouldRetry(const AWSErrorDetail& error, int64_t attempted_retries) override {
    if (!error.should_retry) return false;
    const int64_t attempts = attempted_retries + 1;
    if (IsUnreachable(error)) return attempts < std::min(max_attempts_, kUnreachableAttempts);
    return attempts < max_attempts_;
  }

  int64_t CalculateDelayBeforeNextRetry(const AWSErrorDetail&, int64_t attempted_retries) override {
    const int64_t ceiling =
        std::min<int64_t>(kMaxDelayMs, kBaseDelayMs << std::min<int64_t>(attempted_retries, 16));
    thread_local std::mt19937 rng(std::random_device{}());
    return std::uniform_int_distribution<int64_t>(ceiling / 2, ceiling)(rng);
  }

 private:
  static constexpr int kUnreachableAttempts = 3;
  static constexpr int64_t kBaseDelayMs = 100;
  static constexpr int64_t kMaxDelayMs = 5000;

  static bool IsUnreachable(const AWSErrorDetail& error) {
    // curl's "could not resolve host" (6) and "could not connect" (7).
    return error.message.find("curlCode: 6,") != std::string::npos ||
           error.message.find("curlCode: 7,") != std::string::npos;
  }

  const int max_attempts_;
};

std::string Getenv(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

Result<arrow::fs::S3Options> MakeS3Options(const StorageOptions& in) {
  arrow::fs::S3Options options =
      in.s3_anonymous ? arrow::fs::S3Options::Anonymous() : arrow::fs::S3Options::Defaults();
  std::string endpoint = in.s3_endpoint;
  if (endpoint.empty()) endpoint = Getenv("AWS_ENDPOINT_URL_S3");
  if (endpoint.empty()) endpoint = Getenv("AWS_ENDPOINT_URL");
  if (!endpoint.empty()) {
    ARROW_ASSIGN_OR_RAISE(io::Endpoint parsed, io::ParseEndpoint(endpoint));
    options.scheme = parsed.scheme;
    options.endpoint_override = parsed.host;
  }
  options.region = in.s3_region;
  if (options.region.empty()) options.region = Getenv("AWS_REGION");
  if (options.region.empty()) options.region = Getenv("AWS_DEFAULT_REGION");
  // A store behind an endpoint rarely cares about regions; without one the SDK
  // would ask the instance metadata service, which is slow to fail off EC2.
  if (options.region.empty() && !options.endpoint_override.empty()) options.region = "us-east-1";
  options.connect_timeout = in.s3_connect_timeout_seconds;
  options.retry_strategy = std::make_shared<BackoffRetryStrategy>(std::max(1, in.s3_max_attempts));
  // Objects under 10 MiB go up in one PUT when the stream closes, so nothing,
  // not even an unfinished multipart upload, exists before they are complete.
  options.allow_delayed_open = true;
  return options;
}

Result<std::shared_ptr<arrow::fs::FileSystem>> S3FileSystem() {
  StorageState& state = State();
  std::lock_guard<std::mutex> lock(state.mutex);
  if (state.s3) return state.s3;
  if (!state.s3_initialized) {
    arrow::fs::S3GlobalOptions global = arrow::fs::S3GlobalOptions::Defaults();
    if (Getenv("ARROW_S3_LOG_LEVEL").empty()) global.log_level = arrow::fs::S3LogLevel::Fatal;
    ARROW_RETURN_NOT_OK(arrow::fs::InitializeS3(global));
    state.s3_initialized = true;
    ARROW_RETURN_NOT_OK(arrow::io::SetIOThreadPoolCapacity(kIoThreads));
  }
  ARROW_ASSIGN_OR_RAISE(arrow::fs::S3Options options, MakeS3Options(state.options));
  ARROW_ASSIGN_OR_RAISE(auto fs, arrow::fs::S3FileSystem::Make(options));
  state.s3 = fs;
  return state.s3;
}

}  // namespace

namespace io {

Result<Endpoint> ParseEndpoint(const std::string& url) {
  Endpoint out;
  std::string rest = url;
  if (auto sep = rest.find("://"); sep != std::string::npos) {
    out.scheme = rest.substr(0, sep);
    rest = rest.substr(sep + 3);
    if (out.scheme != "http" && out.scheme != "https") {
      return Status::Invalid("S3 endpoint '", url, "' must start with http:// or https://");
    }
  }
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.empty() || rest.find('/') != std::string::npos) {
    return Status::Invalid("S3 endpoint '", url, "' is not SCHEME://HOST[:PORT]");
  }
  out.host = rest;
  return out;
}

Result<std::string> S3PathOf(const std::string& uri) {
  std::string path = uri.substr(kS3Scheme.size());
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (!IsS3Uri(uri) || path.empty() || path.front() == '/') {
    return Status::Invalid("'", uri, "' names no bucket (s3://BUCKET/PREFIX)");
  }
  return path;
}

}  // namespace io

bool IsS3Uri(std::string_view path) { return path.starts_with(kS3Scheme); }

Status ConfigureStorage(const StorageOptions& options) {
  StorageState& state = State();
  std::lock_guard<std::mutex> lock(state.mutex);
  state.options = options;
  state.s3.reset();  // made again with the new options on first use
  return Status::OK();
}

int StorageMaxAttempts() {
  StorageState& state = State();
  std::lock_guard<std::mutex> lock(state.mutex);
  return state.options.s3_max_attempts;
}

Result<StoragePath> ResolveStorage(const std::string& path_or_uri) {
  StoragePath out;
  if (!IsS3Uri(path_or_uri)) {
    out.fs = State().local;
    // A local path, or its text form (a file:// URI, imgfeat/path_text.h).
    ARROW_ASSIGN_OR_RAISE(std::string local, PathFromText(path_or_uri));
    ARROW_ASSIGN_OR_RAISE(out.path, AbsolutePath(local));
    out.uri = out.path;
    return out;
  }
  ARROW_ASSIGN_OR_RAISE(std::string path, io::S3PathOf(path_or_uri));
  ARROW_ASSIGN_OR_RAISE(out.fs, S3FileSystem());
  out.path = path;
  out.uri = std::string(kS3Scheme) + path;
  out.is_s3 = true;
  return out;
}

std::string JoinUri(std::string_view uri, std::string_view name) { return JoinPath(uri, name); }

Result<std::string> ReadStorageFile(const std::string& path_or_uri) {
  ARROW_ASSIGN_OR_RAISE(StoragePath where, ResolveStorage(path_or_uri));
  ARROW_ASSIGN_OR_RAISE(auto file, where.fs->OpenInputFile(where.path));
  ARROW_ASSIGN_OR_RAISE(int64_t size, file->GetSize());
  ARROW_ASSIGN_OR_RAISE(auto buffer, file->ReadAt(0, size));
  return buffer->ToString();
}

Result<bool> StorageFileExists(const std::string& path_or_uri) {
  ARROW_ASSIGN_OR_RAISE(StoragePath where, ResolveStorage(path_or_uri));
  ARROW_ASSIGN_OR_RAISE(auto info, where.fs->GetFileInfo(where.path));
  return info.type() == arrow::fs::FileType::File;
}

Result<std::string> CopyToLocal(const std::string& uri, const std::string& local_dir) {
  ARROW_ASSIGN_OR_RAISE(StoragePath where, ResolveStorage(uri));
  ARROW_ASSIGN_OR_RAISE(auto info, where.fs->GetFileInfo(where.path));
  if (info.type() != arrow::fs::FileType::File) {
    return Status::IOError("'", uri, "' does not exist");
  }
  const std::filesystem::path local = std::filesystem::path(local_dir) / where.path;
  std::error_code ec;
  if (std::filesystem::is_regular_file(local, ec) &&
      static_cast<int64_t>(std::filesystem::file_size(local, ec)) == info.size()) {
    return local.string();
  }
  std::filesystem::create_directories(local.parent_path(), ec);
  if (ec)
    return Status::IOError("cannot create ", local.parent_path().string(), ": ", ec.message());
  ARROW_ASSIGN_OR_RAISE(std::string bytes, ReadStorageFile(uri));
  const std::string tmp = local.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) return Status::IOError("cannot write ", tmp);
  }
  std::filesystem::rename(tmp, local, ec);
  if (ec) return Status::IOError("cannot rename ", tmp, ": ", ec.message());
  return local.string();
}

void ShutdownStorage() {
  StorageState& state = State();
  std::lock_guard<std::mutex> lock(state.mutex);
  state.s3.reset();
  if (state.s3_initialized) (void)arrow::fs::FinalizeS3();
  state.s3_initialized = false;
}

}  // namespace imgfeat
