// imgfeat's command line: a thin shell over imgfeat::RunJob.
#include <arrow/util/io_util.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli/models_command.h"
#include "cli/report_command.h"
#include "cli/run_command.h"
#include "imgfeat/model.h"
#include "imgfeat/pipeline.h"
#include "imgfeat/report.h"
#include "imgfeat/storage.h"

namespace {

constexpr const char* kUsage = R"(usage: imgfeat COMMAND [options]

Commands
  run INPUT OUTPUT   featurize the images under INPUT into the Parquet dataset OUTPUT
  report OUTPUT      write an HTML report (and a PNG of its map) of OUTPUT
  models             list the registered models ('models fetch NAME' fetches one)
  version            print the version

'imgfeat run --help' lists run's options.
)";

int Fail(std::string message) {
  // Some S3 errors carry line breaks; the error stays one line.
  for (char& c : message) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::fprintf(stderr, "imgfeat: %s\n", message.c_str());
  return 1;
}

int WriteReport(const imgfeat::ReportOptions& options, bool quiet) {
  auto report = imgfeat::WriteReport(options);
  if (!report.ok()) return Fail("report: " + report.status().message());
  if (!quiet) {
    std::fprintf(stderr, "imgfeat: report %s (map %s)\n", report->html.c_str(),
                 report->png.c_str());
  }
  return 0;
}

int ReportCommand(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "-h" || a == "--help") {
      std::fputs(imgfeat::cli::ReportUsage(), stdout);
      return 0;
    }
  }
  auto options = imgfeat::cli::ParseReportArgs(args);
  if (!options.ok()) {
    std::fprintf(stderr, "imgfeat: %s\n(see 'imgfeat report --help')\n",
                 options.status().message().c_str());
    return 2;
  }
  return WriteReport(*options, false);
}
// Releases the AWS SDK (if an s3:// path started it) however main returns.
struct StorageShutdown {
  ~StorageShutdown() { imgfeat::ShutdownStorage(); }
};

int RunCommand(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "-h" || a == "--help") {
      std::fputs(imgfeat::cli::RunUsage(), stdout);
      return 0;
    }
  }
  auto options = imgfeat::cli::ParseRunArgs(args);
  if (!options.ok()) {
    std::fprintf(stderr, "imgfeat: %s\n(see 'imgfeat run --help')\n",
                 options.status().message().c_str());
    return 2;
  }
  auto summary = imgfeat::RunJob(*options);
  if (!summary.ok()) {
    // A full disk (or a file size limit, or a quota) surfaces as a write
    // error deep in Arrow: say which folder, why, and how to go on.
    const int error = arrow::internal::ErrnoFromStatus(summary.status());
    if (error == ENOSPC || error == EFBIG || error == EDQUOT) {
      return Fail("cannot write to OUTPUT '" + options->output + "': " + std::strerror(error) +
                  " (" + summary.status().message() +
                  "); no part was left incomplete: make room, then rerun with --resume");
    }
    return Fail(summary.status().message());
  }
  if (summary->already_complete) {
    std::fprintf(stderr, "imgfeat: %s is already complete: nothing to do\n",
                 options->output.c_str());
  } else if (!options->quiet) {
    std::fprintf(
        stderr, "imgfeat: wrote %lld rows of %lld features to %s in %.1f s (%lld failed%s%s)\n",
        static_cast<long long>(summary->rows_written), static_cast<long long>(summary->output_dim),
        options->output.c_str(), summary->seconds, static_cast<long long>(summary->errors),
        summary->errors ? ": see " : "",
        summary->errors ? (options->output + "/_errors.parquet").c_str() : "");
    if (summary->images_skipped_as_done > 0) {
      std::fprintf(stderr, "imgfeat: %lld images were already done before --resume\n",
                   static_cast<long long>(summary->images_skipped_as_done));
    }
  }
  if (options->report) {
    imgfeat::ReportOptions report;
    report.output = options->output;
    return WriteReport(report, options->quiet);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  StorageShutdown storage_shutdown;
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  if (command == "run") return RunCommand(args);
  if (command == "report") return ReportCommand(args);
  if (command == "version") {
    std::printf("imgfeat %s\n", IMGFEAT_VERSION);
    return 0;
  }
  if (command == "models") return imgfeat::cli::ModelsCommand(args);
  return Fail("unknown command '" + command + "' (see 'imgfeat --help')");
}
