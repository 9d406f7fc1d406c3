#include "dataset/output_folder.h"

#include <arrow/api.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <utility>

#include "dataset/durable_file.h"
#include "dataset/output_layout.h"
#include "io/path_util.h"

namespace imgfeat::dataset {
namespace {

using arrow::fs::FileType;

constexpr std::string_view kLockFile = "lock";

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

class DiskDurability final : public Durability {
 public:
  explicit DiskDurability(std::string dir)
      : dir_(std::move(dir)), work_dir_(JoinPath(dir_, kTemporaryDir)) {}

  Result<std::unique_ptr<ParquetFile>> CreateParquet(std::string_view name,
                                                     std::shared_ptr<arrow::Schema> schema,
                                                     const PartFormat& format) override {
    return ParquetFile::Create(StagedPath(name), std::move(schema), format);
  }
  Status Publish(std::string_view name, std::string_view contents) override {
    return WriteFileAtomically(StagedPath(name), JoinPath(dir_, name), contents);
  }
  Status SyncEntries() override { return SyncDir(dir_); }
  // Called again after an overwrite removed the work folder: the lock then
  // held is on a removed file, so it is given up and taken on the new one.
  Status Claim() override {
    ARROW_RETURN_NOT_OK(CreateDirDurably(work_dir_));
    lock_ = WorkDirLock();
    ARROW_ASSIGN_OR_RAISE(lock_, WorkDirLock::Acquire(dir_, work_dir_));
    return Status::OK();
  }
  // Files this writer left half-written in a crash. Other stages' work files
  // in the same folder are theirs to judge, and kept.
  Status DiscardStaged() override {
    ARROW_ASSIGN_OR_RAISE(auto names, ListDir(work_dir_));
    for (const std::string& name : names) {
      if (name.ends_with(kTmpSuffix)) {
        ARROW_RETURN_NOT_OK(RemoveFileIfExists(JoinPath(work_dir_, name)));
      }
    }
    return Status::OK();
  }
  std::string work_dir() const override { return work_dir_; }

 private:
  // Every file is staged in the work folder under its base name + ".tmp".
  std::string StagedPath(std::string_view name) const {
    std::string base(name.substr(name.rfind('/') + 1));
    return JoinPath(work_dir_, base + std::string(kTmpSuffix));
  }

  const std::string dir_, work_dir_;
  WorkDirLock lock_;
};

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

class ObjectStoreDurability final : public Durability {
 public:
  ObjectStoreDurability(StoragePath where, LocalWorkDir work)
      : where_(std::move(where)), work_(std::move(work)) {}

  Result<std::unique_ptr<ParquetFile>> CreateParquet(std::string_view name,
                                                     std::shared_ptr<arrow::Schema> schema,
                                                     const PartFormat& format) override {
    return ParquetFile::CreateObject(where_.fs, JoinPath(where_.path, name), std::move(schema),
                                     format);
  }
  Status Publish(std::string_view name, std::string_view contents) override {
    return PutObject(*where_.fs, JoinPath(where_.path, name), contents);
  }
  Status SyncEntries() override { return Status::OK(); }
  Status Claim() override { return Status::OK(); }
  Status DiscardStaged() override { return Status::OK(); }  // unfinished uploads never appear
  std::string work_dir() const override { return work_.path(); }

 private:
  const StoragePath where_;
  LocalWorkDir work_;
};

// S3 output must be a prefix inside a bucket that exists.
Status CheckBucket(const StoragePath& where) {
  const std::string bucket = where.path.substr(0, where.path.find('/'));
  auto bucket_info = where.fs->GetFileInfo(bucket);
  if (!bucket_info.ok()) {
    return Status::IOError("OUTPUT '", where.uri, "': ", bucket_info.status().message());
  }
  if (bucket_info->type() == FileType::NotFound) {
    return Status::IOError("OUTPUT '", where.uri, "': bucket '", bucket, "' does not exist");
  }
  if (bucket == where.path) {
    return Status::Invalid("OUTPUT '", where.uri, "' is a whole bucket: give a prefix, s3://",
                           bucket, "/NAME");
  }
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<OutputFolder>> OutputFolder::Open(const std::string& dir) {
  ARROW_ASSIGN_OR_RAISE(StoragePath where, ResolveStorage(dir));
  if (where.is_s3) ARROW_RETURN_NOT_OK(CheckBucket(where));
  auto info = where.fs->GetFileInfo(where.path);
  if (!info.ok()) return Status::IOError("OUTPUT '", where.uri, "': ", info.status().message());
  if (info->type() == FileType::File) {
    return Status::Invalid("OUTPUT '", where.uri, "' is ",
                           where.is_s3 ? "an object, not a prefix" : "not a folder");
  }
  std::unique_ptr<Durability> durability;
  if (where.is_s3) {
    ARROW_ASSIGN_OR_RAISE(LocalWorkDir work, LocalWorkDir::Make());
    durability = std::make_unique<ObjectStoreDurability>(where, std::move(work));
  } else {
    durability = std::make_unique<DiskDurability>(where.path);
  }
  return std::unique_ptr<OutputFolder>(new OutputFolder(std::move(where), std::move(durability)));
}

std::string OutputFolder::DisplayPath(std::string_view name) const {
  return JoinPath(where_.uri, name);
}

std::string OutputFolder::FinalPath(std::string_view name) const {
  return JoinPath(where_.path, name);
}

Result<std::vector<std::string>> OutputFolder::List() const {
  arrow::fs::FileSelector selector;
  selector.base_dir = where_.path;
  selector.allow_not_found = true;
  selector.recursive = false;
  auto infos = where_.fs->GetFileInfo(selector);
  if (!infos.ok()) return Status::IOError("OUTPUT '", uri(), "': ", infos.status().message());
  std::vector<std::string> names;
  for (const auto& info : *infos) names.push_back(info.base_name());
  std::sort(names.begin(), names.end());
  return names;
}

Result<std::string> OutputFolder::Read(std::string_view name) const {
  ARROW_ASSIGN_OR_RAISE(auto file, OpenInput(name));
  ARROW_ASSIGN_OR_RAISE(int64_t size, file->GetSize());
  ARROW_ASSIGN_OR_RAISE(auto buffer, file->ReadAt(0, size));
  return buffer->ToString();
}

Result<std::shared_ptr<arrow::io::RandomAccessFile>> OutputFolder::OpenInput(
    std::string_view name) const {
  return where_.fs->OpenInputFile(FinalPath(name));
}

Status OutputFolder::Remove(std::string_view name) {
  const std::string path = FinalPath(name);
  ARROW_ASSIGN_OR_RAISE(auto info, where_.fs->GetFileInfo(path));
  Status st;
  if (info.type() == FileType::Directory) {
    st = where_.fs->DeleteDir(path);
  } else if (info.type() != FileType::NotFound) {
    st = where_.fs->DeleteFile(path);
  }
  if (!st.ok()) return Status::IOError("cannot remove '", DisplayPath(name), "': ", st.message());
  return Status::OK();
}

int64_t ObjectStoreRowsPerPart(int64_t feature_dim) {
  constexpr int64_t kObjectPartRawBytes = int64_t{8} << 20;
  return std::max<int64_t>(1, kObjectPartRawBytes / (std::max<int64_t>(1, feature_dim) * 4));
}

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

}  // namespace imgfeat::dataset
