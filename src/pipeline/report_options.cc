// The table of a report's options (imgfeat/report_options.h) and how a
// shell's values become a ReportOptions. Adding an option is one entry here:
// the CLI, imgfeat.report and docs/OPTIONS.md follow.
#include "imgfeat/report_options.h"

#include <limits>
#include <sstream>
#include <utility>

namespace imgfeat {
namespace {

using O = ReportOptions;
using V = OptionValue;

template <typename T>
ReportOptionSpec IntSpec(std::string name, std::string metavar, double min, double max,
                         std::string help, T O::*field) {
  ReportOptionSpec s;
  s.name = std::move(name);
  s.group = "Report";
  s.type = OptionType::kInt;
  s.metavar = std::move(metavar);
  s.min = min;
  s.max = max;
  s.help = std::move(help);
  s.set = [field](O* o, const V& v) { o->*field = static_cast<T>(std::get<int64_t>(v)); };
  s.get = [field](const O& o) -> V { return static_cast<int64_t>(o.*field); };
  return s;
}

ReportOptionSpec TextSpec(std::string name, std::string metavar, std::string help,
                          std::string O::*field) {
  ReportOptionSpec s;
  s.name = std::move(name);
  s.group = "Report";
  s.type = OptionType::kText;
  s.metavar = std::move(metavar);
  s.help = std::move(help);
  s.set = [field](O* o, const V& v) { o->*field = std::get<std::string>(v); };
  s.get = [field](const O& o) -> V { return o.*field; };
  return s;
}

std::vector<ReportOptionSpec> MakeSpecs() {
  std::vector<ReportOptionSpec> specs;
  specs.push_back(TextSpec("html", "FILE", "the page (none: OUTPUT/_report.html)", &O::html));
  specs.push_back(TextSpec("png", "FILE", "the map (none: OUTPUT/_report.png)", &O::png));
  // The rows read are bounded by the output's; the limits only keep numbers sane.
  specs.push_back(IntSpec("max-rows", "N", 1, 1e12,
                          "rows in the map and the k-NN accuracy; a seeded random sample beyond",
                          &O::max_rows));
  specs.push_back(IntSpec("thumbnails", "N", 0, 1e12,
                          "images shown as thumbnails on hover (0: none)", &O::max_thumbnails));
  specs.push_back(
      IntSpec("seed", "S", 0, std::numeric_limits<uint32_t>::max(), "the row sample", &O::seed));
  return specs;
}

}  // namespace

std::string ReportOptionSpec::default_text() const { return OptionValueText(get(ReportOptions{})); }

const std::vector<ReportOptionSpec>& ReportOptionSpecs() {
  static const std::vector<ReportOptionSpec> specs = MakeSpecs();
  return specs;
}

const ReportOptionSpec* FindReportOption(std::string_view name) {
  for (const auto& spec : ReportOptionSpecs()) {
    if (spec.name == name || spec.python_name() == name) return &spec;
  }
  return nullptr;
}

Status SetReportOption(ReportOptions* options, const ReportOptionSpec& spec,
                       const OptionValue& value, std::string_view shown) {
  ARROW_ASSIGN_OR_RAISE(OptionValue checked, CheckOptionValue(spec, value, shown));
  spec.set(options, checked);
  return Status::OK();
}

Status SetReportOptionFromText(ReportOptions* options, const ReportOptionSpec& spec,
                               std::string_view text, std::string_view shown) {
  ARROW_ASSIGN_OR_RAISE(OptionValue value, ParseOptionText(spec, text, shown));
  return SetReportOption(options, spec, value, shown);
}

Result<ReportOptions> ParseReportArgs(const std::vector<std::string>& args) {
  ReportOptions options;
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i], value;
    bool has_value = false;
    if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    if (arg.rfind("--", 0) != 0) {
      positional.push_back(arg);
      continue;
    }
    const ReportOptionSpec* spec = nullptr;
    for (const auto& s : ReportOptionSpecs()) {
      if (s.cli_flag() == arg) spec = &s;
    }
    if (spec == nullptr) return Status::Invalid("unknown option ", arg);
    if (!has_value) {
      if (i + 1 >= args.size()) return Status::Invalid(arg, " needs a value");
      value = args[++i];
    }
    ARROW_RETURN_NOT_OK(SetReportOptionFromText(&options, *spec, value, arg));
  }
  if (positional.size() != 1) {
    return Status::Invalid("expected OUTPUT, got ", positional.size(), " paths");
  }
  options.output = positional[0];
  return options;
}

std::string ReportOptionsHelp() {
  std::ostringstream out;
  for (const auto& spec : ReportOptionSpecs()) {
    std::string left = "  " + spec.cli_flag() + " " + spec.metavar;
    std::string text = spec.help;
    const std::string def = spec.default_text();
    if (!def.empty()) text += " [" + def + "]";
    out << OptionHelpEntry(std::move(left), text);
  }
  return out.str();
}

}  // namespace imgfeat
