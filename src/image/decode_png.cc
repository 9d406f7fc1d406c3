// PNG through libpng's low-level API, reading the raw samples and converting
// them the way Pillow's PngImagePlugin modes do (no gamma, no colour
// management, transparency ignored by convert("RGB")):
//   grey 1/2/4/8 bit -> "1"/"L;2"/"L;4"/"L" (scaled to 0..255)
//   grey 16 bit      -> "I;16", whose RGB conversion clips at 255
//   RGB(A) 16 bit    -> the high byte of each sample
//   palette          -> lookup (tRNS ignored)
//   LA / RGBA        -> alpha dropped, not composited
//
// libpng reports errors by longjmp to the setjmp in the Run* functions,
// whose frames hold no object with a destructor.
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <vector>

#include "image/decoders.h"
#include "image/message_text.h"
#include "image/pixel_convert.h"
#include "image/png_chunks.h"

namespace imgfeat::image {
namespace {

struct PngReader {
  png_structp png = nullptr;
  png_infop info = nullptr;
  std::span<const uint8_t> bytes;
  size_t offset = 0;
  char message[128] = {};
};

void OnPngError(png_structp png, png_const_charp message) {
  auto* reader = static_cast<PngReader*>(png_get_error_ptr(png));
  std::snprintf(reader->message, sizeof(reader->message), "%s", message);
  png_longjmp(png, 1);
}

void OnPngWarning(png_structp, png_const_charp) {}

void ReadFromMemory(png_structp png, png_bytep out, size_t length) {
  auto* reader = static_cast<PngReader*>(png_get_io_ptr(png));
  if (reader->bytes.size() - reader->offset < length) png_error(png, "truncated PNG");
  std::memcpy(out, reader->bytes.data() + reader->offset, length);
  reader->offset += length;
}

bool RunReadInfo(PngReader* r) {
  if (setjmp(png_jmpbuf(r->png))) return false;
  png_set_read_fn(r->png, r, ReadFromMemory);
  // Pillow has no size limit of its own besides max_pixels, checked later.
  png_set_user_limits(r->png, 0x7fffffff, 0x7fffffff);
  png_set_chunk_malloc_max(r->png, 0);
  png_read_info(r->png, r->info);
  png_set_interlace_handling(r->png);
  png_read_update_info(r->png, r->info);
  return true;
}

bool RunReadImage(PngReader* r, png_bytepp rows) {
  if (setjmp(png_jmpbuf(r->png))) return false;
  png_read_image(r->png, rows);
  return true;
}

uint8_t ScaleGray(int value, int bits) {
  switch (bits) {
    case 1:
      return static_cast<uint8_t>(value * 255);
    case 2:
      return static_cast<uint8_t>(value * 0x55);
    case 4:
      return static_cast<uint8_t>(value * 0x11);
    default:
      return static_cast<uint8_t>(value);
  }
}

// One row of raw samples -> RGB. `unpacked` holds `width` bytes.
void ConvertRow(const uint8_t* raw, int width, int color_type, int bits, const Palette& palette,
                uint8_t* unpacked, uint8_t* rgb) {
  const bool wide = bits == 16;
  switch (color_type) {
    case PNG_COLOR_TYPE_GRAY:
      if (wide) {
        for (int x = 0; x < width; ++x) {
          uint8_t v = raw[2 * x] == 0 ? raw[2 * x + 1] : 255;
          rgb[3 * x] = rgb[3 * x + 1] = rgb[3 * x + 2] = v;
        }
      } else if (bits < 8) {
        UnpackBits(raw, width, bits, unpacked);
        for (int x = 0; x < width; ++x) unpacked[x] = ScaleGray(unpacked[x], bits);
        GrayToRgb(unpacked, width, 1, rgb);
      } else {
        GrayToRgb(raw, width, 1, rgb);
      }
      break;
    case PNG_COLOR_TYPE_PALETTE:
      if (bits < 8) {
        UnpackBits(raw, width, bits, unpacked);
        raw = unpacked;
      }
      PaletteToRgb(raw, width, palette, rgb);
      break;
    case PNG_COLOR_TYPE_GRAY_ALPHA:
      GrayToRgb(raw, width, wide ? 4 : 2, rgb);
      break;
    default: {  // RGB or RGBA
      const int channels = color_type == PNG_COLOR_TYPE_RGB ? 3 : 4;
      if (!wide) {
        DropExtraChannels(raw, width, channels, rgb);
        break;
      }
      // Big-endian 16-bit samples: Pillow's "RGB;16B" keeps the high byte.
      for (int x = 0; x < width; ++x) {
        const uint8_t* px = raw + static_cast<size_t>(x) * channels * 2;
        rgb[3 * x + 0] = px[0];
        rgb[3 * x + 1] = px[2];
        rgb[3 * x + 2] = px[4];
      }
      break;
    }
  }
}

}  // namespace

Result<RgbImage> DecodePng(std::span<const uint8_t> bytes, const DecodeOptions& options) {
  ARROW_RETURN_NOT_OK(CheckPngChunks(bytes));
  PngReader reader;
  reader.bytes = bytes;
  reader.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &reader, OnPngError, OnPngWarning);
  if (reader.png == nullptr) return Status::OutOfMemory("cannot allocate a PNG reader");
  reader.info = png_create_info_struct(reader.png);
  struct Destroyer {
    PngReader* r;
    ~Destroyer() { png_destroy_read_struct(&r->png, r->info ? &r->info : nullptr, nullptr); }
  } destroyer{&reader};
  if (reader.info == nullptr) return Status::OutOfMemory("cannot allocate a PNG reader");

  if (!RunReadInfo(&reader)) return Status::Invalid("bad PNG: ", PrintableOneLine(reader.message));
  png_uint_32 width = 0, height = 0;
  int bits = 0, color_type = 0;
  png_get_IHDR(reader.png, reader.info, &width, &height, &bits, &color_type, nullptr, nullptr,
               nullptr);
  ARROW_RETURN_NOT_OK(CheckImageSize(width, height, options));

  Palette palette;
  if (color_type == PNG_COLOR_TYPE_PALETTE) {
    png_colorp entries = nullptr;
    int count = 0;
    if (png_get_PLTE(reader.png, reader.info, &entries, &count) == PNG_INFO_PLTE) {
      for (int i = 0; i < count && i < 256; ++i) {
        palette.rgb[3 * i + 0] = entries[i].red;
        palette.rgb[3 * i + 1] = entries[i].green;
        palette.rgb[3 * i + 2] = entries[i].blue;
      }
    }
  }

  const size_t row_bytes = png_get_rowbytes(reader.png, reader.info);
  std::vector<uint8_t> raw(row_bytes * height);
  std::vector<png_bytep> rows(height);
  for (png_uint_32 y = 0; y < height; ++y) rows[y] = raw.data() + y * row_bytes;
  if (!RunReadImage(&reader, rows.data()))
    return Status::Invalid("bad PNG: ", PrintableOneLine(reader.message));

  RgbImage image;
  AllocateRgb(static_cast<int>(width), static_cast<int>(height), &image);
  std::vector<uint8_t> unpacked(width);
  for (png_uint_32 y = 0; y < height; ++y) {
    ConvertRow(rows[y], static_cast<int>(width), color_type, bits, palette, unpacked.data(),
               image.pixels.data() + static_cast<size_t>(y) * width * 3);
  }
  return image;
}

}  // namespace imgfeat::image
