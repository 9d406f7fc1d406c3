// `imgfeat similar OUTPUT IMAGE... [-k N] [--json] [--threads N]`.
#pragma once

#include <string>
#include <vector>

namespace imgfeat::cli {

int SimilarCommand(const std::vector<std::string>& args);

}  // namespace imgfeat::cli
