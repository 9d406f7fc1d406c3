// How every shell's values become a RunOptions: one parse, one set of checks,
// one set of rules between options (the table is run_option_specs.cc).
#include "imgfeat/run_options.h"

#include <set>
#include <sstream>
#include <utility>

namespace imgfeat {
namespace {

// The name of an option as `shell` spells it in messages.
std::string Shown(const RunOptionSpec& spec, unsigned shell) {
  return (shell & (kShellPython | kShellFeaturizer)) ? spec.python_name() : "--" + spec.name;
}

std::string Shown(std::string_view name, unsigned shell) {
  const RunOptionSpec* spec = FindRunOption(name);
  return spec ? Shown(*spec, shell) : std::string(name);
}

}  // namespace

std::string RunOptionSpec::cli_flag() const {
  if (type == OptionType::kSwitch && std::get<bool>(get(RunOptions{}))) return "--no-" + name;
  return "--" + name;
}

std::string RunOptionSpec::default_text() const { return OptionValueText(get(RunOptions{})); }

const RunOptionSpec* FindRunOption(std::string_view name) {
  for (const auto& spec : RunOptionSpecs()) {
    if (spec.name == name || spec.python_name() == name) return &spec;
  }
  return nullptr;
}

Status SetRunOption(RunOptions* options, const RunOptionSpec& spec, const OptionValue& value,
                    std::string_view shown) {
  ARROW_ASSIGN_OR_RAISE(OptionValue checked, CheckOptionValue(spec, value, shown));
  spec.set(options, checked);
  // An option counts as given when it differs from its default: saying the
  // default (as spark_job does for every option) changes nothing.
  if (spec.get(*options) == spec.get(RunOptions{})) {
    options->given.erase(spec.name);
  } else {
    options->given.insert(spec.name);
  }
  return Status::OK();
}

Status SetRunOptionFromText(RunOptions* options, const RunOptionSpec& spec, std::string_view text,
                            std::string_view shown) {
  ARROW_ASSIGN_OR_RAISE(OptionValue value, ParseOptionText(spec, text, shown));
  return SetRunOption(options, spec, value, shown);
}

Status ValidateRunOptions(const RunOptions& options, unsigned shell) {
  auto shown = [&](std::string_view name) { return Shown(name, shell); };
  if (options.input.empty()) return Status::Invalid("INPUT is empty");
  if (options.output.empty()) return Status::Invalid("OUTPUT is empty");
  for (const std::string& name : options.given) {
    const RunOptionSpec* spec = FindRunOption(name);
    if (spec != nullptr && !(spec->shells & shell)) {
      return Status::Invalid(shown(name), " is not available here");
    }
  }
  if (options.resume && options.overwrite) {
    return Status::Invalid(shown("resume"), " and ", shown("overwrite"), " exclude each other");
  }
  if (!options.shards.label_field.empty() && !options.label_regex.empty()) {
    return Status::Invalid(shown("label-field"), " and ", shown("label-regex"),
                           " both name the label: give one");
  }
  std::set<std::string> kept;
  for (const std::string& name : options.shards.keep_columns) {
    static const std::set<std::string> kOwn = {"path",   "label",    "modification_time",
                                               "length", "features", "embedding"};
    if (name.empty()) return Status::Invalid(shown("keep-columns"), " has an empty name");
    if (kOwn.count(name)) {
      return Status::Invalid(shown("keep-columns"), ": '", name,
                             "' is a column of the output already");
    }
    if (!kept.insert(name).second) {
      return Status::Invalid(shown("keep-columns"), " names '", name, "' twice");
    }
  }
  if (options.embedding && options.pooling == Pooling::kAvg) {
    return Status::Invalid(shown("embedding"), " needs ", shown("pooling"),
                           " none: with avg the features are the embedding already");
  }
  if (!options.shards.image_column.empty() && options.list.format != InputFormat::kAuto &&
      options.list.format != InputFormat::kParquet) {
    return Status::Invalid(shown("image-column"), " names a Parquet column; ",
                           shown("input-format"), " ", InputFormatName(options.list.format),
                           " reads no Parquet");
  }
  if (options.report && IsS3Uri(options.output)) {
    // The report reads the output folder from disk; refused before the run, not after it.
    return Status::Invalid(shown("report"), " needs a local OUTPUT; for ", options.output,
                           ", copy it to a folder and run 'imgfeat report FOLDER'");
  }
  if (!options.reducer_from.empty()) {
    // The saved reducer decides these; a different value would be ignored.
    for (const char* name :
         {"reduce", "components", "density", "pca-oversampling", "pca-power-iterations"}) {
      if (options.given.count(name)) {
        return Status::Invalid(shown("reducer-from"),
                               " applies the saved reducer as it is: ", shown(name),
                               " cannot change it (drop it)");
      }
    }
    return Status::OK();
  }
  if (options.reduce == ReduceKind::kPca && options.components <= 0) {
    return Status::Invalid(shown("reduce"), " pca needs ", shown("components"), " K");
  }
  if (options.reduce != ReduceKind::kSrp && options.given.count("density")) {
    return Status::Invalid(shown("density"), " is SRP's: it needs ", shown("reduce"), " srp");
  }
  if (options.reduce != ReduceKind::kPca) {
    for (const char* name : {"pca-oversampling", "pca-power-iterations"}) {
      if (options.given.count(name)) {
        return Status::Invalid(shown(name), " needs ", shown("reduce"), " pca");
      }
    }
  }
  if (options.reduce == ReduceKind::kNone && options.given.count("components")) {
    return Status::Invalid(shown("components"), " needs ", shown("reduce"), " srp or pca");
  }
  return Status::OK();
}

Result<RunOptions> ParseRunArgs(const std::vector<std::string>& args, unsigned shell) {
  RunOptions options;
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i], value;
    bool has_value = false;
    if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      positional.push_back(arg);
      continue;
    }
    const RunOptionSpec* spec = nullptr;
    for (const auto& s : RunOptionSpecs()) {
      if ((s.shells & shell) && s.cli_flag() == arg) spec = &s;
    }
    if (spec == nullptr) return Status::Invalid("unknown option ", arg);
    if (spec->type == OptionType::kSwitch) {
      if (has_value) return Status::Invalid(arg, " takes no value");
      // "--no-NAME" turns off a switch that is on by default.
      ARROW_RETURN_NOT_OK(SetRunOption(&options, *spec, arg.rfind("--no-", 0) != 0, arg));
      continue;
    }
    if (!has_value) {
      if (i + 1 >= args.size()) return Status::Invalid(arg, " needs a value");
      value = args[++i];
    }
    ARROW_RETURN_NOT_OK(SetRunOptionFromText(&options, *spec, value, arg));
  }
  if (positional.size() != 2) {
    return Status::Invalid("expected INPUT and OUTPUT, got ", positional.size(), " paths");
  }
  options.input = positional[0];
  options.output = positional[1];
  ARROW_RETURN_NOT_OK(ValidateRunOptions(options, shell));
  return options;
}

std::string RunOptionsHelp(unsigned shell) {
  std::ostringstream out;
  std::string group;
  for (const auto& spec : RunOptionSpecs()) {
    if (!(spec.shells & shell)) continue;
    if (spec.group != group) {
      group = spec.group;
      out << group << (group == "S3" ? " (credentials, region: the standard AWS chain)" : "")
          << "\n";
    }
    std::string left = "  " + spec.cli_flag() + (spec.metavar.empty() ? "" : " " + spec.metavar);
    std::string text = spec.help;
    const std::string def = spec.default_text();
    if (spec.type != OptionType::kSwitch && !def.empty()) text += " [" + def + "]";
    if (spec.type == OptionType::kSwitch && std::get<bool>(spec.get(RunOptions{}))) {
      text = "do not " + text;
    }
    out << OptionHelpEntry(std::move(left), text);
  }
  return out.str();
}

Result<Pooling> ParsePooling(const std::string& name) {
  if (name == "none") return Pooling::kNone;
  if (name == "avg") return Pooling::kAvg;
  return Status::Invalid("pooling must be none or avg, not '", name, "'");
}

Result<ReduceKind> ParseReduceKind(const std::string& name) {
  if (name == "none") return ReduceKind::kNone;
  if (name == "srp") return ReduceKind::kSrp;
  if (name == "pca") return ReduceKind::kPca;
  return Status::Invalid("reduce must be srp, pca or none, not '", name, "'");
}

const char* PoolingName(Pooling pooling) { return pooling == Pooling::kAvg ? "avg" : "none"; }

const char* ReduceKindName(ReduceKind kind) {
  switch (kind) {
    case ReduceKind::kNone:
      return "none";
    case ReduceKind::kSrp:
      return "srp";
    case ReduceKind::kPca:
      return "pca";
  }
  return "?";
}

}  // namespace imgfeat
