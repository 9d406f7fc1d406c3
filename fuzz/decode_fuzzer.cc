// Fuzz target: image bytes through one decoder (IMGFEAT_FUZZ_DECODER names
// it, e.g. DecodeGif) or, without it, through DecodeRgb's format sniffing.
// A decoded image must hold exactly width * height * 3 bytes; a refusal
// must be a one-line printable message.
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "image/decoders.h"

namespace {

imgfeat::Result<imgfeat::RgbImage> Decode(std::span<const uint8_t> bytes) {
  imgfeat::DecodeOptions options;
  // Smaller than the default so that a run spends its time on parsing, not
  // on filling large canvases; the size check itself is the same code.
  options.max_pixels = int64_t{1} << 22;
#ifdef IMGFEAT_FUZZ_DECODER
  return imgfeat::image::IMGFEAT_FUZZ_DECODER(bytes, options);
#else
  return imgfeat::DecodeRgb(bytes, options);
#endif
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto image = Decode({data, size});
  if (image.ok()) {
    const auto& rgb = *image;
    if (rgb.width <= 0 || rgb.height <= 0 ||
        rgb.pixels.size() != static_cast<size_t>(rgb.width) * rgb.height * 3) {
      std::abort();
    }
  } else {
    // Every refusal says why, on one line of printable ASCII: it goes to
    // stderr and into _errors.parquet's UTF-8 column.
    const std::string& message = image.status().message();
    if (message.empty()) std::abort();
    for (const char c : message) {
      if (c < 0x20 || c > 0x7e) std::abort();
    }
  }
  return 0;
}
