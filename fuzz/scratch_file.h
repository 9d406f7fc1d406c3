// A file of this process's own in the temporary folder, for fuzz targets whose
// code under test reads a path. It is removed when the process exits normally
// (libFuzzer returns from its loop and runs static destructors), so the short
// runs in CI leave nothing behind.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace imgfeat::fuzz {

class ScratchFile {
 public:
  explicit ScratchFile(const std::string& stem, const std::string& suffix = "") {
    const char* tmp = std::getenv("TMPDIR");
    path_ = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + stem + "-" +
            std::to_string(::getpid()) + suffix;
  }
  ~ScratchFile() { std::remove(path_.c_str()); }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;

  // Replaces the file's contents; false where it cannot be written.
  bool Write(const uint8_t* data, size_t size) const {
    FILE* file = std::fopen(path_.c_str(), "wb");
    if (file == nullptr) return false;
    const bool written = std::fwrite(data, 1, size, file) == size;
    return std::fclose(file) == 0 && written;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace imgfeat::fuzz
