// The library's side of imgfeat/events.h: what a run tells its sink, one
// event at a time whatever thread it comes from, and nothing when nobody
// listens.
#pragma once

#include <mutex>
#include <string>

#include "imgfeat/events.h"

namespace imgfeat {

class RunEvents {
 public:
  explicit RunEvents(RunEventSink* sink) : sink_(sink) {}

  void Phase(const std::string& phase, int64_t total = 0);
  void Progress(int64_t done, int64_t total);
  void FileError(const std::string& path, const std::string& stage, const std::string& message);
  void Notice(const std::string& message);

 private:
  void Send(const RunEvent& event);

  RunEventSink* sink_;
  std::mutex mutex_;
};

}  // namespace imgfeat
