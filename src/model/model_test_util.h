// Where the tests find the real model files: $IMGFEAT_MODEL_DIR (the Makefile
// sets it), else ../shared/models beside the source tree.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include "testing/test_util.h"

namespace imgfeat::testing {

inline std::string TestModelDir() {
  const char* env_dir = std::getenv("IMGFEAT_MODEL_DIR");
  if (env_dir && env_dir[0]) return env_dir;
  return (std::filesystem::path(SourceDir()) / ".." / "shared" / "models").lexically_normal();
}

}  // namespace imgfeat::testing
