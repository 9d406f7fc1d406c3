// What a TIFF's first page holds, in Pillow's terms (TiffImagePlugin's
// OPEN_INFO table): the mode Pillow opens it in and how a row of its samples,
// as libtiff returns them (native byte order, fill order undone), becomes
// convert("RGB") pixels. Layouts Pillow has no mode for are refused as it
// refuses them.
#pragma once

#include <tiffio.h>

#include <cstdint>

#include "image/pixel_convert.h"
#include "imgfeat/status.h"

namespace imgfeat::image {

enum class TiffRow {
  kBilevel,             // "1": set bits white (inverted for min-is-white)
  kGray2,               // "L;2": v * 85
  kGray4,               // "L;4": v * 17
  kGray8,               // "L", "LA": first sample
  kGray12,              // "I;12" into "I;16"
  kGray16,              // "I;16", "I;16B": above 255 is 255
  kSigned16,            // "I;16S" into "I": clipped to 0..255
  kUnsigned32,          // "I;32N": read as a signed 32-bit "I", clipped
  kSigned32,            // "I;32S"
  kFloat32,             // "F": clipped, truncated
  kPalette,             // "P", "PA", "PX" at 1, 2, 4 or 8 bits: the first sample
  kRgb8,                // "RGB", "RGBA", "RGBX"...: the first three samples
  kRgb8Premultiplied,   // "RGBa": un-premultiplied
  kRgb16,               // 16-bit RGB(A/X): the high bytes
  kRgb16Premultiplied,  // "RGBa;16": high bytes, un-premultiplied
  kCmyk8,
  kCmyk16,
  kRgbaRaster,  // libtiff's TIFFRGBAImage (YCbCr not in JPEG): alpha dropped
  kLab,         // CIE L*a*b*, signed a and b: converted by LabToRgb, not TiffRowToRgb
};

struct TiffLayout {
  TiffRow row = TiffRow::kRgb8;
  int bits = 8;           // per sample, as stored
  int samples = 1;        // per pixel
  bool inverted = false;  // min-is-white where Pillow inverts ("1;I", "L;I", "L;2I", "L;4I")
  bool planar = false;    // one plane per sample
  bool jpeg_rgb = false;  // YCbCr JPEG: libjpeg converts to RGB (JPEGCOLORMODE_RGB)
};

// Classifies the current directory of `tiff`.
Result<TiffLayout> ClassifyTiff(TIFF* tiff);

// Converts one row of `width` pixels in `layout` (contiguous samples) to RGB.
// `scratch` holds at least `width` bytes.
void TiffRowToRgb(const uint8_t* raw, int width, const TiffLayout& layout, const Palette& palette,
                  uint8_t* scratch, uint8_t* rgb);

}  // namespace imgfeat::image
