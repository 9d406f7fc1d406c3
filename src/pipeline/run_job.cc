// RunJob: every decision first (input, model, engine, reducer), then the
// output is opened and the images stream through (see feature_stream.h).
#include <chrono>
#include <thread>

#include "dataset/output_layout.h"
#include "imgfeat/dataset.h"
#include "imgfeat/engine.h"
#include "imgfeat/pipeline.h"
#include "imgfeat/storage.h"
#include "io/object_fetcher.h"
#include "io/path_util.h"
#include "pipeline/distortion_sample.h"
#include "pipeline/feature_stream.h"
#include "pipeline/job_setup.h"
#include "pipeline/manifest.h"
#include "pipeline/run_events.h"

namespace imgfeat {
namespace {

using Clock = std::chrono::steady_clock;

// Bytes of images being fetched ahead from an object store at once.
constexpr int64_t kFetchAheadBytes = int64_t{128} << 20;

double SecondsSince(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Bad files: an event each, and a row in _errors.parquet.
class ErrorReporter {
 public:
  ErrorReporter(DatasetWriter* writer, RunEvents* events) : writer_(writer), events_(events) {}
  Status Report(const ImageFile& file, const std::string& stage, const Status& error) {
    events_->FileError(file.path, stage, error.message());
    return writer_->AddError(file.path, stage, error.message());
  }

 private:
  DatasetWriter* writer_;
  RunEvents* events_;
};

// What a run decided before touching OUTPUT.
struct Plan {
  int threads = 0;
  int batch = 0;
  int64_t n_images = 0;
  bool counted = true;  // false: n_images is only a lower bound (S3, see NeedsImageCount)
  int64_t feature_dim = 0;
  int64_t output_dim = 0;
  EmbeddingShape embedding;  // --embedding's; dim() 0 without it
  std::string output_abs;
  std::string saved_reducer;
  std::optional<Labeler> labeler;
  ResolvedModel model;
  std::unique_ptr<InferenceEngine> engine;
  std::unique_ptr<Reducer> reducer;  // null: PCA, fitted after the features
  bool reducer_saved = false;
  Json parameters;
};

// Everything that can fail fails here, before OUTPUT is touched.
Result<Plan> MakePlan(const RunOptions& options) {
  Plan plan;
  plan.threads = options.threads > 0
                     ? options.threads
                     : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  plan.batch = options.batch > 0 ? options.batch : kDefaultBatch;
  ARROW_RETURN_NOT_OK(ConfigureStorage(options.storage));
  ARROW_ASSIGN_OR_RAISE(StoragePath input, ResolveStorage(options.input));
  const std::string input_abs = input.uri;
  ARROW_ASSIGN_OR_RAISE(plan.n_images, CountImages(options));
  plan.counted = NeedsImageCount(options);
  ARROW_ASSIGN_OR_RAISE(plan.labeler, Labeler::Make(options.label_regex));
  ARROW_ASSIGN_OR_RAISE(plan.model, ResolveModel(options));
  EngineOptions engine_options;
  engine_options.threads = plan.threads;
  engine_options.max_batch = plan.batch;
  engine_options.precision = options.precision;
  ARROW_ASSIGN_OR_RAISE(plan.engine, OpenEngine(options.engine, plan.model.engine_path(),
                                                plan.model.spec, engine_options));
  plan.feature_dim = PooledFeatureLength(plan.model.spec, options.pooling);
  ARROW_ASSIGN_OR_RAISE(plan.embedding,
                        EmbeddingShapeOf(plan.model.spec, options.pooling, options.embedding));
  ARROW_ASSIGN_OR_RAISE(StoragePath output, ResolveStorage(options.output));
  plan.output_abs = output.uri;
  plan.saved_reducer = JoinPath(plan.output_abs, dataset::kReducerFile);
  ARROW_ASSIGN_OR_RAISE(plan.reducer,
                        MakeReducer(options, plan.feature_dim, plan.n_images, plan.saved_reducer));
  // A resumed PCA run whose fit finished before the interruption reuses it.
  plan.reducer_saved = plan.reducer && options.resume && options.reduce == ReduceKind::kPca &&
                       options.reducer_from.empty();
  if (plan.reducer) {
    plan.output_dim = plan.reducer->output_dim();
  } else {
    ARROW_ASSIGN_OR_RAISE(plan.output_dim,
                          ResolveComponents(options, plan.feature_dim, plan.n_images));
  }
  plan.parameters = RunParameters(options, plan.model, plan.output_dim, input_abs);
  return plan;
}

// Reduces a batch of feature rows and hands them to the writer (and the
// distortion sample, which keeps a few rows before and after).
// With --embedding it also averages each row's unreduced output over its
// positions, as --pooling avg does in the decode-infer loop.
class RowSink {
 public:
  RowSink(const Reducer* reducer, DatasetWriter* writer, DistortionSample* distortion,
          EmbeddingShape embedding)
      : reducer_(reducer), writer_(writer), distortion_(distortion), embedding_shape_(embedding) {}
  Status Write(const std::vector<FeatureRecord>& records, const float* features) {
    const auto rows = static_cast<int64_t>(records.size());
    auto t0 = Clock::now();
    reduced_.resize(rows * reducer_->output_dim());
    reducer_->Transform(features, rows, reduced_.data());
    seconds_ += SecondsSince(t0);
    distortion_->Offer(records, features, reduced_.data());
    if (embedding_shape_.dim() == 0) return writer_->Append(records, reduced_.data(), nullptr);
    embedding_.resize(rows * embedding_shape_.dim());
    embedding_shape_.Pool(features, rows, embedding_.data());
    return writer_->Append(records, reduced_.data(), embedding_.data());
  }
  void set_reducer(const Reducer* reducer) { reducer_ = reducer; }
  double seconds() const { return seconds_; }

 private:
  const Reducer* reducer_;
  DatasetWriter* writer_;
  DistortionSample* distortion_;
  const EmbeddingShape embedding_shape_;
  std::vector<float> reduced_, embedding_;
  double seconds_ = 0;
};

// PCA: the features wait in a spill file while the fit reads them several
// times, then are reduced and written. The fitted reducer is saved before
// any row, so that --resume can reuse it.
Status StreamFitPcaAndWrite(const RunOptions& options, Plan* plan, ImageLister* lister,
                            const StreamConfig& config, StreamCallbacks callbacks,
                            DatasetWriter* writer, DistortionSample* distortion, RunEvents* events,
                            StreamStats* stats, RunTimings* timings) {
  ARROW_ASSIGN_OR_RAISE(
      auto spill,
      FeatureSpill::Create(JoinPath(writer->work_dir(), "features.f32"), plan->feature_dim));
  std::vector<FeatureRecord> records;
  callbacks.on_batch = [&](const std::vector<FeatureRecord>& batch, const float* features,
                           int64_t) {
    records.insert(records.end(), batch.begin(), batch.end());
    return spill->Append(features, static_cast<int64_t>(batch.size()));
  };
  ARROW_RETURN_NOT_OK(StreamFeatures(lister, plan->engine.get(), config, callbacks, stats));
  ARROW_RETURN_NOT_OK(spill->FinishWriting());
  if (records.size() < 2) return Status::Invalid("PCA needs at least 2 decodable images");
  events->Phase(kPhaseFitPca, plan->output_dim);
  auto t0 = Clock::now();
  PcaOptions pca;
  pca.n_components = plan->output_dim;
  pca.oversampling = options.pca_oversampling;
  pca.power_iterations = options.pca_power_iterations;
  pca.seed = options.seed;
  ARROW_ASSIGN_OR_RAISE(plan->reducer, FitPca(spill.get(), pca));
  timings->pca_fit_seconds = SecondsSince(t0);
  ARROW_ASSIGN_OR_RAISE(std::string reducer_file, ReducerFileBytes(*plan->reducer));
  ARROW_RETURN_NOT_OK(writer->Publish(std::string(dataset::kReducerFile), reducer_file));
  plan->reducer_saved = true;

  events->Phase(kPhaseReduce, static_cast<int64_t>(records.size()));
  RowSink sink(plan->reducer.get(), writer, distortion, plan->embedding);
  ARROW_RETURN_NOT_OK(spill->Rewind());
  std::vector<float> block(static_cast<size_t>(plan->batch) * plan->feature_dim);
  for (size_t done = 0; done < records.size();) {
    ARROW_ASSIGN_OR_RAISE(int64_t got, spill->Read(block.data(), plan->batch));
    if (got == 0) return Status::IOError("feature spill ended early");
    std::vector<FeatureRecord> slice(records.begin() + done, records.begin() + done + got);
    ARROW_RETURN_NOT_OK(sink.Write(slice, block.data()));
    done += got;
    events->Progress(static_cast<int64_t>(done), static_cast<int64_t>(records.size()));
  }
  timings->reduce_seconds = sink.seconds();
  return Status::OK();
}

}  // namespace

Result<RunSummary> RunJob(const RunOptions& options) {
  const auto start = Clock::now();
  ARROW_RETURN_NOT_OK(ValidateRunOptions(options, kShellsOfARun));
  RunEvents events(options.events);
  ARROW_ASSIGN_OR_RAISE(Plan plan, MakePlan(options));
  ARROW_ASSIGN_OR_RAISE(StoragePath input, ResolveStorage(options.input));

  DatasetOptions dataset_options;
  dataset_options.overwrite = options.overwrite;
  dataset_options.resume = options.resume;
  dataset_options.rows_per_part = options.rows_per_part;
  dataset_options.kept_columns = options.shards.keep_columns;
  dataset_options.embedding_dim = plan.embedding.dim();
  ARROW_ASSIGN_OR_RAISE(auto writer, DatasetWriter::Open(plan.output_abs, plan.output_dim,
                                                         plan.parameters.dump(), dataset_options));
  RunSummary summary;
  summary.images_listed = plan.counted ? plan.n_images : -1;
  summary.feature_dim = plan.feature_dim;
  summary.output_dim = plan.output_dim;
  if (writer->already_complete()) {  // --resume of a run that had finished
    summary.already_complete = true;
    summary.images_skipped_as_done = plan.counted ? plan.n_images : writer->rows_written();
    summary.rows_written = writer->rows_written();
    return summary;
  }

  ARROW_ASSIGN_OR_RAISE(auto lister, ImageLister::Open(options.input, options.list));
  StreamConfig config;
  config.geometry.width = plan.model.spec.input_width;
  config.geometry.height = plan.model.spec.input_height;
  config.geometry.preprocess = plan.model.spec.preprocess;
  config.geometry.max_pixels = options.max_pixels;
  config.geometry.max_file_bytes = options.max_file_bytes;
  config.decode_threads = plan.threads;
  config.batch = plan.batch;
  config.pooling = options.pooling;
  config.labeler = &*plan.labeler;
  config.format = options.list.format;
  config.shards = options.shards;
  config.shards.max_sample_bytes = options.max_file_bytes;
  config.skip = &writer->committed_paths();
  std::unique_ptr<ObjectFetcher> fetcher;
  if (input.is_s3) {
    fetcher = std::make_unique<ObjectFetcher>(input.fs, kFetchAheadBytes);
    config.fetcher = fetcher.get();
  }
  config.cancel = options.cancel;

  const int64_t todo =
      plan.counted ? plan.n_images - static_cast<int64_t>(writer->committed_paths().size()) : 0;
  ErrorReporter errors(writer.get(), &events);
  StreamCallbacks callbacks;
  callbacks.on_error = [&](const ImageFile& f, const std::string& stage, const Status& e) {
    return errors.Report(f, stage, e);
  };
  callbacks.on_progress = [&](int64_t done) { events.Progress(done, todo); };

  StreamStats stats;
  RunTimings timings;
  ARROW_ASSIGN_OR_RAISE(auto distortion, DistortionSample::Make(todo, kDistortionRows, options.seed,
                                                                plan.feature_dim, plan.output_dim));
  events.Phase(kPhaseFeaturize, todo);
  if (plan.reducer) {
    RowSink sink(plan.reducer.get(), writer.get(), &distortion, plan.embedding);
    callbacks.on_batch = [&](const std::vector<FeatureRecord>& records, const float* features,
                             int64_t) { return sink.Write(records, features); };
    ARROW_RETURN_NOT_OK(StreamFeatures(lister.get(), plan.engine.get(), config, callbacks, &stats));
    timings.reduce_seconds = sink.seconds();
  } else {
    ARROW_RETURN_NOT_OK(StreamFitPcaAndWrite(options, &plan, lister.get(), config, callbacks,
                                             writer.get(), &distortion, &events, &stats, &timings));
  }
  events.Phase(kPhaseFinish);
  if (plan.reducer->kind() != "none" && !plan.reducer_saved) {
    ARROW_ASSIGN_OR_RAISE(std::string reducer_file, ReducerFileBytes(*plan.reducer));
    ARROW_RETURN_NOT_OK(writer->Publish(std::string(dataset::kReducerFile), reducer_file));
  }

  const Json distortion_info = {{"eps", options.eps},
                                {"reducer", plan.reducer->kind()},
                                {"seed", options.seed},
                                {"rows", distortion.rows_kept()}};
  ARROW_ASSIGN_OR_RAISE(std::string distortion_file, distortion.ToParquet(distortion_info.dump()));
  ARROW_RETURN_NOT_OK(writer->Publish(std::string(dataset::kDistortionFile), distortion_file));

  timings.total_seconds = SecondsSince(start);
  ManifestInputs manifest{&plan.parameters, &plan.model, plan.engine.get(), plan.reducer.get(),
                          &stats};
  manifest.threads = plan.threads;
  manifest.batch = plan.batch;
  manifest.rows_written = writer->rows_written();
  manifest.errors = writer->errors_recorded();
  manifest.feature_dim = plan.feature_dim;
  manifest.output_dim = plan.output_dim;
  manifest.embedding_dim = plan.embedding.dim();
  manifest.timings = timings;
  ARROW_RETURN_NOT_OK(writer->Finish(BuildManifest(manifest)));

  if (!plan.counted) summary.images_listed = stats.listed;
  summary.images_skipped_as_done = stats.skipped;
  summary.rows_written = writer->rows_written();
  summary.errors = writer->errors_recorded();
  summary.seconds = SecondsSince(start);
  return summary;
}

}  // namespace imgfeat
