// How the CLI shows a run's events on stderr: a progress bar while images
// are featurized (on a terminal only), one line per failed file (the first
// 20; all are in _errors.parquet), and a line per later phase.
#pragma once

#include <memory>

#include "cli/progress_bar.h"
#include "imgfeat/events.h"

namespace imgfeat::cli {

class TerminalEvents : public RunEventSink {
 public:
  explicit TerminalEvents(bool quiet);
  ~TerminalEvents() override;
  void OnEvent(const RunEvent& event) override;
  // Ends the bar's line (the run is over).
  void Finish();

 private:
  bool quiet_, tty_;
  int64_t errors_printed_ = 0;
  std::unique_ptr<ProgressBar> bar_;
};

}  // namespace imgfeat::cli
