#include "model/cache_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

namespace imgfeat::model {

Result<TempFileBeside> TempFileBeside::Create(const std::string& final_path,
                                              const std::string& suffix) {
  std::string pattern = final_path + ".part-XXXXXX" + suffix;
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  int fd = ::mkstemps(name.data(), static_cast<int>(suffix.size()));
  if (fd < 0) {
    return Status::IOError("cannot create a temporary file beside '", final_path,
                           "': ", std::strerror(errno));
  }
  // mkstemp's 0600 would make a shared cache unreadable to other users.
  ::fchmod(fd, 0644);
  ::close(fd);
  return TempFileBeside(std::string(name.data()), final_path);
}

TempFileBeside::TempFileBeside(TempFileBeside&& other) noexcept
    : path_(std::move(other.path_)), final_path_(std::move(other.final_path_)) {
  other.path_.clear();
}

TempFileBeside::~TempFileBeside() {
  if (!path_.empty()) ::unlink(path_.c_str());
}

Status TempFileBeside::Write(const std::string& bytes) {
  int fd = ::open(path_.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) return Status::IOError("cannot write '", path_, "': ", std::strerror(errno));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int error = errno;
      ::close(fd);
      return Status::IOError("cannot write '", path_, "': ", std::strerror(error));
    }
    done += static_cast<size_t>(n);
  }
  int synced = ::fsync(fd);
  int error = errno;
  if (::close(fd) != 0 || synced != 0) {
    return Status::IOError("cannot write '", path_, "': ", std::strerror(error));
  }
  return Status::OK();
}

Status TempFileBeside::Commit() {
  if (std::rename(path_.c_str(), final_path_.c_str()) != 0) {
    return Status::IOError("cannot rename '", path_, "' to '", final_path_,
                           "': ", std::strerror(errno));
  }
  path_.clear();
  return Status::OK();
}

std::string Sha256SidecarPath(const std::string& dest_path) { return dest_path + ".sha256"; }

std::string Sha256SidecarText(const std::string& sha256, const std::string& dest_path) {
  return sha256 + "  " + std::filesystem::path(dest_path).filename().string() + "\n";
}

std::string ReadSha256Sidecar(const std::string& dest_path) {
  std::ifstream in(Sha256SidecarPath(dest_path));
  std::string hex;
  if (!(in >> hex) || hex.size() != 64) return "";
  return hex;
}

}  // namespace imgfeat::model
