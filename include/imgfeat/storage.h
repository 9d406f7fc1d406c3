// Where imgfeat reads and writes: local paths and s3://bucket/key URIs, each
// resolved to an Arrow file system and a path inside it, so that the stages
// (listing, reading, the dataset, reducers, models) treat both alike.
//
// ConfigureStorage sets the process-wide S3 settings and must be called before
// the first S3 path is resolved (it is not thread-safe); after that every
// function here is thread-safe. ShutdownStorage releases the AWS SDK and must
// run before the process exits when an S3 path was used (the CLI does it).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "imgfeat/status.h"

namespace arrow::fs {
class FileSystem;
}

namespace imgfeat {

struct StorageOptions {
  // "http://127.0.0.1:9000" or "https://minio.example:9000"; empty: the
  // AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL variable, else AWS's own endpoint.
  std::string s3_endpoint;
  // Empty: AWS_REGION / AWS_DEFAULT_REGION / the profile; with an endpoint and
  // none of these, us-east-1.
  std::string s3_region;
  // No credentials at all (public buckets); otherwise the default AWS chain:
  // environment, ~/.aws profiles, web identity, ECS/EC2 instance metadata.
  bool s3_anonymous = false;
  // Attempts per request (throttling, 5xx, resets and timeouts are retried
  // with exponential backoff, 0.1 s doubling up to 5 s); 1: no retry. A
  // refused connection or an unknown host is tried 3 times at most.
  int s3_max_attempts = 10;
  double s3_connect_timeout_seconds = 5;
};

// A location, resolved.
struct StoragePath {
  std::shared_ptr<arrow::fs::FileSystem> fs;
  std::string path;  // inside fs: "bucket/key" on S3, an absolute path on disk
  std::string uri;   // what users and the output see: "s3://bucket/key" or the absolute path
  bool is_s3 = false;
};

bool IsS3Uri(std::string_view path);

Status ConfigureStorage(const StorageOptions& options);

// An s3:// URI (trailing slashes dropped) or a local path (made absolute).
Result<StoragePath> ResolveStorage(const std::string& path_or_uri);

// `uri` with `name` appended as one more path component.
std::string JoinUri(std::string_view uri, std::string_view name);

// Reads a whole object or file.
Result<std::string> ReadStorageFile(const std::string& path_or_uri);

// Whether the object or file exists (errors other than "not found" fail).
Result<bool> StorageFileExists(const std::string& path_or_uri);

// A local copy of the object `uri` (s3://bucket/key) at local_dir/bucket/key,
// for readers that need a file (the inference engine). An existing copy of
// the object's size is reused; a new one appears under its name only whole.
Result<std::string> CopyToLocal(const std::string& uri, const std::string& local_dir);

void ShutdownStorage();

}  // namespace imgfeat
