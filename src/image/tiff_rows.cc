// Pillow's convert("RGB") arithmetic for each TIFF mode (Unpack.c,
// Convert.c), a row of libtiff's samples at a time.
#include <tiffio.h>

#include <algorithm>
#include <cstring>

#include "image/tiff_layout.h"

namespace imgfeat::image {
namespace {

inline uint8_t ClipInt(int64_t v) { return static_cast<uint8_t>(std::clamp<int64_t>(v, 0, 255)); }

template <typename T>
T Load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

void GreyValuesToRgb(const uint8_t* grey, int width, uint8_t* rgb) {
  GrayToRgb(grey, width, 1, rgb);
}

// 16-bit samples (native order) reduced to their high bytes.
void HighBytes(const uint8_t* raw, int count, uint8_t* out) {
  for (int i = 0; i < count; ++i) out[i] = static_cast<uint8_t>(Load<uint16_t>(raw + 2 * i) >> 8);
}

}  // namespace

void TiffRowToRgb(const uint8_t* raw, int width, const TiffLayout& layout, const Palette& palette,
                  uint8_t* scratch, uint8_t* rgb) {
  const int n = layout.samples;
  switch (layout.row) {
    case TiffRow::kBilevel:
    case TiffRow::kGray2:
    case TiffRow::kGray4: {
      const int bits = layout.row == TiffRow::kBilevel ? 1 : layout.row == TiffRow::kGray2 ? 2 : 4;
      const int scale = bits == 1 ? 255 : bits == 2 ? 85 : 17;
      UnpackBits(raw, width, bits, scratch);
      for (int x = 0; x < width; ++x) {
        const int v = scratch[x] * scale;
        scratch[x] = static_cast<uint8_t>(layout.inverted ? 255 - v : v);
      }
      GreyValuesToRgb(scratch, width, rgb);
      return;
    }
    case TiffRow::kGray8:
      if (layout.inverted) {
        for (int x = 0; x < width; ++x) scratch[x] = static_cast<uint8_t>(~raw[x]);
        GreyValuesToRgb(scratch, width, rgb);
      } else {
        GrayToRgb(raw, width, n, rgb);
      }
      return;
    case TiffRow::kGray12:
      for (int x = 0; x < width; ++x) {
        const uint8_t* p = raw + (x / 2) * 3;
        const int v = x % 2 == 0 ? (p[0] << 4) | (p[1] >> 4) : ((p[1] & 0x0F) << 8) | p[2];
        scratch[x] = ClipInt(v);
      }
      GreyValuesToRgb(scratch, width, rgb);
      return;
    case TiffRow::kGray16:
      for (int x = 0; x < width; ++x) scratch[x] = ClipInt(Load<uint16_t>(raw + 2 * x));
      GreyValuesToRgb(scratch, width, rgb);
      return;
    case TiffRow::kSigned16:
      for (int x = 0; x < width; ++x) scratch[x] = ClipInt(Load<int16_t>(raw + 2 * x));
      GreyValuesToRgb(scratch, width, rgb);
      return;
    case TiffRow::kUnsigned32:  // Pillow's "I" is signed: 2^31 and above are negative
      for (int x = 0; x < width; ++x) {
        scratch[x] = ClipInt(static_cast<int32_t>(Load<uint32_t>(raw + 4 * x)));
      }
      GreyValuesToRgb(scratch, width, rgb);
      return;
    case TiffRow::kSigned32:
      for (int x = 0; x < width; ++x) scratch[x] = ClipInt(Load<int32_t>(raw + 4 * x));
      GreyValuesToRgb(scratch, width, rgb);
      return;
    case TiffRow::kFloat32:
      for (int x = 0; x < width; ++x) {
        const float v = Load<float>(raw + 4 * x);
        // Convert.c's f2l: truncation inside (0, 255); NaN gives 0 as there.
        scratch[x] = v >= 255.0f ? 255 : v > 0.0f ? static_cast<uint8_t>(v) : 0;
      }
      GreyValuesToRgb(scratch, width, rgb);
      return;
    case TiffRow::kPalette:
      if (layout.bits < 8) {
        UnpackBits(raw, width, layout.bits, scratch);
      } else {
        for (int x = 0; x < width; ++x) scratch[x] = raw[x * n];
      }
      PaletteToRgb(scratch, width, palette, rgb);
      return;
    case TiffRow::kRgb8:
      DropExtraChannels(raw, width, n, rgb);
      return;
    case TiffRow::kRgb8Premultiplied:
      UnpremultiplyToRgb(raw, width, n, rgb);
      return;
    case TiffRow::kRgb16:
    case TiffRow::kRgb16Premultiplied:
    case TiffRow::kCmyk16:
      for (int x = 0; x < width; ++x) {
        HighBytes(raw + static_cast<size_t>(x) * 2 * n, 4 < n ? 4 : n, scratch);
        if (layout.row == TiffRow::kRgb16) {
          std::memcpy(rgb + 3 * x, scratch, 3);
        } else if (layout.row == TiffRow::kRgb16Premultiplied) {
          UnpremultiplyToRgb(scratch, 1, 4, rgb + 3 * x);
        } else {
          CmykToRgb(scratch, 1, 4, rgb + 3 * x);
        }
      }
      return;
    case TiffRow::kCmyk8:
      CmykToRgb(raw, width, n, rgb);
      return;
    case TiffRow::kLab:  // DecodeTiff converts these rows itself
      return;
    case TiffRow::kRgbaRaster:
      for (int x = 0; x < width; ++x) {
        const uint32_t v = Load<uint32_t>(raw + 4 * x);
        rgb[3 * x + 0] = static_cast<uint8_t>(TIFFGetR(v));
        rgb[3 * x + 1] = static_cast<uint8_t>(TIFFGetG(v));
        rgb[3 * x + 2] = static_cast<uint8_t>(TIFFGetB(v));
      }
      return;
  }
}

}  // namespace imgfeat::image
