#include "cli/similar_command.h"

#include <charconv>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli/console.h"
#include "cli/flag_args.h"
#include "imgfeat/path_text.h"
#include "imgfeat/similar.h"

namespace imgfeat::cli {
namespace {

constexpr const char* kUsage = R"(usage: imgfeat similar OUTPUT IMAGE... [options]

Finds the rows of the output folder OUTPUT of 'imgfeat run' most like each
IMAGE: the image goes through the run's own model and reducer, and is compared
by cosine with every row. Prints, per image, its nearest rows: rank, cosine,
label and path.

  -k N          rows per image, 1 to 1000 (default 10)
  --json        print one JSON array of {query, rank, cosine, label, path}
  --threads N   decoding and inference threads (default: all cores)
  --column NAME features (default) or embedding: compare the images'
                embeddings with those a run with --embedding stored (also
                finds mirrored and cropped views; docs/DUPLICATES.md)
)";

struct Args {
  std::string output;
  std::vector<std::string> images;
  SimilarOptions options;
  bool json = false;
};

Result<int> Number(const std::string& flag, const std::string& text, int low, int high) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < low || value > high) {
    return Status::Invalid(flag, " takes a number from ", low, " to ", high, ", not '", text, "'");
  }
  return value;
}

Result<Args> Parse(const std::vector<std::string>& args) {
  Args out;
  std::vector<std::string> positional;
  for (size_t i = 0; i < args.size(); ++i) {
    auto [arg, value, has_value] = SplitFlag(args[i]);
    if (arg == "--json" && !has_value) {
      out.json = true;
      continue;
    }
    if (arg != "-k" && arg != "--threads" && arg != "--column") {
      if (arg.rfind("-", 0) == 0) return Status::Invalid("unknown option ", arg);
      positional.push_back(arg);
      continue;
    }
    if (!has_value) {
      if (i + 1 >= args.size()) return Status::Invalid(arg, " needs a value");
      value = args[++i];
    }
    if (arg == "-k") {
      ARROW_ASSIGN_OR_RAISE(out.options.k, Number(arg, value, 1, 1000));
    } else if (arg == "--column") {
      out.options.column = value;
    } else {
      ARROW_ASSIGN_OR_RAISE(out.options.threads, Number(arg, value, 0, 1024));
    }
  }
  if (positional.size() < 2) return Status::Invalid("expected OUTPUT and at least one IMAGE");
  out.output = positional[0];
  out.images.assign(positional.begin() + 1, positional.end());
  return out;
}

}  // namespace

int SimilarCommand(const std::vector<std::string>& args) {
  if (WantsHelp(args)) {
    std::fputs(kUsage, stdout);
    return 0;
  }
  auto parsed = Parse(args);
  if (!parsed.ok()) return UsageError("similar", parsed.status());
  auto result = FindSimilar(parsed->output, parsed->images, parsed->options);
  if (!result.ok()) return Fail(result.status().message());
  for (const auto& [query, reason] : result->errors) {
    std::fprintf(stderr, "imgfeat: skipped %s\n", Utf8Text(reason).c_str());
  }
  if (parsed->json) {
    nlohmann::json rows = nlohmann::json::array();
    for (const SimilarRow& r : result->rows) {
      rows.push_back({{"query", PathText(parsed->images[r.query])},
                      {"rank", r.rank},
                      {"cosine", r.cosine},
                      {"label", r.label},
                      {"path", r.path}});
    }
    std::printf("%s\n", rows.dump(1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
  } else {
    int64_t shown = -1;
    for (const SimilarRow& r : result->rows) {
      if (r.query != shown) {
        std::printf("%s\n", PathText(parsed->images[r.query]).c_str());
        shown = r.query;
      }
      std::printf("%4d  %.4f  %s  %s\n", r.rank, r.cosine, r.label.c_str(), r.path.c_str());
    }
  }
  // Every query failed: nothing was found.
  return result->errors.size() == parsed->images.size() ? 1 : 0;
}

}  // namespace imgfeat::cli
