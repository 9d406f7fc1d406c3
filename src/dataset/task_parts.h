// The parts of a distributed run (Spark): how each task attempt writes its
// rows and how the driver commits them, so that a retried or speculative
// task never duplicates or loses a row (docs/SPARK.md, "Task retries").
//
// Every attempt writes complete part files under a folder of its own; the
// driver, which Spark gives exactly one successful result per partition,
// renames that attempt's files to the output's next part names in
// (partition, chunk) order. Files of other attempts are never renamed.
#pragma once

#include <arrow/type_fwd.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "imgfeat/status.h"

namespace imgfeat::dataset {

// One file an attempt wrote.
struct TaskFile {
  int64_t partition = 0;
  int64_t chunk = 0;  // its number within the attempt
  std::string uri;
  int64_t rows = 0;
};

// Rows per part for rows of `feature_dim` floats written under `output_uri`:
// `requested` when > 0, else the rule of a run's output (about 256 MiB of raw
// features on disk, 8 MiB on an object store, one PUT).
Result<int64_t> RowsPerPart(int64_t feature_dim, const std::string& output_uri, int64_t requested);

// Writes `rows` (FeatureSchema's columns; the features list may be any
// list<float32> without nulls) as one complete Parquet part at `uri`.
Status WritePartFile(const std::string& uri, const arrow::RecordBatch& rows);

// The rows of one task attempt, as numbered complete files of at most
// `max_rows` rows under `attempt_uri` (part-00000.parquet, ...).
class TaskPartWriter {
 public:
  TaskPartWriter(std::string attempt_uri, int64_t partition, int64_t max_rows);
  Status Add(const std::shared_ptr<arrow::RecordBatch>& rows);
  // Writes the rows still buffered.
  Status Finish();
  const std::vector<TaskFile>& files() const { return files_; }

 private:
  Status Flush();

  std::string attempt_uri_;
  int64_t partition_, max_rows_;
  std::vector<std::shared_ptr<arrow::RecordBatch>> pending_;
  int64_t pending_rows_ = 0;
  std::vector<TaskFile> files_;
};

// Renames `files` (one attempt's per partition) into the folder `output_uri`
// as its next parts, after the highest part number already there, in
// (partition, chunk) order. Returns them with their final URIs.
Result<std::vector<TaskFile>> CommitTaskFiles(const std::string& output_uri,
                                              std::vector<TaskFile> files);

}  // namespace imgfeat::dataset
