#include "dataset/durable_file.h"

#include <arrow/util/io_util.h>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <system_error>
#include <utility>

#include "io/path_util.h"

namespace imgfeat::dataset {
namespace {

struct FdCloser {
  void operator()(int* fd) const {
    if (*fd >= 0) ::close(*fd);
    delete fd;
  }
};
using UniqueFd = std::unique_ptr<int, FdCloser>;

// The message names the file; the errno rides along as the status detail, so
// that a caller can tell a full disk (ENOSPC, EFBIG, EDQUOT) from the rest.
template <typename... Args>
Status ErrnoError(int error, Args&&... args) {
  return Status::IOError(std::forward<Args>(args)..., std::strerror(error))
      .WithDetail(arrow::internal::StatusDetailFromErrno(error));
}

Result<UniqueFd> OpenFd(const std::string& path, int flags, mode_t mode = 0644) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoError(errno, "cannot open '", path, "': ");
  return UniqueFd(new int(fd));
}

Status Fsync(int fd, const std::string& path) {
  if (::fsync(fd) != 0) return ErrnoError(errno, "cannot flush '", path, "': ");
  return Status::OK();
}

}  // namespace

Status SyncFile(const std::string& path) {
  // fsync flushes the file, not the descriptor: one opened for reading will do.
  ARROW_ASSIGN_OR_RAISE(UniqueFd fd, OpenFd(path, O_RDONLY));
  return Fsync(*fd, path);
}

Status SyncDir(const std::string& dir) {
  ARROW_ASSIGN_OR_RAISE(UniqueFd fd, OpenFd(dir.empty() ? "." : dir, O_RDONLY | O_DIRECTORY));
  return Fsync(*fd, dir);
}

Status CommitRename(const std::string& from, const std::string& to) {
  ARROW_RETURN_NOT_OK(SyncFile(from));
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    return ErrnoError(errno, "cannot rename '", from, "' to '", to, "': ");
  }
  return SyncDir(std::string(DirName(to)));
}

Status WriteFileAtomically(const std::string& tmp_path, const std::string& final_path,
                           std::string_view contents) {
  {
    ARROW_ASSIGN_OR_RAISE(UniqueFd fd, OpenFd(tmp_path, O_WRONLY | O_CREAT | O_TRUNC));
    size_t done = 0;
    while (done < contents.size()) {
      ssize_t n = ::write(*fd, contents.data() + done, contents.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoError(errno, "cannot write '", tmp_path, "': ");
      done += static_cast<size_t>(n);
    }
    ARROW_RETURN_NOT_OK(Fsync(*fd, tmp_path));
  }
  return CommitRename(tmp_path, final_path);
}

Result<std::string> ReadWholeFile(const std::string& path) {
  ARROW_ASSIGN_OR_RAISE(UniqueFd fd, OpenFd(path, O_RDONLY));
  std::string out;
  char chunk[65536];
  while (true) {
    ssize_t n = ::read(*fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IOError("cannot read '", path, "': ", std::strerror(errno));
    if (n == 0) break;
    out.append(chunk, static_cast<size_t>(n));
  }
  return out;
}

Result<std::vector<std::string>> ListDir(const std::string& dir) {
  std::unique_ptr<DIR, int (*)(DIR*)> handle(::opendir(dir.c_str()), ::closedir);
  if (!handle) return Status::IOError("cannot list '", dir, "': ", std::strerror(errno));
  std::vector<std::string> names;
  errno = 0;
  while (dirent* entry = ::readdir(handle.get())) {
    std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  if (errno != 0) return Status::IOError("cannot list '", dir, "': ", std::strerror(errno));
  std::sort(names.begin(), names.end());
  return names;
}

Status RemoveFileIfExists(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Status::IOError("cannot remove '", path, "': ", std::strerror(errno));
  }
  return Status::OK();
}

Status RemoveTree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) return Status::IOError("cannot remove '", path, "': ", ec.message());
  return Status::OK();
}

Status CreateDirDurably(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create '", dir, "': ", ec.message());
  return SyncDir(std::filesystem::path(dir).parent_path().string());
}

}  // namespace imgfeat::dataset
