// The whole command line, as a function: the `imgfeat` program's main() and
// the Python package's `imgfeat` command (imgfeat._cli) call it with the
// arguments after the program name, and exit with what it returns.
#pragma once

#include <string>
#include <vector>

namespace imgfeat::cli {

int Main(std::vector<std::string> args);

}  // namespace imgfeat::cli
