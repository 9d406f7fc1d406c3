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

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "dataset/output_layout.h"
#include "dataset/parted_dataset_writer.h"
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

class ObjectDatasetWriter final : public PartedDatasetWriter {
 public:
  ObjectDatasetWriter(StoragePath dir, int64_t feature_dim, PartFormat format,
                      FeatureRowGroup row_group, LocalWorkDir work)
      : PartedDatasetWriter(dir.uri, feature_dim, format, std::move(row_group)),
        dir_(std::move(dir)),
        format_(format),
        work_(std::move(work)) {}

  Status OpenFresh(const std::string& params_document) {
    return PutObject(*dir_.fs, RunParamsKey(), params_document);
  }

  Status OpenResumed(const std::vector<std::string>& entries, const std::string& params_document) {
    if (Contains(entries, kSuccessFile)) {
      MarkComplete();
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
        ARROW_RETURN_NOT_OK(AdoptCommittedPart(name, *number));
      }
    }
    return Status::OK();
  }

  std::string work_dir() const override { return work_.path(); }

 private:
  static bool Contains(const std::vector<std::string>& names, std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  }

  std::string Key(std::string_view name) const { return JoinPath(dir_.path, name); }
  std::string RunParamsKey() const { return JoinPath(Key(kTemporaryDir), kRunParamsFile); }

  Result<std::unique_ptr<ParquetFile>> CreateFile(std::string_view name,
                                                  std::shared_ptr<arrow::Schema> schema) override {
    return ParquetFile::CreateObject(dir_.fs, Key(name), std::move(schema), format_);
  }
  std::string FinalPath(std::string_view name) const override { return Key(name); }
  std::string DisplayPath(std::string_view name) const override { return "s3://" + Key(name); }
  Status Publish(std::string_view name, const std::string& contents) override {
    return PutObject(*dir_.fs, Key(name), contents);
  }
  Result<std::shared_ptr<arrow::io::RandomAccessFile>> OpenCommitted(
      std::string_view name) override {
    return dir_.fs->OpenInputFile(Key(name));
  }
  // The whole folder: deleting its last object would make Arrow leave a
  // folder marker in its place.
  Status RemoveWork() override {
    Status st = dir_.fs->DeleteDir(Key(kTemporaryDir));
    if (!st.ok())
      return Status::IOError("cannot delete '", dir_.uri, "/", kTemporaryDir, "': ", st.message());
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

  const StoragePath dir_;
  const PartFormat format_;
  LocalWorkDir work_;
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
