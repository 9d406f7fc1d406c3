// The CLI's own lines on stderr: "imgfeat: MESSAGE", always one line.
#pragma once

#include <cstdio>
#include <string>

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
