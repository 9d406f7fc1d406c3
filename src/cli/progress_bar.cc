#include "cli/progress_bar.h"

#include <unistd.h>

#include <cstdio>

namespace imgfeat::cli {
namespace {

std::string FormatDuration(double seconds) {
  if (seconds < 0 || seconds > 1e7) return "--:--";
  auto s = static_cast<int64_t>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%02lld:%02lld", static_cast<long long>(s / 60),
                  static_cast<long long>(s % 60));
  }
  return buf;
}

}  // namespace

ProgressBar::ProgressBar(std::string label, int64_t total, bool enabled)
    : label_(std::move(label)),
      total_(total),
      enabled_(enabled && ::isatty(STDERR_FILENO)),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() { Finish(); }

void ProgressBar::Update(int64_t done) {
  done_ = done;
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(200)) return;
  last_draw_ = now;
  Draw(false);
}

void ProgressBar::Finish() {
  if (finished_) return;
  finished_ = true;
  if (enabled_) Draw(true);
}

void ProgressBar::Draw(bool final) {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double rate = elapsed > 0 ? done_ / elapsed : 0;
  std::string bar;
  if (total_ > 0) {
    constexpr int kWidth = 28;
    int filled = static_cast<int>(kWidth * std::min<double>(1.0, double(done_) / total_));
    // Appended piecewise: GCC 12 warns falsely (-Wrestrict) on the chained operator+.
    bar.push_back('[');
    bar.append(filled, '#');
    bar.append(kWidth - filled, '.');
    bar.append("] ");
  }
  std::string eta = total_ > 0 && rate > 0 ? FormatDuration((total_ - done_) / rate) : "--:--";
  std::fprintf(stderr, "\r%s %s%lld", label_.c_str(), bar.c_str(), static_cast<long long>(done_));
  if (total_ > 0) std::fprintf(stderr, "/%lld", static_cast<long long>(total_));
  std::fprintf(stderr, " images  %.1f img/s  %s %s\x1b[K%s", rate, final ? "took" : "ETA",
               final ? FormatDuration(elapsed).c_str() : eta.c_str(), final ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace imgfeat::cli
