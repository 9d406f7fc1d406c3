#include "cli/terminal_events.h"

#include <unistd.h>

#include <cstdio>

namespace imgfeat::cli {
namespace {

constexpr int64_t kErrorsPrinted = 20;

}  // namespace

TerminalEvents::TerminalEvents(bool quiet) : quiet_(quiet), tty_(::isatty(STDERR_FILENO)) {}

TerminalEvents::~TerminalEvents() { Finish(); }

void TerminalEvents::Finish() {
  if (bar_) bar_->Finish();
  bar_.reset();
}

void TerminalEvents::OnEvent(const RunEvent& event) {
  if (quiet_) return;
  switch (event.kind) {
    case RunEventKind::kPhase:
      Finish();
      if (event.phase == kPhaseFeaturize || event.phase == kPhaseReduce) {
        bar_ = std::make_unique<ProgressBar>(
            event.phase == kPhaseFeaturize ? "imgfeat" : "reducing", event.total, true);
      } else if (event.phase == kPhaseFitPca) {
        std::fprintf(stderr, "imgfeat: fitting PCA (%lld components)...\n",
                     static_cast<long long>(event.total));
      }
      break;
    case RunEventKind::kProgress:
      if (bar_) bar_->Update(event.done);
      break;
    case RunEventKind::kFileError:
      if (++errors_printed_ <= kErrorsPrinted) {
        // On a terminal, first wipe the progress bar's line.
        std::fprintf(stderr, "%simgfeat: skipped %s: %s\n", tty_ ? "\r\x1b[K" : "",
                     event.path.c_str(), event.message.c_str());
      }
      break;
    case RunEventKind::kNotice:
      std::fprintf(stderr, "%simgfeat: %s\n", tty_ ? "\r\x1b[K" : "", event.message.c_str());
      break;
  }
}

}  // namespace imgfeat::cli
