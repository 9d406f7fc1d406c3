#include "dataset/parquet_part.h"

#include <arrow/api.h>
#include <arrow/filesystem/filesystem.h>
#include <arrow/io/file.h>
#include <arrow/util/compression.h>
#include <parquet/arrow/writer.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "dataset/durable_file.h"
#include "imgfeat/path_text.h"

namespace imgfeat::dataset {
namespace {

// Parquet names the leaf of a list column <column>.list.element.
constexpr const char* kFeatureLeafPath = "features.list.element";
constexpr int64_t kRowGroupRawBytes = int64_t{16} << 20;
constexpr int64_t kPartRawBytes = int64_t{256} << 20;

int64_t RowsFor(int64_t bytes, int64_t feature_dim) {
  return std::max<int64_t>(1, bytes / (std::max<int64_t>(1, feature_dim) * 4));
}

// The names users give, mapped to the codecs Parquet defines ("lz4" is
// Parquet's LZ4_RAW: Arrow's own "lz4" means the LZ4 frame format, which
// Parquet files cannot hold).
Result<arrow::Compression::type> ParseCodec(const std::string& name) {
  using C = arrow::Compression;
  static const std::pair<const char*, C::type> kCodecs[] = {
      {"none", C::UNCOMPRESSED}, {"uncompressed", C::UNCOMPRESSED},
      {"snappy", C::SNAPPY},     {"gzip", C::GZIP},
      {"brotli", C::BROTLI},     {"lz4", C::LZ4},
      {"zstd", C::ZSTD}};
  for (const auto& [codec_name, codec] : kCodecs) {
    if (name != codec_name) continue;
    if (!arrow::util::Codec::IsAvailable(codec)) {
      return Status::NotImplemented("compression '", name, "' is not available in this build");
    }
    return codec;
  }
  return Status::Invalid("unknown compression '", name,
                         "' (none, snappy, gzip, brotli, lz4 or zstd)");
}

std::shared_ptr<parquet::WriterProperties> WriterProperties(const PartFormat& format) {
  parquet::WriterProperties::Builder builder;
  builder.compression(format.codec);
  if (format.compression_level != 0) builder.compression_level(format.compression_level);
  // Paths are unique and features are measurements: a dictionary only costs
  // time before Parquet gives it up. Labels repeat and keep it.
  builder.disable_dictionary("path");
  builder.disable_dictionary(kFeatureLeafPath);
  if (format.split_feature_bytes) {
    builder.encoding(kFeatureLeafPath, parquet::Encoding::BYTE_STREAM_SPLIT);
  }
  if (!format.feature_statistics) builder.disable_statistics(kFeatureLeafPath);
  builder.max_row_group_length(format.rows_per_row_group);
  return builder.build();
}

std::shared_ptr<parquet::ArrowWriterProperties> ArrowProperties() {
  // The stored Arrow schema keeps the time zone spelled "UTC" for Arrow readers.
  return parquet::ArrowWriterProperties::Builder().store_schema()->build();
}

}  // namespace

const std::shared_ptr<arrow::Schema>& FeatureSchema() {
  static const auto schema = arrow::schema({
      arrow::field("path", arrow::utf8(), /*nullable=*/false),
      arrow::field("label", arrow::utf8(), false),
      arrow::field("modification_time", arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"), false),
      arrow::field("length", arrow::int64(), false),
      arrow::field("features", arrow::list(arrow::field("element", arrow::float32(), false)),
                   false),
  });
  return schema;
}

std::shared_ptr<arrow::Schema> FeatureSchemaWith(const std::vector<std::string>& kept_columns,
                                                 bool embedding) {
  if (kept_columns.empty() && !embedding) return FeatureSchema();
  auto fields = FeatureSchema()->fields();
  if (embedding) {
    fields.push_back(arrow::field(
        "embedding", arrow::list(arrow::field("element", arrow::float32(), false)), false));
  }
  for (const std::string& name : kept_columns) fields.push_back(arrow::field(name, arrow::utf8()));
  return arrow::schema(fields);
}

const std::shared_ptr<arrow::Schema>& ErrorSchema() {
  static const auto schema = arrow::schema({
      arrow::field("path", arrow::utf8(), false),
      arrow::field("stage", arrow::utf8(), false),
      arrow::field("error", arrow::utf8(), false),
  });
  return schema;
}

int64_t DefaultRowsPerRowGroup(int64_t feature_dim) {
  return RowsFor(kRowGroupRawBytes, feature_dim);
}

int64_t DefaultRowsPerPart(int64_t feature_dim) { return RowsFor(kPartRawBytes, feature_dim); }

Result<PartFormat> MakePartFormat(const DatasetOptions& options, int64_t feature_dim) {
  if (feature_dim <= 0) return Status::Invalid("feature length must be positive");
  PartFormat format;
  ARROW_ASSIGN_OR_RAISE(format.codec, ParseCodec(options.compression));
  format.compression_level = options.compression_level;
  if (format.compression_level != 0 &&
      !arrow::util::Codec::SupportsCompressionLevel(format.codec)) {
    return Status::Invalid("compression '", options.compression, "' takes no level");
  }
  format.rows_per_row_group = options.rows_per_row_group > 0 ? options.rows_per_row_group
                                                             : DefaultRowsPerRowGroup(feature_dim);
  format.rows_per_part =
      options.rows_per_part > 0 ? options.rows_per_part : DefaultRowsPerPart(feature_dim);
  if (options.rows_per_row_group < 0 || options.rows_per_part < 0) {
    return Status::Invalid("rows per part and per row group must be positive");
  }
  // A row group never spans two parts.
  format.rows_per_row_group = std::min(format.rows_per_row_group, format.rows_per_part);
  // List offsets are 32-bit: one row group holds fewer than 2^31 floats.
  const int64_t max_rows = (int64_t{1} << 31) / (feature_dim + 1) - 1;
  if (format.rows_per_row_group > max_rows) format.rows_per_row_group = max_rows;
  return format;
}

// --- FeatureRowGroup ---------------------------------------------------------

Result<FeatureRowGroup> FeatureRowGroup::Make(int64_t feature_dim, int64_t capacity_rows,
                                              const std::vector<std::string>& kept_columns,
                                              int64_t embedding_dim) {
  FeatureRowGroup group;
  group.feature_dim_ = feature_dim;
  group.embedding_dim_ = embedding_dim;
  group.capacity_rows_ = capacity_rows;
  group.schema_ = FeatureSchemaWith(kept_columns, embedding_dim > 0);
  group.kept_.resize(kept_columns.size());
  ARROW_ASSIGN_OR_RAISE(group.features_, arrow::AllocateResizableBuffer(0));
  ARROW_ASSIGN_OR_RAISE(group.embedding_, arrow::AllocateResizableBuffer(0));
  return group;
}

Status FeatureRowGroup::AddRow(arrow::ResizableBuffer* buffer, const float* row,
                               int64_t dim) const {
  const int64_t row_bytes = dim * static_cast<int64_t>(sizeof(float));
  const int64_t old_size = buffer->size();
  if (old_size + row_bytes > buffer->capacity()) {
    // Grows to the whole row group once; later groups reuse the memory.
    ARROW_RETURN_NOT_OK(buffer->Reserve(capacity_rows_ * row_bytes));
  }
  ARROW_RETURN_NOT_OK(buffer->Resize(old_size + row_bytes, /*shrink_to_fit=*/false));
  std::memcpy(buffer->mutable_data() + old_size, row, static_cast<size_t>(row_bytes));
  return Status::OK();
}

std::shared_ptr<arrow::ListArray> FeatureRowGroup::ListOf(const arrow::Buffer& values,
                                                          int64_t dim) const {
  const int64_t rows = size();
  std::vector<int32_t> offsets(static_cast<size_t>(rows) + 1);
  for (int64_t i = 0; i <= rows; ++i) offsets[i] = static_cast<int32_t>(i * dim);
  // The table borrows the buffer (no copy): it lives only for the
  // synchronous write, after which the buffer is reused.
  auto floats = std::make_shared<arrow::FloatArray>(
      rows * dim, std::make_shared<arrow::Buffer>(values.data(), values.size()));
  return std::make_shared<arrow::ListArray>(FeatureSchema()->field(4)->type(), rows,
                                            arrow::Buffer::FromVector(std::move(offsets)), floats);
}

Status FeatureRowGroup::Add(const FeatureRecord& record, const float* features,
                            const float* embedding) {
  if ((embedding != nullptr) != (embedding_dim_ > 0)) {
    return Status::Invalid(embedding_dim_ > 0 ? "no embedding given" : "no embedding column");
  }
  paths_.push_back(record.file.path);
  labels_.push_back(record.label);
  modification_times_.push_back(record.file.modification_time_us);
  lengths_.push_back(record.file.length);
  for (size_t i = 0; i < kept_.size(); ++i) {
    const bool has = i < record.kept.size() && record.kept[i].has_value();
    ARROW_RETURN_NOT_OK(has ? kept_[i].Append(*record.kept[i]) : kept_[i].AppendNull());
  }
  ARROW_RETURN_NOT_OK(AddRow(features_.get(), features, feature_dim_));
  if (embedding_dim_ > 0) ARROW_RETURN_NOT_OK(AddRow(embedding_.get(), embedding, embedding_dim_));
  return Status::OK();
}

Status FeatureRowGroup::WriteTo(ParquetFile& file) {
  const int64_t rows = size();
  arrow::StringBuilder path_builder, label_builder;
  // Paths are bytes; the column holds their text form (imgfeat/path_text.h).
  for (const std::string& path : paths_) ARROW_RETURN_NOT_OK(path_builder.Append(PathText(path)));
  ARROW_RETURN_NOT_OK(label_builder.AppendValues(labels_));
  ARROW_ASSIGN_OR_RAISE(auto path_array, path_builder.Finish());
  ARROW_ASSIGN_OR_RAISE(auto label_array, label_builder.Finish());
  auto time_array = std::make_shared<arrow::TimestampArray>(
      FeatureSchema()->field(2)->type(), rows, arrow::Buffer::Wrap(modification_times_));
  auto length_array = std::make_shared<arrow::Int64Array>(rows, arrow::Buffer::Wrap(lengths_));
  std::vector<std::shared_ptr<arrow::Array>> columns{
      path_array, label_array, time_array, length_array, ListOf(*features_, feature_dim_)};
  if (embedding_dim_ > 0) columns.push_back(ListOf(*embedding_, embedding_dim_));
  for (auto& builder : kept_) {
    ARROW_ASSIGN_OR_RAISE(auto kept_array, builder.Finish());
    columns.push_back(std::move(kept_array));
  }
  auto table = arrow::Table::Make(schema_, std::move(columns), rows);
  ARROW_RETURN_NOT_OK(file.WriteRowGroups(*table));

  paths_.clear();
  labels_.clear();
  modification_times_.clear();
  lengths_.clear();
  ARROW_RETURN_NOT_OK(embedding_->Resize(0, /*shrink_to_fit=*/false));
  return features_->Resize(0, /*shrink_to_fit=*/false);
}

// --- ParquetFile --------------------------------------------------------------

Result<std::unique_ptr<ParquetFile>> ParquetFile::Create(const std::string& tmp_path,
                                                         std::shared_ptr<arrow::Schema> schema,
                                                         const PartFormat& format) {
  std::unique_ptr<ParquetFile> file(new ParquetFile());
  file->tmp_path_ = tmp_path;
  file->rows_per_row_group_ = format.rows_per_row_group;
  ARROW_ASSIGN_OR_RAISE(file->sink_, arrow::io::FileOutputStream::Open(tmp_path));
  ARROW_RETURN_NOT_OK(file->OpenWriter(std::move(schema), format));
  return file;
}

Result<std::unique_ptr<ParquetFile>> ParquetFile::CreateObject(
    const std::shared_ptr<arrow::fs::FileSystem>& fs, const std::string& path,
    std::shared_ptr<arrow::Schema> schema, const PartFormat& format) {
  std::unique_ptr<ParquetFile> file(new ParquetFile());
  file->tmp_path_ = path;
  file->is_object_ = true;
  file->rows_per_row_group_ = format.rows_per_row_group;
  auto sink = fs->OpenOutputStream(path);
  if (!sink.ok()) {
    return sink.status().WithMessage("cannot write '", path, "': ", sink.status().message());
  }
  file->sink_ = std::move(*sink);
  ARROW_RETURN_NOT_OK(file->OpenWriter(std::move(schema), format));
  return file;
}

Status ParquetFile::OpenWriter(std::shared_ptr<arrow::Schema> schema, const PartFormat& format) {
  auto writer = parquet::arrow::FileWriter::Open(*schema, arrow::default_memory_pool(), sink_,
                                                 WriterProperties(format), ArrowProperties());
  if (!writer.ok()) {
    return writer.status().WithMessage("cannot write '", tmp_path_,
                                       "': ", writer.status().message());
  }
  writer_ = std::move(*writer);
  return Status::OK();
}

ParquetFile::~ParquetFile() {
  if (committed_) return;
  if (is_object_) {
    // Abort first: closing the writer would write a footer and complete the
    // upload of an unfinished file under its final key.
    if (sink_) (void)sink_->Abort();
    writer_.reset();
    return;
  }
  if (writer_) (void)writer_->Close();
  if (sink_ && !sink_->closed()) (void)sink_->Close();
  (void)RemoveFileIfExists(tmp_path_);
}

Status ParquetFile::WriteRowGroups(const arrow::Table& table) {
  Status st = writer_->WriteTable(table, rows_per_row_group_);
  if (!st.ok()) return st.WithMessage("cannot write '", tmp_path_, "': ", st.message());
  rows_ += table.num_rows();
  return Status::OK();
}

Status ParquetFile::Commit(const std::string& final_path) {
  Status st = writer_->Close();
  if (st.ok() && !sink_->closed()) st = sink_->Close();
  if (!st.ok()) return st.WithMessage("cannot write '", tmp_path_, "': ", st.message());
  if (is_object_) {
    committed_ = true;
    return Status::OK();
  }
  ARROW_RETURN_NOT_OK(CommitRename(tmp_path_, final_path));
  committed_ = true;
  return Status::OK();
}

}  // namespace imgfeat::dataset
