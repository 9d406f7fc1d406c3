// ListObjectsV2, one page at a time, so that a listing holds no more keys than
// its consumer has not yet taken: Arrow's lister lists a whole prefix ahead of
// its consumer (about 140 bytes per key, 1.4 GiB for 10 million keys).
// Requests are signed with AWS Signature Version 4 using the credentials
// Arrow's S3 client resolved (its default chain: environment, profiles, web
// identity, ECS and EC2 instance roles), against the same endpoint and
// region, with path-style addressing as Arrow's client uses.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "imgfeat/status.h"
#include "imgfeat/storage.h"

namespace imgfeat {

struct S3Object {
  std::string key;
  int64_t size = 0;
  int64_t modification_time_us = 0;
};

struct S3Page {
  std::vector<S3Object> objects;
  std::string next_token;  // empty: the last page
};

// The headers that sign a request (x-amz-date, x-amz-content-sha256,
// x-amz-security-token when there is a session token, Authorization), for a
// body-less request. `canonical_query` is already in canonical form (keys
// sorted, names and values URI-encoded). `amz_date`: "YYYYMMDDTHHMMSSZ".
std::vector<std::pair<std::string, std::string>> SigV4Headers(
    const std::string& method, const std::string& host, const std::string& path,
    const std::string& canonical_query, const std::string& region, const std::string& access_key,
    const std::string& secret_key, const std::string& session_token, const std::string& amz_date);

// RFC 3986 encoding as SigV4 wants it: unreserved bytes kept, others %XX;
// '/' kept unless `encode_slash`.
std::string AwsUriEncode(std::string_view text, bool encode_slash);

// Parses one ListObjectsV2 response (XML, encoding-type=url).
Result<S3Page> ParseListObjectsV2(const std::string& xml);

class S3PageLister {
 public:
  // Lists the objects under `root` (an S3 StoragePath: its fs is Arrow's
  // S3FileSystem, its path "bucket/prefix"), in key order.
  static Result<std::unique_ptr<S3PageLister>> Make(const StoragePath& root, int max_attempts);
  virtual ~S3PageLister() = default;
  // The next page; an empty page with no next token at the end.
  virtual Result<S3Page> NextPage() = 0;
};

}  // namespace imgfeat
