// BMP run-length decoding (RLE8, RLE4) with the rules of Pillow's
// BmpRleDecoder, including its quirks, so that the same indices come out:
// a delta escape consumes four bytes and moves by the last two, an RLE4
// absolute run of n pixels reads n / 2 bytes (rounded down), absolute runs
// may spill into the next row, and padding is to an even file position.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "imgfeat/status.h"

namespace imgfeat::image {

// Decodes from bytes[offset] on; returns width * height indices in stream
// order (the first row is the bottom one for bottom-up files). Fails as
// Pillow does when the stream ends before every pixel is set.
Result<std::vector<uint8_t>> DecodeBmpRle(std::span<const uint8_t> bytes, size_t offset,
                                          int64_t width, int64_t height, bool rle4);

}  // namespace imgfeat::image
