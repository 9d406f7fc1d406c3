// RunJob: every decision first (input, model, engine, reducer), then the
// output is opened and the images stream through (see feature_stream.h).
#include <chrono>
#include <cstdio>
#include <ctime>
#include <thread>

#include <nlohmann/json.hpp>

#include "imgfeat/dataset.h"
#include "imgfeat/engine.h"
#include "imgfeat/pipeline.h"
#include "io/path_util.h"
#include "pipeline/feature_stream.h"
#include "pipeline/job_setup.h"
#include "pipeline/progress.h"

namespace imgfeat {
namespace {

using Json = nlohmann::ordered_json;
// Measured: the engine costs the same per image from 4 to 32 images a call
// (docs/BENCHMARKS.md); 16 keeps the SRP transform on full blocks.
constexpr int kDefaultBatch = 16;
constexpr int kErrorsPrinted = 20;

int Cores() { return std::max(1u, std::thread::hardware_concurrency()); }

// What determines the rows: a resumed run must agree on all of it.
Json RunParameters(const RunOptions& options, const ResolvedModel& model, int64_t components,
                   const std::string& input_abs) {
  Json p;
  p["input"] = input_abs;
  p["glob"] = options.list.glob;
  p["label_regex"] = options.label_regex;
  p["model"] = {{"name", model.spec.name}, {"sha256", model.sha256}};
  p["preprocessing"] = {{"mode", PreprocessModeName(model.spec.preprocess)},
                        {"width", model.spec.input_width},
                        {"height", model.spec.input_height},
                        {"resize", "pillow-bicubic"}};
  p["pooling"] = PoolingName(options.pooling);
  p["reduce"] = {{"kind", ReduceKindName(options.reduce)},
                 {"components", components},
                 {"reducer_from", options.reducer_from}};
  if (options.reducer_from.empty() && options.reduce == ReduceKind::kSrp) {
    p["reduce"]["seed"] = options.seed;
    p["reduce"]["density"] = options.density;
    p["reduce"]["eps"] = options.eps;
  }
  if (options.reducer_from.empty() && options.reduce == ReduceKind::kPca) {
    p["reduce"]["seed"] = options.seed;
    p["reduce"]["power_iterations"] = options.pca_power_iterations;
    p["reduce"]["oversampling"] = options.pca_oversampling;
  }
  return p;
}

std::string NowUtc() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

class ErrorReporter {
 public:
  ErrorReporter(DatasetWriter* writer, bool quiet) : writer_(writer), quiet_(quiet) {}
  Status Report(const ImageFile& file, const std::string& stage, const Status& error) {
    if (!quiet_ && ++printed_ <= kErrorsPrinted) {
      std::fprintf(stderr, "\rimgfeat: skipped %s: %s\x1b[K\n", file.path.c_str(),
                   error.message().c_str());
    }
    return writer_->AddError(file.path, stage, error.message());
  }
  int64_t count() const { return printed_; }

 private:
  DatasetWriter* writer_;
  bool quiet_;
  int64_t printed_ = 0;
};

}  // namespace

Result<RunSummary> RunJob(const RunOptions& options) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  if (options.resume && options.overwrite) {
    return Status::Invalid("--resume and --overwrite exclude each other");
  }
  const int threads = options.threads > 0 ? options.threads : Cores();
  const int batch = options.batch > 0 ? options.batch : kDefaultBatch;

  // Everything that can fail fails here, before OUTPUT is touched.
  ARROW_ASSIGN_OR_RAISE(std::string input_abs, AbsolutePath(options.input));
  ARROW_ASSIGN_OR_RAISE(int64_t n_images, CountImages(options));
  ARROW_ASSIGN_OR_RAISE(Labeler labeler, Labeler::Make(options.label_regex));
  ARROW_ASSIGN_OR_RAISE(ResolvedModel model, ResolveModel(options));
  EngineOptions engine_options;
  engine_options.threads = threads;
  engine_options.max_batch = batch;
  ARROW_ASSIGN_OR_RAISE(auto engine,
                        OpenEngine(options.engine, model.path, model.spec, engine_options));
  const int64_t feature_dim = PooledFeatureLength(model.spec, options.pooling);
  ARROW_ASSIGN_OR_RAISE(std::string output_abs, AbsolutePath(options.output));
  const std::string saved_reducer = JoinPath(output_abs, "_reducer.parquet");
  ARROW_ASSIGN_OR_RAISE(std::unique_ptr<Reducer> reducer,
                        MakeReducer(options, feature_dim, n_images, saved_reducer));
  // A resumed PCA run whose fit finished before the interruption reuses it.
  bool reducer_saved = reducer && options.resume && options.reduce == ReduceKind::kPca &&
                       options.reducer_from.empty();
  int64_t out_dim = 0;
  if (reducer) {
    out_dim = reducer->output_dim();
  } else {
    ARROW_ASSIGN_OR_RAISE(out_dim, ResolveComponents(options, feature_dim, n_images));
  }
  const Json params = RunParameters(options, model, out_dim, input_abs);

  DatasetOptions dataset_options;
  dataset_options.overwrite = options.overwrite;
  dataset_options.resume = options.resume;
  dataset_options.rows_per_part = options.rows_per_part;
  ARROW_ASSIGN_OR_RAISE(auto writer,
                        DatasetWriter::Open(output_abs, out_dim, params.dump(), dataset_options));

  if (writer->already_complete()) {  // --resume of a run that had finished
    RunSummary done;
    done.already_complete = true;
    done.images_listed = n_images;
    done.images_skipped_as_done = n_images;
    done.rows_written = writer->rows_written();
    done.feature_dim = feature_dim;
    done.output_dim = out_dim;
    return done;
  }

  ARROW_ASSIGN_OR_RAISE(auto lister, ImageLister::Open(options.input, options.list));
  StreamConfig config;
  config.geometry.width = model.spec.input_width;
  config.geometry.height = model.spec.input_height;
  config.geometry.preprocess = model.spec.preprocess;
  config.geometry.max_pixels = options.max_pixels;
  config.decode_threads = threads;
  config.batch = batch;
  config.pooling = options.pooling;
  config.labeler = &labeler;
  config.skip = &writer->committed_paths();

  const int64_t todo = n_images - static_cast<int64_t>(writer->committed_paths().size());
  ProgressBar progress("imgfeat", todo, options.progress && !options.quiet);
  ErrorReporter errors(writer.get(), options.quiet);
  StreamCallbacks callbacks;
  callbacks.on_error = [&](const ImageFile& f, const std::string& stage, const Status& e) {
    return errors.Report(f, stage, e);
  };
  callbacks.on_progress = [&](int64_t done) { progress.Update(done); };

  double reduce_seconds = 0, fit_seconds = 0;
  std::vector<float> reduced;
  auto write_rows = [&](const std::vector<FeatureRecord>& records, const float* features) {
    auto t0 = Clock::now();
    reduced.resize(records.size() * out_dim);
    reducer->Transform(features, static_cast<int64_t>(records.size()), reduced.data());
    reduce_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    return writer->Append(records, reduced.data());
  };

  StreamStats stats;
  if (reducer) {
    callbacks.on_batch = [&](const std::vector<FeatureRecord>& records, const float* features,
                             int64_t) { return write_rows(records, features); };
    ARROW_RETURN_NOT_OK(StreamFeatures(lister.get(), engine.get(), config, callbacks, &stats));
  } else {
    // PCA: features wait in a spill file while the fit reads them several times.
    ARROW_ASSIGN_OR_RAISE(auto spill, FeatureSpill::Create(
                                          JoinPath(writer->work_dir(), "features.f32"), feature_dim));
    std::vector<FeatureRecord> all_records;
    callbacks.on_batch = [&](const std::vector<FeatureRecord>& records, const float* features,
                             int64_t) {
      all_records.insert(all_records.end(), records.begin(), records.end());
      return spill->Append(features, static_cast<int64_t>(records.size()));
    };
    ARROW_RETURN_NOT_OK(StreamFeatures(lister.get(), engine.get(), config, callbacks, &stats));
    ARROW_RETURN_NOT_OK(spill->FinishWriting());
    if (all_records.size() < 2) return Status::Invalid("PCA needs at least 2 decodable images");
    progress.Finish();
    if (!options.quiet) std::fprintf(stderr, "imgfeat: fitting PCA (%lld components)...\n",
                                     static_cast<long long>(out_dim));
    auto t0 = Clock::now();
    PcaOptions pca;
    pca.n_components = out_dim;
    pca.oversampling = options.pca_oversampling;
    pca.power_iterations = options.pca_power_iterations;
    pca.seed = options.seed;
    ARROW_ASSIGN_OR_RAISE(reducer, FitPca(spill.get(), pca));
    fit_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    ARROW_RETURN_NOT_OK(SaveReducer(*reducer, saved_reducer));
    reducer_saved = true;
    ARROW_RETURN_NOT_OK(spill->Rewind());
    std::vector<float> block(static_cast<size_t>(batch) * feature_dim);
    for (size_t done = 0; done < all_records.size();) {
      ARROW_ASSIGN_OR_RAISE(int64_t got, spill->Read(block.data(), batch));
      if (got == 0) return Status::IOError("feature spill ended early");
      std::vector<FeatureRecord> slice(all_records.begin() + done,
                                       all_records.begin() + done + got);
      ARROW_RETURN_NOT_OK(write_rows(slice, block.data()));
      done += got;
    }
  }
  progress.Finish();
  if (reducer->kind() != "none" && !reducer_saved) {
    ARROW_RETURN_NOT_OK(SaveReducer(*reducer, saved_reducer));
  }

  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  Json manifest;
  manifest["version"] = IMGFEAT_VERSION;
  manifest["created"] = NowUtc();
  manifest["parameters"] = params;
  manifest["model"] = {{"name", model.spec.name},
                       {"file", model.path},
                       {"sha256", model.sha256},
                       {"spec", Json::parse(ModelSpecToJson(model.spec))}};
  manifest["engine"] = {{"name", engine->name()}, {"threads", threads}, {"batch", batch}};
  manifest["reducer"] = Json::parse(reducer->DescribeJson());
  manifest["counts"] = {{"images_listed", stats.listed},
                        {"images_already_done", stats.skipped},
                        {"rows_written", writer->rows_written()},
                        {"errors", writer->errors_recorded()},
                        {"feature_dim", feature_dim},
                        {"output_dim", out_dim}};
  manifest["timings"] = {{"total_seconds", seconds},
                         {"stream_seconds", stats.wall_seconds},
                         {"inference_seconds", stats.inference_seconds},
                         {"reduce_seconds", reduce_seconds},
                         {"pca_fit_seconds", fit_seconds},
                         {"images_per_second", stats.wall_seconds > 0
                                                   ? stats.featurized / stats.wall_seconds
                                                   : 0.0}};
  ARROW_RETURN_NOT_OK(writer->Finish(manifest.dump(2)));

  RunSummary summary;
  summary.images_listed = stats.listed;
  summary.images_skipped_as_done = stats.skipped;
  summary.rows_written = writer->rows_written();
  summary.errors = writer->errors_recorded();
  summary.feature_dim = feature_dim;
  summary.output_dim = out_dim;
  summary.seconds = seconds;
  return summary;
}

Result<Pooling> ParsePooling(const std::string& name) {
  if (name == "none") return Pooling::kNone;
  if (name == "avg") return Pooling::kAvg;
  return Status::Invalid("--pooling must be none or avg, not '", name, "'");
}

Result<ReduceKind> ParseReduceKind(const std::string& name) {
  if (name == "none") return ReduceKind::kNone;
  if (name == "srp") return ReduceKind::kSrp;
  if (name == "pca") return ReduceKind::kPca;
  return Status::Invalid("--reduce must be srp, pca or none, not '", name, "'");
}

const char* PoolingName(Pooling pooling) { return pooling == Pooling::kAvg ? "avg" : "none"; }

const char* ReduceKindName(ReduceKind kind) {
  switch (kind) {
    case ReduceKind::kNone: return "none";
    case ReduceKind::kSrp: return "srp";
    case ReduceKind::kPca: return "pca";
  }
  return "?";
}

}  // namespace imgfeat
