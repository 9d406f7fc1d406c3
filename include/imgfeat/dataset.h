// The output dataset: a folder of Parquet files written with Arrow C++,
// readable as one table by pandas, pyarrow.dataset and Spark, that survives
// crashes (docs/FORMAT.md describes it).
//
//   OUTPUT/part-00000.parquet ...   path, label, modification_time, length, features
//   OUTPUT/_errors.parquet          path, stage, error: every file that failed
//   OUTPUT/_reducer.parquet         the fitted reducer (when there is one)
//   OUTPUT/_imgfeat.json            everything needed to reproduce the run
//   OUTPUT/_SUCCESS                 written last
//   OUTPUT/_temporary/              work in progress; gone when the run succeeds
//
// Every file is written under a temporary name in _temporary/, flushed to
// disk and renamed when complete, so no file appears under its final name
// before it is whole. A DatasetWriter is used by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "imgfeat/listing.h"
#include "imgfeat/status.h"

namespace imgfeat {

struct FeatureRecord {
  ImageFile file;
  std::string label;
  // Values of DatasetOptions::kept_columns (a shard sample's metadata); fewer
  // than the columns, or none: null for the rest.
  std::vector<std::optional<std::string>> kept;
};

struct DatasetOptions {
  // Replace an existing OUTPUT; refused unless it holds only files imgfeat
  // writes (a user's folder is never deleted).
  bool overwrite = false;
  bool resume = false;               // finish an interrupted run in OUTPUT
  int64_t rows_per_part = 0;         // 0: chosen from the feature length (about 256 MiB raw)
  int64_t rows_per_row_group = 0;    // 0: chosen from the feature length (about 16 MiB raw)
  std::string compression = "zstd";  // zstd, snappy, gzip, brotli, lz4 (LZ4_RAW) or none
  int compression_level = 0;         // 0: the codec's default (zstd: 1)
  // > 0: an `embedding` column of this many floats after `features`
  // (RunOptions::embedding); Append then takes one row of it per record.
  int64_t embedding_dim = 0;
  // String columns after `features` and `embedding`, one per name (--keep-columns).
  std::vector<std::string> kept_columns;
};

class DatasetWriter {
 public:
  // Opens OUTPUT. An existing OUTPUT is refused unless overwrite or resume.
  // `run_params_json` describes what determines the rows (model, preprocessing,
  // pooling, reducer, input, filters); resume refuses an OUTPUT whose stored
  // parameters differ.
  static Result<std::unique_ptr<DatasetWriter>> Open(const std::string& dir, int64_t feature_dim,
                                                     const std::string& run_params_json,
                                                     const DatasetOptions& options);
  virtual ~DatasetWriter() = default;

  // With resume: the paths an earlier run already committed (skip them).
  virtual const std::unordered_set<std::string>& committed_paths() const = 0;
  // With resume: OUTPUT already holds _SUCCESS, written with the same
  // parameters (else Open fails), and there is nothing to do.
  // Append and AddError fail and Finish changes nothing.
  virtual bool already_complete() const = 0;
  // Folder for work files (spills, saved reducer state) that survive a crash
  // and a resume; it is removed by Finish. Names ending in ".tmp", "run.json"
  // and "lock" there are the writer's own (".tmp" files are discarded on resume).
  virtual std::string work_dir() const = 0;

  // Buffers rows; a part is committed (written, then renamed) when full.
  // `embedding`: embedding_dim floats per record, or null without that column.
  virtual Status Append(const std::vector<FeatureRecord>& records, const float* features,
                        const float* embedding) = 0;
  virtual Status AddError(const std::string& path, const std::string& stage,
                          const std::string& message) = 0;
  // Writes a small file of the output (the fitted reducer, the distortion
  // sample) directly under OUTPUT, whole or not at all: staged in the work
  // folder, flushed and renamed on disk; one PUT on S3. Never a NAME.tmp in
  // OUTPUT itself.
  virtual Status Publish(const std::string& name, std::string_view contents) = 0;
  // Commits the last part, then writes _errors.parquet, `manifest_json` as
  // _imgfeat.json and finally _SUCCESS, and removes the work folder. The
  // manifest holds "parameters" (the run_params_json given to Open) and
  // "counts": {"output_dim": ...}: a resume of the complete output compares
  // them, and refuses one whose manifest lacks them.
  // A writer dropped without Finish discards its uncommitted rows and leaves
  // OUTPUT resumable.
  virtual Status Finish(const std::string& manifest_json) = 0;

  // Rows in the whole output, those of earlier runs (resume) included.
  virtual int64_t rows_written() const = 0;
  virtual int64_t errors_recorded() const = 0;
};

}  // namespace imgfeat
