// A file of an object store read in aligned parts, each part one GET, kept
// while it may be read again: a Parquet shard's footer, column chunks and
// pages, whatever their number and size, then cost ceil(size / part) GETs.
// Thread-safe (Arrow's pre-buffering reads from its I/O threads).
#pragma once

#include <arrow/buffer.h>
#include <arrow/io/interfaces.h>

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <utility>

namespace imgfeat {

class PartCachedFile final : public arrow::io::RandomAccessFile {
 public:
  // Keeps at most `parts_kept` parts besides the file's last one (where a
  // Parquet footer is, read first and again when the file is done).
  PartCachedFile(std::shared_ptr<arrow::io::RandomAccessFile> file, int64_t size,
                 int64_t part_bytes, int parts_kept = 4);

  arrow::Status Close() override;
  bool closed() const override;
  arrow::Result<int64_t> Tell() const override;
  arrow::Status Seek(int64_t position) override;
  arrow::Result<int64_t> GetSize() override { return size_; }
  arrow::Result<int64_t> Read(int64_t nbytes, void* out) override;
  arrow::Result<std::shared_ptr<arrow::Buffer>> Read(int64_t nbytes) override;
  arrow::Result<int64_t> ReadAt(int64_t position, int64_t nbytes, void* out) override;
  arrow::Result<std::shared_ptr<arrow::Buffer>> ReadAt(int64_t position, int64_t nbytes) override;

  int64_t parts_read() const { return parts_read_; }

 private:
  // The part starting at `index * part_bytes_`, read if not kept. Under mutex_.
  arrow::Result<std::shared_ptr<arrow::Buffer>> Part(int64_t index);

  std::shared_ptr<arrow::io::RandomAccessFile> file_;
  const int64_t size_;
  const int64_t part_bytes_;
  const int parts_kept_;
  mutable std::mutex mutex_;
  std::list<std::pair<int64_t, std::shared_ptr<arrow::Buffer>>> kept_;  // most recent first
  std::shared_ptr<arrow::Buffer> last_;
  int64_t position_ = 0;
  int64_t parts_read_ = 0;
  bool closed_ = false;
};

}  // namespace imgfeat
