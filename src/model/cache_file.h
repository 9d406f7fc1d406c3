// Files that appear in the model cache only when complete: written under a
// temporary name in the destination's folder, then renamed into place.
#pragma once

#include <string>

#include "imgfeat/status.h"

namespace imgfeat::model {

class TempFileBeside {
 public:
  // A new empty file named `final_path` + ".part-XXXXXX" + `suffix` (some
  // readers, OpenVINO's among them, go by the extension).
  static Result<TempFileBeside> Create(const std::string& final_path, const std::string& suffix);

  TempFileBeside(TempFileBeside&& other) noexcept;
  TempFileBeside& operator=(TempFileBeside&&) = delete;
  TempFileBeside(const TempFileBeside&) = delete;
  ~TempFileBeside();  // removes the file unless it was committed

  const std::string& path() const { return path_; }
  // Writes all of `bytes` and syncs them to disk.
  Status Write(const std::string& bytes);
  // Renames the file to its final path.
  Status Commit();

 private:
  TempFileBeside(std::string path, std::string final_path)
      : path_(std::move(path)), final_path_(std::move(final_path)) {}
  std::string path_;
  std::string final_path_;
};

// `dest_path` + ".sha256", in sha256sum's format: "<hex>  <file name>\n".
std::string Sha256SidecarPath(const std::string& dest_path);
std::string Sha256SidecarText(const std::string& sha256, const std::string& dest_path);
// The hex checksum a sidecar holds; empty when there is none or it is unreadable.
std::string ReadSha256Sidecar(const std::string& dest_path);

}  // namespace imgfeat::model
