// Which listed files are shards, and the readers of each kind (see
// imgfeat/shards.h).
#include <arrow/filesystem/filesystem.h>
#include <arrow/io/file.h>

#include "imgfeat/shards.h"
#include "imgfeat/storage.h"
#include "io/object_lister.h"
#include "io/shard_internal.h"

namespace imgfeat {

Result<std::shared_ptr<arrow::io::RandomAccessFile>> OpenListedFile(const ImageFile& file) {
  if (!IsS3Uri(file.path)) {
    ARROW_ASSIGN_OR_RAISE(auto local, arrow::io::ReadableFile::Open(file.path));
    return std::shared_ptr<arrow::io::RandomAccessFile>(std::move(local));
  }
  ARROW_ASSIGN_OR_RAISE(StoragePath where, ResolveStorage(file.path));
  arrow::fs::FileInfo info(where.path, arrow::fs::FileType::File);
  info.set_size(file.length);
  return where.fs->OpenInputFile(info);
}

std::string SamplePath(std::string_view shard, std::string_view key) {
  std::string path(shard);
  path += '#';
  path += key;
  return path;
}

std::string SampleLabel(const Labeler& labeler, const ShardOptions& options, std::string_view shard,
                        const ShardSample& sample) {
  if (sample.label) return *sample.label;
  if (!options.label_field.empty()) return std::string();
  return labeler.LabelForSample(shard, sample.path);
}

InputFormat ShardFormatOf(const ImageFile& file, InputFormat format) {
  if (format != InputFormat::kAuto) return format;
  if (HasExtension(file.path, ".tar")) return InputFormat::kWebDataset;
  if (HasExtension(file.path, ".parquet")) return InputFormat::kParquet;
  return InputFormat::kFiles;
}

Result<std::unique_ptr<ShardReader>> ShardReader::Open(const ImageFile& shard, InputFormat format,
                                                       const ShardOptions& options) {
  switch (format) {
    case InputFormat::kWebDataset:
      return OpenWebDatasetShard(shard, options);
    case InputFormat::kParquet:
      return OpenParquetShard(shard, options);
    default:
      return Status::Invalid(shard.path, " is not a shard");
  }
}

Result<int64_t> CountShardSamples(const ImageFile& shard, InputFormat format,
                                  const ShardOptions& options) {
  switch (format) {
    case InputFormat::kWebDataset:
      return CountWebDatasetSamples(shard, options);
    case InputFormat::kParquet:
      return CountParquetSamples(shard, options);
    default:
      return 1;
  }
}

}  // namespace imgfeat
