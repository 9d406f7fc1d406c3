// Fuzz target: a shard as `imgfeat run` reads it, a WebDataset tar or a
// Parquet file with image bytes (the first byte picks which, and how it is
// read). Every sample is taken to the end and its bytes touched; the count of
// the samples is taken too.
#include <arrow/buffer.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "imgfeat/shards.h"
#include "scratch_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t mode = data[0];
  static const imgfeat::fuzz::ScratchFile scratch("imgfeat-fuzz-shard");
  if (!scratch.Write(data + 1, size - 1)) return 0;
  const std::string& path = scratch.path();
  const imgfeat::ImageFile shard{path, 0, static_cast<int64_t>(size - 1)};
  const auto format =
      (mode & 1) ? imgfeat::InputFormat::kParquet : imgfeat::InputFormat::kWebDataset;
  imgfeat::ShardOptions options;
  options.part_bytes = (mode & 2) ? 4096 : int64_t{1} << 20;  // members straddle small parts
  options.parts_ahead = (mode >> 2) & 3;
  options.max_sample_bytes = (mode & 16) ? 100 : int64_t{1} << 24;
  static const char* kLabels[] = {"", "cls", "json.label", "key"};
  options.label_field = kLabels[(mode >> 5) & 3];
  if (mode & 128) options.keep_columns = {"txt", "url", "json.key", "key"};
  // A later row group's slice (Parquet): Spark's split of a large file.
  if ((mode & 129) == 129) options.slice = imgfeat::ShardSlice{1, 2};
  auto reader = imgfeat::ShardReader::Open(shard, format, options);
  if (reader.ok()) {
    uint64_t sum = 0;
    for (int i = 0; i < 100000; ++i) {
      auto sample = (*reader)->Next();
      if (!sample.ok() || !sample->has_value()) break;
      if (const auto& image = (**sample).image) {
        for (int64_t b = 0; b < image->size(); ++b) sum += image->data()[b];
      }
      sum += (**sample).path.size() + (**sample).label.value_or("").size();
      for (const auto& kept : (**sample).kept) sum += kept.value_or("").size();
    }
    if (sum == 0xdeadbeef) std::fputc(' ', stderr);  // keeps the reads
  }
  (void)imgfeat::CountShardSamples(shard, format, options);
  if (format == imgfeat::InputFormat::kParquet) (void)imgfeat::SplitParquetShard(shard, 1);
  return 0;
}
