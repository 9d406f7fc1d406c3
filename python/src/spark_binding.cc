// imgfeat._imgfeat pieces of a distributed run's driver (imgfeat.spark_job):
// the plan, the listing, and the output folder opened and finished through the
// library's dataset writer, as `imgfeat run` does (storage_binding.cc has the
// executors' reads and part files).
#include <arrow/api.h>
#include <arrow/filesystem/filesystem.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/unordered_set.h>
#include <nanobind/stl/vector.h>

#include "binding_util.h"
#include "dataset/parquet_part.h"
#include "imgfeat/dataset.h"
#include "imgfeat/listing.h"
#include "imgfeat/path_text.h"
#include "imgfeat/shards.h"
#include "imgfeat/storage.h"
#include "pipeline/feature_stream.h"
#include "pipeline/job_setup.h"
#include "pipeline/manifest.h"

namespace imgfeat::python {
namespace {

void Configure(const std::string& endpoint, const std::string& region, bool anonymous,
               int attempts) {
  StorageOptions options;
  options.s3_endpoint = endpoint;
  options.s3_region = region;
  options.s3_anonymous = anonymous;
  options.s3_max_attempts = attempts;
  ThrowIfError(ConfigureStorage(options));
}

// What a run decides before it reads an image, for `n_images` listed images:
// the parameters a resume compares, the model, the dimensions, the reducer
// (none and SRP; PCA is fitted later) as _imgfeat.json describes them.
nb::dict Plan(const std::string& input, const std::string& output, nb::dict kwargs,
              int64_t n_images) {
  RunOptions options = OptionsFrom(input, output, kwargs, kShellSpark);
  nb::dict plan;
  std::string parameters, model_json, reducer_json, input_uri, output_uri;
  int64_t feature_dim = 0, output_dim = 0;
  Status status = [&]() -> Status {
    ARROW_ASSIGN_OR_RAISE(StoragePath in, ResolveStorage(options.input));
    ARROW_ASSIGN_OR_RAISE(StoragePath out, ResolveStorage(options.output));
    input_uri = in.uri;
    output_uri = out.uri;
    ARROW_ASSIGN_OR_RAISE(ResolvedModel model, ResolveModel(options));
    feature_dim = PooledFeatureLength(model.spec, options.pooling);
    // A saved reducer of this output is only read on resume (see MakeReducer).
    ARROW_ASSIGN_OR_RAISE(auto reducer, MakeReducer(options, feature_dim, n_images,
                                                    JoinUri(output_uri, "_reducer.parquet")));
    if (reducer) {
      output_dim = reducer->output_dim();
      reducer_json = reducer->DescribeJson();
    } else {
      ARROW_ASSIGN_OR_RAISE(output_dim, ResolveComponents(options, feature_dim, n_images));
    }
    parameters = RunParameters(options, model, output_dim, input_uri).dump();
    Json m = {{"name", model.spec.name},
              {"file", model.path},
              {"sha256", model.sha256},
              {"spec", Json::parse(ModelSpecToJson(model.spec))}};
    model_json = m.dump();
    return Status::OK();
  }();
  ThrowIfError(status);
  plan["input"] = input_uri;
  plan["output"] = output_uri;
  plan["parameters"] = parameters;
  plan["model"] = model_json;
  plan["reducer"] = reducer_json;
  plan["feature_dim"] = feature_dim;
  plan["output_dim"] = output_dim;
  plan["threads"] = options.threads;
  plan["engine"] = options.engine;
  plan["batch"] = options.batch > 0 ? options.batch : kDefaultBatch;
  return plan;
}

// Every image under `root` in the run's order, labelled: (path, label,
// modification_time, length) as a batch, and the entries the walk skipped.
nb::tuple ListImages(const std::string& root, const std::string& glob, bool follow_symlinks,
                     const std::string& label_regex) {
  ListOptions list;
  list.glob = glob;
  list.follow_symlinks = follow_symlinks;
  std::shared_ptr<arrow::RecordBatch> batch;
  std::vector<std::pair<std::string, std::string>> skipped;
  Status status = [&]() -> Status {
    ARROW_ASSIGN_OR_RAISE(Labeler labeler, Labeler::Make(label_regex));
    ARROW_ASSIGN_OR_RAISE(auto lister, ImageLister::Open(root, list));
    arrow::StringBuilder paths, labels;
    arrow::TimestampBuilder times(arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"),
                                  arrow::default_memory_pool());
    arrow::Int64Builder lengths;
    while (true) {
      ARROW_ASSIGN_OR_RAISE(auto file, lister->Next());
      if (!file) break;
      if (ShardFormatOf(*file, list.format) != InputFormat::kFiles) {
        // Not yet split by shard on Spark: refused rather than read as an image.
        return Status::NotImplemented(
            "input ", PathText(file->path),
            " is a shard (.tar, .parquet): the Spark job reads loose image files only so far; "
            "featurize shards with 'imgfeat run' (docs/FORMAT.md, 'Shards')");
      }
      ARROW_RETURN_NOT_OK(paths.Append(file->path));
      ARROW_RETURN_NOT_OK(labels.Append(labeler.LabelFor(file->path)));
      ARROW_RETURN_NOT_OK(times.Append(file->modification_time_us));
      ARROW_RETURN_NOT_OK(lengths.Append(file->length));
    }
    skipped = lister->Skipped();
    std::shared_ptr<arrow::Array> columns[4];
    ARROW_RETURN_NOT_OK(paths.Finish(&columns[0]));
    ARROW_RETURN_NOT_OK(labels.Finish(&columns[1]));
    ARROW_RETURN_NOT_OK(times.Finish(&columns[2]));
    ARROW_RETURN_NOT_OK(lengths.Finish(&columns[3]));
    const auto& schema = dataset::FeatureSchema();
    batch = arrow::RecordBatch::Make(
        arrow::schema({schema->field(0), schema->field(1), schema->field(2), schema->field(3)}),
        columns[0]->length(), {columns[0], columns[1], columns[2], columns[3]});
    return Status::OK();
  }();
  ThrowIfError(status);
  return nb::make_tuple(ExportBatch(batch), skipped);
}

// The labels of `paths`, as a run gives them.
std::vector<std::string> LabelsOf(const std::vector<std::string>& paths,
                                  const std::string& label_regex) {
  Labeler labeler = ValueOrThrow(Labeler::Make(label_regex));
  std::vector<std::string> labels;
  labels.reserve(paths.size());
  for (const auto& path : paths) labels.push_back(labeler.LabelFor(path));
  return labels;
}

std::unique_ptr<DatasetWriter> OpenOutput(const std::string& dir, int64_t output_dim,
                                          const std::string& params, bool overwrite, bool resume) {
  DatasetOptions options;
  options.overwrite = overwrite;
  options.resume = resume;
  Result<std::unique_ptr<DatasetWriter>> opened;
  {
    nb::gil_scoped_release release;
    opened = DatasetWriter::Open(dir, output_dim, params, options);
  }
  return ValueOrThrow(std::move(opened));
}

}  // namespace

void BindSpark(nb::module_& m) {
  BindStorage(m);
  BindSparkCommit(m);
  m.def("configure_storage", &Configure, nb::arg("endpoint"), nb::arg("region"),
        nb::arg("anonymous"), nb::arg("attempts"));
  m.def("plan", &Plan, nb::arg("input"), nb::arg("output"), nb::arg("options"),
        nb::arg("n_images"));
  m.def("list_images", &ListImages, nb::arg("root"), nb::arg("glob"), nb::arg("follow_symlinks"),
        nb::arg("label_regex"));
  m.def("labels_of", &LabelsOf, nb::arg("paths"), nb::arg("label_regex"));

  nb::class_<DatasetWriter>(m, "_OutputWriter")
      .def_static("open", &OpenOutput, nb::arg("dir"), nb::arg("output_dim"), nb::arg("params"),
                  nb::arg("overwrite"), nb::arg("resume"))
      .def_prop_ro("committed_paths", &DatasetWriter::committed_paths)
      .def_prop_ro("already_complete", &DatasetWriter::already_complete)
      .def_prop_ro("rows_written", &DatasetWriter::rows_written)
      .def_prop_ro("errors_recorded", &DatasetWriter::errors_recorded)
      .def("add_error",
           [](DatasetWriter& w, const std::string& path, const std::string& stage,
              const std::string& message) { ThrowIfError(w.AddError(path, stage, message)); })
      .def("publish",
           [](DatasetWriter& w, const std::string& name, nb::bytes contents) {
             const std::string_view data(contents.c_str(), contents.size());
             Status status;
             {
               nb::gil_scoped_release release;
               status = w.Publish(name, data);
             }
             ThrowIfError(status);
           })
      .def("finish", [](DatasetWriter& w, const std::string& manifest) {
        Status status;
        {
          nb::gil_scoped_release release;
          status = w.Finish(manifest);
        }
        ThrowIfError(status);
      });
}

}  // namespace imgfeat::python
