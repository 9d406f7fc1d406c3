// Pillow's colour arithmetic for the conversions DecodeRgb needs.
#include "image/pixel_convert.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace imgfeat::image {
namespace {

// libImaging/ImagingUtils.h: a * b / 255 rounded, without a division.
inline int MulDiv255(int a, int b) {
  int tmp = a * b + 128;
  return ((tmp >> 8) + tmp) >> 8;
}

inline uint8_t Clip8(int v) { return static_cast<uint8_t>(std::clamp(v, 0, 255)); }

}  // namespace

Palette Palette::GreyRamp() {
  Palette palette;
  for (int i = 0; i < 256; ++i) {
    palette.rgb[i * 3 + 0] = palette.rgb[i * 3 + 1] = palette.rgb[i * 3 + 2] =
        static_cast<uint8_t>(i);
  }
  return palette;
}

void GrayToRgb(const uint8_t* gray, int pixels, int gray_stride, uint8_t* rgb) {
  for (int i = 0; i < pixels; ++i, gray += gray_stride, rgb += 3) {
    rgb[0] = rgb[1] = rgb[2] = *gray;
  }
}

void DropExtraChannels(const uint8_t* in, int pixels, int channels, uint8_t* rgb) {
  for (int i = 0; i < pixels; ++i, in += channels, rgb += 3) {
    rgb[0] = in[0];
    rgb[1] = in[1];
    rgb[2] = in[2];
  }
}

void UnpremultiplyToRgb(const uint8_t* rgba, int pixels, int channels, uint8_t* rgb) {
  for (int i = 0; i < pixels; ++i, rgba += channels, rgb += 3) {
    int a = rgba[3];
    for (int c = 0; c < 3; ++c) {
      if (a == 0) {
        rgb[c] = 0;
      } else if (a == 255) {
        rgb[c] = rgba[c];
      } else {
        rgb[c] = Clip8(rgba[c] * 255 / a);
      }
    }
  }
}

void InvertedCmykToRgb(const uint8_t* cmyk, int pixels, uint8_t* rgb) {
  for (int i = 0; i < pixels; ++i, cmyk += 4, rgb += 3) {
    int nk = 255 - static_cast<uint8_t>(~cmyk[3]);
    for (int c = 0; c < 3; ++c) {
      rgb[c] = Clip8(nk - MulDiv255(static_cast<uint8_t>(~cmyk[c]), nk));
    }
  }
}

void CmykToRgb(const uint8_t* cmyk, int pixels, int channels, uint8_t* rgb) {
  for (int i = 0; i < pixels; ++i, cmyk += channels, rgb += 3) {
    const int nk = 255 - cmyk[3];
    for (int c = 0; c < 3; ++c) rgb[c] = Clip8(nk - MulDiv255(cmyk[c], nk));
  }
}

void PaletteToRgb(const uint8_t* indices, int pixels, const Palette& palette, uint8_t* rgb) {
  for (int i = 0; i < pixels; ++i, rgb += 3) {
    const uint8_t* entry = &palette.rgb[indices[i] * 3];
    rgb[0] = entry[0];
    rgb[1] = entry[1];
    rgb[2] = entry[2];
  }
}

void ApplyOrientation(int orientation, RgbImage* image) {
  if (orientation < 2 || orientation > 8) return;
  const int w = image->width, h = image->height;
  const bool swaps = orientation >= 5;  // TRANSPOSE, ROTATE_270, TRANSVERSE, ROTATE_90
  const int out_w = swaps ? h : w, out_h = swaps ? w : h;
  std::vector<uint8_t> out(image->pixels.size());
  for (int y = 0; y < out_h; ++y) {
    for (int x = 0; x < out_w; ++x) {
      int sx = x, sy = y;
      switch (orientation) {
        case 2:
          sx = w - 1 - x;
          break;  // FLIP_LEFT_RIGHT
        case 3:
          sx = w - 1 - x;
          sy = h - 1 - y;
          break;  // ROTATE_180
        case 4:
          sy = h - 1 - y;
          break;  // FLIP_TOP_BOTTOM
        case 5:
          sx = y;
          sy = x;
          break;  // TRANSPOSE
        case 6:
          sx = y;
          sy = h - 1 - x;
          break;  // ROTATE_270
        case 7:
          sx = w - 1 - y;
          sy = h - 1 - x;
          break;  // TRANSVERSE
        case 8:
          sx = w - 1 - y;
          sy = x;
          break;  // ROTATE_90
      }
      std::memcpy(&out[(static_cast<size_t>(y) * out_w + x) * 3],
                  &image->pixels[(static_cast<size_t>(sy) * w + sx) * 3], 3);
    }
  }
  image->pixels = std::move(out);
  image->width = out_w;
  image->height = out_h;
}

void UnpackBits(const uint8_t* in, int pixels, int bits, uint8_t* out) {
  const int per_byte = 8 / bits;
  const int mask = (1 << bits) - 1;
  for (int i = 0; i < pixels; ++i) {
    int shift = 8 - bits * (i % per_byte + 1);
    out[i] = static_cast<uint8_t>((in[i / per_byte] >> shift) & mask);
  }
}

}  // namespace imgfeat::image
