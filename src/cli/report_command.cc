#include "cli/report_command.h"

#include "imgfeat/report_options.h"

namespace imgfeat::cli {

std::string ReportUsage() {
  return std::string(R"(usage: imgfeat report OUTPUT [options]

Writes a self-contained HTML report of the output folder OUTPUT of 'imgfeat run'
(the run, images per label, errors, a 2-D map of the features, k-nearest-
neighbour label accuracy, distance preservation of the reduction) and a PNG of
its map. Defaults are in brackets; docs/OPTIONS.md has the same table.

)") + ReportOptionsHelp();
}

}  // namespace imgfeat::cli
