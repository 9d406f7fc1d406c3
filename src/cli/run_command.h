// `imgfeat run`: the options come from the one description of a run
// (imgfeat/run_options.h); this shell prints.
#pragma once

#include <string>
#include <vector>

namespace imgfeat::cli {

std::string RunUsage();
// The exit code: 0, 1 (the run failed) or 2 (bad arguments).
int RunCommand(const std::vector<std::string>& args);

}  // namespace imgfeat::cli
