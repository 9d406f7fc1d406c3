// What a run tells its caller while it works. The library reports, the
// shells print: the CLI draws a progress bar and one line per failed file,
// Python forwards to `logging` and a tqdm bar, Spark to its driver's log.
#pragma once

#include <cstdint>
#include <string>

namespace imgfeat {

enum class RunEventKind {
  kPhase,      // a stage of the run begins: phase (and total, when known)
  kProgress,   // images done out of total (total <= 0: unknown)
  kFileError,  // one input was skipped: path, stage, message
  kNotice,     // anything else worth a line: message
};

// Phases, in the order a run goes through them.
inline constexpr const char* kPhaseFeaturize = "featurize";  // total: images to do
inline constexpr const char* kPhaseFitPca = "fit-pca";       // total: components
inline constexpr const char* kPhaseReduce = "reduce";        // total: rows (PCA only)
inline constexpr const char* kPhaseFinish = "finish";        // the dataset's final files

struct RunEvent {
  RunEventKind kind = RunEventKind::kNotice;
  std::string phase;  // kPhase
  int64_t done = 0;   // kProgress
  int64_t total = 0;  // kPhase, kProgress
  std::string path;   // kFileError: the input's text, as in the output's rows
                      // (imgfeat/path_text.h); messages are UTF-8 too
  std::string stage;  // kFileError: list, read, decode, ... (as in _errors.parquet)
  std::string message;
};

// Receives a run's events. The library calls OnEvent from one thread at a
// time (never two at once), possibly not the caller's; it must return soon:
// the run waits for it.
class RunEventSink {
 public:
  virtual ~RunEventSink() = default;
  virtual void OnEvent(const RunEvent& event) = 0;
};

}  // namespace imgfeat
