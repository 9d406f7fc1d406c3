// The whole job: list -> decode/resize/preprocess (thread pool) -> batch ->
// inference -> pooling -> reduction -> Parquet dataset.
//
// RunJob is called once per process by the CLI (or a binding); it owns its
// threads and returns when the output is complete or has failed.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "imgfeat/listing.h"
#include "imgfeat/status.h"
#include "imgfeat/storage.h"

namespace imgfeat {

enum class Pooling { kNone, kAvg };
enum class ReduceKind { kNone, kSrp, kPca };

struct RunOptions {
  std::string input;       // a folder, a file, or s3://bucket/prefix
  std::string output;      // a folder or s3://bucket/prefix
  StorageOptions storage;  // how s3:// paths are reached
  ListOptions list;
  std::string label_regex;  // empty: the default label (see Labeler)

  int threads = 0;  // decode threads and engine threads; 0: all cores
  int batch = 0;    // images per inference call; 0: the measured default

  std::string model = "mobilenet_v2";  // a registered name, or a path to an .onnx file
  std::string model_spec;              // JSON spec file; required with an .onnx path
  std::string model_dir;
  std::string engine = "openvino";
  Pooling pooling = Pooling::kNone;

  ReduceKind reduce = ReduceKind::kSrp;
  int64_t components = -1;  // -1: auto (Johnson-Lindenstrauss bound on the number of images)
  double eps = 0.1;
  double density = 0;       // SRP; <= 0: auto
  uint32_t seed = 42;
  int pca_power_iterations = 4;
  int64_t pca_oversampling = -1;  // -1: auto (n_components, see PcaOptions)
  std::string reducer_from;  // apply an earlier run's reducer instead of fitting one

  bool overwrite = false;
  bool resume = false;
  bool quiet = false;
  bool progress = true;  // shown only when stderr is a terminal
  bool report = false;   // the CLI then writes the report (imgfeat/report.h)
  int64_t max_pixels = 178956970;
  // Files above this are refused before they are read (an image at
  // max_pixels, uncompressed, is about 512 MiB).
  int64_t max_file_bytes = int64_t{512} << 20;
  int64_t rows_per_part = 0;  // 0: the writer's default

  // For a caller that runs the job on a thread of its own (the Python
  // binding): set `cancel` to stop after the batch in progress (RunJob then
  // returns Status::Cancelled and OUTPUT is left resumable); `on_progress`
  // hears the images done out of those to do, from the inference thread.
  const std::atomic<bool>* cancel = nullptr;
  std::function<void(int64_t done, int64_t total)> on_progress;
};

// Images per inference call when RunOptions::batch is 0. Measured: the engine
// costs the same per image from 4 to 32 images a call (docs/BENCHMARKS.md);
// 16 keeps the SRP transform on full blocks.
inline constexpr int kDefaultBatch = 16;

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

Result<RunSummary> RunJob(const RunOptions& options);

Result<Pooling> ParsePooling(const std::string& name);
Result<ReduceKind> ParseReduceKind(const std::string& name);
const char* PoolingName(Pooling pooling);
const char* ReduceKindName(ReduceKind kind);

}  // namespace imgfeat
