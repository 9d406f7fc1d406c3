// The whole job: list -> decode/resize/preprocess (thread pool) -> batch ->
// inference -> pooling -> reduction -> Parquet dataset.
//
// RunJob is called once per process by the CLI (or a binding); it owns its
// threads and returns when the output is complete or has failed.
#pragma once

#include <cstdint>

#include "imgfeat/run_options.h"
#include "imgfeat/status.h"

namespace imgfeat {

struct RunSummary {
  int64_t images_listed = 0;           // -1: not counted (S3 input whose count no setting needs)
  int64_t images_skipped_as_done = 0;  // --resume
  bool already_complete = false;       // --resume of an OUTPUT that had finished
  int64_t rows_written = 0;
  int64_t errors = 0;
  int64_t feature_dim = 0;
  int64_t output_dim = 0;
  double seconds = 0;
};

// Checks `options` (ValidateRunOptions for the shells of a run) first.
Result<RunSummary> RunJob(const RunOptions& options);

}  // namespace imgfeat
