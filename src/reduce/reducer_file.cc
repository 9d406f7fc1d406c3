// Saved reducers: one Parquet file whose key-value metadata names the kind and
// its parameters. A PCA stores its mean and components as rows of a
// list<float> column (kind "mean" or "component", with the explained variance
// of each component); an SRP stores no rows, since its matrix is rebuilt from
// the seed; an identity stores nothing but its width.
#include <arrow/api.h>
#include <arrow/filesystem/filesystem.h>
#include <arrow/io/file.h>
#include <arrow/io/memory.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/writer.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "imgfeat/storage.h"
#include "reduce/blas.h"
#include "reduce/reducers.h"

namespace imgfeat {
namespace {

constexpr char kKindKey[] = "imgfeat.reducer.kind";
constexpr char kDescriptionKey[] = "imgfeat.reducer";

std::string FormatDouble(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.17g", value);  // round-trips exactly
  return text;
}

std::shared_ptr<arrow::Schema> RowsSchema() {
  return arrow::schema({arrow::field("row", arrow::utf8(), false),
                        arrow::field("explained_variance", arrow::float64()),
                        arrow::field("explained_variance_ratio", arrow::float64()),
                        arrow::field("values", arrow::list(arrow::float32()), false)});
}

// Rows of the file: the PCA mean, then each component.
Result<std::shared_ptr<arrow::Table>> PcaRows(const reduce::PcaReducer& pca) {
  const PcaState& state = pca.state();
  const int64_t d = pca.input_dim(), k = pca.output_dim();
  arrow::StringBuilder kinds;
  arrow::DoubleBuilder variance, ratio;
  auto value_builder = std::make_shared<arrow::FloatBuilder>();
  arrow::ListBuilder values(arrow::default_memory_pool(), value_builder);
  ARROW_RETURN_NOT_OK(kinds.Append("mean"));
  ARROW_RETURN_NOT_OK(variance.AppendNull());
  ARROW_RETURN_NOT_OK(ratio.AppendNull());
  ARROW_RETURN_NOT_OK(values.Append());
  ARROW_RETURN_NOT_OK(value_builder->AppendValues(state.mean.data(), d));
  for (int64_t i = 0; i < k; ++i) {
    ARROW_RETURN_NOT_OK(kinds.Append("component"));
    ARROW_RETURN_NOT_OK(variance.Append(state.explained_variance[i]));
    ARROW_RETURN_NOT_OK(ratio.Append(state.explained_variance_ratio[i]));
    ARROW_RETURN_NOT_OK(values.Append());
    ARROW_RETURN_NOT_OK(value_builder->AppendValues(state.components.data() + i * d, d));
  }
  std::vector<std::shared_ptr<arrow::Array>> columns(4);
  ARROW_RETURN_NOT_OK(kinds.Finish(&columns[0]));
  ARROW_RETURN_NOT_OK(variance.Finish(&columns[1]));
  ARROW_RETURN_NOT_OK(ratio.Finish(&columns[2]));
  ARROW_RETURN_NOT_OK(values.Finish(&columns[3]));
  return arrow::Table::Make(RowsSchema(), columns);
}

Result<std::shared_ptr<arrow::Table>> EmptyRows() {
  const std::shared_ptr<arrow::Schema> schema = RowsSchema();
  std::vector<std::shared_ptr<arrow::Array>> columns;
  for (const auto& field : schema->fields()) {
    ARROW_ASSIGN_OR_RAISE(auto array, arrow::MakeEmptyArray(field->type()));
    columns.push_back(array);
  }
  return arrow::Table::Make(schema, columns);
}

Status WriteParquet(const arrow::Table& table, std::shared_ptr<arrow::io::OutputStream> sink) {
  auto properties =
      parquet::WriterProperties::Builder().compression(arrow::Compression::ZSTD)->build();
  auto arrow_properties = parquet::ArrowWriterProperties::Builder().store_schema()->build();
  ARROW_RETURN_NOT_OK(parquet::arrow::WriteTable(table, arrow::default_memory_pool(), sink, 1024,
                                                 properties, arrow_properties));
  return sink->Close();
}

// On an object store the upload itself is atomic: the object appears when
// complete, and a failed write aborts it.
Status WriteObject(const std::shared_ptr<arrow::Table>& table, const std::string& uri) {
  ARROW_ASSIGN_OR_RAISE(StoragePath where, ResolveStorage(uri));
  auto sink = where.fs->OpenOutputStream(where.path);
  Status st = sink.status();
  if (st.ok()) st = WriteParquet(*table, *sink);
  if (!st.ok()) {
    if (sink.ok()) (void)(*sink)->Abort();
    return Status::IOError(uri, ": cannot save the reducer: ", st.message());
  }
  return Status::OK();
}

Status WriteFile(const std::shared_ptr<arrow::Table>& table, const std::string& path) {
  if (IsS3Uri(path)) return WriteObject(table, path);
  const std::string temporary = path + ".tmp";
  ARROW_ASSIGN_OR_RAISE(auto sink, arrow::io::FileOutputStream::Open(temporary));
  auto properties =
      parquet::WriterProperties::Builder().compression(arrow::Compression::ZSTD)->build();
  auto arrow_properties = parquet::ArrowWriterProperties::Builder().store_schema()->build();
  ARROW_RETURN_NOT_OK(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), sink, 1024,
                                                 properties, arrow_properties));
  ARROW_RETURN_NOT_OK(sink->Close());
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error = errno;
    std::remove(temporary.c_str());
    return Status::IOError(path,
                           ": cannot rename the saved reducer into place: ", std::strerror(error));
  }
  return Status::OK();
}

// Metadata lookups that name the file and the key on failure.
class Params {
 public:
  Params(std::string path, std::shared_ptr<const arrow::KeyValueMetadata> metadata)
      : path_(std::move(path)), metadata_(std::move(metadata)) {}

  Result<std::string> Text(const std::string& key) const {
    if (metadata_ == nullptr || metadata_->FindKey(key) < 0) {
      return Status::Invalid(path_, ": not a saved imgfeat reducer (no '", key, "')");
    }
    return metadata_->value(metadata_->FindKey(key));
  }
  Result<double> Number(const std::string& key) const {
    ARROW_ASSIGN_OR_RAISE(std::string text, Text(key));
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0') {
      return Status::Invalid(path_, ": '", key, "' is not a number: '", text, "'");
    }
    return value;
  }
  Result<int64_t> Integer(const std::string& key) const {
    ARROW_ASSIGN_OR_RAISE(std::string text, Text(key));
    char* end = nullptr;
    const long long value = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0') {
      return Status::Invalid(path_, ": '", key, "' is not an integer: '", text, "'");
    }
    return static_cast<int64_t>(value);
  }

 private:
  std::string path_;
  std::shared_ptr<const arrow::KeyValueMetadata> metadata_;
};

// A file written by anything else may name the same kind with other columns:
// the casts below are only safe on the types RowsSchema wrote.
Status CheckRowsColumns(const std::string& path, const arrow::Schema& schema) {
  const std::pair<const char*, arrow::Type::type> expected[] = {
      {"row", arrow::Type::STRING},
      {"explained_variance", arrow::Type::DOUBLE},
      {"explained_variance_ratio", arrow::Type::DOUBLE},
      {"values", arrow::Type::LIST}};
  for (const auto& [name, type] : expected) {
    const auto field = schema.GetFieldByName(name);
    if (!field || field->type()->id() != type) {
      return Status::Invalid(path, ": no column '", name, "' of type ",
                             RowsSchema()->GetFieldByName(name)->type()->ToString());
    }
  }
  const auto& list = static_cast<const arrow::ListType&>(*schema.GetFieldByName("values")->type());
  if (list.value_type()->id() != arrow::Type::FLOAT) {
    return Status::Invalid(path, ": column 'values' holds ", list.value_type()->ToString(),
                           ", not float");
  }
  return Status::OK();
}

Result<std::unique_ptr<Reducer>> LoadPca(const std::string& path, const Params& params,
                                         const arrow::Table& table) {
  ARROW_ASSIGN_OR_RAISE(const int64_t n_features, params.Integer("imgfeat.pca.n_features"));
  ARROW_ASSIGN_OR_RAISE(const int64_t n_components, params.Integer("imgfeat.pca.n_components"));
  PcaState state;
  ARROW_ASSIGN_OR_RAISE(state.n_samples, params.Integer("imgfeat.pca.n_samples"));
  ARROW_ASSIGN_OR_RAISE(state.total_variance, params.Number("imgfeat.pca.total_variance"));
  reduce::PcaFitInfo info;
  ARROW_ASSIGN_OR_RAISE(info.oversampling, params.Integer("imgfeat.pca.oversampling"));
  ARROW_ASSIGN_OR_RAISE(const int64_t iterations, params.Integer("imgfeat.pca.power_iterations"));
  ARROW_ASSIGN_OR_RAISE(const int64_t seed, params.Integer("imgfeat.pca.seed"));
  info.power_iterations = static_cast<int>(iterations);
  info.seed = static_cast<uint32_t>(seed);

  if (table.num_rows() != n_components + 1 || n_features <= 0) {
    return Status::Invalid(path, ": ", table.num_rows(), " rows for a PCA of ", n_components,
                           " components");
  }
  ARROW_RETURN_NOT_OK(CheckRowsColumns(path, *table.schema()));
  ARROW_ASSIGN_OR_RAISE(auto combined, table.CombineChunksToBatch());
  const auto& kinds = static_cast<const arrow::StringArray&>(*combined->GetColumnByName("row"));
  const auto& variance =
      static_cast<const arrow::DoubleArray&>(*combined->GetColumnByName("explained_variance"));
  const auto& ratio = static_cast<const arrow::DoubleArray&>(
      *combined->GetColumnByName("explained_variance_ratio"));
  const auto& lists = static_cast<const arrow::ListArray&>(*combined->GetColumnByName("values"));
  const auto& floats = static_cast<const arrow::FloatArray&>(*lists.values());
  for (int64_t r = 0; r < combined->num_rows(); ++r) {
    if (lists.value_length(r) != n_features) {
      return Status::Invalid(path, ": row ", r, " holds ", lists.value_length(r), " values, not ",
                             n_features);
    }
    const float* begin = floats.raw_values() + lists.value_offset(r);
    if (kinds.GetView(r) == "mean" && r == 0) {
      state.mean.assign(begin, begin + n_features);
    } else if (kinds.GetView(r) == "component" && r > 0) {
      state.components.insert(state.components.end(), begin, begin + n_features);
      state.explained_variance.push_back(variance.Value(r));
      state.explained_variance_ratio.push_back(ratio.Value(r));
    } else {
      return Status::Invalid(path, ": unexpected row ", r, " of kind '", kinds.GetView(r), "'");
    }
  }
  ARROW_RETURN_NOT_OK(reduce::LoadBlas().status());  // its Transform runs on OpenBLAS
  return std::unique_ptr<Reducer>(new reduce::PcaReducer(std::move(state), info));
}

// The reducer as the table its file holds (rows and metadata).
Result<std::shared_ptr<arrow::Table>> ReducerTable(const Reducer& reducer) {
  auto metadata = std::make_shared<arrow::KeyValueMetadata>();
  metadata->Append(kKindKey, reducer.kind());
  metadata->Append(kDescriptionKey, reducer.DescribeJson());
  std::shared_ptr<arrow::Table> table;
  if (const auto* srp = dynamic_cast<const reduce::SrpReducer*>(&reducer)) {
    const SrpOptions& options = srp->options();
    metadata->Append("imgfeat.srp.n_components", std::to_string(options.n_components));
    metadata->Append("imgfeat.srp.n_features", std::to_string(options.n_features));
    // The density as given: 0 stands for 'auto'.
    metadata->Append("imgfeat.srp.density",
                     FormatDouble(options.density > 0 ? options.density : 0));
    metadata->Append("imgfeat.srp.seed", std::to_string(options.seed));
    ARROW_ASSIGN_OR_RAISE(table, EmptyRows());
  } else if (const auto* pca = dynamic_cast<const reduce::PcaReducer*>(&reducer)) {
    metadata->Append("imgfeat.pca.n_components", std::to_string(pca->output_dim()));
    metadata->Append("imgfeat.pca.n_features", std::to_string(pca->input_dim()));
    metadata->Append("imgfeat.pca.n_samples", std::to_string(pca->state().n_samples));
    metadata->Append("imgfeat.pca.total_variance", FormatDouble(pca->state().total_variance));
    metadata->Append("imgfeat.pca.oversampling", std::to_string(pca->info().oversampling));
    metadata->Append("imgfeat.pca.power_iterations", std::to_string(pca->info().power_iterations));
    metadata->Append("imgfeat.pca.seed", std::to_string(pca->info().seed));
    ARROW_ASSIGN_OR_RAISE(table, PcaRows(*pca));
  } else if (reducer.kind() == "none") {
    metadata->Append("imgfeat.none.n_features", std::to_string(reducer.input_dim()));
    ARROW_ASSIGN_OR_RAISE(table, EmptyRows());
  } else {
    return Status::NotImplemented("cannot save a reducer of kind '", reducer.kind(), "'");
  }
  return table->ReplaceSchemaMetadata(metadata);
}

}  // namespace

Status SaveReducer(const Reducer& reducer, const std::string& path) {
  auto table = ReducerTable(reducer);
  if (!table.ok())
    return Status::FromArgs(table.status().code(), path, ": ", table.status().message());
  return WriteFile(*table, path);
}

Result<std::string> ReducerFileBytes(const Reducer& reducer) {
  ARROW_ASSIGN_OR_RAISE(auto table, ReducerTable(reducer));
  ARROW_ASSIGN_OR_RAISE(auto sink, arrow::io::BufferOutputStream::Create());
  ARROW_RETURN_NOT_OK(WriteParquet(*table, sink));
  ARROW_ASSIGN_OR_RAISE(auto buffer, sink->Finish());
  return buffer->ToString();
}

namespace {

Result<std::shared_ptr<arrow::io::RandomAccessFile>> OpenInput(const std::string& path) {
  if (!IsS3Uri(path)) return arrow::io::ReadableFile::Open(path);
  ARROW_ASSIGN_OR_RAISE(StoragePath where, ResolveStorage(path));
  return where.fs->OpenInputFile(where.path);
}

}  // namespace

Result<std::unique_ptr<Reducer>> LoadReducer(const std::string& path) {
  auto opened = OpenInput(path);
  if (!opened.ok())
    return Status::IOError(path, ": cannot open saved reducer: ", opened.status().message());
  // Parquet's own messages do not say which file: a broken one is named here.
  auto reader = parquet::arrow::OpenFile(*opened, arrow::default_memory_pool());
  if (!reader.ok()) {
    return Status::IOError(path, ": not a saved reducer: ", reader.status().message());
  }
  std::shared_ptr<arrow::Table> table;
  Status read = (*reader)->ReadTable(&table);
  if (!read.ok()) return Status::IOError(path, ": cannot read saved reducer: ", read.message());
  const Params params(path, table->schema()->metadata());
  ARROW_ASSIGN_OR_RAISE(const std::string kind, params.Text(kKindKey));
  if (kind == "srp") {
    SrpOptions options;
    ARROW_ASSIGN_OR_RAISE(options.n_components, params.Integer("imgfeat.srp.n_components"));
    ARROW_ASSIGN_OR_RAISE(options.n_features, params.Integer("imgfeat.srp.n_features"));
    ARROW_ASSIGN_OR_RAISE(options.density, params.Number("imgfeat.srp.density"));
    ARROW_ASSIGN_OR_RAISE(const int64_t seed, params.Integer("imgfeat.srp.seed"));
    if (seed < 0 || seed > UINT32_MAX)
      return Status::Invalid(path, ": seed ", seed, " out of range");
    options.seed = static_cast<uint32_t>(seed);
    return MakeSparseRandomProjection(options);
  }
  if (kind == "pca") return LoadPca(path, params, *table);
  if (kind == "none") {
    ARROW_ASSIGN_OR_RAISE(const int64_t dim, params.Integer("imgfeat.none.n_features"));
    return MakeIdentityReducer(dim);
  }
  return Status::Invalid(path, ": unknown reducer kind '", kind, "'");
}

}  // namespace imgfeat
