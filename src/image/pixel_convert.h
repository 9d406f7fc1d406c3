// Row conversions to RGB with Pillow's arithmetic (libImaging/Convert.c and
// Unpack.c), shared by the decoders.
#pragma once

#include <cstdint>

#include "imgfeat/image.h"

namespace imgfeat::image {

// A 256-entry RGB palette. Entries a file does not define are black, as in
// Pillow after putpalette with a short palette.
struct Palette {
  uint8_t rgb[256 * 3] = {};
  // (i, i, i): index i read as grey.
  static Palette GreyRamp();
};

// Grey to RGB: L -> RGB copies the value into the three channels.
void GrayToRgb(const uint8_t* gray, int pixels, int gray_stride, uint8_t* rgb);
// Keeps the first three of `channels` bytes per pixel (RGBA, RGBX -> RGB drops
// the rest: Pillow does not composite alpha when converting to RGB).
void DropExtraChannels(const uint8_t* in, int pixels, int channels, uint8_t* rgb);
// Pillow's "RGBa" unpacker: un-premultiplies colour by alpha (c * 255 / a),
// the alpha being the fourth of `channels` bytes per pixel.
void UnpremultiplyToRgb(const uint8_t* rgba, int pixels, int channels, uint8_t* rgb);
// Inverted (Adobe) CMYK as libjpeg returns it -> RGB: Pillow's "CMYK;I"
// unpacker followed by Convert.c's cmyk2rgb.
void InvertedCmykToRgb(const uint8_t* cmyk, int pixels, uint8_t* rgb);
// Plain CMYK (the first four of `channels` bytes) -> RGB: Convert.c's cmyk2rgb.
void CmykToRgb(const uint8_t* cmyk, int pixels, int channels, uint8_t* rgb);
// Palette indices -> RGB.
void PaletteToRgb(const uint8_t* indices, int pixels, const Palette& palette, uint8_t* rgb);
// Pillow's Image.transpose for the EXIF orientations 2-8, as
// ImageOps.exif_transpose applies them; other values leave `image` as is.
void ApplyOrientation(int orientation, RgbImage* image);
// Unpacks `bits`-bit samples (1, 2 or 4, most significant first) into bytes.
void UnpackBits(const uint8_t* in, int pixels, int bits, uint8_t* out);

}  // namespace imgfeat::image
