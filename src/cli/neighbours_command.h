// `imgfeat neighbours OUTPUT [-k N] [--duplicate-cosine C] [--quiet]`.
#pragma once

#include <string>
#include <vector>

namespace imgfeat::cli {

int NeighboursCommand(const std::vector<std::string>& args);

}  // namespace imgfeat::cli
