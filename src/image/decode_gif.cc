// GIF through giflib, first frame only, with the canvas Pillow builds in
// GifImagePlugin: the logical screen (grown to the frame if the frame
// reaches past it) filled with the frame's transparent index, or index 0
// without one, then the frame's indices at its offset. convert("RGB") looks
// the indices up in the frame's palette (local, else global), entries past
// the palette's end being black. A palette that is the grey ramp
// (i, i, i) is no palette to Pillow: with no other palette the image is "L"
// and each index is its own grey value, as in a GIF with no palette at all.
#include <gif_lib.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "image/decoders.h"
#include "image/gif_lzw_check.h"
#include "image/pixel_convert.h"

namespace imgfeat::image {
namespace {

struct GifInput {
  std::span<const uint8_t> bytes;
  size_t offset = 0;
  bool past_end = false;
};

// A read that starts at the end of the file gets zeros, which giflib takes
// for the sub-block terminator: it then ends a frame whose last pixel is
// already decoded, as Pillow does (it stops at the last pixel), instead of
// failing on the missing terminator. A read that crosses the end is short
// and fails.
int ReadGif(GifFileType* gif, GifByteType* out, int size) {
  auto* input = static_cast<GifInput*>(gif->UserData);
  if (input->offset >= input->bytes.size()) {
    input->past_end = true;
    std::memset(out, 0, static_cast<size_t>(size));
    return size;
  }
  const size_t n = std::min<size_t>(static_cast<size_t>(size), input->bytes.size() - input->offset);
  std::memcpy(out, input->bytes.data() + input->offset, n);
  input->offset += n;
  return static_cast<int>(n);
}

struct GifCloser {
  void operator()(GifFileType* gif) const {
    int error = 0;
    DGifCloseFile(gif, &error);
  }
};

Status GifError(int code, const GifInput& input) {
  const char* text = GifErrorString(code);
  if (code == D_GIF_ERR_READ_FAILED || input.past_end) {
    return Status::Invalid("bad GIF: image file is truncated (", text ? text : "read failed", ")");
  }
  return Status::Invalid("bad GIF: ", text ? text : "unknown error");
}

// Pillow's _is_palette_needed: false when entry i is (i, i, i) throughout.
bool IsGreyRamp(const ColorMapObject* map) {
  for (int i = 0; i < map->ColorCount; ++i) {
    const GifColorType& c = map->Colors[i];
    if (c.Red != i || c.Green != i || c.Blue != i) return false;
  }
  return true;
}

// The palette convert("RGB") uses, or nothing for an "L" image.
std::optional<Palette> PaletteOf(const ColorMapObject* map) {
  if (map == nullptr || IsGreyRamp(map)) return std::nullopt;
  Palette palette;
  for (int i = 0; i < std::min(map->ColorCount, 256); ++i) {
    palette.rgb[3 * i + 0] = map->Colors[i].Red;
    palette.rgb[3 * i + 1] = map->Colors[i].Green;
    palette.rgb[3 * i + 2] = map->Colors[i].Blue;
  }
  return palette;
}

// Row order of an interlaced frame: every 8th row from 0, every 8th from 4,
// every 4th from 2, every 2nd from 1 (GifDecode.c skips passes that start
// past the last row, as this does).
std::vector<int> RowOrder(int height, bool interlaced) {
  std::vector<int> rows;
  rows.reserve(static_cast<size_t>(height));
  if (!interlaced) {
    for (int y = 0; y < height; ++y) rows.push_back(y);
    return rows;
  }
  constexpr int kStart[] = {0, 4, 2, 1};
  constexpr int kStep[] = {8, 8, 4, 2};
  for (int pass = 0; pass < 4; ++pass) {
    for (int y = kStart[pass]; y < height; y += kStep[pass]) rows.push_back(y);
  }
  return rows;
}

}  // namespace

Result<RgbImage> DecodeGif(std::span<const uint8_t> bytes, const DecodeOptions& options) {
  GifInput input{bytes};
  int error = 0;
  std::unique_ptr<GifFileType, GifCloser> gif(DGifOpen(&input, ReadGif, &error));
  if (!gif) return GifError(error, input);

  std::optional<int> transparent;  // from the last graphic control block with the flag set
  GifRecordType record = UNDEFINED_RECORD_TYPE;
  while (true) {
    if (DGifGetRecordType(gif.get(), &record) == GIF_ERROR) {
      // A byte that starts no block is skipped, as Pillow's _seek does:
      // giflib has consumed it and keeps no other state.
      if (gif->Error == D_GIF_ERR_WRONG_RECORD && !input.past_end) continue;
      return GifError(gif->Error, input);
    }
    if (record == TERMINATE_RECORD_TYPE) return Status::Invalid("bad GIF: no image in the file");
    if (record == IMAGE_DESC_RECORD_TYPE) break;
    if (record != EXTENSION_RECORD_TYPE) continue;
    int code = 0;
    GifByteType* block = nullptr;
    if (DGifGetExtension(gif.get(), &code, &block) == GIF_ERROR) return GifError(gif->Error, input);
    if (code == GRAPHICS_EXT_FUNC_CODE && block != nullptr && block[0] >= 4 && (block[1] & 1)) {
      transparent = block[4];
    }
    while (block != nullptr) {
      if (DGifGetExtensionNext(gif.get(), &block) == GIF_ERROR) return GifError(gif->Error, input);
    }
  }
  const bool described = DGifGetImageDesc(gif.get()) != GIF_ERROR;
  if (input.past_end) return Status::Invalid("bad GIF: image file is truncated");
  if (!described) {
    // giflib reads the LZW code size last and stops above 8, where Pillow
    // reads up to 12 (outside the GIF format, and no writer makes them).
    if (input.offset > 0 && input.offset <= bytes.size() && bytes[input.offset - 1] > 8) {
      return Status::NotImplemented("unsupported GIF: LZW code size ", int{bytes[input.offset - 1]},
                                    " (the format allows 2 to 8)");
    }
    return GifError(gif->Error, input);
  }

  // The LZW minimum code size is the byte giflib read last.
  ARROW_RETURN_NOT_OK(CheckGifLzw(bytes.subspan(std::min(input.offset, bytes.size())),
                                  bytes[input.offset - 1],
                                  int64_t{gif->Image.Width} * gif->Image.Height));
  const GifImageDesc& frame = gif->Image;
  const int64_t x1 = int64_t{frame.Left} + frame.Width, y1 = int64_t{frame.Top} + frame.Height;
  const int64_t width = std::max<int64_t>(gif->SWidth, x1);
  const int64_t height = std::max<int64_t>(gif->SHeight, y1);
  ARROW_RETURN_NOT_OK(CheckImageSize(width, height, options));

  // The local palette, else the global one. A local grey ramp makes the
  // frame "L", but Image.load then puts the global palette (when there is
  // one that is not a ramp too) on it: the global palette is looked up.
  std::optional<Palette> palette = PaletteOf(frame.ColorMap);
  if (!palette) palette = PaletteOf(gif->SColorMap);
  if (!palette) palette = Palette::GreyRamp();

  std::vector<uint8_t> canvas(static_cast<size_t>(width) * height,
                              static_cast<uint8_t>(transparent.value_or(0)));
  std::vector<uint8_t> line(static_cast<size_t>(frame.Width));
  for (int y : RowOrder(frame.Height, frame.Interlace)) {
    uint8_t* out = canvas.data() + (static_cast<size_t>(frame.Top) + y) * width + frame.Left;
    if (DGifGetLine(gif.get(), line.data(), frame.Width) == GIF_ERROR) {
      // An end code before the last pixel leaves Pillow's decoder waiting
      // for data that never comes: "image file is truncated".
      if (gif->Error == D_GIF_ERR_EOF_TOO_SOON && !input.past_end) {
        return Status::Invalid("bad GIF: image file is truncated (end code before the last pixel)");
      }
      return GifError(gif->Error, input);
    }
    if (!line.empty()) std::memcpy(out, line.data(), line.size());  // frames can be 0 wide
  }

  RgbImage image;
  AllocateRgb(static_cast<int>(width), static_cast<int>(height), &image);
  PaletteToRgb(canvas.data(), static_cast<int>(canvas.size()), *palette, image.pixels.data());
  return image;
}

}  // namespace imgfeat::image
