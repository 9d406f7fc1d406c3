// The checks Pillow's PngImagePlugin makes on a PNG's chunks that libpng
// does not make, so that imgfeat refuses what Pillow refuses: a checksum
// error in any chunk before the image data (libpng only warns for ancillary
// ones), a chunk other than IDAT cut short by the end of the file, a
// compressed text chunk that inflates past Pillow's MAX_TEXT_CHUNK (1 MiB)
// or of an unknown method, and more than MAX_TEXT_MEMORY (64 MiB) of text.
#pragma once

#include <cstdint>
#include <span>

#include "imgfeat/status.h"

namespace imgfeat::image {

// `bytes` starts with the PNG signature.
Status CheckPngChunks(std::span<const uint8_t> bytes);

}  // namespace imgfeat::image
