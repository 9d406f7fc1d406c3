#include "io/part_cached_file.h"

#include <algorithm>
#include <cstring>

namespace imgfeat {

PartCachedFile::PartCachedFile(std::shared_ptr<arrow::io::RandomAccessFile> file, int64_t size,
                               int64_t part_bytes, int parts_kept)
    : file_(std::move(file)),
      size_(size),
      part_bytes_(std::max<int64_t>(part_bytes, 4096)),
      parts_kept_(std::max(parts_kept, 1)) {}

arrow::Status PartCachedFile::Close() {
  std::lock_guard<std::mutex> lock(mutex_);
  closed_ = true;
  kept_.clear();
  last_.reset();
  return file_->Close();
}

bool PartCachedFile::closed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return closed_;
}

arrow::Result<int64_t> PartCachedFile::Tell() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return position_;
}

arrow::Status PartCachedFile::Seek(int64_t position) {
  if (position < 0) return arrow::Status::Invalid("negative seek");
  std::lock_guard<std::mutex> lock(mutex_);
  position_ = position;
  return arrow::Status::OK();
}

arrow::Result<std::shared_ptr<arrow::Buffer>> PartCachedFile::Part(int64_t index) {
  const int64_t last_index = (size_ - 1) / part_bytes_;
  if (index == last_index && last_) return last_;
  for (auto it = kept_.begin(); it != kept_.end(); ++it) {
    if (it->first == index) {
      kept_.splice(kept_.begin(), kept_, it);
      return kept_.front().second;
    }
  }
  const int64_t offset = index * part_bytes_;
  const int64_t n = std::min(part_bytes_, size_ - offset);
  ARROW_ASSIGN_OR_RAISE(auto data, file_->ReadAt(offset, n));
  ++parts_read_;
  if (data->size() != n) {
    return arrow::Status::IOError("the object has ", offset + data->size(), " bytes, not the ",
                                  size_, " listed");
  }
  if (index == last_index) {
    last_ = data;
  } else {
    kept_.emplace_front(index, data);
    if (static_cast<int>(kept_.size()) > parts_kept_) kept_.pop_back();
  }
  return data;
}

arrow::Result<std::shared_ptr<arrow::Buffer>> PartCachedFile::ReadAt(int64_t position,
                                                                     int64_t nbytes) {
  if (position < 0 || nbytes < 0) return arrow::Status::Invalid("negative read");
  nbytes = std::max<int64_t>(0, std::min(nbytes, size_ - position));
  std::lock_guard<std::mutex> lock(mutex_);
  if (nbytes == 0) return std::make_shared<arrow::Buffer>(nullptr, 0);
  const int64_t first = position / part_bytes_;
  const int64_t last = (position + nbytes - 1) / part_bytes_;
  if (first == last) {
    ARROW_ASSIGN_OR_RAISE(auto part, Part(first));
    return arrow::SliceBuffer(part, position - first * part_bytes_, nbytes);
  }
  ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::ResizableBuffer> out,
                        arrow::AllocateResizableBuffer(nbytes));
  int64_t done = 0;
  for (int64_t index = first; index <= last; ++index) {
    ARROW_ASSIGN_OR_RAISE(auto part, Part(index));
    const int64_t from = std::max<int64_t>(position + done - index * part_bytes_, 0);
    const int64_t take = std::min(nbytes - done, part->size() - from);
    std::memcpy(out->mutable_data() + done, part->data() + from, static_cast<size_t>(take));
    done += take;
  }
  return std::shared_ptr<arrow::Buffer>(std::move(out));
}

arrow::Result<int64_t> PartCachedFile::ReadAt(int64_t position, int64_t nbytes, void* out) {
  ARROW_ASSIGN_OR_RAISE(auto data, ReadAt(position, nbytes));
  std::memcpy(out, data->data(), static_cast<size_t>(data->size()));
  return data->size();
}

arrow::Result<int64_t> PartCachedFile::Read(int64_t nbytes, void* out) {
  int64_t at;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    at = position_;
  }
  ARROW_ASSIGN_OR_RAISE(int64_t got, ReadAt(at, nbytes, out));
  std::lock_guard<std::mutex> lock(mutex_);
  position_ = at + got;
  return got;
}

arrow::Result<std::shared_ptr<arrow::Buffer>> PartCachedFile::Read(int64_t nbytes) {
  int64_t at;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    at = position_;
  }
  ARROW_ASSIGN_OR_RAISE(auto data, ReadAt(at, nbytes));
  std::lock_guard<std::mutex> lock(mutex_);
  position_ = at + data->size();
  return data;
}

}  // namespace imgfeat
