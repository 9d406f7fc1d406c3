// Pillow's BmpImagePlugin.BmpRleDecoder, step for step.
#include "image/bmp_rle.h"

#include <algorithm>

namespace imgfeat::image {

Result<std::vector<uint8_t>> DecodeBmpRle(std::span<const uint8_t> bytes, size_t offset,
                                          int64_t width, int64_t height, bool rle4) {
  const size_t wanted = static_cast<size_t>(width) * static_cast<size_t>(height);
  std::vector<uint8_t> data;
  data.reserve(wanted);
  size_t at = offset;
  auto left = [&] { return at < bytes.size() ? bytes.size() - at : 0; };
  int64_t x = 0;
  while (data.size() < wanted) {
    if (left() < 2) break;
    const int count = bytes[at], value = bytes[at + 1];
    at += 2;
    if (count != 0) {  // a run of one value (two alternating nibbles in RLE4)
      const int64_t n = x + count > width ? std::max<int64_t>(0, width - x) : count;
      for (int64_t i = 0; i < n; ++i) {
        data.push_back(static_cast<uint8_t>(!rle4 ? value : i % 2 == 0 ? value >> 4 : value & 15));
      }
      x += n;
    } else if (value == 0) {  // end of line: pad the row
      while (data.size() % static_cast<size_t>(width) != 0) data.push_back(0);
      x = 0;
    } else if (value == 1) {  // end of bitmap
      break;
    } else if (value == 2) {  // delta: Pillow reads two bytes, then moves by the next two
      if (left() < 2) break;
      at += 2;
      if (left() < 2) return Status::Invalid("bad BMP: truncated RLE delta");
      const size_t right = bytes[at], up = bytes[at + 1];
      at += 2;
      data.resize(data.size() + right + up * static_cast<size_t>(width), 0);
      x = static_cast<int64_t>(data.size() % static_cast<size_t>(width));
    } else {  // absolute run of `value` pixels
      const size_t byte_count = rle4 ? value / 2 : value;
      const size_t got = std::min(byte_count, left());
      for (size_t i = 0; i < got; ++i) {
        const uint8_t b = bytes[at + i];
        if (rle4) {
          data.push_back(b >> 4);
          data.push_back(b & 15);
        } else {
          data.push_back(b);
        }
      }
      at += got;
      if (got < byte_count) break;
      x += value;
      if (at % 2 != 0) ++at;  // word alignment of the file position
    }
  }
  if (data.size() < wanted) {
    return Status::Invalid("bad BMP: RLE data ends early (Pillow: not enough image data)");
  }
  data.resize(wanted);
  return data;
}

}  // namespace imgfeat::image
