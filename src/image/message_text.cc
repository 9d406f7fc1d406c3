#include "image/message_text.h"

#include <cstdint>

namespace imgfeat::image {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

}  // namespace

std::string PrintableOneLine(std::string_view text) {
  static const char kHex[] = "0123456789abcdef";
  std::string line;
  line.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    if (IsSpace(text[i])) {
      size_t end = i;
      while (end < text.size() && IsSpace(text[end])) ++end;
      const bool breaks = text.substr(i, end - i).find_first_of("\r\n") != std::string_view::npos;
      if (!breaks) {
        for (size_t k = i; k < end; ++k) line += text[k] == '\t' ? ' ' : text[k];
      } else if (!line.empty() && end < text.size()) {
        line += ' ';
      }
      i = end;
      continue;
    }
    const auto byte = static_cast<uint8_t>(text[i++]);
    if (byte >= 0x20 && byte < 0x7f) {
      line += static_cast<char>(byte);
    } else {
      line += {'\\', 'x', kHex[byte >> 4], kHex[byte & 15]};
    }
  }
  return line;
}

}  // namespace imgfeat::image
