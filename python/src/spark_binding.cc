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

#include <chrono>

#include "binding_util.h"
#include "dataset/parquet_part.h"
#include "imgfeat/dataset.h"
#include "imgfeat/listing.h"
#include "imgfeat/path_text.h"
#include "imgfeat/shards.h"
#include "imgfeat/storage.h"
#include "model/model_dirs.h"
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
  int64_t feature_dim = 0, output_dim = 0, embedding_dim = 0;
  Status status = [&]() -> Status {
    ARROW_ASSIGN_OR_RAISE(StoragePath in, ResolveStorage(options.input));
    ARROW_ASSIGN_OR_RAISE(StoragePath out, ResolveStorage(options.output));
    input_uri = in.uri;
    output_uri = out.uri;
    ARROW_ASSIGN_OR_RAISE(ResolvedModel model, ResolveModel(options));
    feature_dim = PooledFeatureLength(model.spec, options.pooling);
    ARROW_ASSIGN_OR_RAISE(auto embedding,
                          EmbeddingShapeOf(model.spec, options.pooling, options.embedding));
    embedding_dim = embedding.dim();
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
    model_json = ModelJson(model).dump();
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
  plan["embedding_dim"] = embedding_dim;  // 0: no embedding column
  plan["threads"] = options.threads;
  plan["engine"] = options.engine;
  plan["batch"] = options.batch > 0 ? options.batch : kDefaultBatch;
  return plan;
}

// The driver's listing of a run's INPUT (its options as a run takes them):
// a batch of path, label, modification_time, length, first_row_group and
// row_groups per listed file or shard (a Parquet shard larger than
// `split_bytes`, when positive, is one row per slice of its row groups,
// SplitParquetShard; row_groups 0: to the end), the entries the walk could
// not follow, and the number of images the plan is made for (a shard counts
// its samples where the plan needs the number, NeedsImageCount; else 1).
nb::tuple ListImages(const std::string& input, const std::string& output, nb::dict kwargs,
                     int64_t split_bytes) {
  RunOptions options = OptionsFrom(input, output, kwargs, kShellSpark);
  std::shared_ptr<arrow::RecordBatch> batch;
  std::vector<std::pair<std::string, std::string>> skipped;
  int64_t n_images = 0;
  Status status = [&]() -> Status {
    ARROW_ASSIGN_OR_RAISE(Labeler labeler, Labeler::Make(options.label_regex));
    ARROW_ASSIGN_OR_RAISE(auto lister, ImageLister::Open(options.input, options.list));
    const bool count = NeedsImageCount(options);
    arrow::StringBuilder paths, labels;
    arrow::TimestampBuilder times(arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"),
                                  arrow::default_memory_pool());
    arrow::Int64Builder lengths;
    arrow::Int32Builder first_groups, group_counts;
    while (true) {
      ARROW_ASSIGN_OR_RAISE(auto file, lister->Next());
      if (!file) break;
      const InputFormat format = ShardFormatOf(*file, options.list.format);
      if (format == InputFormat::kFiles || !count) {
        ++n_images;
      } else {
        ARROW_ASSIGN_OR_RAISE(int64_t samples, CountShardSamples(*file, format, options.shards));
        n_images += samples;
      }
      std::vector<ShardSlice> slices{ShardSlice{}};
      if (format == InputFormat::kParquet) {
        ARROW_ASSIGN_OR_RAISE(slices, SplitParquetShard(*file, split_bytes));
      }
      for (const ShardSlice& slice : slices) {
        ARROW_RETURN_NOT_OK(paths.Append(file->path));
        ARROW_RETURN_NOT_OK(labels.Append(labeler.LabelFor(file->path)));
        ARROW_RETURN_NOT_OK(times.Append(file->modification_time_us));
        ARROW_RETURN_NOT_OK(lengths.Append(file->length));
        ARROW_RETURN_NOT_OK(first_groups.Append(slice.first_row_group));
        ARROW_RETURN_NOT_OK(group_counts.Append(slice.row_groups));
      }
    }
    skipped = lister->Skipped();
    std::vector<std::shared_ptr<arrow::Array>> columns(6);
    ARROW_RETURN_NOT_OK(paths.Finish(&columns[0]));
    ARROW_RETURN_NOT_OK(labels.Finish(&columns[1]));
    ARROW_RETURN_NOT_OK(times.Finish(&columns[2]));
    ARROW_RETURN_NOT_OK(lengths.Finish(&columns[3]));
    ARROW_RETURN_NOT_OK(first_groups.Finish(&columns[4]));
    ARROW_RETURN_NOT_OK(group_counts.Finish(&columns[5]));
    const auto& schema = dataset::FeatureSchema();
    batch = arrow::RecordBatch::Make(
        arrow::schema({schema->field(0), schema->field(1), schema->field(2), schema->field(3),
                       arrow::field("first_row_group", arrow::int32(), false),
                       arrow::field("row_groups", arrow::int32(), false)}),
        columns[0]->length(), columns);
    return Status::OK();
  }();
  ThrowIfError(status);
  return nb::make_tuple(ExportBatch(batch), skipped, n_images);
}

// A shard's samples for a Spark worker, in batches of path, label,
// modification_time, length, content (null where the sample failed) and
// error: the same samples, labels and errors a run gives.
class ShardSamples {
 public:
  ShardSamples(const std::string& path, int64_t length, int64_t modification_time_us,
               nb::dict kwargs, std::unordered_set<std::string> skip, int first_row_group,
               int row_groups)
      : skip_(std::move(skip)) {
    options_ = OptionsFrom(".", ".", kwargs, kShellSpark);
    options_.shards.max_sample_bytes = options_.max_file_bytes;
    options_.shards.slice = ShardSlice{first_row_group, row_groups};
    labeler_ = ValueOrThrow(Labeler::Make(options_.label_regex));
    shard_ = ImageFile{path, modification_time_us, length};
    if (length < 0) open_error_ = StatShard();  // a frame of paths only
    if (!open_error_.ok()) return;
    auto reader =
        ShardReader::Open(shard_, ShardFormatOf(shard_, options_.list.format), options_.shards);
    if (reader.ok()) {
      reader_ = std::move(*reader);
    } else {
      open_error_ = reader.status();
    }
  }

  // Up to `max_rows` samples, or None at the end of the shard.
  std::optional<nb::tuple> NextBatch(int64_t max_rows) {
    std::shared_ptr<arrow::RecordBatch> batch;
    {
      nb::gil_scoped_release release;
      batch = ValueOrThrow(Collect(max_rows));
    }
    if (!batch) return std::nullopt;
    return ExportBatch(batch);
  }

  // Which of `paths` (the driver's listing) are shards under `kwargs`.
  static std::vector<bool> AreShards(const std::vector<std::string>& paths, nb::dict kwargs) {
    RunOptions options = OptionsFrom(".", ".", kwargs, kShellSpark);
    std::vector<bool> out;
    out.reserve(paths.size());
    for (const auto& path : paths) {
      out.push_back(ShardFormatOf(ImageFile{path, 0, 0}, options.list.format) !=
                    InputFormat::kFiles);
    }
    return out;
  }

 private:
  Result<std::shared_ptr<arrow::RecordBatch>> Collect(int64_t max_rows) {
    arrow::StringBuilder paths, labels, errors;
    arrow::TimestampBuilder times(arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"),
                                  arrow::default_memory_pool());
    arrow::Int64Builder lengths;
    arrow::BinaryBuilder content;
    std::vector<arrow::StringBuilder> kept(options_.shards.keep_columns.size());
    int64_t rows = 0;
    auto add = [&](const std::string& path, const std::string& label,
                   const std::shared_ptr<arrow::Buffer>& image, const Status& error,
                   const std::vector<std::optional<std::string>>& values) -> Status {
      for (size_t i = 0; i < kept.size(); ++i) {
        const bool has = i < values.size() && values[i].has_value();
        ARROW_RETURN_NOT_OK(has ? kept[i].Append(*values[i]) : kept[i].AppendNull());
      }
      ARROW_RETURN_NOT_OK(paths.Append(path));
      ARROW_RETURN_NOT_OK(labels.Append(label));
      ARROW_RETURN_NOT_OK(times.Append(shard_.modification_time_us));
      if (image) {
        ARROW_RETURN_NOT_OK(lengths.Append(image->size()));
        ARROW_RETURN_NOT_OK(content.Append(image->data(), image->size()));
      } else {
        ARROW_RETURN_NOT_OK(lengths.AppendNull());
        ARROW_RETURN_NOT_OK(content.AppendNull());
      }
      ARROW_RETURN_NOT_OK(error.ok() ? errors.AppendNull() : errors.Append(error.message()));
      ++rows;
      return Status::OK();
    };
    if (!open_error_.ok()) {
      ARROW_RETURN_NOT_OK(
          add(shard_.path, labeler_.LabelFor(shard_.path), nullptr, open_error_, {}));
      open_error_ = Status::OK();
      done_ = true;
    }
    while (!done_ && rows < max_rows) {
      auto next = reader_->Next();
      if (!next.ok() || !next->has_value()) {
        done_ = true;
        if (!next.ok()) {
          ARROW_RETURN_NOT_OK(
              add(shard_.path, labeler_.LabelFor(shard_.path), nullptr, next.status(), {}));
        }
        break;
      }
      const ShardSample& sample = **next;
      if (skip_.count(sample.path)) continue;
      ARROW_RETURN_NOT_OK(add(sample.path,
                              SampleLabel(labeler_, options_.shards, shard_.path, sample),
                              sample.image, sample.error, sample.kept));
    }
    if (rows == 0) return nullptr;
    std::vector<std::shared_ptr<arrow::Array>> columns(6);
    ARROW_RETURN_NOT_OK(paths.Finish(&columns[0]));
    ARROW_RETURN_NOT_OK(labels.Finish(&columns[1]));
    ARROW_RETURN_NOT_OK(times.Finish(&columns[2]));
    ARROW_RETURN_NOT_OK(lengths.Finish(&columns[3]));
    ARROW_RETURN_NOT_OK(content.Finish(&columns[4]));
    ARROW_RETURN_NOT_OK(errors.Finish(&columns[5]));
    const auto& schema = dataset::FeatureSchema();
    auto fields =
        std::vector<std::shared_ptr<arrow::Field>>{schema->field(0),
                                                   schema->field(1),
                                                   schema->field(2),
                                                   schema->field(3),
                                                   arrow::field("content", arrow::binary()),
                                                   arrow::field("error", arrow::utf8())};
    for (size_t i = 0; i < kept.size(); ++i) {
      ARROW_ASSIGN_OR_RAISE(auto values, kept[i].Finish());
      columns.push_back(std::move(values));
      fields.push_back(arrow::field(options_.shards.keep_columns[i], arrow::utf8()));
    }
    return arrow::RecordBatch::Make(arrow::schema(fields), rows, columns);
  }

  // The size and modification time of `shard_` from its storage.
  Status StatShard() {
    ARROW_ASSIGN_OR_RAISE(StoragePath where, ResolveStorage(shard_.path));
    ARROW_ASSIGN_OR_RAISE(arrow::fs::FileInfo info, where.fs->GetFileInfo(where.path));
    if (info.type() != arrow::fs::FileType::File) {
      return Status::IOError("no such file");
    }
    shard_.length = info.size();
    shard_.modification_time_us =
        std::chrono::duration_cast<std::chrono::microseconds>(info.mtime().time_since_epoch())
            .count();
    return Status::OK();
  }

  RunOptions options_;
  Labeler labeler_;
  ImageFile shard_;
  std::unique_ptr<ShardReader> reader_;
  Status open_error_;
  std::unordered_set<std::string> skip_;
  bool done_ = false;
};

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
  m.def("list_images", &ListImages, nb::arg("input"), nb::arg("output"), nb::arg("options"),
        nb::arg("split_bytes") = 0);
  nb::class_<ShardSamples>(m, "_ShardSamples")
      .def(nb::init<const std::string&, int64_t, int64_t, nb::dict, std::unordered_set<std::string>,
                    int, int>(),
           nb::arg("path"), nb::arg("length"), nb::arg("modification_time_us"), nb::arg("options"),
           nb::arg("skip"), nb::arg("first_row_group") = 0, nb::arg("row_groups") = 0)
      .def("next_batch", &ShardSamples::NextBatch, nb::arg("max_rows"))
      .def_static("are_shards", &ShardSamples::AreShards, nb::arg("paths"), nb::arg("options"));
  m.def("labels_of", &LabelsOf, nb::arg("paths"), nb::arg("label_regex"));
  // imgfeat's cache folder ("" without one), as the model cache finds it.
  m.def("cache_dir", &model::CacheDir);

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
