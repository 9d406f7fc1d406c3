// PngImagePlugin's chunk rules (PngStream.crc, chunk_tEXt, chunk_zTXt,
// chunk_iTXt, _safe_zlib_decompress, check_text_memory, load_end).
#include "image/png_chunks.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>

namespace imgfeat::image {
namespace {

constexpr size_t kMaxTextChunk = size_t{1} << 20;
constexpr size_t kMaxTextMemory = 64 * kMaxTextChunk;

uint32_t Be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

enum class Inflated { kOk, kTooLarge, kBroken };

// zlib's decompress(data, MAX_TEXT_CHUNK): too large when input is left
// over once the output is full; `size` receives the output length.
Inflated InflateText(std::string_view data, size_t* size) {
  z_stream z{};
  if (inflateInit(&z) != Z_OK) return Inflated::kBroken;
  std::string out(kMaxTextChunk, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int code = inflate(&z, Z_SYNC_FLUSH);
  const bool left_over = z.avail_out == 0 && z.avail_in > 0 && code != Z_STREAM_END;
  *size = out.size() - z.avail_out;
  inflateEnd(&z);
  if (left_over) return Inflated::kTooLarge;
  return code == Z_OK || code == Z_STREAM_END || code == Z_BUF_ERROR ? Inflated::kOk
                                                                     : Inflated::kBroken;
}

size_t Utf8Length(std::string_view text) {
  return static_cast<size_t>(
      std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

Status TooLarge() {
  return Status::Invalid(
      "bad PNG: a text chunk inflates past 1 MiB (Pillow: Decompressed data too large for "
      "PngImagePlugin.MAX_TEXT_CHUNK)");
}

// Adds the text Pillow keeps from a tEXt, zTXt or iTXt chunk to `memory`.
Status CheckText(std::string_view type, std::string_view data, size_t* memory) {
  const size_t nul = data.find('\0');
  const std::string_view key = data.substr(0, nul);
  std::string_view rest = nul == std::string_view::npos ? "" : data.substr(nul + 1);
  size_t text = 0;
  if (type == "tEXt") {
    if (key.empty()) return Status::OK();
    text = rest.size();
  } else if (type == "zTXt") {
    if (!rest.empty() && rest[0] != 0) {
      return Status::Invalid("bad PNG: unknown compression method ", int{rest[0]},
                             " in zTXt chunk");
    }
    size_t size = 0;
    const Inflated result = InflateText(rest.empty() ? rest : rest.substr(1), &size);
    if (result == Inflated::kTooLarge) return TooLarge();
    if (key.empty()) return Status::OK();
    text = result == Inflated::kOk ? size : 0;
  } else {  // iTXt: key, flag, method, language, translated key, text
    if (nul == std::string_view::npos || rest.size() < 2) return Status::OK();
    const bool compressed = rest[0] != 0, deflate = rest[1] == 0;
    rest = rest.substr(2);
    const size_t lang_end = rest.find('\0');
    if (lang_end == std::string_view::npos) return Status::OK();
    const size_t key_end = rest.find('\0', lang_end + 1);
    if (key_end == std::string_view::npos) return Status::OK();
    const std::string_view value = rest.substr(key_end + 1);
    if (!compressed) {
      text = Utf8Length(value);
    } else {
      if (!deflate) return Status::OK();
      size_t size = 0;
      const Inflated result = InflateText(value, &size);
      if (result == Inflated::kTooLarge) return TooLarge();
      if (result != Inflated::kOk) return Status::OK();
      text = size;  // an upper bound of its characters
    }
  }
  *memory += text;
  if (*memory > kMaxTextMemory) {
    return Status::Invalid("bad PNG: more than 64 MiB of text (Pillow: MAX_TEXT_MEMORY)");
  }
  return Status::OK();
}

// A chunk type read from a broken file can be any four bytes: error messages
// (stderr, _errors.parquet's UTF-8 column) get printable ASCII only.
std::string ChunkName(std::string_view type) {
  std::string name;
  for (const char c : type) {
    if (c >= 0x20 && c < 0x7f) {
      name += c;
    } else {
      static const char kHex[] = "0123456789abcdef";
      const auto byte = static_cast<uint8_t>(c);
      name += {'\\', 'x', kHex[byte >> 4], kHex[byte & 15]};
    }
  }
  return name;
}

}  // namespace

Status CheckPngChunks(std::span<const uint8_t> bytes) {
  size_t at = 8;
  bool seen_image_data = false;
  size_t text_memory = 0;
  while (at <= bytes.size() && bytes.size() - at >= 8) {
    const uint32_t length = Be32(bytes.data() + at);
    const std::string_view type(reinterpret_cast<const char*>(bytes.data() + at + 4), 4);
    if (type == "IEND") break;
    const bool is_data = type == "IDAT";
    seen_image_data = seen_image_data || is_data;
    const size_t available = bytes.size() - at - 8;
    if (length > available) {
      if (is_data) break;  // libpng decides whether the pixels are complete
      return Status::Invalid("bad PNG: truncated ", ChunkName(type),
                             " chunk (Pillow: Truncated File Read)");
    }
    const uint8_t* data = bytes.data() + at + 8;
    if (!seen_image_data) {
      if (available - length < 4) {
        return Status::Invalid("bad PNG: truncated ", ChunkName(type), " chunk checksum");
      }
      const uLong crc = crc32(crc32(0L, bytes.data() + at + 4, 4), data, length);
      if (crc != Be32(data + length)) {
        return Status::Invalid("bad PNG: bad checksum in the ", ChunkName(type),
                               " chunk (Pillow: broken PNG file)");
      }
    }
    if (type == "tEXt" || type == "zTXt" || type == "iTXt") {
      ARROW_RETURN_NOT_OK(CheckText(
          type, std::string_view(reinterpret_cast<const char*>(data), length), &text_memory));
    }
    at += 8 + size_t{length} + std::min<size_t>(4, available - length);
  }
  return Status::OK();
}

}  // namespace imgfeat::image
