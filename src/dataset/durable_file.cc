#include "dataset/durable_file.h"

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

Result<UniqueFd> OpenFd(const std::string& path, int flags, mode_t mode = 0644) {
  int fd;
  do {
    fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return Status::IOError("cannot open '", path, "': ", std::strerror(errno));
  return UniqueFd(new int(fd));
}

Status Fsync(int fd, const std::string& path) {
  if (::fsync(fd) != 0) return Status::IOError("cannot flush '", path, "': ", std::strerror(errno));
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
    return Status::IOError("cannot rename '", from, "' to '", to, "': ", std::strerror(errno));
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
      if (n < 0) return Status::IOError("cannot write '", tmp_path, "': ", std::strerror(errno));
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

}  // namespace imgfeat::dataset
