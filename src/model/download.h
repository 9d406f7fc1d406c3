// Fetching a model file over HTTP(S) with libcurl.
#pragma once

#include <string>

#include "imgfeat/status.h"

namespace imgfeat::model {

// Downloads `url` to `dest_path`: the bytes land under a temporary name in
// the same folder, are checked against `sha256` (lower-case hex; empty: not
// checked) and only then renamed to `dest_path`, so that `dest_path` is never
// a partial or unverified file, even with several processes at once.
// Errors are one line: unreachable host (offline), HTTP status, checksum.
Status DownloadVerified(const std::string& url, const std::string& dest_path,
                        const std::string& sha256);

}  // namespace imgfeat::model
