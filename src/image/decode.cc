// DecodeRgb: picks the decoder from the file's signature, as Pillow's
// Image.open does (never from the file name).
#include <cstring>
#include <string_view>

#include "image/decoders.h"

namespace imgfeat {
namespace image {

Status CheckImageSize(int64_t width, int64_t height, const DecodeOptions& options) {
  if (width <= 0 || height <= 0) {
    return Status::Invalid("bad image size ", width, "x", height);
  }
  // Divided, not multiplied: a header can declare 2^32 - 1 by 2^32 - 1.
  if (width > options.max_pixels / height) {
    return Status::Invalid("too many pixels: ", width, "x", height, " is more than ",
                           options.max_pixels);
  }
  if (options.resize_width > 0 && options.resize_height > 0) {
    return CheckResizeScratch(width, height, options.resize_width, options.resize_height,
                              options.max_pixels);
  }
  return Status::OK();
}

void AllocateRgb(int width, int height, RgbImage* image) {
  image->width = width;
  image->height = height;
  image->pixels.resize(static_cast<size_t>(width) * height * 3);
}

}  // namespace image

namespace {

bool StartsWith(std::span<const uint8_t> bytes, std::string_view magic, size_t offset = 0) {
  return bytes.size() >= offset + magic.size() &&
         std::memcmp(bytes.data() + offset, magic.data(), magic.size()) == 0;
}

}  // namespace

Result<RgbImage> DecodeRgb(std::span<const uint8_t> bytes, const DecodeOptions& options) {
  using namespace image;
  if (bytes.empty()) return Status::Invalid("empty file");
  if (StartsWith(bytes, "\xFF\xD8\xFF")) return DecodeJpeg(bytes, options);
  if (StartsWith(bytes, "\x89PNG\r\n\x1A\n")) return DecodePng(bytes, options);
  if (StartsWith(bytes, "RIFF") && StartsWith(bytes, "WEBP", 8)) return DecodeWebp(bytes, options);
  // Classic TIFF ("II*\0", "MM\0*") and BigTIFF ("II+\0", "MM\0+").
  if (StartsWith(bytes, std::string_view("II*\0", 4)) ||
      StartsWith(bytes, std::string_view("MM\0*", 4)) ||
      StartsWith(bytes, std::string_view("II+\0", 4)) ||
      StartsWith(bytes, std::string_view("MM\0+", 4))) {
    return DecodeTiff(bytes, options);
  }
  if (StartsWith(bytes, "BM")) return DecodeBmp(bytes, options);
  if (StartsWith(bytes, "GIF87a") || StartsWith(bytes, "GIF89a")) {
    return DecodeGif(bytes, options);
  }
  return Status::Invalid("not an image (unknown signature)");
}

}  // namespace imgfeat
