// The crash-safe Parquet output folder (see imgfeat/dataset.h, docs/FORMAT.md).
//
// Invariant: every name directly under OUTPUT is complete. Files are written
// in OUTPUT/_temporary/ under a ".tmp" name, flushed, then renamed into place;
// _SUCCESS comes last. A crash therefore leaves whole parts plus leftovers in
// _temporary/, which a resume discards.
#include <arrow/api.h>
#include <arrow/io/file.h>
#include <fcntl.h>
#include <parquet/arrow/reader.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <system_error>

#include "dataset/durable_file.h"
#include "dataset/output_layout.h"
#include "dataset/parquet_part.h"
#include "dataset/run_params.h"
#include "imgfeat/dataset.h"
#include "io/path_util.h"

namespace imgfeat {
namespace {

using namespace dataset;  // NOLINT: this file implements the dataset stage

constexpr std::string_view kLockFile = "lock";

bool Contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool IsDir(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// An open file descriptor holding an exclusive lock on a work folder, so
// that two processes never write one OUTPUT. The lock dies with the process.
class WorkDirLock {
 public:
  static Result<WorkDirLock> Acquire(const std::string& output, const std::string& work_dir) {
    std::string path = JoinPath(work_dir, kLockFile);
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return Status::IOError("cannot open '", path, "': ", std::strerror(errno));
    WorkDirLock lock(fd);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) {
        return Status::IOError("OUTPUT '", output, "' is being written by another process");
      }
      return Status::IOError("cannot lock '", path, "': ", std::strerror(errno));
    }
    return lock;
  }
  WorkDirLock() = default;
  WorkDirLock(WorkDirLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  WorkDirLock& operator=(WorkDirLock&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  ~WorkDirLock() {
    if (fd_ >= 0) ::close(fd_);
  }

 private:
  explicit WorkDirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

Status CreateDirDurably(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create '", dir, "': ", ec.message());
  return SyncDir(std::string(DirName(dir)));
}

class ParquetDatasetWriter final : public DatasetWriter {
 public:
  ParquetDatasetWriter(std::string dir, int64_t feature_dim, PartFormat format,
                       FeatureRowGroup row_group)
      : dir_(std::move(dir)),
        work_dir_(JoinPath(dir_, kTemporaryDir)),
        feature_dim_(feature_dim),
        format_(format),
        row_group_(std::move(row_group)) {}

  Status OpenFresh(const std::string& params_document) {
    ARROW_RETURN_NOT_OK(CreateDirDurably(work_dir_));
    ARROW_ASSIGN_OR_RAISE(lock_, WorkDirLock::Acquire(dir_, work_dir_));
    return WriteFileAtomically(TmpPath(std::string(kRunParamsFile)),
                               JoinPath(work_dir_, kRunParamsFile), params_document);
  }

  Status OpenResumed(const std::vector<std::string>& entries, const std::string& params_document) {
    if (Contains(entries, kSuccessFile)) {
      already_complete_ = true;
      return Status::OK();
    }
    const std::string stored_path = JoinPath(work_dir_, kRunParamsFile);
    if (!IsDir(work_dir_) || ::access(stored_path.c_str(), F_OK) != 0) {
      return Status::Invalid("cannot resume '", dir_, "': it has no ", kTemporaryDir, "/",
                             kRunParamsFile, ", so it is not an interrupted imgfeat run");
    }
    ARROW_ASSIGN_OR_RAISE(lock_, WorkDirLock::Acquire(dir_, work_dir_));
    ARROW_ASSIGN_OR_RAISE(std::string stored, ReadWholeFile(stored_path));
    ARROW_ASSIGN_OR_RAISE(auto difference, FirstDifference(stored, params_document));
    if (difference) {
      return Status::Invalid("cannot resume '", dir_, "': run parameter '", difference->key,
                             "' differs (stored ", difference->stored, ", now ",
                             difference->current, ")");
    }
    ARROW_RETURN_NOT_OK(DiscardLeftovers());
    for (const std::string& name : entries) {
      if (auto number = ParsePartFileName(name)) {
        ARROW_RETURN_NOT_OK(ScanCommittedPart(JoinPath(dir_, name)));
        next_part_ = std::max(next_part_, *number + 1);
      }
    }
    return Status::OK();
  }

  const std::unordered_set<std::string>& committed_paths() const override {
    return committed_paths_;
  }
  bool already_complete() const override { return already_complete_; }
  std::string work_dir() const override { return work_dir_; }
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
      return Status::Invalid("the manifest for '", dir_, "' is not valid JSON");
    }
    if (row_group_.size() > 0) ARROW_RETURN_NOT_OK(FlushRowGroup());
    // An output with no row still has one (empty) part, so that readers find
    // its schema.
    if (part_ || next_part_ == 0) ARROW_RETURN_NOT_OK(CommitPart());
    ARROW_RETURN_NOT_OK(WriteErrors());
    ARROW_RETURN_NOT_OK(WriteFileAtomically(TmpPath(std::string(kManifestFile)),
                                            JoinPath(dir_, kManifestFile), manifest_json));
    ARROW_RETURN_NOT_OK(
        WriteFileAtomically(TmpPath(std::string(kSuccessFile)), JoinPath(dir_, kSuccessFile), ""));
    finished_ = true;
    ARROW_RETURN_NOT_OK(RemoveTree(work_dir_));
    return SyncDir(dir_);
  }

 private:
  std::string TmpPath(const std::string& name) const {
    return JoinPath(work_dir_, name + std::string(kTmpSuffix));
  }

  Status CheckWritable() const {
    if (already_complete_) return Status::Invalid("'", dir_, "' is already complete");
    if (finished_) return Status::Invalid("'", dir_, "' is already finished");
    return Status::OK();
  }

  // Files this writer left half-written in a crash. Other stages' work files
  // in the same folder are theirs to judge, and kept.
  Status DiscardLeftovers() {
    ARROW_ASSIGN_OR_RAISE(auto names, ListDir(work_dir_));
    for (const std::string& name : names) {
      if (name.ends_with(kTmpSuffix)) {
        ARROW_RETURN_NOT_OK(RemoveFileIfExists(JoinPath(work_dir_, name)));
      }
    }
    // A crash inside Finish, before _SUCCESS: these are rewritten at the end.
    ARROW_RETURN_NOT_OK(RemoveFileIfExists(JoinPath(dir_, kManifestFile)));
    ARROW_RETURN_NOT_OK(RemoveFileIfExists(JoinPath(dir_, kErrorsFile)));
    ARROW_RETURN_NOT_OK(RemoveFileIfExists(JoinPath(dir_, kDistortionFile)));
    return SyncDir(dir_);
  }

  Status ScanCommittedPart(const std::string& path) {
    ARROW_ASSIGN_OR_RAISE(auto input, arrow::io::ReadableFile::Open(path));
    auto reader = parquet::arrow::OpenFile(input, arrow::default_memory_pool());
    if (!reader.ok()) {
      return Status::IOError("cannot read committed part '", path,
                             "': ", reader.status().message());
    }
    std::shared_ptr<arrow::Schema> schema;
    ARROW_RETURN_NOT_OK((*reader)->GetSchema(&schema));
    const int path_column = schema->GetFieldIndex("path");
    if (path_column < 0 || !schema->field(path_column)->type()->Equals(arrow::utf8())) {
      return Status::Invalid("committed part '", path, "' has no string column 'path'");
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

  Status FlushRowGroup() {
    if (!part_) {
      ARROW_ASSIGN_OR_RAISE(
          part_, ParquetFile::Create(TmpPath(PartFileName(next_part_)), FeatureSchema(), format_));
    }
    ARROW_RETURN_NOT_OK(row_group_.WriteTo(*part_));
    if (part_->rows() >= format_.rows_per_part) return CommitPart();
    return Status::OK();
  }

  Status CommitPart() {
    if (!part_) {
      ARROW_ASSIGN_OR_RAISE(
          part_, ParquetFile::Create(TmpPath(PartFileName(next_part_)), FeatureSchema(), format_));
    }
    ARROW_RETURN_NOT_OK(part_->Commit(JoinPath(dir_, PartFileName(next_part_))));
    part_.reset();
    ++next_part_;
    return Status::OK();
  }

  Status WriteErrors() {
    ARROW_ASSIGN_OR_RAISE(
        auto file, ParquetFile::Create(TmpPath(std::string(kErrorsFile)), ErrorSchema(), format_));
    if (!errors_.empty()) {
      arrow::StringBuilder columns[3];
      for (const auto& error : errors_) {
        for (int c = 0; c < 3; ++c) ARROW_RETURN_NOT_OK(columns[c].Append(error[c]));
      }
      std::vector<std::shared_ptr<arrow::Array>> arrays(3);
      for (int c = 0; c < 3; ++c) ARROW_RETURN_NOT_OK(columns[c].Finish(&arrays[c]));
      auto table = arrow::Table::Make(ErrorSchema(), arrays);
      ARROW_RETURN_NOT_OK(file->WriteRowGroups(*table));
    }
    return file->Commit(JoinPath(dir_, kErrorsFile));
  }

  const std::string dir_;
  const std::string work_dir_;
  const int64_t feature_dim_;
  const PartFormat format_;
  WorkDirLock lock_;
  FeatureRowGroup row_group_;
  std::unique_ptr<ParquetFile> part_;  // the part being written, if any
  int64_t next_part_ = 0;
  int64_t rows_written_ = 0;
  std::unordered_set<std::string> committed_paths_;
  std::vector<std::array<std::string, 3>> errors_;  // path, stage, error
  bool already_complete_ = false;
  bool finished_ = false;
};

// Removes an earlier output, _SUCCESS first so that a half-removed folder is
// never taken for a complete one. Refuses any folder holding a name imgfeat
// does not write.
Status RemoveOldOutput(const std::string& dir, const std::vector<std::string>& entries) {
  for (const std::string& name : entries) {
    if (!IsOutputEntryName(name)) {
      return Status::Invalid("refusing to overwrite '", dir, "': it holds '", name,
                             "', which is not part of an imgfeat output");
    }
  }
  const std::string work_dir = JoinPath(dir, kTemporaryDir);
  WorkDirLock lock;
  if (IsDir(work_dir)) {
    ARROW_ASSIGN_OR_RAISE(lock, WorkDirLock::Acquire(dir, work_dir));
  }
  ARROW_RETURN_NOT_OK(RemoveFileIfExists(JoinPath(dir, kSuccessFile)));
  ARROW_RETURN_NOT_OK(SyncDir(dir));
  for (const std::string& name : entries) {
    if (name == kTemporaryDir) continue;
    ARROW_RETURN_NOT_OK(RemoveFileIfExists(JoinPath(dir, name)));
  }
  ARROW_RETURN_NOT_OK(RemoveTree(work_dir));
  return SyncDir(dir);
}

}  // namespace

Result<std::unique_ptr<DatasetWriter>> DatasetWriter::Open(const std::string& dir,
                                                           int64_t feature_dim,
                                                           const std::string& run_params_json,
                                                           const DatasetOptions& options) {
  if (options.overwrite && options.resume) {
    return Status::Invalid("overwrite and resume cannot be combined");
  }
  ARROW_ASSIGN_OR_RAISE(PartFormat format, MakePartFormat(options, feature_dim));
  ARROW_ASSIGN_OR_RAISE(std::string params_document,
                        MakeRunParamsDocument(run_params_json, feature_dim));
  ARROW_ASSIGN_OR_RAISE(std::string abs_dir, AbsolutePath(dir));

  std::vector<std::string> entries;
  struct stat st;
  if (::stat(abs_dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return Status::Invalid("OUTPUT '", dir, "' is not a folder");
    ARROW_ASSIGN_OR_RAISE(entries, ListDir(abs_dir));
  } else if (errno != ENOENT) {
    return Status::IOError("OUTPUT '", dir, "': ", std::strerror(errno));
  }

  ARROW_ASSIGN_OR_RAISE(auto row_group,
                        FeatureRowGroup::Make(feature_dim, format.rows_per_row_group));
  auto writer =
      std::make_unique<ParquetDatasetWriter>(abs_dir, feature_dim, format, std::move(row_group));
  if (entries.empty()) {
    ARROW_RETURN_NOT_OK(writer->OpenFresh(params_document));
  } else if (options.resume) {
    ARROW_RETURN_NOT_OK(writer->OpenResumed(entries, params_document));
  } else if (options.overwrite) {
    ARROW_RETURN_NOT_OK(RemoveOldOutput(abs_dir, entries));
    ARROW_RETURN_NOT_OK(writer->OpenFresh(params_document));
  } else {
    return Status::Invalid("OUTPUT '", dir,
                           "' already exists and is not empty: choose another folder, or "
                           "--overwrite it, or --resume the interrupted run in it");
  }
  return writer;
}

}  // namespace imgfeat
