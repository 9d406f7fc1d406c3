// Writing one Parquet file of the output: the schemas, the format choices
// (docs/BENCHMARKS.md, "Parquet output", has the measurements behind them),
// a row-group buffer, and a file that only appears under its final name once
// complete.
#pragma once

#include <arrow/array/builder_binary.h>
#include <arrow/type_fwd.h>
#include <parquet/properties.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "imgfeat/dataset.h"
#include "imgfeat/status.h"

namespace parquet::arrow {
class FileWriter;
}
namespace arrow::fs {
class FileSystem;
}

namespace imgfeat::dataset {

// path string, label string, modification_time timestamp[us, UTC],
// length int64, features list<float32> (all non-null).
const std::shared_ptr<arrow::Schema>& FeatureSchema();
// FeatureSchema(), then with `embedding` an `embedding` list<float32> column
// (non-null), then a nullable string column per kept name.
std::shared_ptr<arrow::Schema> FeatureSchemaWith(const std::vector<std::string>& kept_columns,
                                                 bool embedding = false);
// path, stage, error: strings, non-null.
const std::shared_ptr<arrow::Schema>& ErrorSchema();

struct PartFormat {
  arrow::Compression::type codec = arrow::Compression::ZSTD;
  int compression_level = 0;  // 0: the codec's default
  // BYTE_STREAM_SPLIT for the feature floats instead of PLAIN.
  bool split_feature_bytes = false;
  // Min/max of the feature floats per page and row group: no reader prunes on
  // them, and computing them costs write time.
  bool feature_statistics = false;
  int64_t rows_per_row_group = 0;
  int64_t rows_per_part = 0;
};

// Row counts that keep a row group near 16 MiB and a part near 256 MiB of raw
// features, whatever the feature length.
int64_t DefaultRowsPerRowGroup(int64_t feature_dim);
int64_t DefaultRowsPerPart(int64_t feature_dim);
// The format for `options`, defaults filled in; fails on an unknown or
// unavailable codec or a non-positive row count.
Result<PartFormat> MakePartFormat(const DatasetOptions& options, int64_t feature_dim);

class ParquetFile;

// Collects the rows of one row group; its memory is reused for the next.
class FeatureRowGroup {
 public:
  static Result<FeatureRowGroup> Make(int64_t feature_dim, int64_t capacity_rows,
                                      const std::vector<std::string>& kept_columns = {},
                                      int64_t embedding_dim = 0);
  const std::shared_ptr<arrow::Schema>& schema() const { return schema_; }

  // `embedding`: embedding_dim floats, or null when the group has none.
  Status Add(const FeatureRecord& record, const float* features, const float* embedding = nullptr);
  int64_t size() const { return static_cast<int64_t>(paths_.size()); }
  int64_t embedding_dim() const { return embedding_dim_; }
  // Writes the buffered rows to `file`, then drops them.
  Status WriteTo(ParquetFile& file);

 private:
  // Appends one row of `dim` floats to `buffer`, reserving the whole group once.
  Status AddRow(arrow::ResizableBuffer* buffer, const float* row, int64_t dim) const;
  std::shared_ptr<arrow::ListArray> ListOf(const arrow::Buffer& values, int64_t dim) const;

  int64_t feature_dim_ = 0;
  int64_t embedding_dim_ = 0;
  int64_t capacity_rows_ = 0;
  std::vector<std::string> paths_, labels_;
  std::vector<int64_t> modification_times_, lengths_;
  std::shared_ptr<arrow::ResizableBuffer> features_, embedding_;
  std::shared_ptr<arrow::Schema> schema_;
  std::vector<arrow::StringBuilder> kept_;  // one per kept column
};

// A Parquet file written to `tmp_path` and renamed to its final name by Commit.
// Destroyed without Commit, it removes `tmp_path`.
//
// On an object store (CreateObject) it is written straight to its final key:
// the object exists only once Commit completes the upload, and a file
// destroyed without Commit aborts its upload.
class ParquetFile {
 public:
  static Result<std::unique_ptr<ParquetFile>> Create(const std::string& tmp_path,
                                                     std::shared_ptr<arrow::Schema> schema,
                                                     const PartFormat& format);
  static Result<std::unique_ptr<ParquetFile>> CreateObject(
      const std::shared_ptr<arrow::fs::FileSystem>& fs, const std::string& path,
      std::shared_ptr<arrow::Schema> schema, const PartFormat& format);
  ~ParquetFile();

  // Writes `table` as one or more row groups of at most rows_per_row_group.
  Status WriteRowGroups(const arrow::Table& table);
  int64_t rows() const { return rows_; }
  // Writes the footer, flushes the file to disk and renames it (an object:
  // completes the upload; `final_path` is ignored).
  Status Commit(const std::string& final_path);

 private:
  ParquetFile() = default;
  Status OpenWriter(std::shared_ptr<arrow::Schema> schema, const PartFormat& format);

  bool is_object_ = false;

  std::string tmp_path_;
  int64_t rows_per_row_group_ = 0;
  int64_t rows_ = 0;
  std::shared_ptr<arrow::io::OutputStream> sink_;
  std::unique_ptr<parquet::arrow::FileWriter> writer_;
  bool committed_ = false;
};

}  // namespace imgfeat::dataset
