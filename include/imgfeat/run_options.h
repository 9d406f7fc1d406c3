// The options of a run, described once. Every shell reads its names,
// defaults, limits and help from RunOptionSpecs(): the CLI's flags
// (`imgfeat run --help`), imgfeat.run's and imgfeat.Featurizer's keyword
// arguments, `imgfeat.spark_job`'s flags and docs/OPTIONS.md. Every value,
// whatever the shell, goes through SetRunOption's checks, and every run
// through ValidateRunOptions' rules between options.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "imgfeat/events.h"
#include "imgfeat/image.h"
#include "imgfeat/listing.h"
#include "imgfeat/option_spec.h"
#include "imgfeat/shards.h"
#include "imgfeat/status.h"
#include "imgfeat/storage.h"

namespace imgfeat {

enum class Pooling { kNone, kAvg };
enum class ReduceKind { kNone, kSrp, kPca };

// Images per inference call when RunOptions::batch is 0. Measured: the engine
// costs the same per image from 4 to 32 images a call (docs/BENCHMARKS.md);
// 16 keeps the SRP transform on full blocks.
inline constexpr int kDefaultBatch = 16;

struct RunOptions {
  std::string input;       // a folder, a file, or s3://bucket/prefix
  std::string output;      // a folder or s3://bucket/prefix
  StorageOptions storage;  // how s3:// paths are reached
  ListOptions list;
  ShardOptions shards;      // how shards are read (list.format says which files are shards)
  std::string label_regex;  // empty: the default label (see Labeler)

  int threads = 0;  // decode threads and engine threads; 0: all cores
  int batch = 0;    // images per inference call; 0: kDefaultBatch

  std::string model = "mobilenet_v2";  // a registered name, or a path to an .onnx file
  std::string model_spec;              // JSON spec file; required with an .onnx path
  std::string model_dir;
  std::string engine = "openvino";
  std::string precision = "f32";  // EngineOptions::precision
  Pooling pooling = Pooling::kNone;
  // Also write the network's output averaged over its positions, unreduced,
  // as the `embedding` column (needs pooling none): what finds mirrored and
  // cropped copies, which the reduced 7x7 map does not (docs/DUPLICATES.md).
  bool embedding = false;

  ReduceKind reduce = ReduceKind::kSrp;
  int64_t components = -1;  // -1: auto (Johnson-Lindenstrauss bound on the number of images)
  double eps = 0.1;
  double density = 0;  // SRP; <= 0: auto
  uint32_t seed = 42;
  int pca_power_iterations = 4;
  int64_t pca_oversampling = -1;  // -1: auto (n_components, see PcaOptions)
  std::string reducer_from;       // apply an earlier run's reducer instead of fitting one

  bool overwrite = false;
  bool resume = false;
  bool quiet = false;       // for the shells: no progress, no per-file lines
  bool neighbours = false;  // the shell then finds them (imgfeat/neighbours.h)
  bool report = false;      // the shell then writes the report (imgfeat/report.h)
  int64_t max_pixels = kPillowMaxPixels;
  // Files above this are refused before they are read (an image at
  // max_pixels, uncompressed, is about 512 MiB).
  int64_t max_file_bytes = int64_t{512} << 20;
  int64_t rows_per_part = 0;  // 0: the writer's default

  // The options a shell set to other than their default (spec names), for
  // the rules between options (an option --reducer-from would ignore is
  // refused).
  std::set<std::string> given;

  // For a caller that runs the job on a thread of its own (the Python
  // binding): set `cancel` to stop after the batch in progress (RunJob then
  // returns Status::Cancelled and OUTPUT is left resumable).
  const std::atomic<bool>* cancel = nullptr;
  // Hears what the run does (phases, progress, each failed file); the
  // library itself never prints. Null: nobody listens.
  RunEventSink* events = nullptr;
};

// Which shells take an option.
enum RunShell : unsigned {
  kShellCli = 1u << 0,         // imgfeat run
  kShellPython = 1u << 1,      // imgfeat.run(...)
  kShellSpark = 1u << 2,       // python -m imgfeat.spark_job
  kShellFeaturizer = 1u << 3,  // imgfeat.Featurizer(...)
};
inline constexpr unsigned kShellsOfARun = kShellCli | kShellPython | kShellSpark;

// One entry of the table: what every option shares (imgfeat/option_spec.h),
// which shells take it, and where its value lands in RunOptions.
struct RunOptionSpec : OptionSpec {
  unsigned shells = kShellsOfARun;
  std::function<void(RunOptions*, const OptionValue&)> set;  // after the checks
  std::function<OptionValue(const RunOptions&)> get;

  // What the CLI writes for a switch whose default is on: "--no-NAME".
  std::string cli_flag() const;
  // The default as `--help` and the docs write it ("auto", "178956970", "").
  std::string default_text() const;
};

// Every option, in --help order.
const std::vector<RunOptionSpec>& RunOptionSpecs();
// By spec name ("max-pixels") or Python name ("max_pixels"); null if unknown.
const RunOptionSpec* FindRunOption(std::string_view name);

// The text a command line gave ("auto", "16", "avg") parsed for `spec`,
// checked, and set. `shown` is how the shell names the option in messages.
Status SetRunOptionFromText(RunOptions* options, const RunOptionSpec& spec, std::string_view text,
                            std::string_view shown);
// A typed value (from a binding) checked and set; TypeError for a wrong kind.
Status SetRunOption(RunOptions* options, const RunOptionSpec& spec, const OptionValue& value,
                    std::string_view shown);

// The rules between options, and what a shell cannot do (`shell`): every
// shell calls it before the run starts, and RunJob again.
Status ValidateRunOptions(const RunOptions& options, unsigned shell);

// A command line, less the command: INPUT OUTPUT and --flags in any order
// ("--flag=value" is "--flag value"), for the options `shell` takes, then
// ValidateRunOptions. A switch on by default is turned off by --no-NAME.
Result<RunOptions> ParseRunArgs(const std::vector<std::string>& args, unsigned shell);

// The options part of a shell's --help, grouped, with defaults.
std::string RunOptionsHelp(unsigned shell);

Result<Pooling> ParsePooling(const std::string& name);
Result<ReduceKind> ParseReduceKind(const std::string& name);
const char* PoolingName(Pooling pooling);
const char* ReduceKindName(ReduceKind kind);

}  // namespace imgfeat
