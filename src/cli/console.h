// The CLI's own lines on stderr: "imgfeat: MESSAGE", always one line.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "imgfeat/report.h"

namespace imgfeat::cli {

// Prints the error and returns the exit code 1.
inline int Fail(std::string message) {
  // Some S3 errors carry line breaks; the error stays one line.
  for (char& c : message) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::fprintf(stderr, "imgfeat: %s\n", message.c_str());
  return 1;
}

// Whether a subcommand's arguments ask for its help.
inline bool WantsHelp(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "-h" || a == "--help") return true;
  }
  return false;
}

// A subcommand's bad arguments: one line naming them, a pointer to its
// --help, and the exit code 2.
inline int UsageError(const char* command, const Status& status) {
  std::fprintf(stderr, "imgfeat: %s\n(see 'imgfeat %s --help')\n", status.message().c_str(),
               command);
  return 2;
}

// Writes the report and says where; the exit code.
inline int WriteReportAndSay(const ReportOptions& options, bool quiet) {
  auto report = WriteReport(options);
  if (!report.ok()) return Fail("report: " + report.status().message());
  if (!quiet) {
    std::fprintf(stderr, "imgfeat: report %s (map %s)\n", report->html.c_str(),
                 report->png.c_str());
  }
  return 0;
}

}  // namespace imgfeat::cli
