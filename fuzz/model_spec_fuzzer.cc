// Fuzz target: a model spec JSON (the .json beside a model's weights).
// Whatever parses must serialize and parse again to the same spec.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "imgfeat/model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto spec = imgfeat::ParseModelSpec(text);
  if (!spec.ok()) return 0;
  const std::string again = imgfeat::ModelSpecToJson(*spec);
  auto reparsed = imgfeat::ParseModelSpec(again);
  if (!reparsed.ok() || imgfeat::ModelSpecToJson(*reparsed) != again) std::abort();
  return 0;
}
