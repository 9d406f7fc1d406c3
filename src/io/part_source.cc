#include "io/part_source.h"

#include <algorithm>
#include <cstring>

namespace imgfeat {

PartSource::PartSource(std::shared_ptr<arrow::io::RandomAccessFile> file, int64_t size,
                       int64_t part_bytes, int ahead)
    : file_(std::move(file)),
      size_(size),
      part_bytes_(std::max<int64_t>(part_bytes, 4096)),
      ahead_(std::max(ahead, 0)) {
  Schedule();
}

PartSource::~PartSource() {
  // Reads still in flight hold the file; wait so none outlives its owner.
  for (Part& part : parts_) part.data.Wait();
}

void PartSource::Schedule() {
  if (ahead_ == 0) return;
  while (static_cast<int>(parts_.size()) < ahead_ + 1 && next_part_ < size_) {
    const int64_t n = std::min(part_bytes_, size_ - next_part_);
    parts_.push_back(Part{next_part_, file_->ReadAsync(next_part_, n)});
    next_part_ += n;
  }
}

Result<std::shared_ptr<arrow::Buffer>> PartSource::CurrentPart() {
  if (position_ >= size_) return nullptr;
  if (current_ && position_ >= current_offset_ && position_ < current_offset_ + current_->size()) {
    return current_;
  }
  current_.reset();
  if (ahead_ == 0) {
    const int64_t n = std::min(part_bytes_, size_ - position_);
    ARROW_ASSIGN_OR_RAISE(current_, file_->ReadAt(position_, n));
    current_offset_ = position_;
  } else {
    // Parts wholly behind the position (a skip) are dropped unread.
    while (!parts_.empty() && parts_.front().offset + part_bytes_ <= position_) {
      parts_.front().data.Wait();
      parts_.pop_front();
    }
    if (parts_.empty()) next_part_ = position_;
    Schedule();
    Part part = std::move(parts_.front());
    parts_.pop_front();
    Schedule();
    ARROW_ASSIGN_OR_RAISE(current_, part.data.result());
    current_offset_ = part.offset;
  }
  if (current_->size() == 0 || position_ >= current_offset_ + current_->size()) {
    return Status::IOError("the file ended at byte ", current_offset_ + current_->size(),
                           " of the ", size_, " it had when listed");
  }
  return current_;
}

Result<std::shared_ptr<arrow::Buffer>> PartSource::Read(int64_t n) {
  n = std::min(n, size_ - position_);
  if (n <= 0) return std::make_shared<arrow::Buffer>(nullptr, 0);
  ARROW_ASSIGN_OR_RAISE(auto part, CurrentPart());
  const int64_t at = position_ - current_offset_;
  if (at + n <= part->size()) {
    position_ += n;
    return arrow::SliceBuffer(part, at, n);
  }
  ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::ResizableBuffer> out,
                        arrow::AllocateResizableBuffer(n));
  int64_t got = 0;
  while (got < n) {
    ARROW_ASSIGN_OR_RAISE(part, CurrentPart());
    if (!part) break;
    const int64_t from = position_ - current_offset_;
    const int64_t take = std::min(n - got, part->size() - from);
    std::memcpy(out->mutable_data() + got, part->data() + from, static_cast<size_t>(take));
    got += take;
    position_ += take;
  }
  ARROW_RETURN_NOT_OK(out->Resize(got));
  return std::shared_ptr<arrow::Buffer>(std::move(out));
}

Result<int64_t> PartSource::Skip(int64_t n) {
  n = std::max<int64_t>(0, std::min(n, size_ - position_));
  position_ += n;
  return n;
}

}  // namespace imgfeat
