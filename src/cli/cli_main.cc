// imgfeat's command line: a thin shell over the library (imgfeat::RunJob,
// WriteReport, WriteNeighbours, FindSimilar). The `imgfeat` program and the
// Python package's `imgfeat` command both run it (cli_main.h).
#include "cli/cli_main.h"

#include <cstdio>
#include <string>
#include <vector>

#include "cli/console.h"
#include "cli/models_command.h"
#include "cli/neighbours_command.h"
#include "cli/report_command.h"
#include "cli/run_command.h"
#include "cli/similar_command.h"
#include "imgfeat/report_options.h"

namespace {

constexpr const char* kUsage = R"(usage: imgfeat COMMAND [options]

Commands
  run INPUT OUTPUT   featurize the images under INPUT into the Parquet dataset OUTPUT
  report OUTPUT      write an HTML report (and a PNG of its map) of OUTPUT
  neighbours OUTPUT  find every row's nearest rows and the near-duplicates in OUTPUT
  similar OUTPUT IMAGE...  the rows of OUTPUT most like each IMAGE
  models             list the registered models ('models fetch NAME' fetches one)
  version            print the version

'imgfeat run --help' lists run's options.
)";

int ReportCommand(const std::vector<std::string>& args) {
  if (imgfeat::cli::WantsHelp(args)) {
    std::fputs(imgfeat::cli::ReportUsage().c_str(), stdout);
    return 0;
  }
  auto options = imgfeat::ParseReportArgs(args);
  if (!options.ok()) return imgfeat::cli::UsageError("report", options.status());
  return imgfeat::cli::WriteReportAndSay(*options, false);
}
}  // namespace

namespace imgfeat::cli {

int Main(std::vector<std::string> args) {
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  if (command == "run") return imgfeat::cli::RunCommand(args);
  if (command == "report") return ReportCommand(args);
  if (command == "neighbours") return imgfeat::cli::NeighboursCommand(args);
  if (command == "similar") return imgfeat::cli::SimilarCommand(args);
  if (command == "version") {
    std::printf("imgfeat %s\n", IMGFEAT_VERSION);
    return 0;
  }
  if (command == "models") return imgfeat::cli::ModelsCommand(args);
  return imgfeat::cli::Fail("unknown command '" + command + "' (see 'imgfeat --help')");
}

}  // namespace imgfeat::cli
