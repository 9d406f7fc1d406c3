#include "dataset/parquet_part.h"

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "testing/test_util.h"

namespace imgfeat::dataset {
namespace {

TEST(ParquetPartTest, DefaultsBoundMemoryAndPartSize) {
  for (int64_t dim : {1, 8, 1280, 9468, 62720, 1'000'000}) {
    ASSERT_OK_AND_ASSIGN(PartFormat format, MakePartFormat(DatasetOptions{}, dim));
    const int64_t row_bytes = dim * 4;
    EXPECT_GE(format.rows_per_row_group, 1);
    EXPECT_LE(format.rows_per_row_group, format.rows_per_part);
    // One buffered row group stays near 16 MiB; a part holds at most 256 MiB
    // of raw features (unless a single row is larger).
    if (row_bytes <= (16 << 20)) {
      EXPECT_LE(format.rows_per_row_group * row_bytes, 16 << 20);
    }
    if (row_bytes <= (256 << 20)) {
      EXPECT_LE(format.rows_per_part * row_bytes, 256 << 20);
    }
    EXPECT_GT(format.rows_per_part * row_bytes, 128 << 20) << dim;
    EXPECT_EQ(format.codec, arrow::Compression::ZSTD);
    EXPECT_FALSE(format.split_feature_bytes);
    EXPECT_FALSE(format.feature_statistics);
  }
}

TEST(ParquetPartTest, RowGroupsNeverSpanParts) {
  DatasetOptions options;
  options.rows_per_part = 10;
  options.rows_per_row_group = 64;
  ASSERT_OK_AND_ASSIGN(PartFormat format, MakePartFormat(options, 62720));
  EXPECT_EQ(format.rows_per_row_group, 10);
}

TEST(ParquetPartTest, CodecNamesAreParquetCodecs) {
  DatasetOptions options;
  options.compression = "lz4";
  ASSERT_OK_AND_ASSIGN(PartFormat lz4, MakePartFormat(options, 8));
  EXPECT_EQ(lz4.codec, arrow::Compression::LZ4);  // LZ4_RAW in Parquet, not the frame format
  options.compression = "none";
  ASSERT_OK_AND_ASSIGN(PartFormat none, MakePartFormat(options, 8));
  EXPECT_EQ(none.codec, arrow::Compression::UNCOMPRESSED);
  options.compression = "lz4_frame";
  EXPECT_FALSE(MakePartFormat(options, 8).ok());
  options.compression = "zstd";
  options.rows_per_part = -1;
  EXPECT_FALSE(MakePartFormat(options, 8).ok());
  EXPECT_FALSE(MakePartFormat(DatasetOptions{}, 0).ok());
}

TEST(ParquetPartTest, SchemasAreNonNullWithMicrosecondUtcTimes) {
  const auto& schema = *FeatureSchema();
  ASSERT_EQ(schema.num_fields(), 5);
  for (const auto& field : schema.fields()) EXPECT_FALSE(field->nullable()) << field->name();
  const auto& time = static_cast<const arrow::TimestampType&>(*schema.field(2)->type());
  EXPECT_EQ(time.unit(), arrow::TimeUnit::MICRO);
  EXPECT_EQ(time.timezone(), "UTC");
  const auto& list = static_cast<const arrow::ListType&>(*schema.field(4)->type());
  EXPECT_EQ(list.value_type()->id(), arrow::Type::FLOAT);
  EXPECT_FALSE(list.value_field()->nullable());
  for (const auto& field : ErrorSchema()->fields()) EXPECT_FALSE(field->nullable());
}

}  // namespace
}  // namespace imgfeat::dataset
