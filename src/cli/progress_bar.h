// A one-line progress bar on stderr (count, images/s, ETA), drawn only when
// stderr is a terminal, at most a few times a second.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace imgfeat::cli {

class ProgressBar {
 public:
  // `total` <= 0: unknown (no bar, no ETA). Disabled bars print nothing.
  ProgressBar(std::string label, int64_t total, bool enabled);
  ~ProgressBar();

  void Update(int64_t done);
  // Draws the final state and ends the line.
  void Finish();

 private:
  void Draw(bool final);

  std::string label_;
  int64_t total_;
  bool enabled_;
  int64_t done_ = 0;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace imgfeat::cli
