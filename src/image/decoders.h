// The per-format decoders behind DecodeRgb (imgfeat/image.h). Each returns
// the bytes Pillow gives for Image.open(f).convert("RGB") on that format.
#pragma once

#include <cstdint>
#include <span>

#include "imgfeat/image.h"

namespace imgfeat::image {

// Refuses images above options.max_pixels, before their pixels are decoded.
Status CheckImageSize(int64_t width, int64_t height, const DecodeOptions& options);

// Sizes `image` for width x height RGB pixels.
void AllocateRgb(int width, int height, RgbImage* image);

Result<RgbImage> DecodeJpeg(std::span<const uint8_t> bytes, const DecodeOptions& options);
Result<RgbImage> DecodePng(std::span<const uint8_t> bytes, const DecodeOptions& options);
Result<RgbImage> DecodeWebp(std::span<const uint8_t> bytes, const DecodeOptions& options);
Result<RgbImage> DecodeTiff(std::span<const uint8_t> bytes, const DecodeOptions& options);
Result<RgbImage> DecodeBmp(std::span<const uint8_t> bytes, const DecodeOptions& options);
Result<RgbImage> DecodeGif(std::span<const uint8_t> bytes, const DecodeOptions& options);

}  // namespace imgfeat::image
