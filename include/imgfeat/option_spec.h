// What the descriptions of a command's options share: an option's name,
// kind, limits and help, and the checks every value goes through whatever the
// shell (a command line's text, a Python keyword argument). A run's options
// (imgfeat/run_options.h) and a report's (imgfeat/report_options.h) are each
// a table of such entries. Stateless; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "imgfeat/status.h"

namespace imgfeat {

enum class OptionType { kSwitch, kInt, kFloat, kText, kChoice };

// A value as a shell read it, before the checks: std::monostate is "auto".
using OptionValue = std::variant<std::monostate, bool, int64_t, double, std::string>;

struct OptionSpec {
  std::string name;   // "max-pixels": the CLI's --max-pixels, Python's max_pixels
  std::string group;  // the --help section
  OptionType type = OptionType::kText;
  std::string metavar;               // "N", "PATH"; empty for switches
  std::vector<std::string> choices;  // kChoice
  bool accepts_auto = false;         // "auto" (Python: "auto" or None) is a value
  double min = 0, max = 0;           // kInt, kFloat: the allowed range (kInt: within int64)
  bool min_exclusive = false, max_exclusive = false;
  std::string help;  // one sentence; the default is added by renderers

  std::string python_name() const;  // '-' -> '_'
  // "an int from 1 to 1024", "auto or a number in (0, 1]"...
  std::string accepted_text() const;
};

// `value` checked against `spec`: the value to set (an int given for a float
// becomes a double), TypeError for a wrong kind, Invalid out of range. `shown`
// is how the shell names the option in messages.
Result<OptionValue> CheckOptionValue(const OptionSpec& spec, const OptionValue& value,
                                     std::string_view shown);

// The text a command line gave ("auto", "16", "avg", "true") as a value of
// `spec`'s kind, or Invalid when it is none; the range is CheckOptionValue's.
Result<OptionValue> ParseOptionText(const OptionSpec& spec, std::string_view text,
                                    std::string_view shown);

// A value as `--help` and the docs write it ("auto", "on", "178956970", "").
std::string OptionValueText(const OptionValue& value);

// One entry of a --help: `left` (the flag and its metavar) and `text` in two
// columns, the text wrapped at 80.
std::string OptionHelpEntry(std::string left, const std::string& text);

}  // namespace imgfeat
