// TIFF through libtiff, reading the raw samples (TIFFReadRGBAImage would
// premultiply alpha) and unpacking them as Pillow's TiffImagePlugin rawmodes
// do: 8-bit grey ("L", "L;I" when min-is-white), 1-bit ("1", "1;I"), grey +
// alpha, RGB, RGBA/RGBX (alpha dropped), associated alpha ("RGBa",
// un-premultiplied) and 8-bit palette (16-bit colour map, high byte). Other
// layouts (planar, 16-bit, YCbCr, CMYK) fail with "unsupported TIFF".
#include <tiffio.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "image/decoders.h"
#include "image/pixel_convert.h"

namespace imgfeat::image_internal {
namespace {

struct MemoryFile {
  std::span<const uint8_t> bytes;
  toff_t offset = 0;
  char message[160] = {};
};

tsize_t ReadProc(thandle_t handle, tdata_t out, tsize_t size) {
  auto* file = static_cast<MemoryFile*>(handle);
  if (file->offset >= file->bytes.size()) return 0;
  size_t n = std::min<size_t>(static_cast<size_t>(size), file->bytes.size() - file->offset);
  std::memcpy(out, file->bytes.data() + file->offset, n);
  file->offset += n;
  return static_cast<tsize_t>(n);
}

tsize_t WriteProc(thandle_t, tdata_t, tsize_t) { return 0; }

toff_t SeekProc(thandle_t handle, toff_t offset, int whence) {
  auto* file = static_cast<MemoryFile*>(handle);
  if (whence == SEEK_CUR) offset += file->offset;
  if (whence == SEEK_END) offset += file->bytes.size();
  file->offset = offset;
  return offset;
}

int CloseProc(thandle_t) { return 0; }
toff_t SizeProc(thandle_t handle) { return static_cast<MemoryFile*>(handle)->bytes.size(); }
int MapProc(thandle_t, tdata_t*, toff_t*) { return 0; }
void UnmapProc(thandle_t, tdata_t, toff_t) {}

int OnTiffError(TIFF*, void* user_data, const char*, const char* format, va_list args) {
  auto* file = static_cast<MemoryFile*>(user_data);
  if (file->message[0] == '\0') std::vsnprintf(file->message, sizeof(file->message), format, args);
  return 1;
}

int OnTiffWarning(TIFF*, void*, const char*, const char*, va_list) { return 1; }

struct TiffCloser {
  void operator()(TIFF* tiff) const { TIFFClose(tiff); }
};
struct OptionsDeleter {
  void operator()(TIFFOpenOptions* options) const { TIFFOpenOptionsFree(options); }
};

enum class Layout {
  kGray,
  kGrayInverted,
  kBilevel,
  kBilevelInverted,
  kRgb,
  kRgbPremultiplied,
  kPalette
};

struct Format {
  Layout layout;
  int samples;
};

Result<Format> ClassifyTiff(TIFF* tiff) {
  uint16_t bits = 1, samples = 1, photometric = 0, planar = PLANARCONFIG_CONTIG;
  TIFFGetFieldDefaulted(tiff, TIFFTAG_BITSPERSAMPLE, &bits);
  TIFFGetFieldDefaulted(tiff, TIFFTAG_SAMPLESPERPIXEL, &samples);
  TIFFGetFieldDefaulted(tiff, TIFFTAG_PLANARCONFIG, &planar);
  if (!TIFFGetField(tiff, TIFFTAG_PHOTOMETRIC, &photometric)) {
    return Status::Invalid("unsupported TIFF: no photometric interpretation");
  }
  if (planar != PLANARCONFIG_CONTIG && samples > 1) {
    return Status::NotImplemented("unsupported TIFF: planar layout");
  }
  uint16_t extra_count = 0;
  uint16_t* extra = nullptr;
  TIFFGetField(tiff, TIFFTAG_EXTRASAMPLES, &extra_count, &extra);
  const bool is_grey =
      photometric == PHOTOMETRIC_MINISBLACK || photometric == PHOTOMETRIC_MINISWHITE;
  if (is_grey && bits == 1 && samples == 1) {
    return Format{
        photometric == PHOTOMETRIC_MINISWHITE ? Layout::kBilevelInverted : Layout::kBilevel, 1};
  }
  if (is_grey && bits == 8 && samples <= 2) {
    if (photometric == PHOTOMETRIC_MINISWHITE && samples == 1)
      return Format{Layout::kGrayInverted, 1};
    if (photometric == PHOTOMETRIC_MINISBLACK) return Format{Layout::kGray, samples};
  }
  if (photometric == PHOTOMETRIC_RGB && bits == 8 && (samples == 3 || samples == 4)) {
    if (samples == 4 && extra_count == 1 && extra[0] == EXTRASAMPLE_ASSOCALPHA) {
      return Format{Layout::kRgbPremultiplied, 4};
    }
    return Format{Layout::kRgb, samples};
  }
  if (photometric == PHOTOMETRIC_PALETTE && bits == 8 && samples == 1) {
    return Format{Layout::kPalette, 1};
  }
  return Status::NotImplemented("unsupported TIFF: photometric ", photometric, ", ", samples,
                                " samples of ", bits, " bits");
}

void ConvertRow(const uint8_t* raw, int width, const Format& format, const Palette& palette,
                uint8_t* scratch, uint8_t* rgb) {
  switch (format.layout) {
    case Layout::kGray:
      GrayToRgb(raw, width, format.samples, rgb);
      break;
    case Layout::kGrayInverted:
      for (int x = 0; x < width; ++x) scratch[x] = static_cast<uint8_t>(~raw[x]);
      GrayToRgb(scratch, width, 1, rgb);
      break;
    case Layout::kBilevel:
    case Layout::kBilevelInverted: {
      UnpackBits(raw, width, 1, scratch);
      const uint8_t one = format.layout == Layout::kBilevel ? 255 : 0;
      for (int x = 0; x < width; ++x) scratch[x] = scratch[x] ? one : 255 - one;
      GrayToRgb(scratch, width, 1, rgb);
      break;
    }
    case Layout::kRgb:
      DropExtraChannels(raw, width, format.samples, rgb);
      break;
    case Layout::kRgbPremultiplied:
      UnpremultiplyToRgb(raw, width, rgb);
      break;
    case Layout::kPalette:
      PaletteToRgb(raw, width, palette, rgb);
      break;
  }
}

}  // namespace

Result<RgbImage> DecodeTiff(std::span<const uint8_t> bytes, const DecodeOptions& options) {
  MemoryFile file;
  file.bytes = bytes;
  std::unique_ptr<TIFFOpenOptions, OptionsDeleter> open_options(TIFFOpenOptionsAlloc());
  if (!open_options) return Status::OutOfMemory("cannot allocate TIFF options");
  TIFFOpenOptionsSetErrorHandlerExtR(open_options.get(), OnTiffError, &file);
  TIFFOpenOptionsSetWarningHandlerExtR(open_options.get(), OnTiffWarning, &file);
  std::unique_ptr<TIFF, TiffCloser> tiff(TIFFClientOpenExt("memory", "rm", &file, ReadProc,
                                                           WriteProc, SeekProc, CloseProc, SizeProc,
                                                           MapProc, UnmapProc, open_options.get()));
  if (!tiff) return Status::Invalid("bad TIFF: ", file.message);

  uint32_t width = 0, height = 0;
  TIFFGetField(tiff.get(), TIFFTAG_IMAGEWIDTH, &width);
  TIFFGetField(tiff.get(), TIFFTAG_IMAGELENGTH, &height);
  ARROW_RETURN_NOT_OK(CheckImageSize(width, height, options));
  ARROW_ASSIGN_OR_RAISE(Format format, ClassifyTiff(tiff.get()));

  Palette palette;
  if (format.layout == Layout::kPalette) {
    uint16_t *red = nullptr, *green = nullptr, *blue = nullptr;
    if (!TIFFGetField(tiff.get(), TIFFTAG_COLORMAP, &red, &green, &blue)) {
      return Status::Invalid("bad TIFF: palette image without a colour map");
    }
    for (int i = 0; i < 256; ++i) {  // Pillow: o8(value // 256)
      palette.rgb[3 * i + 0] = static_cast<uint8_t>(red[i] >> 8);
      palette.rgb[3 * i + 1] = static_cast<uint8_t>(green[i] >> 8);
      palette.rgb[3 * i + 2] = static_cast<uint8_t>(blue[i] >> 8);
    }
  }

  RgbImage image;
  AllocateRgb(static_cast<int>(width), static_cast<int>(height), &image);
  std::vector<uint8_t> scratch(width);
  const size_t out_stride = static_cast<size_t>(width) * 3;
  if (TIFFIsTiled(tiff.get())) {
    uint32_t tile_width = 0, tile_height = 0;
    TIFFGetField(tiff.get(), TIFFTAG_TILEWIDTH, &tile_width);
    TIFFGetField(tiff.get(), TIFFTAG_TILELENGTH, &tile_height);
    const tmsize_t tile_bytes = TIFFTileSize(tiff.get());
    if (tile_width == 0 || tile_height == 0 || tile_bytes <= 0) {
      return Status::Invalid("bad TIFF: bad tile size");
    }
    const size_t tile_row_bytes = static_cast<size_t>(tile_bytes) / tile_height;
    std::vector<uint8_t> tile(static_cast<size_t>(tile_bytes));
    for (uint32_t ty = 0; ty < height; ty += tile_height) {
      for (uint32_t tx = 0; tx < width; tx += tile_width) {
        if (TIFFReadTile(tiff.get(), tile.data(), tx, ty, 0, 0) < 0) {
          return Status::Invalid("bad TIFF: ", file.message);
        }
        const uint32_t w = std::min(tile_width, width - tx);
        for (uint32_t y = 0; y < tile_height && ty + y < height; ++y) {
          const uint8_t* raw = tile.data() + y * tile_row_bytes;
          ConvertRow(raw, static_cast<int>(w), format, palette, scratch.data(),
                     image.pixels.data() + (ty + y) * out_stride + static_cast<size_t>(tx) * 3);
        }
      }
    }
  } else {
    std::vector<uint8_t> row(static_cast<size_t>(TIFFScanlineSize(tiff.get())));
    for (uint32_t y = 0; y < height; ++y) {
      if (TIFFReadScanline(tiff.get(), row.data(), y, 0) < 0) {
        return Status::Invalid("bad TIFF: ", file.message[0] ? file.message : "truncated TIFF");
      }
      ConvertRow(row.data(), static_cast<int>(width), format, palette, scratch.data(),
                 image.pixels.data() + y * out_stride);
    }
  }
  return image;
}

}  // namespace imgfeat::image_internal
