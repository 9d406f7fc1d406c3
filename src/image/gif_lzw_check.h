// The checks Pillow's GIF decoder (GifDecode.c) makes on a frame's LZW codes
// that giflib does not: a first code after a clear code that is not a
// literal, a code past the next free table entry. Pillow stops at the
// frame's last pixel, so codes after it are not checked.
#pragma once

#include <cstdint>
#include <span>

#include "imgfeat/status.h"

namespace imgfeat::image {

// `blocks`: the frame's data sub-blocks, from the byte after the LZW
// minimum code size; `pixels`: the frame's width * height.
Status CheckGifLzw(std::span<const uint8_t> blocks, int min_code_size, int64_t pixels);

}  // namespace imgfeat::image
