// Images packed in shards: WebDataset tar files and Parquet files with the
// image bytes in a column (img2dataset's and Hugging Face's layouts).
//
// A shard yields samples, each named SHARD#KEY: KEY is the WebDataset key
// (a member's path up to the first dot of its base name) or the Parquet `key`
// column, else the row's index in the file. A shard is streamed (a tar in
// large sequential parts read ahead, a Parquet file by row group), so memory
// depends neither on the shard's size nor on the input's. docs/FORMAT.md
// ("Shards") describes it for users.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imgfeat/listing.h"
#include "imgfeat/status.h"

namespace arrow {
class Buffer;
}

namespace imgfeat {

// A run of consecutive row groups of a Parquet shard: a large file is split
// between Spark tasks by row group (SplitParquetShard).
struct ShardSlice {
  int first_row_group = 0;
  int row_groups = 0;  // 0: to the end of the file
};

struct ShardOptions {
  // Parquet: the column holding the images (binary, or a struct with a
  // `bytes` field); empty: `image` (Hugging Face), else the one binary column
  // named jpg, jpeg, png or webp (img2dataset).
  std::string image_column;
  // Where a sample's label comes from, instead of its path: a Parquet
  // column, a tar sample's member by extension ("cls", "txt"), or a field of
  // its .json member ("json.FIELD"). Empty: the path decides (Labeler).
  std::string label_field;
  // Metadata copied into the output rows, one string column each: a Parquet
  // column (its text), or for a tar sample the member of that extension
  // ("txt": its text), a field of its .json member ("json.NAME", or a bare
  // NAME that no member's extension matches). Null where a sample lacks it.
  std::vector<std::string> keep_columns;
  // Bytes per read of a tar shard (one ranged GET on S3) and reads kept in
  // flight ahead of the parser.
  int64_t part_bytes = int64_t{16} << 20;
  int parts_ahead = 2;
  // A sample larger than this is refused (read past, reported).
  int64_t max_sample_bytes = int64_t{512} << 20;
  // Parquet: read only these row groups (keys and row indexes stay those of
  // the whole file). A file that cannot be opened is reported by the slice
  // that starts at row group 0 only, so that an error is one row.
  ShardSlice slice;
};

// Whether a listed file is read as a shard under `format`, and which kind.
// kFiles for a loose image.
InputFormat ShardFormatOf(const ImageFile& file, InputFormat format);

// One sample of a shard: its image bytes, or why there is none.
struct ShardSample {
  std::string path;                      // SHARD#KEY (SHARD as listed: a local path or s3:// URI)
  std::shared_ptr<arrow::Buffer> image;  // null when `error` is set
  // From ShardOptions::label_field; nullopt when not asked or absent.
  std::optional<std::string> label;
  // One value per ShardOptions::keep_columns, in its order.
  std::vector<std::optional<std::string>> kept;
  // Not OK: the sample (or what is left of the shard) cannot be read; the
  // reason names the member or row group. The samples before it were given.
  Status error;
};

class ShardReader {
 public:
  // Opens `shard` (as listed) to read as `format` (kWebDataset or kParquet).
  // Fails only for what the caller cannot report per sample (never for bad
  // content: that is the first sample's error).
  static Result<std::unique_ptr<ShardReader>> Open(const ImageFile& shard, InputFormat format,
                                                   const ShardOptions& options);
  virtual ~ShardReader() = default;
  // The next sample, or std::nullopt at the end of the shard.
  virtual Result<std::optional<ShardSample>> Next() = 0;
};

// The number of samples in `shard` (for the progress bar and the automatic
// number of components): a tar's headers (read past the members on disk,
// streamed on S3), a Parquet file's footer.
Result<int64_t> CountShardSamples(const ImageFile& shard, InputFormat format,
                                  const ShardOptions& options);

// `shard` (Parquet) as slices of consecutive row groups of about
// `slice_bytes` compressed bytes each (a row group is never cut): one slice,
// the whole file, when it is smaller, has one row group, or its footer cannot
// be read (the reader reports that).
Result<std::vector<ShardSlice>> SplitParquetShard(const ImageFile& shard, int64_t slice_bytes);

// The label of a sample of `shard`: its --label-field value (empty where the
// sample lacks the field), else what `labeler` gives (Labeler::LabelForSample).
std::string SampleLabel(const Labeler& labeler, const ShardOptions& options, std::string_view shard,
                        const ShardSample& sample);

// The path of a sample: SHARD#KEY.
std::string SamplePath(std::string_view shard, std::string_view key);

}  // namespace imgfeat
