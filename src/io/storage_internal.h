// The pure parts of io/storage.cc, apart so that they are tested without an
// S3 client.
#pragma once

#include <string>

#include "imgfeat/status.h"

namespace imgfeat::io {

struct Endpoint {
  std::string scheme = "https";
  std::string host;  // host[:port]
};
// "http://127.0.0.1:9000/" -> {http, 127.0.0.1:9000}; no scheme: https.
Result<Endpoint> ParseEndpoint(const std::string& url);

// "s3://bucket/a/b/" -> "bucket/a/b"; fails without a bucket.
Result<std::string> S3PathOf(const std::string& uri);

}  // namespace imgfeat::io

namespace imgfeat {
// Attempts per S3 request, as configured (StorageOptions::s3_max_attempts).
int StorageMaxAttempts();
}  // namespace imgfeat
