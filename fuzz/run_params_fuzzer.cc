// Fuzz target: the stored run parameters a --resume reads back
// (OUTPUT/_temporary/run.json), compared with this run's parameters.
#include <cstdint>
#include <string>

#include "dataset/run_params.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string current = [] {
    auto document = imgfeat::dataset::MakeRunParamsDocument(
        R"({"input":"in","model":{"name":"m","sha256":"ab"},"reduce":"srp","k":[1,2.5,null]})",
        1280);
    return document.ok() ? *document : std::string();
  }();
  const std::string stored(reinterpret_cast<const char*>(data), size);
  (void)imgfeat::dataset::FirstDifference(stored, current);
  (void)imgfeat::dataset::FirstDifference(current, stored);
  return 0;
}
