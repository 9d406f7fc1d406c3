// Running another program and waiting for it (the Python that quantizes a
// model, imgfeat/quantize.h).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "imgfeat/status.h"

namespace imgfeat {

// Runs argv[0] (looked up on the PATH) with this process's environment,
// `env` set on top of it, and its standard input and error; its standard
// output goes to this process's standard error. Returns its exit status
// (128 + N when signal N ended it). Fails when it cannot be started.
Result<int> RunChildProcess(const std::vector<std::string>& argv,
                            const std::vector<std::pair<std::string, std::string>>& env);

}  // namespace imgfeat
