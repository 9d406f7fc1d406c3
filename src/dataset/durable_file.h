// File operations that survive a crash or a power loss: data is flushed to
// disk before a rename makes it visible, and the rename itself is flushed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "imgfeat/status.h"

namespace imgfeat::dataset {

// fsync of a file's data, or of a folder's entries.
Status SyncFile(const std::string& path);
Status SyncDir(const std::string& dir);
// Flushes `from`, renames it to `to` and flushes the folder of `to` (both
// paths in one file system).
Status CommitRename(const std::string& from, const std::string& to);
// Writes `contents` to `tmp_path`, then commits it as `final_path`.
Status WriteFileAtomically(const std::string& tmp_path, const std::string& final_path,
                           std::string_view contents);
Result<std::string> ReadWholeFile(const std::string& path);
// The names in `dir` (no "." or ".."), sorted.
Result<std::vector<std::string>> ListDir(const std::string& dir);
Status RemoveFileIfExists(const std::string& path);
// Removes a folder tree that imgfeat itself made (never a user's folder).
Status RemoveTree(const std::string& path);
// Creates `dir` (and its parents) and flushes the new entry in its parent.
Status CreateDirDurably(const std::string& dir);

}  // namespace imgfeat::dataset
