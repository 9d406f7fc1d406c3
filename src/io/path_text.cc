// Paths as text (see imgfeat/path_text.h).
#include "imgfeat/path_text.h"

#include <cstdint>

namespace imgfeat {
namespace {

constexpr std::string_view kFileScheme = "file://";
constexpr char kHex[] = "0123456789ABCDEF";

// The length of the valid UTF-8 sequence at the start of `s`, or 0 when
// the first byte starts none (RFC 3629's table of well-formed sequences).
size_t Utf8SequenceLength(std::string_view s) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const uint8_t b0 = byte(0);
  if (b0 < 0x80) return 1;
  size_t n;
  uint8_t lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;  // no overlong forms
    if (b0 == 0xED) hi = 0x9F;  // no UTF-16 surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    return 0;
  }
  if (s.size() < n || byte(1) < lo || byte(1) > hi) return 0;
  for (size_t i = 2; i < n; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return n;
}

bool IsControl(char c) {
  const auto b = static_cast<uint8_t>(c);
  return b < 0x20 || b == 0x7F;
}

bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~' || c == '/';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

bool IsValidUtf8(std::string_view bytes) {
  for (size_t i = 0; i < bytes.size();) {
    const size_t n = Utf8SequenceLength(bytes.substr(i));
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string PathText(std::string_view path) {
  bool plain = IsValidUtf8(path) && !path.starts_with(kFileScheme);
  for (size_t i = 0; plain && i < path.size(); ++i) plain = !IsControl(path[i]);
  if (plain) return std::string(path);
  std::string text(kFileScheme);
  text.reserve(kFileScheme.size() + path.size() * 3);
  for (char c : path) {
    if (IsUnreserved(c)) {
      text += c;
    } else {
      const auto b = static_cast<uint8_t>(c);
      text += '%';
      text += kHex[b >> 4];
      text += kHex[b & 0xF];
    }
  }
  return text;
}

Result<std::string> PathFromText(std::string_view text) {
  std::string path;
  if (!text.starts_with(kFileScheme)) {
    path = std::string(text);
  } else {
    text.remove_prefix(kFileScheme.size());
    path.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] != '%') {
        path += text[i];
        continue;
      }
      const int hi = i + 2 < text.size() ? HexValue(text[i + 1]) : -1;
      const int lo = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
      if (hi < 0 || lo < 0) {
        return Status::Invalid("path 'file://", Utf8Text(text),
                               "': '%' must be followed by two hex digits");
      }
      path += static_cast<char>(hi << 4 | lo);
      i += 2;
    }
  }
  if (path.find('\0') != std::string::npos) {
    return Status::Invalid("path '", PathText(path.substr(0, path.find('\0'))),
                           "...' holds a NUL byte");
  }
  return path;
}

std::string Utf8Text(std::string_view bytes) {
  std::string text;
  text.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size();) {
    const size_t n = Utf8SequenceLength(bytes.substr(i));
    if (n > 0) {
      text.append(bytes.substr(i, n));
      i += n;
      continue;
    }
    const auto b = static_cast<uint8_t>(bytes[i++]);
    text += "\\x";
    text += kHex[b >> 4];
    text += kHex[b & 0xF];
  }
  return text;
}

}  // namespace imgfeat
