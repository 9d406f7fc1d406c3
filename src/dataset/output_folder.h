// An output's folder wherever it lives: a local folder or an s3:// prefix,
// both reached through arrow::fs (imgfeat/storage.h). Listing, reading,
// opening and removing are the same code for both; the one thing that
// differs, how a file becomes visible whole, is the folder's Durability:
//   - on disk, a file is staged as NAME.tmp in _temporary/, flushed, renamed
//     into place and the folder flushed (a power loss keeps whole files);
//   - on S3, an object appears only once its upload completes, so a file is
//     written straight to its key, and a failed one is aborted.
#pragma once

#include <arrow/filesystem/filesystem.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dataset/parquet_part.h"
#include "imgfeat/storage.h"

namespace imgfeat::dataset {

// The storage-specific half of an OutputFolder (output_folder.cc has both).
class Durability {
 public:
  virtual ~Durability() = default;
  // A Parquet file that appears as `name` (relative to the folder) when
  // committed with FinalPath(name).
  virtual Result<std::unique_ptr<ParquetFile>> CreateParquet(std::string_view name,
                                                             std::shared_ptr<arrow::Schema> schema,
                                                             const PartFormat& format) = 0;
  // Writes a small file so that it appears whole or not at all.
  virtual Status Publish(std::string_view name, std::string_view contents) = 0;
  // Makes the folder's entries (renames, removals) durable.
  virtual Status SyncEntries() = 0;
  // Creates the work folder and keeps other processes out of OUTPUT while
  // this one writes it (disk: an flock; S3 has no lock, see docs/S3.md).
  virtual Status Claim() = 0;
  // Discards files left half-written by a crash (disk: the .tmp files).
  virtual Status DiscardStaged() = 0;
  // Local folder for work files that a resume can find again (disk:
  // OUTPUT/_temporary; S3: a local temporary folder, removed with this).
  virtual std::string work_dir() const = 0;
};

class OutputFolder {
 public:
  // Resolves OUTPUT. Fails when it is a file (an object), a whole bucket, or
  // in a bucket that does not exist.
  static Result<std::unique_ptr<OutputFolder>> Open(const std::string& dir);

  const std::string& uri() const { return where_.uri; }
  bool is_s3() const { return where_.is_s3; }
  // What messages call entry `name`: a local path or an s3:// URI.
  std::string DisplayPath(std::string_view name) const;
  // The path in the file system (ParquetFile::Commit's argument).
  std::string FinalPath(std::string_view name) const;

  // The names directly under the folder, sorted; none when it does not exist.
  Result<std::vector<std::string>> List() const;
  Result<std::string> Read(std::string_view name) const;
  Result<std::shared_ptr<arrow::io::RandomAccessFile>> OpenInput(std::string_view name) const;
  // Removes entry `name` (a file, or the _temporary tree); a missing one is fine.
  Status Remove(std::string_view name);

  Durability& durability() { return *durability_; }

 private:
  OutputFolder(StoragePath where, std::unique_ptr<Durability> durability)
      : where_(std::move(where)), durability_(std::move(durability)) {}

  StoragePath where_;
  std::unique_ptr<Durability> durability_;
};

// Rows per part on an object store: parts of at most 8 MiB of raw features
// stay under the 10 MiB at which Arrow switches from one PUT to a multipart
// upload, so that a killed run can leave no unfinished upload behind.
int64_t ObjectStoreRowsPerPart(int64_t feature_dim);

// Writes `contents` to `path` in `fs` as one object (one PUT on S3), which
// appears only when whole.
Status PutObject(arrow::fs::FileSystem& fs, const std::string& path, std::string_view contents);

}  // namespace imgfeat::dataset
