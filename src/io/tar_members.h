// The regular-file members of a tar archive, read in order from a PartSource:
// ustar, GNU (long names, base-256 sizes) and POSIX pax (path, size) headers.
// A header whose checksum fails, or an archive that ends inside a member, is
// an error naming the byte and the member; after an error there is no more.
#pragma once

#include <arrow/buffer.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "imgfeat/status.h"
#include "io/part_source.h"

namespace imgfeat {

struct TarMember {
  std::string name;    // the member's path in the archive
  int64_t offset = 0;  // of its data in the archive
  int64_t size = 0;
  // The member's bytes; null when it was not read (above the limit, or
  // reading was not asked for).
  std::shared_ptr<arrow::Buffer> data;
};

class TarMembers {
 public:
  // Members above `max_member_bytes` are read past, their data left null.
  TarMembers(PartSource* source, int64_t max_member_bytes)
      : source_(source), max_member_bytes_(max_member_bytes) {}

  // The next regular file (folders, links and devices are passed over), or
  // std::nullopt at the end. With !read_data its bytes are read past.
  Result<std::optional<TarMember>> Next(bool read_data = true);
  // The name of the member being read when the last error happened, if any.
  const std::string& failed_member() const { return failed_member_; }

 private:
  Status Fail(Status status);

  PartSource* source_;
  const int64_t max_member_bytes_;
  bool done_ = false;
  bool any_header_ = false;
  std::string failed_member_;
};

}  // namespace imgfeat
