#include "dataset/parted_dataset_writer.h"

#include <arrow/api.h>
#include <parquet/arrow/reader.h>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "dataset/output_layout.h"
#include "dataset/run_params.h"
#include "imgfeat/path_text.h"

namespace imgfeat::dataset {

namespace {

bool Contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Crash-safety tests need a run interrupted at a known point. A kill timed
// from outside races the PCA write phase, which commits every part within
// milliseconds; with IMGFEAT_TEST_STOP_AFTER_PARTS=N the process stops itself
// (SIGSTOP) right after its Nth part is committed, and the test SIGKILLs it.
void StopIfCrashTestPoint(int64_t committed_parts) {
  static const int64_t stop_after = [] {
    const char* value = std::getenv("IMGFEAT_TEST_STOP_AFTER_PARTS");
    return value ? std::atoll(value) : int64_t{-1};
  }();
  if (committed_parts == stop_after) std::raise(SIGSTOP);
}

}  // namespace

PartedDatasetWriter::PartedDatasetWriter(std::unique_ptr<OutputFolder> folder, int64_t feature_dim,
                                         PartFormat format, FeatureRowGroup row_group)
    : folder_(std::move(folder)),
      feature_dim_(feature_dim),
      format_(format),
      row_group_(std::move(row_group)) {}

Status PartedDatasetWriter::OpenFresh(const std::string& params_document) {
  ARROW_RETURN_NOT_OK(folder_->durability().Claim());
  return folder_->durability().Publish(RunParamsName(), params_document);
}

Status PartedDatasetWriter::OpenResumed(const std::vector<std::string>& entries,
                                        const std::string& params_document) {
  if (Contains(entries, kSuccessFile)) return CheckCompleteOutput(params_document);
  auto stored = folder_->Read(RunParamsName());
  if (!stored.ok()) {
    return Status::Invalid("cannot resume '", folder_->uri(), "': it has no ", RunParamsName(),
                           ", so it is not an interrupted imgfeat run");
  }
  ARROW_RETURN_NOT_OK(folder_->durability().Claim());
  ARROW_ASSIGN_OR_RAISE(auto difference, FirstDifference(*stored, params_document));
  if (difference) {
    return Status::Invalid("cannot resume '", folder_->uri(), "': run parameter '", difference->key,
                           "' differs (stored ", difference->stored, ", now ", difference->current,
                           ")");
  }
  ARROW_RETURN_NOT_OK(folder_->durability().DiscardStaged());
  // A run stopped inside Finish, before _SUCCESS: these are written again.
  for (std::string_view name : {kManifestFile, kErrorsFile, kDistortionFile}) {
    ARROW_RETURN_NOT_OK(folder_->Remove(name));
  }
  ARROW_RETURN_NOT_OK(folder_->durability().SyncEntries());
  for (const std::string& name : entries) {
    if (auto number = ParsePartFileName(name)) {
      ARROW_RETURN_NOT_OK(AdoptCommittedPart(name, *number));
    }
  }
  return Status::OK();
}

Status PartedDatasetWriter::CheckCompleteOutput(const std::string& params_document) {
  ARROW_ASSIGN_OR_RAISE(std::string manifest, folder_->Read(kManifestFile));
  auto stored = RunParamsDocumentOfManifest(manifest);
  if (!stored.ok()) {
    return Status::Invalid("cannot resume '", folder_->uri(), "': ", stored.status().message());
  }
  ARROW_ASSIGN_OR_RAISE(auto difference, FirstDifference(*stored, params_document));
  if (difference) {
    return Status::Invalid("'", folder_->uri(), "' is complete, with other parameters: '",
                           difference->key, "' differs (stored ", difference->stored, ", now ",
                           difference->current, "); --overwrite it or choose another OUTPUT");
  }
  already_complete_ = true;
  return Status::OK();
}

Status PartedDatasetWriter::RemoveOldOutput(const std::vector<std::string>& entries) {
  for (const std::string& name : entries) {
    if (!IsOutputEntryName(name)) {
      return Status::Invalid("refusing to overwrite '", folder_->uri(), "': it holds '", name,
                             "', which is not part of an imgfeat output");
    }
  }
  // A run still writing the folder keeps it.
  if (Contains(entries, kTemporaryDir)) ARROW_RETURN_NOT_OK(folder_->durability().Claim());
  ARROW_RETURN_NOT_OK(folder_->Remove(kSuccessFile));
  ARROW_RETURN_NOT_OK(folder_->durability().SyncEntries());
  for (const std::string& name : entries) {
    if (name != kTemporaryDir) ARROW_RETURN_NOT_OK(folder_->Remove(name));
  }
  ARROW_RETURN_NOT_OK(folder_->Remove(kTemporaryDir));
  return folder_->durability().SyncEntries();
}

Result<std::unique_ptr<ParquetFile>> PartedDatasetWriter::CreateFile(
    std::string_view name, std::shared_ptr<arrow::Schema> schema) {
  return folder_->durability().CreateParquet(name, std::move(schema), format_);
}

Status PartedDatasetWriter::Append(const std::vector<FeatureRecord>& records, const float* features,
                                   const float* embedding) {
  ARROW_RETURN_NOT_OK(CheckWritable());
  if (!records.empty() && features == nullptr) return Status::Invalid("no features given");
  for (size_t i = 0; i < records.size(); ++i) {
    const float* row_embedding = embedding ? embedding + i * row_group_.embedding_dim() : nullptr;
    ARROW_RETURN_NOT_OK(row_group_.Add(records[i], features + i * feature_dim_, row_embedding));
    ++rows_written_;
    const int64_t room_in_part = format_.rows_per_part - (part_ ? part_->rows() : 0);
    if (row_group_.size() >= std::min(format_.rows_per_row_group, room_in_part)) {
      ARROW_RETURN_NOT_OK(FlushRowGroup());
    }
  }
  return Status::OK();
}

Status PartedDatasetWriter::AddError(const std::string& path, const std::string& stage,
                                     const std::string& message) {
  ARROW_RETURN_NOT_OK(CheckWritable());
  errors_.push_back({path, stage, message});
  return Status::OK();
}

Status PartedDatasetWriter::Finish(const std::string& manifest_json) {
  if (already_complete_) return Status::OK();
  ARROW_RETURN_NOT_OK(CheckWritable());
  if (nlohmann::json::parse(manifest_json, nullptr, false).is_discarded()) {
    return Status::Invalid("the manifest for '", folder_->uri(), "' is not valid JSON");
  }
  if (row_group_.size() > 0) ARROW_RETURN_NOT_OK(FlushRowGroup());
  // An output with no row still has one (empty) part, so that readers find
  // its schema.
  if (part_ || next_part_ == 0) ARROW_RETURN_NOT_OK(CommitPart());
  ARROW_RETURN_NOT_OK(WriteErrors());
  ARROW_RETURN_NOT_OK(folder_->durability().Publish(kManifestFile, manifest_json));
  ARROW_RETURN_NOT_OK(folder_->durability().Publish(kSuccessFile, ""));
  finished_ = true;
  ARROW_RETURN_NOT_OK(folder_->Remove(kTemporaryDir));
  return folder_->durability().SyncEntries();
}

Status PartedDatasetWriter::Publish(const std::string& name, std::string_view contents) {
  ARROW_RETURN_NOT_OK(CheckWritable());
  if (!IsOutputEntryName(name) || ParsePartFileName(name) || name == kSuccessFile) {
    return Status::Invalid("'", name, "' is not a file a run publishes in its output");
  }
  return folder_->durability().Publish(name, contents);
}

Status PartedDatasetWriter::AdoptCommittedPart(const std::string& name, int64_t number) {
  const std::string where = folder_->DisplayPath(name);
  ARROW_ASSIGN_OR_RAISE(auto input, folder_->OpenInput(name));
  auto reader = parquet::arrow::OpenFile(input, arrow::default_memory_pool());
  if (!reader.ok()) {
    return Status::IOError("cannot read committed part '", where, "': ", reader.status().message());
  }
  std::shared_ptr<arrow::Schema> schema;
  ARROW_RETURN_NOT_OK((*reader)->GetSchema(&schema));
  const int path_column = schema->GetFieldIndex("path");
  if (path_column < 0 || !schema->field(path_column)->type()->Equals(arrow::utf8())) {
    return Status::Invalid("committed part '", where, "' has no string column 'path'");
  }
  std::shared_ptr<arrow::Table> table;
  ARROW_RETURN_NOT_OK((*reader)->ReadTable({path_column}, &table));
  for (const auto& chunk : table->column(0)->chunks()) {
    const auto& paths = static_cast<const arrow::StringArray&>(*chunk);
    for (int64_t i = 0; i < paths.length(); ++i) {
      auto path = PathFromText(paths.GetView(i));
      if (!path.ok()) {
        return Status::Invalid("committed part '", where, "': ", path.status().message());
      }
      committed_paths_.emplace(std::move(*path));
    }
  }
  rows_written_ += table->num_rows();
  next_part_ = std::max(next_part_, number + 1);
  return Status::OK();
}

Status PartedDatasetWriter::CheckWritable() const {
  if (already_complete_) return Status::Invalid("'", folder_->uri(), "' is already complete");
  if (finished_) return Status::Invalid("'", folder_->uri(), "' is already finished");
  return Status::OK();
}

Status PartedDatasetWriter::FlushRowGroup() {
  if (!part_) {
    ARROW_ASSIGN_OR_RAISE(part_, CreateFile(PartFileName(next_part_), row_group_.schema()));
  }
  ARROW_RETURN_NOT_OK(row_group_.WriteTo(*part_));
  if (part_->rows() >= format_.rows_per_part) return CommitPart();
  return Status::OK();
}

Status PartedDatasetWriter::CommitPart() {
  const std::string name = PartFileName(next_part_);
  if (!part_) {
    ARROW_ASSIGN_OR_RAISE(part_, CreateFile(name, row_group_.schema()));
  }
  ARROW_RETURN_NOT_OK(part_->Commit(folder_->FinalPath(name)));
  part_.reset();
  ++next_part_;
  StopIfCrashTestPoint(next_part_);
  return Status::OK();
}

Status PartedDatasetWriter::WriteErrors() {
  ARROW_ASSIGN_OR_RAISE(auto file, CreateFile(kErrorsFile, ErrorSchema()));
  if (!errors_.empty()) {
    arrow::StringBuilder columns[3];
    for (const auto& error : errors_) {
      // The path as text (imgfeat/path_text.h); a reason may quote bytes.
      ARROW_RETURN_NOT_OK(columns[0].Append(PathText(error[0])));
      for (int c = 1; c < 3; ++c) ARROW_RETURN_NOT_OK(columns[c].Append(Utf8Text(error[c])));
    }
    std::vector<std::shared_ptr<arrow::Array>> arrays(3);
    for (int c = 0; c < 3; ++c) ARROW_RETURN_NOT_OK(columns[c].Finish(&arrays[c]));
    ARROW_RETURN_NOT_OK(file->WriteRowGroups(*arrow::Table::Make(ErrorSchema(), arrays)));
  }
  return file->Commit(folder_->FinalPath(kErrorsFile));
}

}  // namespace imgfeat::dataset
