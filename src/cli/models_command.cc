#include "cli/models_command.h"

#include <cstdio>
#include <cstdlib>

#include "cli/flag_args.h"
#include "imgfeat/model.h"
#include "imgfeat/quantize.h"

namespace imgfeat::cli {
namespace {

int ListModels() {
  for (const auto& spec : RegisteredModels()) {
    std::printf("%-16s %dx%d %s -> %lld features  (%s)\n", spec.name.c_str(), spec.input_width,
                spec.input_height, PreprocessModeName(spec.preprocess),
                static_cast<long long>(spec.feature_length()), spec.file_name.c_str());
  }
  return 0;
}

int BadArguments(const std::string& message) {
  std::fprintf(stderr, "imgfeat: %s\n(see 'imgfeat models --help')\n", message.c_str());
  return 2;
}

// Finds NAME's file or fetches it now (downloading, and converting Keras'
// weights), so that later runs start at once and need no network.
int Fetch(const std::vector<std::string>& args) {
  std::string name;
  ModelSearch search;
  for (size_t i = 0; i < args.size(); ++i) {
    FlagArg flag = SplitFlag(args[i]);
    if (flag.name == "--model-dir") {
      if (!flag.has_value && i + 1 >= args.size()) return BadArguments("--model-dir needs a DIR");
      search.model_dir = flag.has_value ? flag.value : args[++i];
    } else if (flag.name.rfind("--", 0) == 0 || !name.empty()) {
      return BadArguments("models fetch: unexpected argument '" + args[i] + "'");
    } else {
      name = args[i];
    }
  }
  if (name.empty()) return BadArguments("models fetch: which model? (see 'imgfeat models')");
  Result<ModelSpec> spec = FindRegisteredModel(name);
  if (!spec.ok()) return BadArguments(spec.status().message());
  Result<std::string> path = ResolveModelFile(*spec, search);
  if (!path.ok()) {
    std::fprintf(stderr, "imgfeat: %s\n", path.status().message().c_str());
    return 1;
  }
  std::printf("%s\n", path->c_str());
  return 0;
}

// Makes NAME's int8 model for --precision int8 (imgfeat/quantize.h).
int Quantize(const std::vector<std::string>& args) {
  QuantizeOptions options;
  bool named = false;
  for (size_t i = 0; i < args.size(); ++i) {
    FlagArg flag = SplitFlag(args[i]);
    auto value = [&]() -> const std::string* {
      if (flag.has_value) return &flag.value;
      return i + 1 < args.size() ? &args[++i] : nullptr;
    };
    std::string* target = nullptr;
    if (flag.name == "--calibration") target = &options.calibration;
    if (flag.name == "--model-dir") target = &options.model_dir;
    if (flag.name == "--model-spec") target = &options.model_spec;
    if (flag.name == "--python") target = &options.python;
    if (target) {
      const std::string* v = value();
      if (!v) return BadArguments(flag.name + " needs a value");
      *target = *v;
    } else if (flag.name == "--images") {
      const std::string* v = value();
      char* end = nullptr;
      const long long n = v ? std::strtoll(v->c_str(), &end, 10) : 0;
      // Its range is QuantizeModel's to check.
      if (!v || v->empty() || *end != '\0') return BadArguments("--images needs a number");
      options.images = n;
    } else if (flag.name.rfind("--", 0) == 0 || named) {
      return BadArguments("models quantize: unexpected argument '" + args[i] + "'");
    } else {
      options.model = args[i];
      named = true;
    }
  }
  if (options.calibration.empty()) {
    return BadArguments("models quantize: --calibration IMAGES is required");
  }
  Result<QuantizedModel> made = QuantizeModel(options, [](const std::string& line) {
    std::fprintf(stderr, "imgfeat: %s\n", line.c_str());
  });
  if (!made.ok()) {
    std::fprintf(stderr, "imgfeat: %s\n", made.status().message().c_str());
    return 1;
  }
  std::printf("%s\n", made->dir.c_str());
  return 0;
}

}  // namespace

const char* ModelsUsage() {
  return R"(usage: imgfeat models                 list the registered models
       imgfeat models fetch NAME [--model-dir DIR]
                                      find NAME's model file, or fetch it into the
                                      cache now; prints its path
       imgfeat models quantize [NAME] --calibration IMAGES [--images N]
                                      [--model-dir DIR] [--model-spec SPEC] [--python PY]
                                      make NAME's int8 model for --precision int8:
                                      NNCF calibrated on N of the images under
                                      IMAGES (300, spread over the listing), kept
                                      in DIR or the cache; prints its folder

A model that is in none of --model-dir, $IMGFEAT_MODEL_DIR and the cache
($XDG_CACHE_HOME/imgfeat/models or ~/.cache/imgfeat/models) is fetched on first
use; 'models fetch' does it ahead of time. mobilenet_v2 comes from Keras' own
weight file (storage.googleapis.com), converted and checked here.
$IMGFEAT_MODEL_MIRROR=URL fetches from URL/<file name> instead.

'models quantize' needs NNCF in the Python it runs (--python, else
$IMGFEAT_PYTHON, else python3): pip install 'imgfeat[quantize]'. A run finds
the int8 model by the f32 model's checksum in --model-dir, $IMGFEAT_MODEL_DIR
and the cache (docs/PARITY.md, "Lower precisions").
)";
}

int ModelsCommand(const std::vector<std::string>& args) {
  if (args.empty()) return ListModels();
  for (const auto& a : args) {
    if (a == "-h" || a == "--help") {
      std::fputs(ModelsUsage(), stdout);
      return 0;
    }
  }
  if (args[0] == "fetch") return Fetch({args.begin() + 1, args.end()});
  if (args[0] == "quantize") return Quantize({args.begin() + 1, args.end()});
  return BadArguments("models: unknown subcommand '" + args[0] + "'");
}

}  // namespace imgfeat::cli
