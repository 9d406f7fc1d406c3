// The crash-safe Parquet output folder (see imgfeat/dataset.h, docs/FORMAT.md).
//
// Invariant: every name directly under OUTPUT is complete. Files are written
// in OUTPUT/_temporary/ under a ".tmp" name, flushed, then renamed into place;
// _SUCCESS comes last. A crash therefore leaves whole parts plus leftovers in
// _temporary/, which a resume discards.
#include <arrow/api.h>
#include <arrow/io/file.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "dataset/durable_file.h"
#include "dataset/object_dataset_writer.h"
#include "dataset/output_layout.h"
#include "dataset/parquet_part.h"
#include "dataset/parted_dataset_writer.h"
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

class ParquetDatasetWriter final : public PartedDatasetWriter {
 public:
  ParquetDatasetWriter(std::string dir, int64_t feature_dim, PartFormat format,
                       FeatureRowGroup row_group)
      : PartedDatasetWriter(dir, feature_dim, format, std::move(row_group)),
        dir_(std::move(dir)),
        work_dir_(JoinPath(dir_, kTemporaryDir)),
        format_(format) {}

  Status OpenFresh(const std::string& params_document) {
    ARROW_RETURN_NOT_OK(CreateDirDurably(work_dir_));
    ARROW_ASSIGN_OR_RAISE(lock_, WorkDirLock::Acquire(dir_, work_dir_));
    return WriteFileAtomically(TmpPath(kRunParamsFile), JoinPath(work_dir_, kRunParamsFile),
                               params_document);
  }

  Status OpenResumed(const std::vector<std::string>& entries, const std::string& params_document) {
    if (Contains(entries, kSuccessFile)) {
      MarkComplete();
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
        ARROW_RETURN_NOT_OK(AdoptCommittedPart(name, *number));
      }
    }
    return Status::OK();
  }

  std::string work_dir() const override { return work_dir_; }

 private:
  std::string TmpPath(std::string_view name) const {
    return JoinPath(work_dir_, std::string(name) + std::string(kTmpSuffix));
  }

  Result<std::unique_ptr<ParquetFile>> CreateFile(std::string_view name,
                                                  std::shared_ptr<arrow::Schema> schema) override {
    return ParquetFile::Create(TmpPath(name), std::move(schema), format_);
  }
  std::string FinalPath(std::string_view name) const override { return JoinPath(dir_, name); }
  std::string DisplayPath(std::string_view name) const override { return JoinPath(dir_, name); }
  Status Publish(std::string_view name, const std::string& contents) override {
    return WriteFileAtomically(TmpPath(name), JoinPath(dir_, name), contents);
  }
  Result<std::shared_ptr<arrow::io::RandomAccessFile>> OpenCommitted(
      std::string_view name) override {
    return arrow::io::ReadableFile::Open(JoinPath(dir_, name));
  }
  Status RemoveWork() override {
    ARROW_RETURN_NOT_OK(RemoveTree(work_dir_));
    return SyncDir(dir_);
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

  const std::string dir_;
  const std::string work_dir_;
  const PartFormat format_;
  WorkDirLock lock_;
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
  ARROW_ASSIGN_OR_RAISE(std::string params_document,
                        MakeRunParamsDocument(run_params_json, feature_dim));
  if (IsS3Uri(dir)) {
    DatasetOptions object_options = options;
    if (object_options.rows_per_part == 0 && feature_dim > 0) {
      object_options.rows_per_part = std::max<int64_t>(1, kObjectPartRawBytes / (feature_dim * 4));
    }
    ARROW_ASSIGN_OR_RAISE(PartFormat format, MakePartFormat(object_options, feature_dim));
    ARROW_ASSIGN_OR_RAISE(StoragePath where, ResolveStorage(dir));
    return OpenObjectDatasetWriter(where, feature_dim, params_document, format, options);
  }
  ARROW_ASSIGN_OR_RAISE(PartFormat format, MakePartFormat(options, feature_dim));
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
