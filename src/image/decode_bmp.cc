// BMP with Pillow's own rules (BmpImagePlugin.py): uncompressed 1/4/8-bit
// palette, 16-bit 5-5-5 and 5-6-5, 24-bit BGR and 32-bit BGRX, the
// bit-field layouts Pillow accepts, RLE8 and RLE4 (bmp_rle.h), rows
// bottom-up unless the height is negative. A palette of pure greys (i, i, i)
// makes Pillow read the indices as grey values ("L", or "1" for black and
// white), which for 8 and 1 bits, and for RLE, equals the lookup; the
// grey-palette quirk of uncompressed 4-bit files fails with a clear error.
#include <array>
#include <bit>
#include <cstring>

#include "image/bmp_rle.h"
#include "image/decoders.h"
#include "image/pixel_convert.h"

namespace imgfeat::image {
namespace {

uint32_t Le32(std::span<const uint8_t> b, size_t at) {
  return b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (static_cast<uint32_t>(b[at + 3]) << 24);
}
uint16_t Le16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>(b[at] | (b[at + 1] << 8));
}

constexpr uint32_t kRaw = 0, kRle8 = 1, kRle4 = 2, kBitfields = 3;

// Byte positions of R, G, B in a pixel for the bit-field masks Pillow knows;
// at 16 bits, green_bits says 5-5-5 ("BGR;15") or 5-6-5 ("BGR;16").
struct ChannelBytes {
  int r, g, b;
  int green_bits = 5;
};

// Unpack.c's BGR;15 and BGR;16: each field scaled by 255 / its maximum.
void Unpack16(const uint8_t* in, int green_bits, uint8_t* rgb) {
  const int pixel = in[0] | (in[1] << 8);
  const int green_max = (1 << green_bits) - 1;
  rgb[0] = static_cast<uint8_t>(((pixel >> (5 + green_bits)) & 31) * 255 / 31);
  rgb[1] = static_cast<uint8_t>(((pixel >> 5) & green_max) * 255 / green_max);
  rgb[2] = static_cast<uint8_t>((pixel & 31) * 255 / 31);
}

Result<ChannelBytes> BitfieldLayout(int bits, std::array<uint32_t, 4> mask) {
  auto byte_of = [](uint32_t m) { return std::countr_zero(m) / 8; };
  using M = std::array<uint32_t, 4>;
  if (bits == 32) {
    static constexpr M kSupported[] = {
        {0xFF0000, 0xFF00, 0xFF, 0x0},        {0xFF000000, 0xFF0000, 0xFF00, 0x0},
        {0xFF000000, 0xFF00, 0xFF, 0x0},      {0xFF000000, 0xFF0000, 0xFF00, 0xFF},
        {0xFF, 0xFF00, 0xFF0000, 0xFF000000}, {0xFF0000, 0xFF00, 0xFF, 0xFF000000},
        {0xFF000000, 0xFF00, 0xFF, 0xFF0000}};
    if (mask == M{0, 0, 0, 0}) return ChannelBytes{2, 1, 0};  // Pillow reads "BGRA"
    for (const M& m : kSupported) {
      if (m == mask) return ChannelBytes{byte_of(mask[0]), byte_of(mask[1]), byte_of(mask[2])};
    }
  } else if (bits == 24 && mask[0] == 0xFF0000 && mask[1] == 0xFF00 && mask[2] == 0xFF) {
    return ChannelBytes{2, 1, 0};
  } else if (bits == 16 && mask[0] == 0xF800 && mask[1] == 0x7E0 && mask[2] == 0x1F) {
    return ChannelBytes{0, 0, 0, 6};
  } else if (bits == 16 && mask[0] == 0x7C00 && mask[1] == 0x3E0 && mask[2] == 0x1F) {
    return ChannelBytes{0, 0, 0, 5};
  }
  return Status::NotImplemented("unsupported BMP bitfields layout");
}

}  // namespace

Result<RgbImage> DecodeBmp(std::span<const uint8_t> bytes, const DecodeOptions& options) {
  if (bytes.size() < 18) return Status::Invalid("bad BMP: truncated header");
  const uint32_t header_size = Le32(bytes, 14);
  size_t offset = Le32(bytes, 10);
  if (bytes.size() < 14 + static_cast<size_t>(header_size)) {
    return Status::Invalid("bad BMP: truncated header");
  }
  int64_t width = 0, height = 0;
  int bits = 0;
  uint32_t compression = kRaw, colors = 0;
  bool top_down = false;
  int palette_padding = 4;
  std::array<uint32_t, 4> mask = {0, 0, 0, 0};
  size_t position = 14 + header_size;  // where the palette (or 40-byte masks) start
  if (header_size == 12) {
    width = Le16(bytes, 18);
    height = Le16(bytes, 20);
    bits = Le16(bytes, 24);
    palette_padding = 3;
  } else if (header_size == 40 || header_size == 52 || header_size == 56 || header_size == 64 ||
             header_size == 108 || header_size == 124) {
    width = Le32(bytes, 18);
    uint32_t raw_height = Le32(bytes, 22);
    top_down = bytes[25] == 0xFF;
    height = top_down ? (int64_t{1} << 32) - raw_height : raw_height;
    bits = Le16(bytes, 28);
    compression = Le32(bytes, 30);
    colors = Le32(bytes, 46);
    if (compression == kBitfields) {
      if (header_size >= 52) {
        for (int i = 0; i < (header_size >= 56 ? 4 : 3); ++i) mask[i] = Le32(bytes, 54 + 4 * i);
      } else {
        if (bytes.size() < position + 12) return Status::Invalid("bad BMP: truncated header");
        for (int i = 0; i < 3; ++i) mask[i] = Le32(bytes, position + 4 * i);
        position += 12;
      }
    }
  } else {
    return Status::NotImplemented("unsupported BMP header type (", header_size, ")");
  }
  ARROW_RETURN_NOT_OK(CheckImageSize(width, height, options));
  if (colors == 0) colors = bits < 32 ? 1u << bits : 0;
  if (offset == 14 + header_size && bits <= 8) offset += 4 * static_cast<size_t>(colors);

  if (bits != 1 && bits != 4 && bits != 8 && bits != 16 && bits != 24 && bits != 32) {
    return Status::NotImplemented("unsupported BMP pixel depth (", bits, ")");
  }
  ChannelBytes channels{2, 1, 0};
  const bool rle = compression == kRle8 || compression == kRle4;
  if (compression == kBitfields) {
    ARROW_ASSIGN_OR_RAISE(channels, BitfieldLayout(bits, mask));
  } else if (rle && bits > 8) {
    // Pillow unpacks the decoded indices as "P" into an RGB image: refused.
    return Status::NotImplemented("unsupported BMP: RLE at ", bits, " bits");
  } else if (compression != kRaw && !rle) {
    return Status::NotImplemented("unsupported BMP compression (", compression, ")");
  }

  Palette palette;
  bool gray_indices = false;
  if (bits <= 8) {
    if (colors == 0 || colors > 65536) return Status::Invalid("bad BMP: palette size ", colors);
    const size_t palette_bytes = static_cast<size_t>(palette_padding) * colors;
    const size_t available = position < bytes.size() ? bytes.size() - position : 0;
    const uint8_t* entries = bytes.data() + std::min(position, bytes.size());
    bool grayscale = true;
    for (uint32_t i = 0; i < colors; ++i) {
      const uint32_t value = colors == 2 ? (i == 0 ? 0 : 255) : i;
      const size_t at = static_cast<size_t>(i) * palette_padding;
      if (at + 3 > std::min(palette_bytes, available) || value > 255 || entries[at] != value ||
          entries[at + 1] != value || entries[at + 2] != value) {
        grayscale = false;
        break;
      }
    }
    if (grayscale) {
      // Pillow then reads the rows as "1" (two colours) or "L": the lookup
      // only when that mode matches the depth.
      if (rle && colors == 2) {
        return Status::NotImplemented("unsupported BMP: RLE with a black-and-white palette");
      }
      if (!rle && ((colors == 2) != (bits == 1) || bits == 4)) {
        return Status::NotImplemented("unsupported BMP: grey palette of ", colors, " colours at ",
                                      bits, " bits");
      }
      gray_indices = true;
    }
    for (uint32_t i = 0; i < colors && i < 256; ++i) {
      const size_t at = static_cast<size_t>(i) * palette_padding;
      if (at + 3 > std::min(palette_bytes, available)) break;
      palette.rgb[3 * i + 0] = entries[at + 2];
      palette.rgb[3 * i + 1] = entries[at + 1];
      palette.rgb[3 * i + 2] = entries[at + 0];
    }
    if (gray_indices && bits == 1 && !rle) {  // "1": bit set -> 255
      palette.rgb[0] = palette.rgb[1] = palette.rgb[2] = 0;
      palette.rgb[3] = palette.rgb[4] = palette.rgb[5] = 255;
    } else if (gray_indices) {
      palette = Palette::GreyRamp();  // "L": the index is the grey value
    }
  }

  RgbImage image;
  if (rle) {
    ARROW_ASSIGN_OR_RAISE(std::vector<uint8_t> indices,
                          DecodeBmpRle(bytes, offset, width, height, compression == kRle4));
    AllocateRgb(static_cast<int>(width), static_cast<int>(height), &image);
    for (int64_t y = 0; y < height; ++y) {
      const int64_t from = top_down ? y : height - 1 - y;
      PaletteToRgb(indices.data() + from * width, static_cast<int>(width), palette,
                   image.pixels.data() + static_cast<size_t>(y) * width * 3);
    }
    return image;
  }
  const size_t stride = ((static_cast<size_t>(width) * bits + 31) >> 3) & ~size_t{3};
  if (offset > bytes.size() || (bytes.size() - offset) / stride < static_cast<size_t>(height)) {
    return Status::Invalid("bad BMP: truncated pixel data (image file is truncated)");
  }
  AllocateRgb(static_cast<int>(width), static_cast<int>(height), &image);
  std::vector<uint8_t> indices(bits <= 8 ? width : 0);
  const int bytes_per_pixel = bits / 8;
  for (int64_t y = 0; y < height; ++y) {
    const uint8_t* row = bytes.data() + offset + stride * (top_down ? y : height - 1 - y);
    uint8_t* out = image.pixels.data() + static_cast<size_t>(y) * width * 3;
    if (bits <= 8) {
      const uint8_t* index_row = row;
      if (bits < 8) {
        UnpackBits(row, static_cast<int>(width), bits, indices.data());
        index_row = indices.data();
      }
      PaletteToRgb(index_row, static_cast<int>(width), palette, out);
      continue;
    }
    if (bits == 16) {
      for (int64_t x = 0; x < width; ++x) Unpack16(row + 2 * x, channels.green_bits, out + 3 * x);
      continue;
    }
    for (int64_t x = 0; x < width; ++x, row += bytes_per_pixel, out += 3) {
      out[0] = row[channels.r];
      out[1] = row[channels.g];
      out[2] = row[channels.b];
    }
  }
  return image;
}

}  // namespace imgfeat::image
