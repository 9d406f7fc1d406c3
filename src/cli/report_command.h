// `imgfeat report OUTPUT [options]`: its flags are the report's options
// (imgfeat/report_options.h).
#pragma once

#include <string>

namespace imgfeat::cli {

std::string ReportUsage();

}  // namespace imgfeat::cli
