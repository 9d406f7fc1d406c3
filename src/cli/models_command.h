// `imgfeat models [fetch NAME]`: list the registered models, or fetch one
// into the model cache ahead of a run. Stateless; thread-safe.
#pragma once

#include <string>
#include <vector>

namespace imgfeat::cli {

const char* ModelsUsage();

// The exit status: 0 done, 1 failed (one line on stderr), 2 bad arguments.
int ModelsCommand(const std::vector<std::string>& args);

}  // namespace imgfeat::cli
