// The output dataset on S3 (see dataset/object_dataset_writer.h).
//
// S3 has no rename, so no file is staged: each one is uploaded straight to
// its final key, and S3 makes an object visible only when its upload
// completes. A part is finished before its upload is completed; a failure
// aborts the upload. _SUCCESS comes last, as on disk. The parameters a resume
// must match live in OUTPUT/_temporary/run.json; the work files (spills) live
// in a local temporary folder, removed when the writer goes.
#include "dataset/object_dataset_writer.h"

#include <arrow/api.h>
#include <arrow/filesystem/filesystem.h>
#include <parquet/arrow/reader.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "dataset/output_layout.h"
#include "dataset/run_params.h"
#include "io/path_util.h"

namespace imgfeat::dataset {
namespace {

using arrow::fs::FileType;

// A local folder for work files, removed with this object.
class LocalWorkDir {
 public:
  static Result<LocalWorkDir> Make() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = JoinPath(tmp && *tmp ? tmp : "/tmp", "imgfeat-work-XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr) {
      return Status::IOError("cannot create a work folder in ", DirName(pattern), ": ",
                             std::strerror(errno));
    }
    LocalWorkDir dir;
    dir.path_ = pattern;
    return dir;
  }
  LocalWorkDir() = default;
  LocalWorkDir(LocalWorkDir&& other) noexcept : path_(std::exchange(other.path_, "")) {}
  LocalWorkDir& operator=(LocalWorkDir&& other) noexcept {
    std::swap(path_, other.path_);
    return *this;
  }
  ~LocalWorkDir() {
    if (path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

class ObjectDatasetWriter final : public DatasetWriter {
 public:
  ObjectDatasetWriter(StoragePath dir, int64_t feature_dim, PartFormat format,
                      FeatureRowGroup row_group, LocalWorkDir work)
      : dir_(std::move(dir)),
        feature_dim_(feature_dim),
        format_(format),
        row_group_(std::move(row_group)),
        work_(std::move(work)) {}

  std::string Key(std::string_view name) const { return JoinPath(dir_.path, name); }
  std::string RunParamsKey() const { return JoinPath(Key(kTemporaryDir), kRunParamsFile); }

  Status OpenFresh(const std::string& params_document) {
    return PutObject(*dir_.fs, RunParamsKey(), params_document);
  }

  Status OpenResumed(const std::vector<std::string>& entries, const std::string& params_document) {
    if (Contains(entries, kSuccessFile)) {
      already_complete_ = true;
      return Status::OK();
    }
    auto stored = ReadObject(RunParamsKey());
    if (!stored.ok()) {
      return Status::Invalid("cannot resume '", dir_.uri, "': it has no ", kTemporaryDir, "/",
                             kRunParamsFile, ", so it is not an interrupted imgfeat run");
    }
    ARROW_ASSIGN_OR_RAISE(auto difference, FirstDifference(*stored, params_document));
    if (difference) {
      return Status::Invalid("cannot resume '", dir_.uri, "': run parameter '", difference->key,
                             "' differs (stored ", difference->stored, ", now ",
                             difference->current, ")");
    }
    // A run stopped inside Finish, before _SUCCESS: these are written again.
    for (std::string_view name : {kManifestFile, kErrorsFile}) {
      if (Contains(entries, name)) ARROW_RETURN_NOT_OK(DeleteObject(Key(name)));
    }
    for (const std::string& name : entries) {
      if (auto number = ParsePartFileName(name)) {
        ARROW_RETURN_NOT_OK(ScanCommittedPart(Key(name)));
        next_part_ = std::max(next_part_, *number + 1);
      }
    }
    return Status::OK();
  }

  const std::unordered_set<std::string>& committed_paths() const override {
    return committed_paths_;
  }
  bool already_complete() const override { return already_complete_; }
  std::string work_dir() const override { return work_.path(); }
  int64_t rows_written() const override { return rows_written_; }
  int64_t errors_recorded() const override { return static_cast<int64_t>(errors_.size()); }

  Status Append(const std::vector<FeatureRecord>& records, const float* features) override {
    ARROW_RETURN_NOT_OK(CheckWritable());
    if (!records.empty() && features == nullptr) return Status::Invalid("no features given");
    for (size_t i = 0; i < records.size(); ++i) {
      ARROW_RETURN_NOT_OK(row_group_.Add(records[i], features + i * feature_dim_));
      ++rows_written_;
      const int64_t room_in_part = format_.rows_per_part - (part_ ? part_->rows() : 0);
      if (row_group_.size() >= std::min(format_.rows_per_row_group, room_in_part)) {
        ARROW_RETURN_NOT_OK(FlushRowGroup());
      }
    }
    return Status::OK();
  }

  Status AddError(const std::string& path, const std::string& stage,
                  const std::string& message) override {
    ARROW_RETURN_NOT_OK(CheckWritable());
    errors_.push_back({path, stage, message});
    return Status::OK();
  }

  Status Finish(const std::string& manifest_json) override {
    if (already_complete_) return Status::OK();
    ARROW_RETURN_NOT_OK(CheckWritable());
    if (nlohmann::json::parse(manifest_json, nullptr, false).is_discarded()) {
      return Status::Invalid("the manifest for '", dir_.uri, "' is not valid JSON");
    }
    if (row_group_.size() > 0) ARROW_RETURN_NOT_OK(FlushRowGroup());
    if (part_ || next_part_ == 0) ARROW_RETURN_NOT_OK(CommitPart());
    ARROW_RETURN_NOT_OK(WriteErrors());
    ARROW_RETURN_NOT_OK(PutObject(*dir_.fs, Key(kManifestFile), manifest_json));
    ARROW_RETURN_NOT_OK(PutObject(*dir_.fs, Key(kSuccessFile), ""));
    finished_ = true;
    // The whole folder: deleting its last object would make Arrow leave a
    // folder marker in its place.
    Status st = dir_.fs->DeleteDir(Key(kTemporaryDir));
    if (!st.ok())
      return Status::IOError("cannot delete '", dir_.uri, "/", kTemporaryDir, "': ", st.message());
    return Status::OK();
  }

 private:
  static bool Contains(const std::vector<std::string>& names, std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  }

  Status CheckWritable() const {
    if (already_complete_) return Status::Invalid("'", dir_.uri, "' is already complete");
    if (finished_) return Status::Invalid("'", dir_.uri, "' is already finished");
    return Status::OK();
  }

  Result<std::string> ReadObject(const std::string& key) {
    ARROW_ASSIGN_OR_RAISE(auto file, dir_.fs->OpenInputFile(key));
    ARROW_ASSIGN_OR_RAISE(int64_t size, file->GetSize());
    ARROW_ASSIGN_OR_RAISE(auto buffer, file->ReadAt(0, size));
    return buffer->ToString();
  }

  Status DeleteObject(const std::string& key) {
    Status st = dir_.fs->DeleteFile(key);
    if (!st.ok()) return Status::IOError("cannot delete 's3://", key, "': ", st.message());
    return Status::OK();
  }

  Status ScanCommittedPart(const std::string& key) {
    const std::string uri = "s3://" + key;
    ARROW_ASSIGN_OR_RAISE(auto input, dir_.fs->OpenInputFile(key));
    auto reader = parquet::arrow::OpenFile(input, arrow::default_memory_pool());
    if (!reader.ok()) {
      return Status::IOError("cannot read committed part '", uri, "': ", reader.status().message());
    }
    std::shared_ptr<arrow::Schema> schema;
    ARROW_RETURN_NOT_OK((*reader)->GetSchema(&schema));
    const int path_column = schema->GetFieldIndex("path");
    if (path_column < 0 || !schema->field(path_column)->type()->Equals(arrow::utf8())) {
      return Status::Invalid("committed part '", uri, "' has no string column 'path'");
    }
    std::shared_ptr<arrow::Table> table;
    ARROW_RETURN_NOT_OK((*reader)->ReadTable({path_column}, &table));
    for (const auto& chunk : table->column(0)->chunks()) {
      const auto& paths = static_cast<const arrow::StringArray&>(*chunk);
      for (int64_t i = 0; i < paths.length(); ++i) committed_paths_.emplace(paths.GetView(i));
    }
    rows_written_ += table->num_rows();
    return Status::OK();
  }

  Status OpenPart() {
    ARROW_ASSIGN_OR_RAISE(part_, ParquetFile::CreateObject(dir_.fs, Key(PartFileName(next_part_)),
                                                           FeatureSchema(), format_));
    return Status::OK();
  }

  Status FlushRowGroup() {
    if (!part_) ARROW_RETURN_NOT_OK(OpenPart());
    ARROW_RETURN_NOT_OK(row_group_.WriteTo(*part_));
    if (part_->rows() >= format_.rows_per_part) return CommitPart();
    return Status::OK();
  }

  Status CommitPart() {
    if (!part_) ARROW_RETURN_NOT_OK(OpenPart());
    ARROW_RETURN_NOT_OK(part_->Commit(Key(PartFileName(next_part_))));
    part_.reset();
    ++next_part_;
    return Status::OK();
  }

  Status WriteErrors() {
    ARROW_ASSIGN_OR_RAISE(
        auto file, ParquetFile::CreateObject(dir_.fs, Key(kErrorsFile), ErrorSchema(), format_));
    if (!errors_.empty()) {
      arrow::StringBuilder columns[3];
      for (const auto& error : errors_) {
        for (int c = 0; c < 3; ++c) ARROW_RETURN_NOT_OK(columns[c].Append(error[c]));
      }
      std::vector<std::shared_ptr<arrow::Array>> arrays(3);
      for (int c = 0; c < 3; ++c) ARROW_RETURN_NOT_OK(columns[c].Finish(&arrays[c]));
      ARROW_RETURN_NOT_OK(file->WriteRowGroups(*arrow::Table::Make(ErrorSchema(), arrays)));
    }
    return file->Commit(Key(kErrorsFile));
  }

  const StoragePath dir_;
  const int64_t feature_dim_;
  const PartFormat format_;
  FeatureRowGroup row_group_;
  LocalWorkDir work_;
  std::unique_ptr<ParquetFile> part_;
  int64_t next_part_ = 0;
  int64_t rows_written_ = 0;
  std::unordered_set<std::string> committed_paths_;
  std::vector<std::array<std::string, 3>> errors_;  // path, stage, error
  bool already_complete_ = false;
  bool finished_ = false;
};

// The names directly under the prefix ("_temporary" for anything below it).
Result<std::vector<std::string>> ListEntries(const StoragePath& dir) {
  arrow::fs::FileSelector selector;
  selector.base_dir = dir.path;
  selector.allow_not_found = true;
  selector.recursive = false;
  auto infos = dir.fs->GetFileInfo(selector);
  if (!infos.ok()) {
    return Status::IOError("OUTPUT '", dir.uri, "': ", infos.status().message());
  }
  std::vector<std::string> names;
  for (const auto& info : *infos) names.push_back(info.base_name());
  std::sort(names.begin(), names.end());
  return names;
}

// _SUCCESS first, so that a half-removed output is never taken for complete.
Status RemoveOldOutput(const StoragePath& dir, const std::vector<std::string>& entries) {
  for (const std::string& name : entries) {
    if (!IsOutputEntryName(name)) {
      return Status::Invalid("refusing to overwrite '", dir.uri, "': it holds '", name,
                             "', which is not part of an imgfeat output");
    }
  }
  std::vector<std::string> order = entries;
  std::stable_partition(order.begin(), order.end(),
                        [](const std::string& n) { return n == kSuccessFile; });
  for (const std::string& name : order) {
    const std::string key = JoinPath(dir.path, name);
    Status st = name == kTemporaryDir ? dir.fs->DeleteDir(key) : dir.fs->DeleteFile(key);
    if (!st.ok()) return Status::IOError("cannot remove 's3://", key, "': ", st.message());
  }
  return Status::OK();
}

}  // namespace

Status PutObject(arrow::fs::FileSystem& fs, const std::string& path, std::string_view contents) {
  auto sink = fs.OpenOutputStream(path);
  Status st = sink.status();
  if (st.ok()) st = (*sink)->Write(contents.data(), static_cast<int64_t>(contents.size()));
  if (st.ok()) st = (*sink)->Close();
  if (!st.ok()) {
    if (sink.ok()) (void)(*sink)->Abort();
    return Status::IOError("cannot write 's3://", path, "': ", st.message());
  }
  return Status::OK();
}

Result<std::unique_ptr<DatasetWriter>> OpenObjectDatasetWriter(const StoragePath& dir,
                                                               int64_t feature_dim,
                                                               const std::string& params_document,
                                                               const PartFormat& format,
                                                               const DatasetOptions& options) {
  const std::string bucket = dir.path.substr(0, dir.path.find('/'));
  auto bucket_info = dir.fs->GetFileInfo(bucket);
  if (!bucket_info.ok()) {
    return Status::IOError("OUTPUT '", dir.uri, "': ", bucket_info.status().message());
  }
  if (bucket_info->type() == FileType::NotFound) {
    return Status::IOError("OUTPUT '", dir.uri, "': bucket '", bucket, "' does not exist");
  }
  if (bucket == dir.path) {
    return Status::Invalid("OUTPUT '", dir.uri, "' is a whole bucket: give a prefix, s3://", bucket,
                           "/NAME");
  }
  ARROW_ASSIGN_OR_RAISE(auto object, dir.fs->GetFileInfo(dir.path));
  if (object.type() == FileType::File) {
    return Status::Invalid("OUTPUT '", dir.uri, "' is an object, not a prefix");
  }
  ARROW_ASSIGN_OR_RAISE(std::vector<std::string> entries, ListEntries(dir));
  ARROW_ASSIGN_OR_RAISE(auto row_group,
                        FeatureRowGroup::Make(feature_dim, format.rows_per_row_group));
  ARROW_ASSIGN_OR_RAISE(LocalWorkDir work, LocalWorkDir::Make());
  auto writer = std::make_unique<ObjectDatasetWriter>(dir, feature_dim, format,
                                                      std::move(row_group), std::move(work));
  if (entries.empty()) {
    ARROW_RETURN_NOT_OK(writer->OpenFresh(params_document));
  } else if (options.resume) {
    ARROW_RETURN_NOT_OK(writer->OpenResumed(entries, params_document));
  } else if (options.overwrite) {
    ARROW_RETURN_NOT_OK(RemoveOldOutput(dir, entries));
    ARROW_RETURN_NOT_OK(writer->OpenFresh(params_document));
  } else {
    return Status::Invalid("OUTPUT '", dir.uri,
                           "' already exists and is not empty: choose another prefix, or "
                           "--overwrite it, or --resume the interrupted run in it");
  }
  return writer;
}

}  // namespace imgfeat::dataset
