#include "cli/neighbours_command.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "cli/console.h"
#include "cli/flag_args.h"
#include "imgfeat/neighbours.h"

namespace imgfeat::cli {
namespace {

constexpr const char* kUsage = R"(usage: imgfeat neighbours OUTPUT [options]

Finds the nearest rows of every row of the output folder OUTPUT of 'imgfeat
run' (cosine of the features the run wrote; exact, every pair compared) and
its near-duplicates. Writes OUTPUT/_neighbours.parquet (path, neighbour,
cosine, rank) and OUTPUT/_duplicates.parquet (path, group).

  -k N                  neighbours per row, 1 to 1000 (default 10)
  --method M            exact (every pair compared), approximate (lists of
                        nearby rows, by k-means over a 512-dimension PCA
                        of the rows, compared list by list: for outputs
                        too large for exact) or auto (default: exact up
                        to 20,000 rows)
  --duplicate-cosine C  rows at this cosine or above are near-duplicates
                        (default 0.975, measured: docs/DUPLICATES.md)
  --column NAME         features (default: as the run wrote them) or
                        embedding (a run with --embedding: also finds
                        mirrored and cropped copies; docs/DUPLICATES.md)
  --quiet               print nothing but errors
)";

struct Args {
  std::string output;
  NeighboursOptions options;
  bool quiet = false;
};

Result<Args> Parse(const std::vector<std::string>& args) {
  Args out;
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    auto [arg, value, has_value] = SplitFlag(args[i]);
    if (arg == "--quiet" && !has_value) {
      out.quiet = true;
      continue;
    }
    if (arg != "-k" && arg != "--duplicate-cosine" && arg != "--method" && arg != "--column") {
      if (arg.rfind("-", 0) == 0) return Status::Invalid("unknown option ", arg);
      positional.push_back(arg);
      continue;
    }
    if (!has_value) {
      if (i + 1 >= args.size()) return Status::Invalid(arg, " needs a value");
      value = args[++i];
    }
    const char* end = value.data() + value.size();
    if (arg == "--method") {
      ARROW_ASSIGN_OR_RAISE(out.options.method, ParseNeighbourMethod(value));
    } else if (arg == "--column") {
      out.options.column = value;
    } else if (arg == "-k") {
      auto [at, ec] = std::from_chars(value.data(), end, out.options.k);
      if (ec != std::errc() || at != end) {
        return Status::Invalid("-k takes a number from 1 to 1000, not '", value, "'");
      }
    } else {
      auto [at, ec] = std::from_chars(value.data(), end, out.options.duplicate_cosine);
      if (ec != std::errc() || at != end || !std::isfinite(out.options.duplicate_cosine)) {
        return Status::Invalid("--duplicate-cosine takes a number from -1 to 1, not '", value, "'");
      }
    }
  }
  if (positional.size() != 1) {
    return Status::Invalid("expected OUTPUT, got ", positional.size(), " paths");
  }
  out.output = positional[0];
  ARROW_RETURN_NOT_OK(ValidateNeighboursOptions(out.options));
  return out;
}

}  // namespace

int NeighboursCommand(const std::vector<std::string>& args) {
  if (WantsHelp(args)) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  auto parsed = Parse(args);
  if (!parsed.ok()) return UsageError("neighbours", parsed.status());
  auto summary = WriteNeighbours(parsed->output, parsed->options);
  if (!summary.ok()) return Fail(summary.status().message());
  if (!parsed->quiet) {
    std::printf(
        "%lld rows of %lld features (%s): %lld neighbour rows, %lld near-duplicate rows in %lld "
        "groups (cosine >= %g), in %.1f s\n",
        static_cast<long long>(summary->rows), static_cast<long long>(summary->dim),
        NeighbourMethodName(summary->method), static_cast<long long>(summary->neighbour_rows),
        static_cast<long long>(summary->duplicate_rows),
        static_cast<long long>(summary->duplicate_groups), parsed->options.duplicate_cosine,
        summary->seconds);
  }
  return 0;
}

}  // namespace imgfeat::cli
