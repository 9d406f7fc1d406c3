// `imgfeat report OUTPUT [--html FILE] [--png FILE]`: parses its flags into
// ReportOptions.
#pragma once

#include <string>
#include <vector>

#include "imgfeat/report.h"

namespace imgfeat::cli {

// Fails with a one-line message naming the bad flag or value.
Result<ReportOptions> ParseReportArgs(const std::vector<std::string>& args);
const char* ReportUsage();

}  // namespace imgfeat::cli
