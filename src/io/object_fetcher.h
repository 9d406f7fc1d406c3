// Reads whole objects ahead of their use, many at once, so that the latency
// of an object store is hidden behind decoding and inference.
//
// Start is called by one thread (the listing), Finish by any; Close may be
// called from any thread and wakes a Start that waits for room.
#pragma once

#include <arrow/buffer.h>
#include <arrow/util/future.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "imgfeat/listing.h"
#include "imgfeat/storage.h"

namespace imgfeat {

struct PendingObject {
  arrow::Future<std::shared_ptr<arrow::Buffer>> data;
  int64_t reserved = 0;  // bytes counted against the budget until Finish
};

class ObjectFetcher {
 public:
  // `fs` reads the objects; `max_bytes` bounds the bytes being fetched or
  // fetched and not yet Finished (one object larger than that still goes).
  ObjectFetcher(std::shared_ptr<arrow::fs::FileSystem> fs, int64_t max_bytes, int attempts = 3);

  // Starts the GET of `file` (an s3:// path as listed). Waits while the
  // budget is spent; after Close, returns at once with nothing started.
  PendingObject Start(const ImageFile& file);
  // The object's bytes. A failed or short read is tried again, `attempts`
  // times in all, with backoff, on top of the client's own retries.
  Status Finish(const ImageFile& file, PendingObject* pending, std::vector<uint8_t>* bytes);
  void Close();

 private:
  arrow::Future<std::shared_ptr<arrow::Buffer>> Read(const ImageFile& file);
  void Release(int64_t bytes);

  std::shared_ptr<arrow::fs::FileSystem> fs_;
  const int64_t max_bytes_;
  const int attempts_;
  std::mutex mutex_;
  std::condition_variable room_;
  int64_t in_flight_ = 0;
  bool closed_ = false;
};

}  // namespace imgfeat
