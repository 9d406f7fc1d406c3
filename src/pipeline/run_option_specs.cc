// The table of a run's options (imgfeat/run_options.h). Adding an option is
// one entry here: every shell, the --help text and docs/OPTIONS.md follow.
#include <iterator>
#include <limits>

#include "imgfeat/engine.h"
#include "imgfeat/run_options.h"

namespace imgfeat {
namespace {

using O = RunOptions;
using V = OptionValue;

// Helpers that build one entry each; they only differ in how a value lands.
template <typename T>
RunOptionSpec IntSpec(std::string name, std::string group, std::string metavar, double min,
                      double max, std::string help, T O::*field) {
  RunOptionSpec s;
  s.name = std::move(name);
  s.group = std::move(group);
  s.type = OptionType::kInt;
  s.metavar = std::move(metavar);
  s.min = min;
  s.max = max;
  s.help = std::move(help);
  s.set = [field](O* o, const V& v) { o->*field = static_cast<T>(std::get<int64_t>(v)); };
  s.get = [field](const O& o) -> V { return static_cast<int64_t>(o.*field); };
  return s;
}

// An int where "auto" is a value, kept in the field as `auto_value`.
template <typename T>
RunOptionSpec AutoIntSpec(std::string name, std::string group, double min, double max,
                          std::string help, T O::*field, T auto_value) {
  RunOptionSpec s =
      IntSpec(std::move(name), std::move(group), "N|auto", min, max, std::move(help), field);
  s.accepts_auto = true;
  s.set = [field, auto_value](O* o, const V& v) {
    o->*field = std::holds_alternative<std::monostate>(v) ? auto_value
                                                          : static_cast<T>(std::get<int64_t>(v));
  };
  s.get = [field, auto_value](const O& o) -> V {
    if (o.*field == auto_value) return std::monostate{};
    return static_cast<int64_t>(o.*field);
  };
  return s;
}

RunOptionSpec TextSpec(std::string name, std::string group, std::string metavar, std::string help,
                       std::string O::*field) {
  RunOptionSpec s;
  s.name = std::move(name);
  s.group = std::move(group);
  s.type = OptionType::kText;
  s.metavar = std::move(metavar);
  s.help = std::move(help);
  s.set = [field](O* o, const V& v) { o->*field = std::get<std::string>(v); };
  s.get = [field](const O& o) -> V { return o.*field; };
  return s;
}

RunOptionSpec SwitchSpec(std::string name, std::string group, std::string help, bool O::*field) {
  RunOptionSpec s;
  s.name = std::move(name);
  s.group = std::move(group);
  s.type = OptionType::kSwitch;
  s.help = std::move(help);
  s.set = [field](O* o, const V& v) { o->*field = std::get<bool>(v); };
  s.get = [field](const O& o) -> V { return o.*field; };
  return s;
}

RunOptionSpec ChoiceSpec(std::string name, std::string group, std::vector<std::string> choices,
                         std::string help, std::function<void(O*, const std::string&)> set,
                         std::function<std::string(const O&)> get) {
  RunOptionSpec s;
  s.name = std::move(name);
  s.group = std::move(group);
  s.type = OptionType::kChoice;
  s.choices = std::move(choices);
  for (const auto& c : s.choices) {
    if (!s.metavar.empty()) s.metavar.push_back('|');
    s.metavar.append(c);
  }
  s.help = std::move(help);
  s.set = [set](O* o, const V& v) { set(o, std::get<std::string>(v)); };
  s.get = [get](const O& o) -> V { return get(o); };
  return s;
}

// A number in (0, 1): the bounds are exclusive unless the caller says otherwise.
RunOptionSpec FloatSpec(std::string name, std::string group, std::string metavar, std::string help,
                        double O::*field) {
  RunOptionSpec s;
  s.name = std::move(name);
  s.group = std::move(group);
  s.type = OptionType::kFloat;
  s.metavar = std::move(metavar);
  s.min = 0;
  s.max = 1;
  s.min_exclusive = true;
  s.help = std::move(help);
  s.set = [field](O* o, const V& v) { o->*field = std::get<double>(v); };
  s.get = [field](const O& o) -> V { return o.*field; };
  return s;
}

RunOptionSpec WithShells(RunOptionSpec s, unsigned shells) {
  s.shells = shells;
  return s;
}

std::vector<RunOptionSpec> MakeSpecs() {
  constexpr unsigned kRunAndFeaturizer = kShellsOfARun | kShellFeaturizer;
  std::vector<RunOptionSpec> specs;
  auto add = [&](RunOptionSpec s) { specs.push_back(std::move(s)); };

  // Input
  add(TextSpec("glob", "Input", "PATTERN",
               "only files whose name matches (e.g. '*.jpg'); none: .jpg .jpeg .png .webp .bmp "
               ".tif .tiff .gif, any case",
               nullptr));
  specs.back().set = [](O* o, const V& v) { o->list.glob = std::get<std::string>(v); };
  specs.back().get = [](const O& o) -> V { return o.list.glob; };
  add(WithShells(ChoiceSpec(
                     "input-format", "Input", {"auto", "files", "webdataset", "parquet"},
                     "auto: .tar files are WebDataset shards, .parquet files Parquet "
                     "shards with an image column, others images; or read every listed "
                     "file as one kind (docs/FORMAT.md, 'Shards')",
                     [](O* o, const std::string& v) { o->list.format = *ParseInputFormat(v); },
                     [](const O& o) { return std::string(InputFormatName(o.list.format)); }),
                 kShellsOfARun));
  add(WithShells(TextSpec("image-column", "Input", "NAME",
                          "the Parquet column of the images (binary, or a struct with 'bytes'); "
                          "none: 'image', else the one of jpg, jpeg, png, webp",
                          nullptr),
                 kShellsOfARun));
  specs.back().set = [](O* o, const V& v) { o->shards.image_column = std::get<std::string>(v); };
  specs.back().get = [](const O& o) -> V { return o.shards.image_column; };
  add(WithShells(TextSpec("label-field", "Input", "FIELD",
                          "take a shard sample's label from it: a Parquet column, a tar sample's "
                          "member by extension (cls, txt) or json.NAME (a field of its .json)",
                          nullptr),
                 kShellsOfARun));
  specs.back().set = [](O* o, const V& v) { o->shards.label_field = std::get<std::string>(v); };
  specs.back().get = [](const O& o) -> V { return o.shards.label_field; };
  add(WithShells(TextSpec("keep-columns", "Input", "NAMES",
                          "copy these fields of each shard sample into the rows, a string "
                          "column each (comma-separated: Parquet columns; for tar, members by "
                          "extension or .json fields, e.g. url,caption)",
                          nullptr),
                 kShellsOfARun));
  specs.back().set = [](O* o, const V& v) {
    o->shards.keep_columns.clear();
    const std::string& text = std::get<std::string>(v);
    size_t at = 0;
    while (at <= text.size() && !text.empty()) {
      const size_t comma = std::min(text.find(',', at), text.size());
      o->shards.keep_columns.push_back(text.substr(at, comma - at));
      at = comma + 1;
    }
  };
  specs.back().get = [](const O& o) -> V {
    std::string text;
    for (const std::string& name : o.shards.keep_columns) {
      if (!text.empty()) text += ',';
      text += name;
    }
    return text;
  };
  add(SwitchSpec("follow-symlinks", "Input",
                 "follow symbolic links to files and folders (cycles are detected)", nullptr));
  specs.back().set = [](O* o, const V& v) { o->list.follow_symlinks = std::get<bool>(v); };
  specs.back().get = [](const O& o) -> V { return o.list.follow_symlinks; };
  add(TextSpec("label-regex", "Input", "REGEX",
               "regex searched in the path (RE2: ECMAScript's syntax without backreferences or "
               "lookaround, linear time); group 1 is the label (none: the parent folder, "
               "trailing non-letters cut)",
               &O::label_regex));
  add(WithShells(
      IntSpec("max-pixels", "Input", "N", 1, 1e12,
              "refuse images with more pixels, from their header (Pillow's limit)", &O::max_pixels),
      kRunAndFeaturizer));
  add(IntSpec("max-file-bytes", "Input", "N", 1, 1e15, "refuse larger files before reading them",
              &O::max_file_bytes));

  // Model
  add(WithShells(TextSpec("model", "Model", "NAME|FILE",
                          "a registered model name ('imgfeat models') or an .onnx file", &O::model),
                 kRunAndFeaturizer));
  add(WithShells(TextSpec("model-spec", "Model", "FILE",
                          "JSON spec of an .onnx model file (docs/FORMAT.md)", &O::model_spec),
                 kRunAndFeaturizer));
  add(WithShells(TextSpec("model-dir", "Model", "DIR",
                          "where registered models are looked up first", &O::model_dir),
                 kRunAndFeaturizer));
  add(WithShells(
      TextSpec("engine", "Model", "NAME", "inference engine: openvino or opencv", &O::engine),
      kRunAndFeaturizer));
  add(WithShells(ChoiceSpec(
                     "precision", "Model", {std::begin(kPrecisions), std::end(kPrecisions)},
                     "f32: Keras' numbers; bf16: inference 1.6-1.8x faster where the CPU has "
                     "bf16; int8: 1.8-2x, the model 'imgfeat models quantize' made "
                     "(docs/PARITY.md)",
                     [](O* o, const std::string& v) { o->precision = v; },
                     [](const O& o) { return o.precision; }),
                 kRunAndFeaturizer));
  add(WithShells(ChoiceSpec(
                     "pooling", "Model", {"none", "avg"},
                     "none: the model's whole output (7x7x1280 = 62,720 floats); avg: 1,280",
                     [](O* o, const std::string& v) { o->pooling = *ParsePooling(v); },
                     [](const O& o) { return std::string(PoolingName(o.pooling)); }),
                 kRunAndFeaturizer));
  add(WithShells(SwitchSpec("embedding", "Model",
                            "also write `embedding`: the output averaged over its positions "
                            "(1,280 floats), unreduced, in the same pass; it finds mirrored "
                            "and cropped copies (imgfeat neighbours --column embedding)",
                            &O::embedding),
                 kRunAndFeaturizer));
  add(WithShells(IntSpec("batch", "Model", "N", 0, 1024,
                         "images per inference call (0: 16, the measured best)", &O::batch),
                 kRunAndFeaturizer));
  add(WithShells(IntSpec("threads", "Model", "N", 0, 1024,
                         "decode and inference threads (0: all cores; on Spark, "
                         "spark.task.cpus)",
                         &O::threads),
                 kRunAndFeaturizer));

  // Reduction
  add(ChoiceSpec(
      "reduce", "Reduction", {"srp", "pca", "none"},
      "srp: scikit-learn's SparseRandomProjection; pca: randomized PCA; none: the features",
      [](O* o, const std::string& v) { o->reduce = *ParseReduceKind(v); },
      [](const O& o) { return std::string(ReduceKindName(o.reduce)); }));
  add(AutoIntSpec<int64_t>("components", "Reduction", 1, 1e6,
                           "output dimensions (auto: the Johnson-Lindenstrauss bound on the "
                           "number of images, with --eps)",
                           &O::components, -1));
  add(FloatSpec("eps", "Reduction", "E", "distortion allowed by --components auto", &O::eps));
  specs.back().max_exclusive = true;
  add(FloatSpec("density", "Reduction", "D|auto",
                "SRP: share of non-zero weights (auto: 1/sqrt(features))", &O::density));
  specs.back().accepts_auto = true;
  specs.back().max_exclusive = false;
  // auto is kept as 0 in RunOptions::density.
  specs.back().set = [](O* o, const V& v) {
    o->density = std::holds_alternative<std::monostate>(v) ? 0 : std::get<double>(v);
  };
  specs.back().get = [](const O& o) -> V {
    if (o.density <= 0) return std::monostate{};
    return o.density;
  };
  add(IntSpec("seed", "Reduction", "S", 0, std::numeric_limits<uint32_t>::max(),
              "SRP's random_state, PCA's and the samples' seed", &O::seed));
  add(AutoIntSpec<int64_t>("pca-oversampling", "Reduction", 0, 1e6,
                           "PCA: extra random directions (auto: as many as the components)",
                           &O::pca_oversampling, -1));
  add(IntSpec("pca-power-iterations", "Reduction", "N", 0, 100,
              "PCA: power iterations, 2 passes over the features each", &O::pca_power_iterations));
  add(TextSpec("reducer-from", "Reduction", "PATH",
               "apply OUTPUT/_reducer.parquet of an earlier run instead of fitting one",
               &O::reducer_from));

  // Output
  add(SwitchSpec("overwrite", "Output", "replace an existing OUTPUT", &O::overwrite));
  add(SwitchSpec("resume", "Output", "finish an interrupted run in OUTPUT", &O::resume));
  add(IntSpec("rows-per-part", "Output", "N", 0, 1e9,
              "rows per part file (0: parts of about 256 MiB)", &O::rows_per_part));
  add(SwitchSpec("quiet", "Output", "no progress bar, no per-file messages", &O::quiet));
  add(WithShells(SwitchSpec("neighbours", "Output",
                            "then write OUTPUT/_neighbours.parquet and _duplicates.parquet "
                            "(imgfeat neighbours with its defaults)",
                            &O::neighbours),
                 kShellCli | kShellPython | kShellSpark));
  add(WithShells(
      SwitchSpec("report", "Output",
                 "then write OUTPUT/_report.html and _report.png (a local OUTPUT)", &O::report),
      kShellCli | kShellPython));

  // S3
  add(TextSpec("s3-endpoint", "S3", "URL",
               "S3-compatible store, e.g. http://127.0.0.1:9000 (none: AWS_ENDPOINT_URL_S3, "
               "AWS_ENDPOINT_URL, AWS)",
               nullptr));
  specs.back().set = [](O* o, const V& v) { o->storage.s3_endpoint = std::get<std::string>(v); };
  specs.back().get = [](const O& o) -> V { return o.storage.s3_endpoint; };
  add(TextSpec("s3-region", "S3", "REGION", "none: AWS_REGION, AWS_DEFAULT_REGION, the profile",
               nullptr));
  specs.back().set = [](O* o, const V& v) { o->storage.s3_region = std::get<std::string>(v); };
  specs.back().get = [](const O& o) -> V { return o.storage.s3_region; };
  add(SwitchSpec("s3-anonymous", "S3", "no credentials (public buckets)", nullptr));
  specs.back().set = [](O* o, const V& v) { o->storage.s3_anonymous = std::get<bool>(v); };
  specs.back().get = [](const O& o) -> V { return o.storage.s3_anonymous; };
  add(IntSpec<int>("s3-attempts", "S3", "N", 1, 100, "tries per request, with backoff", nullptr));
  specs.back().set = [](O* o, const V& v) {
    o->storage.s3_max_attempts = static_cast<int>(std::get<int64_t>(v));
  };
  specs.back().get = [](const O& o) -> V { return int64_t{o.storage.s3_max_attempts}; };
  return specs;
}

}  // namespace

const std::vector<RunOptionSpec>& RunOptionSpecs() {
  static const std::vector<RunOptionSpec> specs = MakeSpecs();
  return specs;
}

}  // namespace imgfeat
