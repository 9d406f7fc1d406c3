// A file read front to back in large parts, the next parts read ahead while
// the current one is parsed: a tar shard from disk or S3 costs one ranged GET
// per part and the latency of the next GET is hidden behind the current part.
#pragma once

#include <arrow/buffer.h>
#include <arrow/io/interfaces.h>
#include <arrow/util/future.h>

#include <cstdint>
#include <deque>
#include <memory>

#include "imgfeat/status.h"

namespace imgfeat {

class PartSource {
 public:
  // `file` holds `size` bytes. `ahead` reads of `part_bytes` are kept in
  // flight; 0: each read waits (and a skip seeks instead of reading).
  PartSource(std::shared_ptr<arrow::io::RandomAccessFile> file, int64_t size, int64_t part_bytes,
             int ahead);
  ~PartSource();
  PartSource(const PartSource&) = delete;
  PartSource& operator=(const PartSource&) = delete;

  // The next `n` bytes, fewer only at the end of the file: a slice of a part
  // when they lie in one, else a copy.
  Result<std::shared_ptr<arrow::Buffer>> Read(int64_t n);
  // Moves past `n` bytes (fewer at the end); returns how many.
  Result<int64_t> Skip(int64_t n);
  int64_t position() const { return position_; }
  int64_t size() const { return size_; }

 private:
  void Schedule();
  // The part holding `position_`, or null at the end.
  Result<std::shared_ptr<arrow::Buffer>> CurrentPart();

  std::shared_ptr<arrow::io::RandomAccessFile> file_;
  const int64_t size_;
  const int64_t part_bytes_;
  const int ahead_;
  int64_t position_ = 0;
  int64_t next_part_ = 0;  // offset of the next part to schedule
  struct Part {
    int64_t offset;
    arrow::Future<std::shared_ptr<arrow::Buffer>> data;
  };
  std::deque<Part> parts_;
  std::shared_ptr<arrow::Buffer> current_;
  int64_t current_offset_ = 0;
};

}  // namespace imgfeat
