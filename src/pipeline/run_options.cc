// How every shell's values become a RunOptions: one parse, one set of checks,
// one set of rules between options (the table is run_option_specs.cc).
#include "imgfeat/run_options.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <sstream>

namespace imgfeat {
namespace {

std::string NumberText(double v) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return ec == std::errc() ? std::string(buf, end) : std::to_string(v);
}

std::string IntText(double v) { return std::to_string(static_cast<long long>(v)); }

// The name of an option as `shell` spells it in messages.
std::string Shown(const RunOptionSpec& spec, unsigned shell) {
  return (shell & (kShellPython | kShellFeaturizer)) ? spec.python_name() : "--" + spec.name;
}

std::string Shown(std::string_view name, unsigned shell) {
  const RunOptionSpec* spec = FindRunOption(name);
  return spec ? Shown(*spec, shell) : std::string(name);
}

bool InRange(const RunOptionSpec& spec, double v) {
  if (std::isnan(v)) return false;
  if (spec.min_exclusive ? !(v > spec.min) : !(v >= spec.min)) return false;
  if (spec.max_exclusive ? !(v < spec.max) : !(v <= spec.max)) return false;
  return true;
}

Status OutOfRange(const RunOptionSpec& spec, std::string_view shown, std::string_view given) {
  return Status::Invalid(shown, " must be ", spec.accepted_text(), ", not ", given);
}

}  // namespace

std::string RunOptionSpec::python_name() const {
  std::string out = name;
  for (char& c : out) {
    if (c == '-') c = '_';
  }
  return out;
}

std::string RunOptionSpec::cli_flag() const {
  if (type == OptionType::kSwitch && std::get<bool>(get(RunOptions{}))) return "--no-" + name;
  return "--" + name;
}

std::string RunOptionSpec::default_text() const {
  const OptionValue v = get(RunOptions{});
  if (std::holds_alternative<std::monostate>(v)) return "auto";
  if (const bool* b = std::get_if<bool>(&v)) return *b ? "on" : "off";
  if (const int64_t* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const double* d = std::get_if<double>(&v)) return NumberText(*d);
  return std::get<std::string>(v);
}

std::string RunOptionSpec::accepted_text() const {
  std::string out = accepts_auto ? "auto or " : "";
  switch (type) {
    case OptionType::kSwitch:
      return "true or false";
    case OptionType::kText:
      return "a text";
    case OptionType::kChoice: {
      for (size_t i = 0; i < choices.size(); ++i) {
        out += (i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ") + choices[i];
      }
      return out;
    }
    case OptionType::kInt:
      return out + "an integer from " + IntText(min) + " to " + IntText(max);
    case OptionType::kFloat:
      return out + "a number in " + (min_exclusive ? "(" : "[") + NumberText(min) + ", " +
             NumberText(max) + (max_exclusive ? ")" : "]");
  }
  return out;
}

const RunOptionSpec* FindRunOption(std::string_view name) {
  for (const auto& spec : RunOptionSpecs()) {
    if (spec.name == name || spec.python_name() == name) return &spec;
  }
  return nullptr;
}

Status SetRunOption(RunOptions* options, const RunOptionSpec& spec, const OptionValue& value,
                    std::string_view shown) {
  auto wrong_kind = [&](std::string_view what) {
    return Status::TypeError(shown, " must be ", what);
  };
  OptionValue checked = value;
  if (std::holds_alternative<std::monostate>(value)) {
    if (!spec.accepts_auto) return wrong_kind(spec.accepted_text());
  } else {
    switch (spec.type) {
      case OptionType::kSwitch:
        if (!std::holds_alternative<bool>(value)) return wrong_kind("a bool");
        break;
      case OptionType::kText:
        if (!std::holds_alternative<std::string>(value)) return wrong_kind("a str");
        if (std::get<std::string>(value).find('\0') != std::string::npos) {
          return Status::Invalid(shown, " must not hold a NUL character");
        }
        break;
      case OptionType::kChoice: {
        const std::string* text = std::get_if<std::string>(&value);
        if (text == nullptr) return wrong_kind(spec.accepted_text());
        bool known = false;
        for (const auto& c : spec.choices) known = known || c == *text;
        if (!known) return OutOfRange(spec, shown, "'" + *text + "'");
        break;
      }
      case OptionType::kInt: {
        const int64_t* i = std::get_if<int64_t>(&value);
        if (i == nullptr) return wrong_kind(spec.accepted_text());
        if (!InRange(spec, static_cast<double>(*i))) {
          return OutOfRange(spec, shown, std::to_string(*i));
        }
        break;
      }
      case OptionType::kFloat: {
        double d;
        if (const int64_t* i = std::get_if<int64_t>(&value)) {
          d = static_cast<double>(*i);
        } else if (const double* p = std::get_if<double>(&value)) {
          d = *p;
        } else {
          return wrong_kind(spec.accepted_text());
        }
        if (!InRange(spec, d)) return OutOfRange(spec, shown, NumberText(d));
        checked = d;
        break;
      }
    }
  }
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
  if (spec.accepts_auto && text == "auto") {
    return SetRunOption(options, spec, std::monostate{}, shown);
  }
  // Built piecewise: GCC 12 warns falsely (-Wrestrict) on the chained operator+.
  std::string quoted(1, '\'');
  quoted.append(text);
  quoted.push_back('\'');
  switch (spec.type) {
    case OptionType::kSwitch:
      if (text == "true") return SetRunOption(options, spec, true, shown);
      if (text == "false") return SetRunOption(options, spec, false, shown);
      return OutOfRange(spec, shown, quoted);
    case OptionType::kText:
    case OptionType::kChoice:
      return SetRunOption(options, spec, std::string(text), shown);
    case OptionType::kInt: {
      int64_t v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec == std::errc::result_out_of_range) return OutOfRange(spec, shown, quoted);
      if (ec != std::errc() || end != text.data() + text.size()) {
        return Status::Invalid(shown, " must be ", spec.accepted_text(), ", not ", quoted);
      }
      return SetRunOption(options, spec, v, shown);
    }
    case OptionType::kFloat: {
      const std::string s(text);
      char* end = nullptr;
      const double v = s.empty() ? 0 : std::strtod(s.c_str(), &end);
      if (s.empty() || end != s.c_str() + s.size() ||
          std::isspace(static_cast<unsigned char>(s[0]))) {
        return Status::Invalid(shown, " must be ", spec.accepted_text(), ", not ", quoted);
      }
      return SetRunOption(options, spec, v, shown);
    }
  }
  return Status::Invalid("unknown option type");
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
    // Two columns, the help wrapped at 80.
    constexpr size_t kColumn = 26, kWidth = 80;
    if (left.size() + 1 > kColumn) {
      out << left << "\n";
      left.clear();
    }
    left.resize(kColumn, ' ');
    std::istringstream words(text);
    std::string word, line = left;
    bool first = true;
    while (words >> word) {
      if (!first && line.size() + 1 + word.size() > kWidth) {
        out << line << "\n";
        line = std::string(kColumn, ' ');
        first = true;
      }
      line += (first ? "" : " ") + word;
      first = false;
    }
    out << line << "\n";
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
