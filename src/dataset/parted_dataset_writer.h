// What the output folder on disk and the output prefix on S3 share: rows
// buffered into row groups, row groups into parts of a fixed row count, the
// error list, the order of the files at the end (parts, _errors.parquet,
// _imgfeat.json, _SUCCESS last), and the scan of committed parts on resume.
// A subclass says only how its storage stages, publishes and reads a file.
#pragma once

#include <arrow/io/type_fwd.h>

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "dataset/parquet_part.h"
#include "imgfeat/dataset.h"

namespace imgfeat::dataset {

class PartedDatasetWriter : public DatasetWriter {
 public:
  const std::unordered_set<std::string>& committed_paths() const final { return committed_paths_; }
  bool already_complete() const final { return already_complete_; }
  int64_t rows_written() const final { return rows_written_; }
  int64_t errors_recorded() const final { return static_cast<int64_t>(errors_.size()); }

  Status Append(const std::vector<FeatureRecord>& records, const float* features) final;
  Status AddError(const std::string& path, const std::string& stage,
                  const std::string& message) final;
  Status Finish(const std::string& manifest_json) final;

 protected:
  PartedDatasetWriter(std::string display_dir, int64_t feature_dim, PartFormat format,
                      FeatureRowGroup row_group);

  // A Parquet file that appears as output entry `name` on Commit(FinalPath(name)).
  virtual Result<std::unique_ptr<ParquetFile>> CreateFile(
      std::string_view name, std::shared_ptr<arrow::Schema> schema) = 0;
  virtual std::string FinalPath(std::string_view name) const = 0;
  // How an entry is named in messages: a local path or an s3:// URI.
  virtual std::string DisplayPath(std::string_view name) const = 0;
  // Writes a small entry so that it appears whole or not at all.
  virtual Status Publish(std::string_view name, const std::string& contents) = 0;
  virtual Result<std::shared_ptr<arrow::io::RandomAccessFile>> OpenCommitted(
      std::string_view name) = 0;
  // Removes the work files once _SUCCESS is written.
  virtual Status RemoveWork() = 0;

  // Resume: the output is complete already (it has _SUCCESS).
  void MarkComplete() { already_complete_ = true; }
  // Resume: takes in the rows of the committed part `name` numbered `number`.
  Status AdoptCommittedPart(const std::string& name, int64_t number);

  const std::string& display_dir() const { return display_dir_; }

 private:
  Status CheckWritable() const;
  Status FlushRowGroup();
  Status CommitPart();
  Status WriteErrors();

  const std::string display_dir_;
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
