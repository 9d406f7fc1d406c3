// Parquet files with the image bytes in a column, read one row group at a
// time: img2dataset's layout (a binary column named by its encode format,
// beside `key`, `url`, `caption`) and Hugging Face's (an `image` struct of
// `bytes` and `path`). See imgfeat/shards.h.
#include <arrow/array.h>
#include <arrow/scalar.h>
#include <arrow/table.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/schema.h>
#include <parquet/file_reader.h>

#include <algorithm>

#include "imgfeat/path_text.h"
#include "imgfeat/storage.h"
#include "io/part_cached_file.h"
#include "io/shard_internal.h"

namespace imgfeat {
namespace {

constexpr const char* kImageColumnNames[] = {"jpg", "jpeg", "png", "webp"};

bool IsBinary(const arrow::DataType& type) {
  return type.id() == arrow::Type::BINARY || type.id() == arrow::Type::LARGE_BINARY;
}

// Whether `field` holds images: a binary column, or a struct with a binary
// `bytes` field.
bool HoldsImages(const arrow::Field& field) {
  if (IsBinary(*field.type())) return true;
  if (field.type()->id() != arrow::Type::STRUCT) return false;
  auto bytes = static_cast<const arrow::StructType&>(*field.type()).GetFieldByName("bytes");
  return bytes && IsBinary(*bytes->type());
}

Result<int> FindImageColumn(const arrow::Schema& schema, const std::string& named) {
  if (!named.empty()) {
    const int i = schema.GetFieldIndex(named);
    if (i < 0) return Status::Invalid("no column '", named, "' (--image-column)");
    if (!HoldsImages(*schema.field(i))) {
      return Status::Invalid("column '", named, "' is ", schema.field(i)->type()->ToString(),
                             ", not image bytes (binary, or a struct with a binary 'bytes')");
    }
    return i;
  }
  const int hf = schema.GetFieldIndex("image");
  if (hf >= 0 && HoldsImages(*schema.field(hf))) return hf;
  int found = -1;
  for (const char* name : kImageColumnNames) {
    const int i = schema.GetFieldIndex(name);
    if (i < 0 || !HoldsImages(*schema.field(i))) continue;
    if (found >= 0) {
      return Status::Invalid("more than one image column (", schema.field(found)->name(), ", ",
                             name, "): name one with --image-column");
    }
    found = i;
  }
  if (found < 0) {
    return Status::Invalid("no image column: none named image (a struct with bytes) or jpg, ",
                           "jpeg, png, webp (binary); name it with --image-column");
  }
  return found;
}

// The Parquet leaf columns under a field of the schema.
void AddLeaves(const parquet::arrow::SchemaField& field, std::vector<int>* leaves) {
  if (field.column_index >= 0) leaves->push_back(field.column_index);
  for (const auto& child : field.children) AddLeaves(child, leaves);
}

// A cell as label or key text.
std::string CellText(const arrow::Array& column, int64_t row) {
  if (column.IsNull(row)) return std::string();
  if (column.type_id() == arrow::Type::STRING) {
    return Utf8Text(static_cast<const arrow::StringArray&>(column).GetView(row));
  }
  if (column.type_id() == arrow::Type::LARGE_STRING) {
    return Utf8Text(static_cast<const arrow::LargeStringArray&>(column).GetView(row));
  }
  auto scalar = column.GetScalar(row);
  return scalar.ok() ? (*scalar)->ToString() : std::string();
}

class ParquetShardReader final : public ShardReader {
 public:
  ParquetShardReader(ImageFile shard, ShardOptions options)
      : shard_(std::move(shard)), options_(std::move(options)) {}

  // A file that cannot be read as Parquet, or has no image column, is one
  // error sample (the shard's path) rather than a failed run.
  Status Start() {
    auto file = OpenListedFile(shard_);
    if (!file.ok()) return Stop(file.status());
    if (shard_.path.find("://") != std::string::npos) {
      // On an object store every read is a GET: read in whole parts instead.
      *file =
          std::make_shared<PartCachedFile>(std::move(*file), shard_.length, options_.part_bytes);
    }
    parquet::ArrowReaderProperties arrow_props;
    // One coalesced read per row group (one GET on S3) instead of one per page.
    arrow_props.set_pre_buffer(true);
    parquet::arrow::FileReaderBuilder builder;
    Status opened = builder.Open(*file);
    if (!opened.ok()) return Stop(Status::Invalid("not a Parquet file: ", opened.message()));
    Status built = builder.properties(arrow_props)->Build(&reader_);
    if (!built.ok()) return Stop(built);
    std::shared_ptr<arrow::Schema> schema;
    Status got_schema = reader_->GetSchema(&schema);
    if (!got_schema.ok()) return Stop(got_schema);
    auto image = FindImageColumn(*schema, options_.image_column);
    if (!image.ok()) return Stop(image.status());
    std::vector<int> fields{*image};
    key_ = schema->GetFieldIndex("key");
    if (key_ >= 0) fields.push_back(key_);
    if (!options_.label_field.empty()) {
      label_ = schema->GetFieldIndex(options_.label_field);
      if (label_ < 0) {
        return Stop(Status::Invalid("no column '", options_.label_field, "' (--label-field)"));
      }
      if (label_ != key_) fields.push_back(label_);
    }
    for (const std::string& name : options_.keep_columns) {
      const int i = schema->GetFieldIndex(name);  // absent (or ambiguous): nulls
      if (i >= 0 && std::find(fields.begin(), fields.end(), i) == fields.end()) {
        fields.push_back(i);
      }
    }
    image_name_ = schema->field(*image)->name();
    for (int f : fields) AddLeaves(reader_->manifest().schema_fields[f], &leaves_);
    return SelectSlice();
  }

  // The samples reading gives when no row group is damaged.
  int64_t planned_rows() const {
    if (!pending_.ok()) return 1;
    if (!reader_) return 0;
    const auto metadata = reader_->parquet_reader()->metadata();
    int64_t rows = 0;
    for (int group = next_group_; group < row_groups_; ++group) {
      rows += metadata->RowGroup(group)->num_rows();
    }
    return rows;
  }

  Result<std::optional<ShardSample>> Next() override {
    while (true) {
      if (!pending_.ok()) {
        ShardSample failed{shard_.path, nullptr, std::nullopt, {}, pending_};
        pending_ = Status::OK();
        return std::optional<ShardSample>(std::move(failed));
      }
      if (table_ && row_ < table_->num_rows()) return std::optional<ShardSample>(Row(row_++));
      table_.reset();
      if (!reader_ || next_group_ >= row_groups_) return std::optional<ShardSample>();
      const int group = next_group_++;
      std::shared_ptr<arrow::Table> table;
      Status read = reader_->ReadRowGroup(group, leaves_, &table);
      if (read.ok()) {
        auto combined = table->CombineChunksToBatch();
        if (combined.ok()) {
          table_ = *combined;
        } else {
          read = combined.status();
        }
      }
      if (!read.ok()) {
        // The rows of a damaged row group are lost; those of the others are kept.
        pending_ =
            Status::IOError("row group ", group, " (rows from ", first_row_, "): ", read.message());
        first_row_ += reader_->parquet_reader()->metadata()->RowGroup(group)->num_rows();
        continue;
      }
      // The columns come in the file's order: find them by name.
      image_at_ = table_->schema()->GetFieldIndex(image_name_);
      key_at_ = key_ >= 0 ? table_->schema()->GetFieldIndex("key") : -1;
      label_at_ = label_ >= 0 ? table_->schema()->GetFieldIndex(options_.label_field) : -1;
      kept_at_.clear();
      for (const std::string& name : options_.keep_columns) {
        kept_at_.push_back(table_->schema()->GetFieldIndex(name));
      }
      row_ = 0;
      group_first_row_ = first_row_;
      first_row_ += table_->num_rows();
    }
  }

 private:
  // A file that cannot be read is one error row: the first slice's.
  Status Stop(const Status& status) {
    if (options_.slice.first_row_group == 0) pending_ = status;
    reader_.reset();
    return Status::OK();
  }

  // Row groups [first, end) of options_.slice; first_row_ counts the rows
  // before it, so that row indexes (and keys made of them) are the file's.
  Status SelectSlice() {
    const int groups = reader_->num_row_groups();
    const ShardSlice& slice = options_.slice;
    if (slice.first_row_group < 0 || slice.row_groups < 0 || slice.first_row_group > groups) {
      return Stop(Status::Invalid("row groups ", slice.first_row_group, " + ", slice.row_groups,
                                  " are not in the file's ", groups));
    }
    next_group_ = slice.first_row_group;
    row_groups_ = slice.row_groups == 0 ? groups : std::min(groups, next_group_ + slice.row_groups);
    const auto metadata = reader_->parquet_reader()->metadata();
    for (int group = 0; group < next_group_; ++group) {
      first_row_ += metadata->RowGroup(group)->num_rows();
    }
    return Status::OK();
  }

  ShardSample Row(int64_t row) {
    ShardSample sample;
    const int64_t index = group_first_row_ + row;
    std::string key = key_at_ >= 0 ? CellText(*table_->column(key_at_), row) : std::string();
    if (key.empty()) key = std::to_string(index);
    sample.path = SamplePath(shard_.path, key);
    if (label_at_ >= 0 && !table_->column(label_at_)->IsNull(row)) {
      sample.label = CellText(*table_->column(label_at_), row);
    }
    for (int at : kept_at_) {
      if (at < 0 || table_->column(at)->IsNull(row)) {
        sample.kept.emplace_back();
      } else {
        sample.kept.emplace_back(CellText(*table_->column(at), row));
      }
    }
    std::shared_ptr<arrow::Array> images = table_->column(image_at_);
    if (images->type_id() == arrow::Type::STRUCT) {
      if (images->IsNull(row)) {
        sample.error = Status::Invalid("row ", index, ": the image is null");
        return sample;
      }
      images = static_cast<const arrow::StructArray&>(*images).GetFieldByName("bytes");
    }
    if (images->IsNull(row)) {
      sample.error = Status::Invalid("row ", index, ": the image is null");
      return sample;
    }
    int64_t offset = 0, length = 0;
    std::shared_ptr<arrow::Buffer> values;
    if (images->type_id() == arrow::Type::BINARY) {
      const auto& a = static_cast<const arrow::BinaryArray&>(*images);
      offset = a.value_offset(row);
      length = a.value_length(row);
      values = a.value_data();
    } else {
      const auto& a = static_cast<const arrow::LargeBinaryArray&>(*images);
      offset = a.value_offset(row);
      length = a.value_length(row);
      values = a.value_data();
    }
    if (length > options_.max_sample_bytes) {
      sample.error =
          Status::Invalid("row ", index, ": the image is ", length, " bytes, above the limit of ",
                          options_.max_sample_bytes, " (--max-file-bytes)");
      return sample;
    }
    sample.image = arrow::SliceBuffer(values, offset, length);
    return sample;
  }

  ImageFile shard_;
  ShardOptions options_;
  std::unique_ptr<parquet::arrow::FileReader> reader_;
  std::vector<int> leaves_;
  int key_ = -1, label_ = -1;
  std::string image_name_;
  int image_at_ = 0, key_at_ = -1, label_at_ = -1;
  std::vector<int> kept_at_;  // per keep column; -1: not in the file
  int row_groups_ = 0;
  int next_group_ = 0;
  int64_t first_row_ = 0, group_first_row_ = 0;
  std::shared_ptr<arrow::RecordBatch> table_;
  int64_t row_ = 0;
  Status pending_;
};

}  // namespace

Result<std::unique_ptr<ShardReader>> OpenParquetShard(const ImageFile& shard,
                                                      const ShardOptions& options) {
  auto reader = std::make_unique<ParquetShardReader>(shard, options);
  ARROW_RETURN_NOT_OK(reader->Start());
  return std::unique_ptr<ShardReader>(std::move(reader));
}

Result<std::vector<ShardSlice>> SplitParquetShard(const ImageFile& shard, int64_t slice_bytes) {
  std::vector<ShardSlice> slices{ShardSlice{}};
  if (slice_bytes <= 0 || shard.length <= slice_bytes) return slices;
  auto file = OpenListedFile(shard);
  if (!file.ok()) return slices;
  std::shared_ptr<arrow::io::RandomAccessFile> footer = *file;
  if (IsS3Uri(shard.path)) {
    footer = std::make_shared<PartCachedFile>(std::move(footer), shard.length, 64 * 1024);
  }
  std::shared_ptr<parquet::FileMetaData> metadata;
  try {
    metadata = parquet::ReadMetaData(footer);
  } catch (const std::exception&) {
    return slices;  // not Parquet: the one slice reports it
  }
  slices.clear();
  int64_t bytes = 0;
  for (int group = 0; group < metadata->num_row_groups(); ++group) {
    if (slices.empty() || bytes >= slice_bytes) {
      slices.push_back(ShardSlice{group, 0});
      bytes = 0;
    }
    ++slices.back().row_groups;
    bytes += metadata->RowGroup(group)->total_compressed_size();
  }
  if (slices.size() <= 1) return std::vector<ShardSlice>{ShardSlice{}};
  slices.back().row_groups = 0;  // to the end, whatever it holds
  return slices;
}

Result<int64_t> CountParquetSamples(const ImageFile& shard, const ShardOptions& options) {
  // What reading it gives: its rows, or the one error row of a file that is
  // not Parquet or has no image column (the footer only: on S3 one GET of
  // its last 64 KiB).
  ShardOptions footer = options;
  footer.part_bytes = 64 * 1024;
  ParquetShardReader reader(shard, footer);
  ARROW_RETURN_NOT_OK(reader.Start());
  return reader.planned_rows();
}

}  // namespace imgfeat
