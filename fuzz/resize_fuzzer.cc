// Fuzz target: Pillow's bicubic resize on any size a decoder can return
// (1 x 1 up to very wide or very tall strips) into any model input size.
#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include "imgfeat/image.h"

namespace {

int ReadU16(const uint8_t* p) { return p[0] | (p[1] << 8); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 8) return 0;
  imgfeat::RgbImage src;
  src.width = ReadU16(data) + 1;
  src.height = ReadU16(data + 2) + 1;
  const int width = ReadU16(data + 4) % 1024 + 1;
  const int height = ReadU16(data + 6) % 1024 + 1;
  // Keep one input under 1 Mpixel: the kernels do not depend on the area.
  if (static_cast<int64_t>(src.width) * src.height > (int64_t{1} << 20)) return 0;
  // And its scratch memory within what the pipeline allows such an image
  // (ImagePreparer refuses above 3 bytes per allowed pixel): a 1 x 47,800
  // strip into 700 x 700 needs a 100 MB intermediate image and took seconds.
  if (imgfeat::BicubicResizeScratchBytes(src.width, src.height, width, height) >
      3 * (int64_t{1} << 20)) {
    return 0;
  }
  src.pixels.resize(static_cast<size_t>(src.width) * src.height * 3);
  const size_t payload = size - 8;
  for (size_t i = 0; i < src.pixels.size(); ++i) {
    src.pixels[i] = payload == 0 ? 0 : data[8 + i % payload];
  }
  imgfeat::RgbImage dst;
  imgfeat::ResizeBicubic(src, width, height, &dst);
  if (dst.width != width || dst.height != height ||
      dst.pixels.size() != static_cast<size_t>(width) * height * 3) {
    std::abort();
  }
  return 0;
}
