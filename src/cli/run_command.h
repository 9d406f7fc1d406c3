// `imgfeat run`: parses its flags into RunOptions.
#pragma once

#include <string>
#include <vector>

#include "imgfeat/pipeline.h"

namespace imgfeat::cli {

// Fails with a one-line message naming the bad flag or value.
Result<RunOptions> ParseRunArgs(const std::vector<std::string>& args);
const char* RunUsage();

}  // namespace imgfeat::cli
