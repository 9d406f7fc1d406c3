// Finding the images of a dataset and labelling them.
//
// ImageLister walks a folder tree lazily, in a deterministic order, so that
// memory does not grow with the number of files. Labeler derives a label from
// a file's path. A lister is used by one thread; a Labeler is immutable and
// thread-safe once made.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imgfeat/status.h"

namespace re2 {
class RE2;
}  // namespace re2

namespace imgfeat {

// What Spark's binaryFile source gives for a file, less the content.
struct ImageFile {
  std::string path;                  // absolute, normalized, never renamed; or s3://bucket/key
  int64_t modification_time_us = 0;  // microseconds since the Unix epoch (UTC)
  int64_t length = 0;                // bytes
};

// How a listed file is read (--input-format; see imgfeat/shards.h).
enum class InputFormat {
  kAuto,        // by name: .tar is a WebDataset shard, .parquet a Parquet shard,
                // any other an image (a shard's content is checked when read)
  kFiles,       // every listed file is one image
  kWebDataset,  // every listed file is a tar shard
  kParquet,     // every listed file is a Parquet shard
};

Result<InputFormat> ParseInputFormat(std::string_view name);
const char* InputFormatName(InputFormat format);

struct ListOptions {
  // Shell-style pattern matched against the file name (fnmatch, e.g. "*.jpg").
  // Empty: any file whose extension is an image extension, case-insensitively:
  // .jpg .jpeg .png .webp .bmp .tif .tiff (and .gif), and the shards' (.tar,
  // .parquet) that `format` reads.
  std::string glob;
  InputFormat format = InputFormat::kAuto;
  // Follow symbolic links to files and folders (cycles are detected).
  bool follow_symlinks = true;
};

class ImageLister {
 public:
  // Fails if `root` does not exist or is not a readable folder. A root that is
  // a single file lists that file. An s3://bucket/prefix root lists the
  // objects under the prefix page by page, in key order (see imgfeat/storage.h).
  static Result<std::unique_ptr<ImageLister>> Open(const std::string& root,
                                                   const ListOptions& options = {});
  virtual ~ImageLister() = default;

  // The next matching file, or std::nullopt at the end. Files come in order of
  // their path components, each folder's entries sorted by byte value.
  // Unreadable sub-folders are skipped and reported through Skipped().
  virtual Result<std::optional<ImageFile>> Next() = 0;

  // Paths that could not be listed, with a one-line reason each.
  virtual std::vector<std::pair<std::string, std::string>> Skipped() const = 0;
};

class Labeler {
 public:
  // Empty `regex`: the default label, the name of the file's parent folder
  // with any trailing run of non-letters removed ("Apple Golden 1" -> "Apple
  // Golden", "Cherry_2" -> "Cherry"), what the reference notebook's
  // regexp_extract gives. Otherwise a regular expression searched in the
  // file's path bytes; its first capture group is the label. The engine is
  // RE2 (linear time in the path, whatever the expression: a user's
  // expression runs on every path of the listing); its syntax is
  // ECMAScript's without backreferences and lookaround. Fails if the
  // expression does not compile or has no capture group.
  static Result<Labeler> Make(const std::string& regex = "");

  // The label of `path`; empty when the path does not match.
  std::string LabelFor(std::string_view path) const;
  // The label of a shard's sample SHARD#KEY: the regex searches the sample's
  // path, the default rule takes the folder of the shard.
  std::string LabelForSample(std::string_view shard, std::string_view sample_path) const {
    return LabelFor(regex_ ? sample_path : shard);
  }

 private:
  std::shared_ptr<const re2::RE2> regex_;  // immutable, so shared by copies and threads
};

}  // namespace imgfeat
