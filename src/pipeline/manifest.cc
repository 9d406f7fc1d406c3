#include "pipeline/manifest.h"

#include <ctime>

#include "imgfeat/path_text.h"

namespace imgfeat {

std::string NowUtc() {
  std::time_t t = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&t, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

Json RunParameters(const RunOptions& options, const ResolvedModel& model, int64_t components,
                   const std::string& input_abs) {
  Json p;
  // JSON is UTF-8: paths in their text form, other user text escaped
  // (imgfeat/path_text.h).
  p["input"] = PathText(input_abs);
  p["glob"] = Utf8Text(options.list.glob);
  p["label_regex"] = Utf8Text(options.label_regex);
  // Only where shards are read otherwise than by default, so that the
  // parameters of a run of loose files stay what they were.
  if (options.list.format != InputFormat::kAuto) {
    p["input_format"] = InputFormatName(options.list.format);
  }
  if (!options.shards.image_column.empty()) {
    p["image_column"] = Utf8Text(options.shards.image_column);
  }
  if (!options.shards.label_field.empty()) p["label_field"] = Utf8Text(options.shards.label_field);
  if (!options.shards.keep_columns.empty()) {
    Json kept = Json::array();
    for (const std::string& name : options.shards.keep_columns) kept.push_back(Utf8Text(name));
    p["keep_columns"] = kept;
  }
  p["model"] = {{"name", model.spec.name}, {"sha256", model.sha256}};
  // A resumed int8 run must run the same quantization of the model.
  if (!model.quantized.sha256.empty()) p["model"]["int8_sha256"] = model.quantized.sha256;
  p["preprocessing"] = {{"mode", PreprocessModeName(model.spec.preprocess)},
                        {"width", model.spec.input_width},
                        {"height", model.spec.input_height},
                        {"resize", "pillow-bicubic"}};
  p["pooling"] = PoolingName(options.pooling);
  // Only when on, so that the parameters of earlier runs stay what they were.
  if (options.embedding) p["embedding"] = "avg";
  // Only below f32, so that the parameters of an f32 run stay what they were.
  if (options.precision != "f32") p["precision"] = options.precision;
  p["reduce"] = {{"kind", ReduceKindName(options.reduce)},
                 {"components", components},
                 {"reducer_from", PathText(options.reducer_from)}};
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

Json ModelJson(const ResolvedModel& model) {
  Json j = {{"name", model.spec.name},
            {"file", PathText(model.path)},
            {"sha256", model.sha256},
            {"spec", Json::parse(ModelSpecToJson(model.spec))}};
  if (!model.quantized.xml.empty()) {
    j["int8"] = {{"file", PathText(model.quantized.xml)},
                 {"sha256", model.quantized.sha256},
                 {"calibration_images", model.quantized.calibration_images}};
  }
  return j;
}

std::string ComposeManifest(const ManifestFields& f) {
  Json m;
  m["version"] = IMGFEAT_VERSION;
  m["created"] = NowUtc();
  m["parameters"] = f.parameters;
  m["model"] = f.model;
  m["engine"] = {{"name", f.engine_name}, {"threads", f.threads}, {"batch", f.batch}};
  m["reducer"] = f.reducer;
  m["counts"] = {{"images_listed", f.images_listed}, {"images_already_done", f.images_already_done},
                 {"rows_written", f.rows_written},   {"errors", f.errors},
                 {"feature_dim", f.feature_dim},     {"output_dim", f.output_dim}};
  if (f.embedding_dim > 0) m["counts"]["embedding_dim"] = f.embedding_dim;
  m["timings"] = {
      {"total_seconds", f.total_seconds},         {"stream_seconds", f.stream_seconds},
      {"inference_seconds", f.inference_seconds}, {"reduce_seconds", f.reduce_seconds},
      {"pca_fit_seconds", f.pca_fit_seconds},     {"images_per_second", f.images_per_second}};
  for (const auto& [key, value] : f.extra.items()) m[key] = value;
  // Every string above is UTF-8 by construction; should one not be, a
  // replacement character beats an exception that loses the whole run.
  return m.dump(2, ' ', false, Json::error_handler_t::replace);
}

std::string BuildManifest(const ManifestInputs& in) {
  const StreamStats& stats = *in.stats;
  ManifestFields f;
  f.parameters = *in.parameters;
  f.model = ModelJson(*in.model);
  f.engine_name = in.engine->name();
  f.threads = in.threads;
  f.batch = in.batch;
  f.reducer = Json::parse(in.reducer->DescribeJson());
  f.images_listed = stats.listed;
  f.images_already_done = stats.skipped;
  f.rows_written = in.rows_written;
  f.errors = in.errors;
  f.feature_dim = in.feature_dim;
  f.output_dim = in.output_dim;
  f.embedding_dim = in.embedding_dim;
  f.total_seconds = in.timings.total_seconds;
  f.stream_seconds = stats.wall_seconds;
  f.inference_seconds = stats.inference_seconds;
  f.reduce_seconds = in.timings.reduce_seconds;
  f.pca_fit_seconds = in.timings.pca_fit_seconds;
  f.images_per_second = stats.wall_seconds > 0 ? stats.featurized / stats.wall_seconds : 0.0;
  return ComposeManifest(f);
}

}  // namespace imgfeat
