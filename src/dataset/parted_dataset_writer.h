// The one dataset writer (imgfeat/dataset.h), on disk and on S3 alike: rows
// buffered into row groups, row groups into parts of a fixed row count, the
// error list, the order of the files at the end (parts, _errors.parquet,
// _imgfeat.json, _SUCCESS last), opening fresh, resuming and overwriting.
// Where the files go and how they become visible whole is its OutputFolder's.
#pragma once

#include <arrow/io/type_fwd.h>

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "dataset/output_folder.h"
#include "dataset/parquet_part.h"
#include "imgfeat/dataset.h"

namespace imgfeat::dataset {

class PartedDatasetWriter final : public DatasetWriter {
 public:
  PartedDatasetWriter(std::unique_ptr<OutputFolder> folder, int64_t feature_dim, PartFormat format,
                      FeatureRowGroup row_group);

  // A new output in an empty (or missing) folder.
  Status OpenFresh(const std::string& params_document);
  // Takes up an interrupted run: its parameters must match; its committed
  // parts are kept, whatever a crash left half-written is discarded.
  Status OpenResumed(const std::vector<std::string>& entries, const std::string& params_document);
  // Removes an earlier output (_SUCCESS first, so that a half-removed one is
  // never taken for complete). Refuses any folder holding a name imgfeat
  // does not write.
  Status RemoveOldOutput(const std::vector<std::string>& entries);
  // --resume of a finished run: nothing to do, if it ran with these parameters.
  Status CheckCompleteOutput(const std::string& params_document);

  const std::unordered_set<std::string>& committed_paths() const override {
    return committed_paths_;
  }
  bool already_complete() const override { return already_complete_; }
  int64_t rows_written() const override { return rows_written_; }
  int64_t errors_recorded() const override { return static_cast<int64_t>(errors_.size()); }
  std::string work_dir() const override { return folder_->durability().work_dir(); }

  Status Append(const std::vector<FeatureRecord>& records, const float* features,
                const float* embedding) override;
  Status AddError(const std::string& path, const std::string& stage,
                  const std::string& message) override;
  Status Finish(const std::string& manifest_json) override;
  Status Publish(const std::string& name, std::string_view contents) override;

 private:
  Result<std::unique_ptr<ParquetFile>> CreateFile(std::string_view name,
                                                  std::shared_ptr<arrow::Schema> schema);
  // Resume: takes in the rows of the committed part `name` numbered `number`.
  Status AdoptCommittedPart(const std::string& name, int64_t number);
  Status CheckWritable() const;
  Status FlushRowGroup();
  Status CommitPart();
  Status WriteErrors();

  const std::unique_ptr<OutputFolder> folder_;
  const int64_t feature_dim_;
  const PartFormat format_;
  FeatureRowGroup row_group_;
  std::unique_ptr<ParquetFile> part_;  // the part being written, if any
  int64_t next_part_ = 0;
  int64_t rows_written_ = 0;
  std::unordered_set<std::string> committed_paths_;
  std::vector<std::array<std::string, 3>> errors_;  // path, stage, error
  bool already_complete_ = false;
  bool finished_ = false;
};

}  // namespace imgfeat::dataset
