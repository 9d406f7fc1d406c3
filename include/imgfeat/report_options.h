// The options of a report (`imgfeat report OUTPUT`, imgfeat.report), described
// once as a run's are (imgfeat/run_options.h): the CLI's flags and `--help`,
// imgfeat.report's keyword arguments and docs/OPTIONS.md come from
// ReportOptionSpecs(), and every value, whatever the shell, goes through
// SetReportOption's checks. Stateless; thread-safe.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "imgfeat/option_spec.h"
#include "imgfeat/report.h"
#include "imgfeat/status.h"

namespace imgfeat {

// One entry of the table: where its value lands in ReportOptions.
struct ReportOptionSpec : OptionSpec {
  std::function<void(ReportOptions*, const OptionValue&)> set;  // after the checks
  std::function<OptionValue(const ReportOptions&)> get;

  std::string cli_flag() const { return "--" + name; }
  // The default as `--help` and the docs write it ("8000", "").
  std::string default_text() const;
};

// Every option, in --help order.
const std::vector<ReportOptionSpec>& ReportOptionSpecs();
// By spec name ("max-rows") or Python name ("max_rows"); null if unknown.
const ReportOptionSpec* FindReportOption(std::string_view name);

// A typed value (from a binding) checked and set; TypeError for a wrong kind.
// `shown` is how the shell names the option in messages.
Status SetReportOption(ReportOptions* options, const ReportOptionSpec& spec,
                       const OptionValue& value, std::string_view shown);
// The text a command line gave, parsed for `spec`, checked and set.
Status SetReportOptionFromText(ReportOptions* options, const ReportOptionSpec& spec,
                               std::string_view text, std::string_view shown);

// A command line, less the command: OUTPUT and --flags in any order
// ("--flag=value" is "--flag value").
Result<ReportOptions> ParseReportArgs(const std::vector<std::string>& args);

// The options part of `imgfeat report --help`, with defaults.
std::string ReportOptionsHelp();

}  // namespace imgfeat
