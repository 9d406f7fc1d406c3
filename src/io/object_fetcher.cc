#include "io/object_fetcher.h"

#include <arrow/filesystem/filesystem.h>
#include <arrow/io/interfaces.h>

#include <chrono>
#include <thread>

namespace imgfeat {
namespace {

constexpr std::string_view kS3Scheme = "s3://";

std::string FsPath(const std::string& uri) {
  return uri.starts_with(kS3Scheme) ? uri.substr(kS3Scheme.size()) : uri;
}

}  // namespace

ObjectFetcher::ObjectFetcher(std::shared_ptr<arrow::fs::FileSystem> fs, int64_t max_bytes,
                             int attempts)
    : fs_(std::move(fs)), max_bytes_(max_bytes), attempts_(std::max(1, attempts)) {}

arrow::Future<std::shared_ptr<arrow::Buffer>> ObjectFetcher::Read(const ImageFile& file) {
  // With the size known from the listing, opening costs no request (no HEAD):
  // the object costs exactly one GET.
  arrow::fs::FileInfo info(FsPath(file.path), arrow::fs::FileType::File);
  info.set_size(file.length);
  auto opened = fs_->OpenInputFile(info);
  if (!opened.ok()) {
    return arrow::Future<std::shared_ptr<arrow::Buffer>>::MakeFinished(opened.status());
  }
  return (*opened)->ReadAsync(arrow::io::default_io_context(), 0, file.length);
}

PendingObject ObjectFetcher::Start(const ImageFile& file) {
  PendingObject pending;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    room_.wait(
        lock, [&] { return closed_ || in_flight_ == 0 || in_flight_ + file.length <= max_bytes_; });
    if (closed_) {
      pending.data = arrow::Future<std::shared_ptr<arrow::Buffer>>::MakeFinished(
          Status::Cancelled("the run stopped"));
      return pending;
    }
    in_flight_ += file.length;
    pending.reserved = file.length;
  }
  pending.data = Read(file);
  return pending;
}

Status ObjectFetcher::Finish(const ImageFile& file, PendingObject* pending,
                             std::vector<uint8_t>* bytes) {
  Status status;
  auto backoff = std::chrono::milliseconds(200);
  for (int attempt = 1;; ++attempt) {
    auto result = pending->data.result();
    if (result.ok() && (*result)->size() == file.length) {
      bytes->assign((*result)->data(), (*result)->data() + (*result)->size());
      status = Status::OK();
      break;
    }
    status = result.ok() ? Status::IOError("read ", (*result)->size(), " of ", file.length,
                                           " bytes (the object changed or the connection broke)")
                         : result.status();
    if (attempt >= attempts_) break;
    std::this_thread::sleep_for(backoff);
    backoff *= 2;
    pending->data = Read(file);
  }
  pending->data = {};
  Release(pending->reserved);
  pending->reserved = 0;
  return status;
}

void ObjectFetcher::Release(int64_t bytes) {
  if (bytes == 0) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    in_flight_ -= bytes;
  }
  room_.notify_all();
}

void ObjectFetcher::Close() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
  }
  room_.notify_all();
}

}  // namespace imgfeat
