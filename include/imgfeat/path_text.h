// Paths as text. On Linux a file name is bytes, not text: it may be Latin-1
// ("caf\xE9.jpg" from an old archive), hold a newline, or be any byte but '/'
// and NUL. The output's `path` columns are UTF-8 strings, which every reader
// (pandas, Polars, DuckDB, Spark) requires to be valid. A path is written as:
//   - itself, when it is valid UTF-8 with no control character (U+0000 to
//     U+001F, U+007F): every S3 key and nearly every file name;
//   - otherwise, a file:// URI of its bytes, each byte outside
//     [A-Za-z0-9-._~/] percent-encoded (RFC 3986 and 8089):
//     "/data/caf\xE9.jpg" becomes "file:///data/caf%E9.jpg".
// No path of a listing starts with "file://" (local paths are absolute,
// S3's start with "s3://"), so the text always leads back to the bytes:
// PathFromText inverts PathText, and every place imgfeat takes a path (INPUT,
// OUTPUT, Featurizer inputs) accepts the text form too. docs/FORMAT.md says so.
#pragma once

#include <string>
#include <string_view>

#include "imgfeat/status.h"

namespace imgfeat {

// Whether `bytes` is well-formed UTF-8 (no overlong forms, no surrogates,
// nothing above U+10FFFF).
bool IsValidUtf8(std::string_view bytes);

// The text form of a path (see above); `path` itself when it needs none.
std::string PathText(std::string_view path);

// The path's bytes from its text form: a file:// URI percent-decoded, any
// other text as it is. Invalid: a malformed escape, or a NUL byte in the
// path (a C file API would cut the path there and open another file).
Result<std::string> PathFromText(std::string_view text);

// `bytes` as valid UTF-8 text for a label or a message: each byte that is
// not part of a valid UTF-8 sequence written as \xNN.
std::string Utf8Text(std::string_view bytes);

}  // namespace imgfeat
