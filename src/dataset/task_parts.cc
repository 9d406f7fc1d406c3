#include "dataset/task_parts.h"

#include <arrow/api.h>

#include <algorithm>
#include <filesystem>

#include "dataset/durable_file.h"
#include "dataset/output_folder.h"
#include "dataset/output_layout.h"
#include "dataset/parquet_part.h"
#include "imgfeat/dataset.h"
#include "imgfeat/storage.h"

namespace imgfeat::dataset {
namespace {

// The files' order in the output: partitions in listing order, then chunks.
bool ByPartitionThenChunk(const TaskFile& a, const TaskFile& b) {
  return a.partition != b.partition ? a.partition < b.partition : a.chunk < b.chunk;
}

// Gives the file `from` the name `to` (both in one store): a durable rename on
// disk, a server-side copy then delete on S3 (the object at `to` is whole).
Status MoveFile(const std::string& from, const std::string& to) {
  ARROW_ASSIGN_OR_RAISE(StoragePath source, ResolveStorage(from));
  ARROW_ASSIGN_OR_RAISE(StoragePath target, ResolveStorage(to));
  if (!source.is_s3) {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(target.path).parent_path(), ec);
    if (ec) return Status::IOError("cannot create the folder of '", to, "': ", ec.message());
    return CommitRename(source.path, target.path);
  }
  return source.fs->Move(source.path, target.path);
}

}  // namespace

Result<int64_t> RowsPerPart(int64_t feature_dim, const std::string& output_uri, int64_t requested) {
  if (requested > 0) return requested;
  DatasetOptions options;
  if (IsS3Uri(output_uri)) options.rows_per_part = ObjectStoreRowsPerPart(feature_dim);
  ARROW_ASSIGN_OR_RAISE(PartFormat format,
                        MakePartFormat(options, std::max<int64_t>(1, feature_dim)));
  return format.rows_per_part;
}

Status WritePartFile(const std::string& uri, const arrow::RecordBatch& batch) {
  const int base = FeatureSchema()->num_fields();
  if (batch.num_columns() < base) {
    return Status::TypeError("a part needs the columns ", FeatureSchema()->ToString());
  }
  // Then, with --embedding, `embedding`; the columns after those are kept
  // metadata (--keep-columns): strings.
  const bool embedding =
      batch.num_columns() > base && batch.schema()->field(base)->name() == "embedding";
  std::vector<std::string> kept;
  for (int i = base + (embedding ? 1 : 0); i < batch.num_columns(); ++i) {
    if (batch.column(i)->type_id() != arrow::Type::STRING) {
      return Status::TypeError("kept column ", batch.schema()->field(i)->name(),
                               " must be string, not ", batch.column(i)->type()->ToString());
    }
    kept.push_back(batch.schema()->field(i)->name());
  }
  const auto schema = FeatureSchemaWith(kept, embedding);
  std::vector<std::shared_ptr<arrow::Array>> columns = batch.columns();
  for (int i = 0; i < 4; ++i) {
    if (!columns[i]->type()->Equals(*schema->field(i)->type())) {
      return Status::TypeError("column ", schema->field(i)->name(), " must be ",
                               schema->field(i)->type()->ToString(), ", not ",
                               columns[i]->type()->ToString());
    }
  }
  // The float lists as the output's list type (its item field is named and
  // not nullable), the same buffers; the floats of a row size the row groups.
  int64_t row_floats = 0;
  for (int i = base - 1; i < base + (embedding ? 1 : 0); ++i) {
    const std::string& name = schema->field(i)->name();
    if (columns[i]->type_id() != arrow::Type::LIST) {
      return Status::TypeError(name, " must be a list<float32> column");
    }
    const auto& list = static_cast<const arrow::ListArray&>(*columns[i]);
    if (list.null_count() != 0 || list.values()->type_id() != arrow::Type::FLOAT) {
      return Status::TypeError(name, " must be a list<float32> column without nulls");
    }
    columns[i] = std::make_shared<arrow::ListArray>(schema->field(i)->type(), list.length(),
                                                    list.value_offsets(), list.values(), nullptr, 0,
                                                    list.offset());
    row_floats += list.length() > 0 ? list.value_length(0) : 0;
  }
  auto table = arrow::Table::Make(schema, columns, batch.num_rows());
  ARROW_ASSIGN_OR_RAISE(auto format,
                        MakePartFormat(DatasetOptions{}, std::max<int64_t>(1, row_floats)));
  ARROW_ASSIGN_OR_RAISE(StoragePath target, ResolveStorage(uri));
  std::unique_ptr<ParquetFile> file;
  if (target.is_s3) {
    ARROW_ASSIGN_OR_RAISE(file, ParquetFile::CreateObject(target.fs, target.path, schema, format));
  } else {
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(target.path).parent_path(), ec);
    if (ec) return Status::IOError("cannot create the folder of '", uri, "': ", ec.message());
    ARROW_ASSIGN_OR_RAISE(
        file, ParquetFile::Create(target.path + std::string(kTmpSuffix), schema, format));
  }
  ARROW_RETURN_NOT_OK(file->WriteRowGroups(*table));
  return file->Commit(target.path);
}

TaskPartWriter::TaskPartWriter(std::string attempt_uri, int64_t partition, int64_t max_rows)
    : attempt_uri_(std::move(attempt_uri)),
      partition_(partition),
      max_rows_(std::max<int64_t>(1, max_rows)) {}

Status TaskPartWriter::Add(const std::shared_ptr<arrow::RecordBatch>& rows) {
  int64_t offset = 0;
  while (offset < rows->num_rows()) {
    const int64_t take = std::min(max_rows_ - pending_rows_, rows->num_rows() - offset);
    pending_.push_back(rows->Slice(offset, take));
    pending_rows_ += take;
    offset += take;
    if (pending_rows_ >= max_rows_) ARROW_RETURN_NOT_OK(Flush());
  }
  return Status::OK();
}

Status TaskPartWriter::Finish() { return Flush(); }

Status TaskPartWriter::Flush() {
  if (pending_rows_ == 0) return Status::OK();
  // One copy of the buffered slices into one batch (a part is one write).
  ARROW_ASSIGN_OR_RAISE(auto table, arrow::Table::FromRecordBatches(pending_));
  ARROW_ASSIGN_OR_RAISE(auto batch, table->CombineChunksToBatch());
  TaskFile file;
  file.partition = partition_;
  file.chunk = static_cast<int64_t>(files_.size());
  file.uri = JoinUri(attempt_uri_, PartFileName(file.chunk));
  file.rows = pending_rows_;
  ARROW_RETURN_NOT_OK(WritePartFile(file.uri, *batch));
  files_.push_back(std::move(file));
  pending_.clear();
  pending_rows_ = 0;
  return Status::OK();
}

Result<std::vector<TaskFile>> CommitTaskFiles(const std::string& output_uri,
                                              std::vector<TaskFile> files) {
  std::sort(files.begin(), files.end(), ByPartitionThenChunk);
  for (size_t i = 1; i < files.size(); ++i) {
    if (files[i].partition == files[i - 1].partition && files[i].chunk == files[i - 1].chunk) {
      // Spark gives one result per partition: two files for one place is a bug.
      return Status::Invalid("two results for partition ", files[i].partition);
    }
  }
  ARROW_ASSIGN_OR_RAISE(auto folder, OutputFolder::Open(output_uri));
  ARROW_ASSIGN_OR_RAISE(std::vector<std::string> names, folder->List());
  int64_t next = 0;
  for (const std::string& name : names) {
    if (auto number = ParsePartFileName(name)) next = std::max(next, *number + 1);
  }
  for (TaskFile& file : files) {
    const std::string target = folder->DisplayPath(PartFileName(next++));
    ARROW_RETURN_NOT_OK(MoveFile(file.uri, target));
    file.uri = target;
  }
  return files;
}

}  // namespace imgfeat::dataset
