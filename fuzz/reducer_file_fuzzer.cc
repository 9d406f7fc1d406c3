// Fuzz target: a saved reducer (_reducer.parquet) as --reducer-from and
// --resume load it. A loaded reducer is applied to one row, which must not
// read or write outside its buffers.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "imgfeat/reduce.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // LoadReducer reads a path, as the CLI does.
  static const std::string path =
      "/tmp/imgfeat-fuzz-reducer-" + std::to_string(::getpid()) + ".parquet";
  if (FILE* file = std::fopen(path.c_str(), "wb")) {
    std::fwrite(data, 1, size, file);
    std::fclose(file);
  } else {
    return 0;
  }
  auto reducer = imgfeat::LoadReducer(path);
  if (reducer.ok()) {
    const auto& r = **reducer;
    if (r.input_dim() > 0 && r.output_dim() > 0 && r.input_dim() <= (1 << 16) &&
        r.output_dim() <= (1 << 16)) {
      std::vector<float> in(r.input_dim(), 0.5f), out(r.output_dim());
      r.Transform(in.data(), 1, out.data());
    }
  }
  return 0;
}
