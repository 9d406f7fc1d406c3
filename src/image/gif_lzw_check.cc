// Walks the LZW codes with the table bookkeeping of Pillow's GIF decoder,
// counting the pixels each code gives instead of writing them.
#include "image/gif_lzw_check.h"

#include <vector>

namespace imgfeat::image {

Status CheckGifLzw(std::span<const uint8_t> blocks, int min_code_size, int64_t pixels) {
  constexpr int kTable = 4096, kMaxBits = 12;
  const Status broken = Status::Invalid("bad GIF: broken data stream (an impossible LZW code)");
  const int clear = 1 << min_code_size, end = clear + 1;
  std::vector<int64_t> length(kTable, 1);  // pixels each table entry stands for
  int next = clear + 2, code_size = min_code_size + 1, last = 0;
  bool after_clear = true;
  uint32_t bits = 0;
  int bit_count = 0;
  size_t at = 0, block_left = 0;
  int64_t written = 0;
  while (written < pixels) {
    while (bit_count < code_size) {
      if (block_left == 0) {
        if (at >= blocks.size() || blocks[at] == 0) return Status::OK();  // giflib's to judge
        block_left = blocks[at++];
        if (blocks.size() - at < block_left) return Status::OK();
      }
      bits |= uint32_t{blocks[at++]} << bit_count;
      bit_count += 8;
      --block_left;
    }
    const int code = static_cast<int>(bits & ((1u << code_size) - 1));
    bits >>= code_size;
    bit_count -= code_size;
    if (code == clear) {
      next = clear + 2;
      code_size = min_code_size + 1;
      after_clear = true;
      continue;
    }
    if (code == end) return Status::OK();  // early end: giflib refuses it too
    if (after_clear) {
      if (code > clear) return broken;
      after_clear = false;
      last = code;
      written += 1;
      continue;
    }
    if (code > next) return broken;
    const int64_t out = code == next ? length[last] + 1 : length[code];
    if (next < kTable) {
      length[next] = length[last] + 1;
      if (next == (1 << code_size) - 1 && code_size < kMaxBits) ++code_size;
      ++next;
    }
    last = code;
    written += out;
  }
  return Status::OK();
}

}  // namespace imgfeat::image
