#include "cli/run_command.h"

#include <arrow/util/io_util.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "cli/console.h"
#include "cli/terminal_events.h"
#include "imgfeat/neighbours.h"
#include "imgfeat/pipeline.h"

namespace imgfeat::cli {

std::string RunUsage() {
  return std::string(R"(usage: imgfeat run INPUT OUTPUT [options]

Featurizes every image under INPUT (a folder, searched recursively, or one file)
and writes a Parquet dataset to the folder OUTPUT (see docs/FORMAT.md). INPUT,
OUTPUT, --model-dir and --reducer-from may be s3://bucket/prefix (docs/S3.md).
Defaults are in brackets; docs/OPTIONS.md has the same table.

)") + RunOptionsHelp(kShellCli);
}

int RunCommand(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "-h" || a == "--help") {
      std::fputs(RunUsage().c_str(), stdout);
      return 0;
    }
  }
  auto options = ParseRunArgs(args, kShellCli);
  if (!options.ok()) {
    std::fprintf(stderr, "imgfeat: %s\n(see 'imgfeat run --help')\n",
                 options.status().message().c_str());
    return 2;
  }
  TerminalEvents events(options->quiet);
  options->events = &events;
  auto summary = RunJob(*options);
  events.Finish();
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
  if (options->neighbours) {
    auto found = WriteNeighbours(options->output, {});
    if (!found.ok()) return Fail("neighbours: " + found.status().message());
    if (!options->quiet) {
      std::fprintf(stderr, "imgfeat: %lld near-duplicate rows in %lld groups (%s)\n",
                   static_cast<long long>(found->duplicate_rows),
                   static_cast<long long>(found->duplicate_groups),
                   (options->output + "/_duplicates.parquet").c_str());
    }
  }
  if (options->report) {
    ReportOptions report;
    report.output = options->output;
    return WriteReportAndSay(report, options->quiet);
  }
  return 0;
}

}  // namespace imgfeat::cli
