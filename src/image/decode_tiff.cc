// TIFF through libtiff, first page, as Pillow reads it: the samples come from
// libtiff (strips or tiles, one plane per sample or interleaved, any codec
// libtiff has), are laid out contiguously a band of rows at a time, then
// become RGB with Pillow's arithmetic for the page's mode (tiff_layout.h).
// YCbCr outside JPEG goes through libtiff's TIFFRGBAImage, as in Pillow's
// TiffDecode.c; L*a*b* goes through LittleCMS as in Image.convert. Pillow
// 12 then applies the Orientation tag
// (ImageOps.exif_transpose in TiffImageFile.load_end), and so does this.
#include <algorithm>
#include <cstring>
#include <functional>
#include <optional>
#include <vector>

#include "image/decoders.h"
#include "image/lab_convert.h"
#include "image/message_text.h"
#include "image/pixel_convert.h"
#include "image/tiff_io.h"
#include "image/tiff_layout.h"

namespace imgfeat::image {
namespace {

// Receives `rows` rows starting at row `y`, each `row_bytes` long.
using BandSink = std::function<void(uint32_t y, uint32_t rows, const uint8_t* band)>;

struct Geometry {
  uint32_t width = 0, height = 0;
  size_t row_bytes = 0;  // one row, all samples interleaved
  int planes = 1;
  int sample_bytes = 1;  // for planar layouts (8 or 16 bits)
};

// Copies `count` samples of one plane into every `planes`-th sample slot.
void Scatter(const uint8_t* plane, size_t count, const Geometry& g, int which, uint8_t* out) {
  const int sb = g.sample_bytes;
  for (size_t i = 0; i < count; ++i) {
    std::memcpy(out + (i * g.planes + which) * sb, plane + i * sb, sb);
  }
}

Status ReadStrips(TIFF* tiff, const TiffFile& file, const Geometry& g, const BandSink& sink) {
  uint32_t rows_per_strip = 0;
  TIFFGetFieldDefaulted(tiff, TIFFTAG_ROWSPERSTRIP, &rows_per_strip);
  rows_per_strip = std::clamp<uint32_t>(rows_per_strip, 1, g.height);
  const tmsize_t strip_size = TIFFStripSize(tiff);
  const tmsize_t plane_row = TIFFScanlineSize(tiff);
  const size_t plane_needs = g.planes == 1 ? g.row_bytes : size_t{g.width} * g.sample_bytes;
  if (strip_size <= 0 || plane_row <= 0 || static_cast<size_t>(plane_row) < plane_needs ||
      static_cast<size_t>(strip_size) / static_cast<size_t>(plane_row) < rows_per_strip) {
    return Status::Invalid("bad TIFF: bad strip size");
  }
  std::vector<uint8_t> strip(static_cast<size_t>(strip_size));
  std::vector<uint8_t> band(g.row_bytes * rows_per_strip);
  for (uint32_t y = 0; y < g.height; y += rows_per_strip) {
    const uint32_t rows = std::min(rows_per_strip, g.height - y);
    for (int p = 0; p < g.planes; ++p) {
      const tmsize_t got =
          TIFFReadEncodedStrip(tiff, TIFFComputeStrip(tiff, y, p), strip.data(), strip_size);
      if (got < 0) return Status::Invalid("bad TIFF: ", file.Error("truncated TIFF"));
      for (uint32_t r = 0; r < rows; ++r) {
        const uint8_t* in = strip.data() + r * plane_row;
        uint8_t* out = band.data() + r * g.row_bytes;
        if (g.planes == 1) {
          std::memcpy(out, in, g.row_bytes);
        } else {
          Scatter(in, g.width, g, p, out);
        }
      }
    }
    sink(y, rows, band.data());
  }
  return Status::OK();
}

Status ReadTiles(TIFF* tiff, const TiffFile& file, const Geometry& g, int bits_per_pixel,
                 int64_t max_pixels, const BandSink& sink) {
  uint32_t tile_width = 0, tile_height = 0;
  TIFFGetField(tiff, TIFFTAG_TILEWIDTH, &tile_width);
  TIFFGetField(tiff, TIFFTAG_TILELENGTH, &tile_height);
  // A tile far larger than the image would be allocated whole.
  if (int64_t{tile_width} * tile_height > std::max<int64_t>(max_pixels, 1 << 24)) {
    return Status::Invalid("bad TIFF: tiles of ", tile_width, "x", tile_height, " pixels");
  }
  const tmsize_t tile_bytes = TIFFTileSize(tiff);
  const tmsize_t tile_row = TIFFTileRowSize(tiff);
  const size_t row_needs = g.planes == 1
                               ? (static_cast<size_t>(tile_width) * bits_per_pixel + 7) / 8
                               : size_t{tile_width} * g.sample_bytes;
  if (tile_width == 0 || tile_height == 0 || tile_bytes <= 0 || tile_row <= 0 ||
      static_cast<size_t>(tile_row) < row_needs ||
      static_cast<size_t>(tile_bytes) / static_cast<size_t>(tile_row) < tile_height) {
    return Status::Invalid("bad TIFF: bad tile size");
  }
  std::vector<uint8_t> tile(static_cast<size_t>(tile_bytes));
  std::vector<uint8_t> band(g.row_bytes * std::min(tile_height, g.height));
  for (uint32_t ty = 0; ty < g.height; ty += tile_height) {
    const uint32_t rows = std::min(tile_height, g.height - ty);
    for (uint32_t tx = 0; tx < g.width; tx += tile_width) {
      const uint32_t columns = std::min(tile_width, g.width - tx);
      for (int p = 0; p < g.planes; ++p) {
        if (TIFFReadTile(tiff, tile.data(), tx, ty, 0, static_cast<uint16_t>(p)) < 0) {
          return Status::Invalid("bad TIFF: ", file.Error("truncated TIFF"));
        }
        for (uint32_t r = 0; r < rows; ++r) {
          const uint8_t* in = tile.data() + r * tile_row;
          uint8_t* out = band.data() + r * g.row_bytes;
          if (g.planes == 1) {  // tile widths are multiples of 16: whole bytes
            const size_t at = static_cast<size_t>(tx) * bits_per_pixel / 8;
            const size_t n = (static_cast<size_t>(columns) * bits_per_pixel + 7) / 8;
            std::memcpy(out + at, in, n);
          } else {
            Scatter(in, columns, g, p, out + static_cast<size_t>(tx) * g.planes * g.sample_bytes);
          }
        }
      }
    }
    sink(ty, rows, band.data());
  }
  return Status::OK();
}

// TiffDecode.c's _decodeAsRGBA: libtiff converts, rows top-down, in blocks
// of a strip's (or tile's) height.
Status ReadRgbaRaster(TIFF* tiff, const Geometry& g, const BandSink& sink) {
  char message[1024] = "";
  TIFFRGBAImage raster;
  if (!TIFFRGBAImageOK(tiff, message) || !TIFFRGBAImageBegin(&raster, tiff, 0, message)) {
    return Status::Invalid("bad TIFF: ", PrintableOneLine(message));
  }
  struct End {
    TIFFRGBAImage* image;
    ~End() { TIFFRGBAImageEnd(image); }
  } end{&raster};
  raster.req_orientation = ORIENTATION_TOPLEFT;
  raster.orientation = ORIENTATION_TOPLEFT;
  raster.col_offset = 0;
  uint32_t block = 0;
  const int found = TIFFIsTiled(tiff) ? TIFFGetFieldDefaulted(tiff, TIFFTAG_TILELENGTH, &block)
                                      : TIFFGetFieldDefaulted(tiff, TIFFTAG_ROWSPERSTRIP, &block);
  if (found != 1 || block == 0 || block > g.height) block = g.height;
  std::vector<uint32_t> pixels(static_cast<size_t>(raster.width) * block);
  for (uint32_t y = 0; y < g.height; y += block) {
    const uint32_t rows = std::min(block, g.height - y);
    raster.row_offset = static_cast<int>(y);
    if (!TIFFRGBAImageGet(&raster, pixels.data(), raster.width, rows)) {
      return Status::Invalid("bad TIFF: cannot convert its YCbCr pixels");
    }
    sink(y, rows, reinterpret_cast<const uint8_t*>(pixels.data()));
  }
  return Status::OK();
}

Result<Palette> ReadPalette(TIFF* tiff, int bits) {
  uint16_t *red = nullptr, *green = nullptr, *blue = nullptr;
  if (!TIFFGetField(tiff, TIFFTAG_COLORMAP, &red, &green, &blue)) {
    return Status::Invalid("bad TIFF: palette image without a colour map");
  }
  Palette palette;  // Pillow: o8(value // 256); entries past the map are black
  for (int i = 0; i < (1 << bits); ++i) {
    palette.rgb[3 * i + 0] = static_cast<uint8_t>(red[i] >> 8);
    palette.rgb[3 * i + 1] = static_cast<uint8_t>(green[i] >> 8);
    palette.rgb[3 * i + 2] = static_cast<uint8_t>(blue[i] >> 8);
  }
  return palette;
}

}  // namespace

Result<RgbImage> DecodeTiff(std::span<const uint8_t> bytes, const DecodeOptions& options) {
  ARROW_ASSIGN_OR_RAISE(TiffFile file, TiffFile::Open(bytes));
  TIFF* tiff = file.get();
  Geometry g;
  TIFFGetField(tiff, TIFFTAG_IMAGEWIDTH, &g.width);
  TIFFGetField(tiff, TIFFTAG_IMAGELENGTH, &g.height);
  ARROW_RETURN_NOT_OK(CheckImageSize(g.width, g.height, options));
  ARROW_ASSIGN_OR_RAISE(TiffLayout layout, ClassifyTiff(tiff));
  if (layout.jpeg_rgb) TIFFSetField(tiff, TIFFTAG_JPEGCOLORMODE, JPEGCOLORMODE_RGB);
  const int samples = layout.jpeg_rgb ? 3 : layout.samples;
  const int bits_per_pixel = layout.bits * samples;
  g.row_bytes = (static_cast<size_t>(g.width) * bits_per_pixel + 7) / 8;
  g.planes = layout.planar ? samples : 1;
  g.sample_bytes = layout.bits / 8;

  Palette palette;
  if (layout.row == TiffRow::kPalette) {
    ARROW_ASSIGN_OR_RAISE(palette, ReadPalette(tiff, layout.bits));
  }
  TiffLayout rows_layout = layout;
  rows_layout.samples = samples;
  RgbImage image;
  AllocateRgb(static_cast<int>(g.width), static_cast<int>(g.height), &image);
  std::vector<uint8_t> scratch(static_cast<size_t>(g.width) * 4);
  const size_t out_stride = static_cast<size_t>(g.width) * 3;
  const size_t in_stride =
      layout.row == TiffRow::kRgbaRaster ? static_cast<size_t>(g.width) * 4 : g.row_bytes;
  std::optional<LabToRgb> lab;
  std::vector<uint8_t> lab_row;
  if (layout.row == TiffRow::kLab) {
    ARROW_ASSIGN_OR_RAISE(LabToRgb converter, LabToRgb::Make());
    lab.emplace(std::move(converter));
    lab_row.resize(static_cast<size_t>(g.width) * 4);
  }
  const BandSink sink = [&](uint32_t y, uint32_t rows, const uint8_t* band) {
    for (uint32_t r = 0; r < rows; ++r) {
      if (lab) {
        // Unpack.c's "LAB" offsets the signed a and b by 128; Pillow's
        // per-plane unpackers copy them as they are.
        const uint8_t flip = layout.planar ? 0 : 128;
        const uint8_t* in = band + r * in_stride;
        for (uint32_t x = 0; x < g.width; ++x) {
          lab_row[4 * x + 0] = in[3 * x];
          lab_row[4 * x + 1] = in[3 * x + 1] ^ flip;
          lab_row[4 * x + 2] = in[3 * x + 2] ^ flip;
          lab_row[4 * x + 3] = 255;
        }
        lab->Convert(lab_row.data(), static_cast<int>(g.width),
                     image.pixels.data() + (y + r) * out_stride);
        continue;
      }
      TiffRowToRgb(band + r * in_stride, static_cast<int>(g.width), rows_layout, palette,
                   scratch.data(), image.pixels.data() + (y + r) * out_stride);
    }
  };
  if (layout.row == TiffRow::kRgbaRaster) {
    ARROW_RETURN_NOT_OK(ReadRgbaRaster(tiff, g, sink));
  } else if (TIFFIsTiled(tiff)) {
    ARROW_RETURN_NOT_OK(ReadTiles(tiff, file, g, bits_per_pixel, options.max_pixels, sink));
  } else {
    ARROW_RETURN_NOT_OK(ReadStrips(tiff, file, g, sink));
  }
  uint16_t orientation = ORIENTATION_TOPLEFT;
  if (TIFFGetField(tiff, TIFFTAG_ORIENTATION, &orientation)) {
    ApplyOrientation(orientation, &image);
  }
  return image;
}

}  // namespace imgfeat::image
