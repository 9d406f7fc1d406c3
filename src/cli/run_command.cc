#include "cli/run_command.h"

#include <charconv>
#include <functional>
#include <map>

#include "cli/flag_args.h"
#include "imgfeat/storage.h"

namespace imgfeat::cli {
namespace {

template <typename T>
Result<T> ParseNumber(const std::string& flag, const std::string& text) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Status::Invalid(flag, " takes a number, not '", text, "'");
  }
  return value;
}

Result<double> ParseDouble(const std::string& flag, const std::string& text) {
  try {
    size_t used = 0;
    double v = std::stod(text, &used);
    if (used == text.size()) return v;
  } catch (...) {
  }
  return Status::Invalid(flag, " takes a number, not '", text, "'");
}

using Setter = std::function<Status(RunOptions*, const std::string&)>;

template <typename T>
Setter Int(T RunOptions::*field, T min_value) {
  return [=](RunOptions* o, const std::string& v) -> Status {
    ARROW_ASSIGN_OR_RAISE(T n, ParseNumber<T>("this flag", v));
    if (n < min_value) return Status::Invalid("value ", v, " is too small");
    o->*field = n;
    return Status::OK();
  };
}

Setter Text(std::string RunOptions::*field) {
  return [=](RunOptions* o, const std::string& v) {
    o->*field = v;
    return Status::OK();
  };
}

const std::map<std::string, Setter>& ValueFlags() {
  static const std::map<std::string, Setter> flags = {
      {"--glob", [](RunOptions* o, const std::string& v) {
         o->list.glob = v;
         return Status::OK();
       }},
      {"--label-regex", Text(&RunOptions::label_regex)},
      {"--threads", Int<int>(&RunOptions::threads, 0)},
      {"--batch", Int<int>(&RunOptions::batch, 1)},
      {"--model", Text(&RunOptions::model)},
      {"--model-spec", Text(&RunOptions::model_spec)},
      {"--model-dir", Text(&RunOptions::model_dir)},
      {"--engine", Text(&RunOptions::engine)},
      {"--pooling", [](RunOptions* o, const std::string& v) -> Status {
         ARROW_ASSIGN_OR_RAISE(o->pooling, ParsePooling(v));
         return Status::OK();
       }},
      {"--reduce", [](RunOptions* o, const std::string& v) -> Status {
         ARROW_ASSIGN_OR_RAISE(o->reduce, ParseReduceKind(v));
         return Status::OK();
       }},
      {"--components", [](RunOptions* o, const std::string& v) -> Status {
         if (v == "auto") {
           o->components = -1;
           return Status::OK();
         }
         ARROW_ASSIGN_OR_RAISE(o->components, ParseNumber<int64_t>("--components", v));
         if (o->components < 1) return Status::Invalid("--components must be auto or >= 1");
         return Status::OK();
       }},
      {"--eps", [](RunOptions* o, const std::string& v) -> Status {
         ARROW_ASSIGN_OR_RAISE(o->eps, ParseDouble("--eps", v));
         if (!(o->eps > 0 && o->eps < 1)) return Status::Invalid("--eps must be in (0, 1)");
         return Status::OK();
       }},
      {"--density", [](RunOptions* o, const std::string& v) -> Status {
         if (v == "auto") {
           o->density = 0;
           return Status::OK();
         }
         ARROW_ASSIGN_OR_RAISE(o->density, ParseDouble("--density", v));
         if (!(o->density > 0 && o->density <= 1)) {
           return Status::Invalid("--density must be auto or in (0, 1]");
         }
         return Status::OK();
       }},
      {"--seed", Int<uint32_t>(&RunOptions::seed, 0)},
      {"--pca-power-iterations", Int<int>(&RunOptions::pca_power_iterations, 0)},
      {"--pca-oversampling", [](RunOptions* o, const std::string& v) -> Status {
         if (v == "auto") {
           o->pca_oversampling = -1;
           return Status::OK();
         }
         ARROW_ASSIGN_OR_RAISE(o->pca_oversampling,
                               ParseNumber<int64_t>("--pca-oversampling", v));
         if (o->pca_oversampling < 0) {
           return Status::Invalid("--pca-oversampling must be auto or >= 0");
         }
         return Status::OK();
       }},
      {"--reducer-from", Text(&RunOptions::reducer_from)},
      {"--max-pixels", Int<int64_t>(&RunOptions::max_pixels, 1)},
      {"--max-file-bytes", Int<int64_t>(&RunOptions::max_file_bytes, 1)},
      {"--rows-per-part", Int<int64_t>(&RunOptions::rows_per_part, 1)},
      {"--s3-endpoint",
       [](RunOptions* o, const std::string& v) {
         o->storage.s3_endpoint = v;
         return Status::OK();
       }},
      {"--s3-region",
       [](RunOptions* o, const std::string& v) {
         o->storage.s3_region = v;
         return Status::OK();
       }},
      {"--s3-attempts",
       [](RunOptions* o, const std::string& v) -> Status {
         ARROW_ASSIGN_OR_RAISE(o->storage.s3_max_attempts, ParseNumber<int>("--s3-attempts", v));
         if (o->storage.s3_max_attempts < 1) return Status::Invalid("--s3-attempts must be >= 1");
         return Status::OK();
       }},
  };
  return flags;
}

const std::map<std::string, bool RunOptions::*>& SwitchFlags() {
  static const std::map<std::string, bool RunOptions::*> flags = {
      {"--overwrite", &RunOptions::overwrite},
      {"--resume", &RunOptions::resume},
      {"--quiet", &RunOptions::quiet},
      {"--report", &RunOptions::report},
  };
  return flags;
}

// Switches of the nested storage options.
const std::map<std::string, bool StorageOptions::*>& StorageSwitchFlags() {
  static const std::map<std::string, bool StorageOptions::*> flags = {
      {"--s3-anonymous", &StorageOptions::s3_anonymous},
  };
  return flags;
}

}  // namespace

const char* RunUsage() {
  return R"(usage: imgfeat run INPUT OUTPUT [options]

Featurizes every image under INPUT (a folder, searched recursively, or one file)
and writes a Parquet dataset to the folder OUTPUT (see docs/FORMAT.md). INPUT,
OUTPUT, --model-dir and --reducer-from may be s3://bucket/prefix (docs/S3.md).

Input
  --glob PATTERN         only files whose name matches (e.g. '*.jpg'); default:
                         .jpg .jpeg .png .webp .bmp .tif .tiff .gif, any case
  --label-regex REGEX    ECMAScript regex searched in the path; group 1 is the
                         label (default: parent folder, trailing non-letters cut)
  --max-pixels N         refuse larger images (default 178956970, as Pillow)
  --max-file-bytes N     refuse larger files before reading them (default 536870912)
Model
  --model NAME|FILE      registered model name (default mobilenet_v2) or .onnx file
  --model-spec FILE      JSON spec for a model file (docs/FORMAT.md)
  --model-dir DIR        where named models are looked up first
  --engine NAME          openvino (default) or opencv
  --pooling none|avg     none: 7x7x1280 = 62,720 floats; avg: 1,280
  --batch N              images per inference call
  --threads N            decode and inference threads (default: all cores)
Reduction
  --reduce srp|pca|none  default srp (scikit-learn SparseRandomProjection)
  --components N|auto    auto: Johnson-Lindenstrauss bound on the number of images
  --eps E                for auto (default 0.1)
  --density D|auto       SRP density (default auto = 1/sqrt(features))
  --seed S               SRP random_state / PCA seed (default 42)
  --pca-oversampling N|auto  PCA: extra random directions (auto: as many as
                         the components, what converges on real features)
  --pca-power-iterations N   PCA: power iterations, 2 passes each (default 4)
  --reducer-from PATH    apply OUTPUT/_reducer.parquet of an earlier run
Output
  --overwrite            replace an existing OUTPUT
  --resume               finish an interrupted run in OUTPUT
  --rows-per-part N      rows per part file
  --quiet                no progress bar, no per-file messages
  --report               then write OUTPUT/_report.html and _report.png
                         (see 'imgfeat report --help')
S3 (credentials, region: the standard AWS chain)
  --s3-endpoint URL      S3-compatible store, e.g. http://127.0.0.1:9000
                         (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, AWS)
  --s3-region REGION     default: AWS_REGION, AWS_DEFAULT_REGION, the profile
  --s3-anonymous         no credentials (public buckets)
  --s3-attempts N        tries per request, with backoff (default 10)
)";
}

Result<RunOptions> ParseRunArgs(const std::vector<std::string>& args) {
  RunOptions options;
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    auto [arg, value, has_value] = SplitFlag(args[i]);
    if (auto sw = SwitchFlags().find(arg); sw != SwitchFlags().end()) {
      if (has_value) return Status::Invalid(arg, " takes no value");
      options.*(sw->second) = true;
      continue;
    }
    if (auto sw = StorageSwitchFlags().find(arg); sw != StorageSwitchFlags().end()) {
      if (has_value) return Status::Invalid(arg, " takes no value");
      options.storage.*(sw->second) = true;
      continue;
    }
    if (auto vf = ValueFlags().find(arg); vf != ValueFlags().end()) {
      if (!has_value) {
        if (i + 1 >= args.size()) return Status::Invalid(arg, " needs a value");
        value = args[++i];
      }
      Status st = vf->second(&options, value);
      if (!st.ok()) return Status::Invalid(arg, ": ", st.message());
      continue;
    }
    if (arg.rfind("--", 0) == 0) return Status::Invalid("unknown option ", arg);
    positional.push_back(arg);
  }
  if (positional.size() != 2) {
    return Status::Invalid("expected INPUT and OUTPUT, got ", positional.size(), " paths");
  }
  options.input = positional[0];
  options.output = positional[1];
  if (options.report && IsS3Uri(options.output)) {
    // The report reads the output folder from disk; refused before the run, not after it.
    return Status::Invalid("--report needs a local OUTPUT; for ", options.output,
                           ", copy it to a folder and run 'imgfeat report FOLDER'");
  }
  return options;
}

}  // namespace imgfeat::cli
