#include "cli/report_command.h"

#include <charconv>

#include "cli/flag_args.h"

namespace imgfeat::cli {
namespace {

Result<int64_t> PositiveNumber(const std::string& flag, const std::string& text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 1) {
    return Status::Invalid(flag, " takes a positive number, not '", text, "'");
  }
  return value;
}

}  // namespace

const char* ReportUsage() {
  return R"(usage: imgfeat report OUTPUT [options]

Writes a self-contained HTML report of the output folder OUTPUT of 'imgfeat run'
(the run, images per label, errors, a 2-D map of the features, k-nearest-
neighbour label accuracy, distance preservation of the reduction) and a PNG of
its map.

  --html FILE        the page (default OUTPUT/_report.html)
  --png FILE         the map (default OUTPUT/_report.png)
  --max-rows N       rows in the map and the k-NN accuracy; a seeded random
                     sample beyond (default 8000)
  --thumbnails N     images shown as thumbnails on hover (default 400)
  --seed S           the row sample (default 42)
)";
}

Result<ReportOptions> ParseReportArgs(const std::vector<std::string>& args) {
  ReportOptions options;
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    auto [arg, value, has_value] = SplitFlag(args[i]);
    if (arg.rfind("--", 0) != 0) {
      positional.push_back(arg);
      continue;
    }
    if (arg != "--html" && arg != "--png" && arg != "--max-rows" && arg != "--thumbnails" &&
        arg != "--seed") {
      return Status::Invalid("unknown option ", arg);
    }
    if (!has_value) {
      if (i + 1 >= args.size()) return Status::Invalid(arg, " needs a value");
      value = args[++i];
    }
    if (arg == "--html") {
      options.html = value;
    } else if (arg == "--png") {
      options.png = value;
    } else if (arg == "--max-rows") {
      ARROW_ASSIGN_OR_RAISE(options.max_rows, PositiveNumber(arg, value));
    } else if (arg == "--thumbnails") {
      ARROW_ASSIGN_OR_RAISE(options.max_thumbnails, PositiveNumber(arg, value));
    } else {
      // As run's --seed: any value of an unsigned 32-bit seed, 0 included.
      uint32_t seed = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seed);
      if (ec != std::errc() || end != value.data() + value.size()) {
        return Status::Invalid(arg, " takes an integer from 0 to 4294967295, not '", value, "'");
      }
      options.seed = seed;
    }
  }
  if (positional.size() != 1) {
    return Status::Invalid("expected OUTPUT, got ", positional.size(), " paths");
  }
  options.output = positional[0];
  return options;
}

}  // namespace imgfeat::cli
