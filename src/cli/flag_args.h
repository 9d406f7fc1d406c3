// The shape every imgfeat subcommand's arguments share: "--flag=value" is the
// same as "--flag value". Stateless; thread-safe.
#pragma once

#include <string>

namespace imgfeat::cli {

struct FlagArg {
  std::string name;   // the argument, less any "=value"
  std::string value;  // what followed '=', if has_value
  bool has_value = false;
};

inline FlagArg SplitFlag(const std::string& arg) {
  if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
    return {arg.substr(0, eq), arg.substr(eq + 1), true};
  }
  return {arg, "", false};
}

}  // namespace imgfeat::cli
