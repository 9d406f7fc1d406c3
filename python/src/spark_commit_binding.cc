// A distributed run's parts, row schema and manifest, from the core
// (dataset/task_parts.h, pipeline/manifest.h): the Spark driver and tasks in
// Python only move these between Spark's pieces.
#include <arrow/api.h>
#include <arrow/c/bridge.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/tuple.h>
#include <nanobind/stl/vector.h>

#include "binding_util.h"
#include "dataset/parquet_part.h"
#include "dataset/task_parts.h"
#include "pipeline/manifest.h"

namespace imgfeat::python {
namespace {

using dataset::TaskFile;
using FileTuple =
    std::tuple<int64_t, int64_t, std::string, int64_t>;  // partition, chunk, uri, rows

FileTuple AsTuple(const TaskFile& f) { return {f.partition, f.chunk, f.uri, f.rows}; }

// The rows a Spark task produces: the output's columns (features a plain
// list<float32>, null for a failed image), then `error` and `stage`, then
// with --embedding `embedding` (also null for a failed image). Kept columns
// follow, in the part's order (dataset::FeatureSchemaWith).
std::shared_ptr<arrow::Schema> SparkRowSchema(bool embedding) {
  const auto& part = dataset::FeatureSchema();
  std::vector<std::shared_ptr<arrow::Field>> fields;
  for (int i = 0; i < 4; ++i) fields.push_back(part->field(i)->WithNullable(true));
  fields.push_back(arrow::field("features", arrow::list(arrow::float32())));
  fields.push_back(arrow::field("error", arrow::utf8()));
  fields.push_back(arrow::field("stage", arrow::utf8()));
  if (embedding) fields.push_back(arrow::field("embedding", arrow::list(arrow::float32())));
  return arrow::schema(fields);
}

// The same schema in Spark's DDL, for mapInArrow.
std::string SparkRowDdl(bool embedding) {
  std::string ddl;
  const auto schema = SparkRowSchema(embedding);  // kept alive: fields() refers into it
  for (const auto& field : schema->fields()) {
    std::string type;
    switch (field->type()->id()) {
      case arrow::Type::STRING:
        type = "string";
        break;
      case arrow::Type::INT64:
        type = "long";
        break;
      case arrow::Type::TIMESTAMP:
        type = "timestamp";
        break;
      case arrow::Type::LIST:
        type = "array<float>";
        break;
      default:
        throw std::runtime_error("no Spark type for " + field->type()->ToString());
    }
    ddl += (ddl.empty() ? "" : ", ") + field->name() + " " + type;
  }
  return ddl;
}

nb::capsule SchemaCapsule(bool embedding) {
  auto schema = std::make_unique<ArrowSchema>();
  ThrowIfError(arrow::ExportSchema(*SparkRowSchema(embedding), schema.get()));
  return nb::capsule(schema.release(), "arrow_schema", [](void* p) noexcept {
    auto* s = static_cast<ArrowSchema*>(p);
    if (s->release != nullptr) s->release(s);
    delete s;
  });
}

class PyTaskPartWriter {
 public:
  PyTaskPartWriter(const std::string& attempt_uri, int64_t partition, int64_t max_rows)
      : writer_(attempt_uri, partition, max_rows) {}
  void Add(nb::handle schema_capsule, nb::handle array_capsule) {
    std::shared_ptr<arrow::Array> array = ImportArray(schema_capsule, array_capsule);
    Status status;
    {
      nb::gil_scoped_release release;
      status = [&]() -> Status {
        ARROW_ASSIGN_OR_RAISE(auto batch, arrow::RecordBatch::FromStructArray(array));
        return writer_.Add(batch);
      }();
    }
    ThrowIfError(status);
  }
  std::vector<FileTuple> Finish() {
    Status status;
    {
      nb::gil_scoped_release release;
      status = writer_.Finish();
    }
    ThrowIfError(status);
    std::vector<FileTuple> out;
    for (const auto& f : writer_.files()) out.push_back(AsTuple(f));
    return out;
  }

 private:
  dataset::TaskPartWriter writer_;
};

std::vector<FileTuple> CommitTaskFiles(const std::string& output_uri,
                                       const std::vector<FileTuple>& files) {
  std::vector<TaskFile> in;
  for (const auto& [partition, chunk, uri, rows] : files)
    in.push_back({partition, chunk, uri, rows});
  Result<std::vector<TaskFile>> done;
  {
    nb::gil_scoped_release release;
    done = dataset::CommitTaskFiles(output_uri, std::move(in));
  }
  std::vector<FileTuple> out;
  for (const auto& f : ValueOrThrow(std::move(done))) out.push_back(AsTuple(f));
  return out;
}

std::string Manifest(nb::dict plan, const std::string& reducer_json, nb::dict counts,
                     nb::dict timings, const std::string& extra_json) {
  ManifestFields f;
  f.parameters = Json::parse(nb::cast<std::string>(plan["parameters"]));
  f.model = Json::parse(nb::cast<std::string>(plan["model"]));
  f.engine_name = nb::cast<std::string>(plan["engine"]);
  f.threads = nb::cast<int>(plan["worker_threads"]);
  f.batch = nb::cast<int>(plan["batch"]);
  f.reducer = Json::parse(reducer_json);
  f.feature_dim = nb::cast<int64_t>(plan["feature_dim"]);
  f.output_dim = nb::cast<int64_t>(plan["output_dim"]);
  f.embedding_dim = nb::cast<int64_t>(plan["embedding_dim"]);
  f.images_listed = nb::cast<int64_t>(counts["images_listed"]);
  f.images_already_done = nb::cast<int64_t>(counts["images_already_done"]);
  f.rows_written = nb::cast<int64_t>(counts["rows_written"]);
  f.errors = nb::cast<int64_t>(counts["errors"]);
  f.total_seconds = nb::cast<double>(timings["total_seconds"]);
  f.stream_seconds = nb::cast<double>(timings["stream_seconds"]);
  f.inference_seconds = nb::cast<double>(timings["inference_seconds"]);
  f.pca_fit_seconds = nb::cast<double>(timings["pca_fit_seconds"]);
  const int64_t featurized = f.rows_written - f.images_already_done;
  f.images_per_second = f.stream_seconds > 0 ? featurized / f.stream_seconds : 0.0;
  f.extra = Json::parse(extra_json);
  return ComposeManifest(f);
}

}  // namespace

void BindSparkCommit(nb::module_& m) {
  m.def("spark_row_schema", &SchemaCapsule, nb::arg("embedding") = false);
  m.def("spark_row_ddl", &SparkRowDdl, nb::arg("embedding") = false);
  m.def(
      "rows_per_part",
      [](int64_t feature_dim, const std::string& output_uri, int64_t requested) {
        return ValueOrThrow(dataset::RowsPerPart(feature_dim, output_uri, requested));
      },
      nb::arg("feature_dim"), nb::arg("output"), nb::arg("requested"));
  m.def("commit_task_files", &CommitTaskFiles, nb::arg("output"), nb::arg("files"));
  m.def("manifest", &Manifest, nb::arg("plan"), nb::arg("reducer"), nb::arg("counts"),
        nb::arg("timings"), nb::arg("extra"));
  nb::class_<PyTaskPartWriter>(m, "_TaskPartWriter")
      .def(nb::init<const std::string&, int64_t, int64_t>(), nb::arg("attempt_uri"),
           nb::arg("partition"), nb::arg("max_rows"))
      .def("add", &PyTaskPartWriter::Add, nb::arg("schema"), nb::arg("array"))
      .def("finish", &PyTaskPartWriter::Finish);
}

}  // namespace imgfeat::python
