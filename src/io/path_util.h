// Small path helpers shared by the listing and the dataset writer.
#pragma once

#include <string>
#include <string_view>

#include "imgfeat/status.h"

namespace imgfeat {

// `path` made absolute against the current folder and lexically normalized
// ("a/./b/../c" -> "a/c"); symbolic links are kept, not resolved.
Result<std::string> AbsolutePath(const std::string& path);
std::string JoinPath(std::string_view dir, std::string_view name);
std::string_view BaseName(std::string_view path);
// The folder part of `path` ("" for a bare name).
std::string_view DirName(std::string_view path);
bool EqualsIgnoreAsciiCase(std::string_view a, std::string_view b);

}  // namespace imgfeat
