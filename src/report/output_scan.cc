#include "report/output_scan.h"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <parquet/arrow/reader.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>

#include <algorithm>
#include <filesystem>

#include "dataset/durable_file.h"
#include "dataset/output_layout.h"
#include "io/path_util.h"
#include "reduce/legacy_random.h"
#include "reduce/sample_without_replacement.h"

namespace imgfeat::report {
namespace {

Result<std::unique_ptr<parquet::arrow::FileReader>> OpenParquet(const std::string& path) {
  auto input = arrow::io::ReadableFile::Open(path);
  if (!input.ok()) return Status::IOError("cannot open '", path, "': ", input.status().message());
  auto reader = parquet::arrow::OpenFile(*input, arrow::default_memory_pool());
  if (!reader.ok()) {
    return Status::IOError("cannot read '", path, "': ", reader.status().message());
  }
  return std::move(*reader);
}

Result<int> ColumnIndex(const arrow::Schema& schema, const std::string& name,
                        const std::string& path) {
  const int index = schema.GetFieldIndex(name);
  if (index < 0) return Status::Invalid("'", path, "' has no column '", name, "'");
  return index;
}

Result<std::shared_ptr<arrow::Table>> ReadWhole(const std::string& path) {
  ARROW_ASSIGN_OR_RAISE(auto reader, OpenParquet(path));
  std::shared_ptr<arrow::Table> table;
  ARROW_RETURN_NOT_OK(reader->ReadTable(&table));
  return table->CombineChunks();
}

Result<std::shared_ptr<arrow::StringArray>> StringColumn(const arrow::Table& table,
                                                         const std::string& name,
                                                         const std::string& path) {
  auto column = table.GetColumnByName(name);
  if (!column || column->type()->id() != arrow::Type::STRING) {
    return Status::Invalid("'", path, "' has no string column '", name, "'");
  }
  if (column->num_chunks() == 0) return std::make_shared<arrow::StringArray>(0, nullptr, nullptr);
  return std::static_pointer_cast<arrow::StringArray>(column->chunk(0));
}

Result<std::shared_ptr<arrow::DoubleArray>> DoubleColumn(const arrow::Table& table,
                                                         const std::string& name,
                                                         const std::string& path) {
  auto column = table.GetColumnByName(name);
  if (!column || column->type()->id() != arrow::Type::DOUBLE) {
    return Status::Invalid("'", path, "' has no float64 column '", name, "'");
  }
  if (column->num_chunks() == 0) return std::make_shared<arrow::DoubleArray>(0, nullptr);
  return std::static_pointer_cast<arrow::DoubleArray>(column->chunk(0));
}

Status ReadErrors(const std::string& path, ScannedOutput* out) {
  ARROW_ASSIGN_OR_RAISE(auto table, ReadWhole(path));
  ARROW_ASSIGN_OR_RAISE(auto paths, StringColumn(*table, "path", path));
  ARROW_ASSIGN_OR_RAISE(auto stages, StringColumn(*table, "stage", path));
  ARROW_ASSIGN_OR_RAISE(auto errors, StringColumn(*table, "error", path));
  for (int64_t i = 0; i < table->num_rows(); ++i) {
    out->errors.push_back({paths->GetString(i), stages->GetString(i), errors->GetString(i)});
  }
  return Status::OK();
}

Status ReadDistortion(const std::string& path, ScannedOutput* out) {
  ARROW_ASSIGN_OR_RAISE(auto reader, OpenParquet(path));
  std::shared_ptr<arrow::Table> table;
  ARROW_RETURN_NOT_OK(reader->ReadTable(&table));
  ARROW_ASSIGN_OR_RAISE(table, table->CombineChunks());
  if (auto meta = table->schema()->metadata()) {
    if (auto value = meta->Get("imgfeat.distortion"); value.ok()) {
      out->distortion.metadata_json = *value;
    }
  }
  ARROW_ASSIGN_OR_RAISE(auto input, DoubleColumn(*table, "input_distance", path));
  ARROW_ASSIGN_OR_RAISE(auto output, DoubleColumn(*table, "output_distance", path));
  for (int64_t i = 0; i < table->num_rows(); ++i) {
    out->distortion.input_distance.push_back(input->Value(i));
    out->distortion.output_distance.push_back(output->Value(i));
  }
  out->has_distortion = true;
  return Status::OK();
}

// The features of the sampled rows of one row group.
Status TakeFeatures(const arrow::Table& table, const std::string& path, int64_t first_row,
                    const std::vector<int64_t>& wanted, size_t* next, ScannedOutput* out) {
  auto column = table.GetColumnByName("features");
  if (!column || column->type()->id() != arrow::Type::LIST ||
      column->type()->field(0)->type()->id() != arrow::Type::FLOAT) {
    return Status::Invalid("'", path, "' has no list<float32> column 'features'");
  }
  int64_t chunk_start = first_row;
  for (const auto& chunk : column->chunks()) {
    const auto& list = static_cast<const arrow::ListArray&>(*chunk);
    const auto& values = static_cast<const arrow::FloatArray&>(*list.values());
    const int64_t chunk_end = chunk_start + list.length();
    for (; *next < wanted.size() && wanted[*next] < chunk_end; ++*next) {
      const int64_t i = wanted[*next] - chunk_start;
      if (out->dim == 0) out->dim = list.value_length(i);
      if (list.value_length(i) != out->dim) {
        return Status::Invalid("'", path, "' row ", i, " has ", list.value_length(i),
                               " features, not ", out->dim);
      }
      const float* row = values.raw_values() + list.value_offset(i);
      out->features.insert(out->features.end(), row, row + out->dim);
    }
    chunk_start = chunk_end;
  }
  return Status::OK();
}

Result<std::vector<std::string>> PartPaths(const std::string& dir) {
  ARROW_ASSIGN_OR_RAISE(auto names, dataset::ListDir(dir));
  std::vector<std::string> parts;
  for (const auto& name : names) {
    if (dataset::ParsePartFileName(name)) parts.push_back(JoinPath(dir, name));
  }
  return parts;  // ListDir sorts, and part numbers have a fixed width
}

}  // namespace

Result<ScannedOutput> ScanOutput(const std::string& dir, int64_t max_rows, uint32_t seed) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::IOError("'", dir, "' is not a folder");
  ScannedOutput out;
  const std::string manifest = JoinPath(dir, std::string(dataset::kManifestFile));
  if (fs::exists(manifest, ec)) {
    ARROW_ASSIGN_OR_RAISE(out.manifest_json, dataset::ReadWholeFile(manifest));
  }
  const std::string errors = JoinPath(dir, std::string(dataset::kErrorsFile));
  if (fs::exists(errors, ec)) ARROW_RETURN_NOT_OK(ReadErrors(errors, &out));
  const std::string distortion = JoinPath(dir, std::string(dataset::kDistortionFile));
  if (fs::exists(distortion, ec)) ARROW_RETURN_NOT_OK(ReadDistortion(distortion, &out));

  ARROW_ASSIGN_OR_RAISE(auto parts, PartPaths(dir));
  if (parts.empty()) return Status::Invalid("'", dir, "' holds no part-*.parquet: not an output");
  std::vector<std::unique_ptr<parquet::arrow::FileReader>> readers;
  for (const auto& part : parts) {
    ARROW_ASSIGN_OR_RAISE(auto reader, OpenParquet(part));
    out.rows += reader->parquet_reader()->metadata()->num_rows();
    readers.push_back(std::move(reader));
  }

  std::vector<int64_t> wanted;
  if (out.rows <= max_rows) {
    for (int64_t i = 0; i < out.rows; ++i) wanted.push_back(i);
  } else {
    reduce::LegacyRandomState rng(seed);
    ARROW_ASSIGN_OR_RAISE(wanted, reduce::SampleWithoutReplacement(
                                      out.rows, max_rows, reduce::SampleMethod::kAuto, &rng));
    std::sort(wanted.begin(), wanted.end());
  }
  out.row_index = wanted;

  size_t next = 0;
  int64_t first_row = 0;
  for (size_t p = 0; p < parts.size(); ++p) {
    auto& reader = readers[p];
    std::shared_ptr<arrow::Schema> schema;
    ARROW_RETURN_NOT_OK(reader->GetSchema(&schema));
    ARROW_ASSIGN_OR_RAISE(int path_col, ColumnIndex(*schema, "path", parts[p]));
    ARROW_ASSIGN_OR_RAISE(int label_col, ColumnIndex(*schema, "label", parts[p]));
    ARROW_ASSIGN_OR_RAISE(int features_col, ColumnIndex(*schema, "features", parts[p]));
    // ReadRowGroup takes Parquet leaf columns; in imgfeat's schema every
    // column before `features` is flat, so field and leaf indices agree.
    for (int g = 0; g < reader->num_row_groups(); ++g) {
      const int64_t n = reader->parquet_reader()->metadata()->RowGroup(g)->num_rows();
      const bool sampled = next < wanted.size() && wanted[next] < first_row + n;
      std::vector<int> columns = {path_col, label_col};
      if (sampled) columns.push_back(features_col);
      std::shared_ptr<arrow::Table> table;
      ARROW_RETURN_NOT_OK(reader->ReadRowGroup(g, columns, &table));
      ARROW_ASSIGN_OR_RAISE(table, table->CombineChunks());
      ARROW_ASSIGN_OR_RAISE(auto paths, StringColumn(*table, "path", parts[p]));
      ARROW_ASSIGN_OR_RAISE(auto labels, StringColumn(*table, "label", parts[p]));
      for (int64_t i = 0; i < table->num_rows(); ++i) ++out.label_counts[labels->GetString(i)];
      if (sampled) {
        for (size_t w = next; w < wanted.size() && wanted[w] < first_row + n; ++w) {
          out.paths.push_back(paths->GetString(wanted[w] - first_row));
          out.labels.push_back(labels->GetString(wanted[w] - first_row));
        }
        ARROW_RETURN_NOT_OK(TakeFeatures(*table, parts[p], first_row, wanted, &next, &out));
      }
      first_row += n;
    }
  }
  return out;
}

}  // namespace imgfeat::report
