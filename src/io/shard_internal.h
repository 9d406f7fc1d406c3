// What the two shard readers share (see imgfeat/shards.h).
#pragma once

#include <arrow/io/interfaces.h>

#include <memory>

#include "imgfeat/shards.h"

namespace imgfeat {

// A listed file opened for random access: a local file, or an S3 object
// whose size the listing gave (no HEAD request).
Result<std::shared_ptr<arrow::io::RandomAccessFile>> OpenListedFile(const ImageFile& file);

Result<std::unique_ptr<ShardReader>> OpenWebDatasetShard(const ImageFile& shard,
                                                         const ShardOptions& options);
Result<std::unique_ptr<ShardReader>> OpenParquetShard(const ImageFile& shard,
                                                      const ShardOptions& options);
Result<int64_t> CountWebDatasetSamples(const ImageFile& shard, const ShardOptions& options);
Result<int64_t> CountParquetSamples(const ImageFile& shard, const ShardOptions& options);

// "SHARD: reason", the one line an error row carries for a whole shard.
Status ShardError(const Status& status);

}  // namespace imgfeat
