// Fuzz target: a saved reducer (_reducer.parquet) as --reducer-from and
// --resume load it. A loaded reducer is applied to one row, which must not
// read or write outside its buffers.
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "imgfeat/reduce.h"
#include "scratch_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // LoadReducer reads a path, as the CLI does.
  static const imgfeat::fuzz::ScratchFile scratch("imgfeat-fuzz-reducer", ".parquet");
  if (!scratch.Write(data, size)) return 0;
  auto reducer = imgfeat::LoadReducer(scratch.path());
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
