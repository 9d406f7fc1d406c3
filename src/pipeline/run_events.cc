#include "pipeline/run_events.h"

#include "imgfeat/path_text.h"

namespace imgfeat {

void RunEvents::Send(const RunEvent& event) {
  if (sink_ == nullptr) return;
  std::lock_guard<std::mutex> lock(mutex_);
  sink_->OnEvent(event);
}

void RunEvents::Phase(const std::string& phase, int64_t total) {
  RunEvent e;
  e.kind = RunEventKind::kPhase;
  e.phase = phase;
  e.total = total;
  Send(e);
}

void RunEvents::Progress(int64_t done, int64_t total) {
  RunEvent e;
  e.kind = RunEventKind::kProgress;
  e.done = done;
  e.total = total;
  Send(e);
}

void RunEvents::FileError(const std::string& path, const std::string& stage,
                          const std::string& message) {
  RunEvent e;
  e.kind = RunEventKind::kFileError;
  // Text, as _errors.parquet holds it: one line, valid UTF-8.
  e.path = PathText(path);
  e.stage = stage;
  e.message = Utf8Text(message);
  Send(e);
}

void RunEvents::Notice(const std::string& message) {
  RunEvent e;
  e.kind = RunEventKind::kNotice;
  e.message = Utf8Text(message);
  Send(e);
}

}  // namespace imgfeat
