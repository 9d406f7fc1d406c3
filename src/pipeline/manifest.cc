#include "pipeline/manifest.h"

#include <ctime>

namespace imgfeat {
namespace {

std::string NowUtc() {
  std::time_t t = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&t, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

}  // namespace

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
    if (options.pca_oversampling < 0) {
      p["reduce"]["oversampling"] = "auto";
    } else {
      p["reduce"]["oversampling"] = options.pca_oversampling;
    }
  }
  return p;
}

std::string BuildManifest(const ManifestInputs& in) {
  const StreamStats& stats = *in.stats;
  Json m;
  m["version"] = IMGFEAT_VERSION;
  m["created"] = NowUtc();
  m["parameters"] = *in.parameters;
  m["model"] = {{"name", in.model->spec.name},
                {"file", in.model->path},
                {"sha256", in.model->sha256},
                {"spec", Json::parse(ModelSpecToJson(in.model->spec))}};
  m["engine"] = {{"name", in.engine->name()}, {"threads", in.threads}, {"batch", in.batch}};
  m["reducer"] = Json::parse(in.reducer->DescribeJson());
  m["counts"] = {{"images_listed", stats.listed},   {"images_already_done", stats.skipped},
                 {"rows_written", in.rows_written}, {"errors", in.errors},
                 {"feature_dim", in.feature_dim},   {"output_dim", in.output_dim}};
  m["timings"] = {
      {"total_seconds", in.timings.total_seconds},
      {"stream_seconds", stats.wall_seconds},
      {"inference_seconds", stats.inference_seconds},
      {"reduce_seconds", in.timings.reduce_seconds},
      {"pca_fit_seconds", in.timings.pca_fit_seconds},
      {"images_per_second", stats.wall_seconds > 0 ? stats.featurized / stats.wall_seconds : 0.0}};
  return m.dump(2);
}

}  // namespace imgfeat
