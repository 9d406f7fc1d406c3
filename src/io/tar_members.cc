#include "io/tar_members.h"

#include <algorithm>
#include <cstring>
#include <string_view>

namespace imgfeat {
namespace {

constexpr int64_t kBlock = 512;

int64_t Padded(int64_t n) { return (n + kBlock - 1) / kBlock * kBlock; }

// A NUL- or space-terminated field.
std::string_view Field(const uint8_t* header, size_t offset, size_t length) {
  const char* p = reinterpret_cast<const char*>(header + offset);
  size_t n = 0;
  while (n < length && p[n] != '\0') ++n;
  return std::string_view(p, n);
}

// An octal number (ustar), or GNU's base-256 (high bit of the first byte set).
std::optional<int64_t> Number(const uint8_t* header, size_t offset, size_t length) {
  const uint8_t* p = header + offset;
  if (p[0] & 0x80) {
    if (p[0] != 0x80) return std::nullopt;  // negative or too large
    int64_t v = 0;
    for (size_t i = 1; i < length; ++i) {
      if (v > (INT64_MAX >> 8)) return std::nullopt;
      v = (v << 8) | p[i];
    }
    return v;
  }
  size_t i = 0;
  while (i < length && p[i] == ' ') ++i;
  int64_t v = 0;
  bool any = false;
  for (; i < length && p[i] >= '0' && p[i] <= '7'; ++i) {
    if (v > (INT64_MAX >> 3)) return std::nullopt;
    v = v * 8 + (p[i] - '0');
    any = true;
  }
  if (i < length && p[i] != ' ' && p[i] != '\0') return std::nullopt;
  if (!any) return int64_t{0};
  return v;
}

bool ChecksumOk(const uint8_t* header) {
  auto stored = Number(header, 148, 8);
  if (!stored) return false;
  int64_t unsigned_sum = 0, signed_sum = 0;
  for (int64_t i = 0; i < kBlock; ++i) {
    const uint8_t b = (i >= 148 && i < 156) ? ' ' : header[i];
    unsigned_sum += b;
    signed_sum += static_cast<int8_t>(b);
  }
  return *stored == unsigned_sum || *stored == signed_sum;
}

bool AllZero(const uint8_t* p, int64_t n) {
  return std::all_of(p, p + n, [](uint8_t b) { return b == 0; });
}

// The "path" and "size" records of a pax extended header ("LEN key=value\n").
void ParsePax(std::string_view text, std::string* path, int64_t* size) {
  while (!text.empty()) {
    size_t space = text.find(' ');
    if (space == std::string_view::npos) return;
    int64_t len = 0;
    for (char c : text.substr(0, space)) {
      if (c < '0' || c > '9' || len > (int64_t{1} << 40)) return;
      len = len * 10 + (c - '0');
    }
    if (len <= static_cast<int64_t>(space) + 1 || len > static_cast<int64_t>(text.size())) return;
    std::string_view record = text.substr(space + 1, static_cast<size_t>(len) - space - 2);
    const size_t eq = record.find('=');
    if (eq != std::string_view::npos) {
      std::string_view key = record.substr(0, eq), value = record.substr(eq + 1);
      if (key == "path") *path = std::string(value);
      if (key == "size") {
        int64_t v = 0;
        bool ok = !value.empty();
        for (char c : value) {
          if (c < '0' || c > '9' || v > (INT64_MAX / 10 - 10)) {
            ok = false;
            break;
          }
          v = v * 10 + (c - '0');
        }
        if (ok) *size = v;
      }
    }
    text.remove_prefix(static_cast<size_t>(len));
  }
}

}  // namespace

Status TarMembers::Fail(Status status) {
  done_ = true;
  return status;
}

Result<std::optional<TarMember>> TarMembers::Next(bool read_data) {
  std::string long_name;  // from a GNU 'L' or a pax header, for the next member
  int64_t pax_size = -1;  // from a pax header, for the next member; -1: none
  while (!done_) {
    const int64_t at = source_->position();
    ARROW_ASSIGN_OR_RAISE(auto block, source_->Read(kBlock));
    if (block->size() == 0) {
      done_ = true;
      if (!any_header_) return Fail(Status::Invalid("not a tar file: it is empty"));
      return std::optional<TarMember>();  // an archive without its end blocks: accepted
    }
    if (block->size() < kBlock && !any_header_) {
      return Fail(
          Status::Invalid("not a tar file: ", block->size(), " bytes, less than one tar header"));
    }
    if (block->size() < kBlock) {
      return Fail(Status::Invalid("truncated tar: a header at byte ", at, " has ", block->size(),
                                  " of its 512 bytes"));
    }
    const uint8_t* h = block->data();
    if (AllZero(h, kBlock)) {
      done_ = true;
      return std::optional<TarMember>();  // the end, or an empty archive
    }
    if (!ChecksumOk(h)) {
      if (!any_header_) {
        const bool parquet = std::memcmp(h, "PAR1", 4) == 0;
        return Fail(Status::Invalid("not a tar file: no valid tar header at byte 0",
                                    parquet ? " (it is Parquet: --input-format parquet)" : ""));
      }
      return Fail(Status::Invalid("damaged tar: the header at byte ", at, " fails its checksum"));
    }
    any_header_ = true;
    const char type = static_cast<char>(h[156]);
    std::optional<int64_t> header_size = Number(h, 124, 12);
    if (!header_size) {
      return Fail(Status::Invalid("damaged tar: the header at byte ", at, " has no valid size"));
    }
    int64_t size = *header_size;
    if ((type == '0' || type == '\0' || type == '7') && pax_size >= 0) size = pax_size;
    std::string name;
    if (!long_name.empty()) {
      name = std::move(long_name);
      long_name.clear();
    } else {
      name = std::string(Field(h, 0, 100));
      if (std::memcmp(h + 257, "ustar", 5) == 0) {
        std::string_view prefix = Field(h, 345, 155);
        if (!prefix.empty()) name = std::string(prefix) + "/" + name;
      }
    }
    const int64_t data_at = source_->position();
    if (type == 'L' || type == 'x') {  // the next member's long name / pax records
      if (size > (int64_t{1} << 20)) {
        return Fail(
            Status::Invalid("damaged tar: an extended header of ", size, " bytes at byte ", at));
      }
      ARROW_ASSIGN_OR_RAISE(auto text, source_->Read(Padded(size)));
      if (text->size() < size) {
        return Fail(
            Status::Invalid("truncated tar: the extended header at byte ", at, " is cut short"));
      }
      std::string_view view(reinterpret_cast<const char*>(text->data()), static_cast<size_t>(size));
      if (type == 'L') {
        long_name = std::string(view.substr(0, view.find('\0')));
      } else {
        ParsePax(view, &long_name, &pax_size);
      }
      continue;
    }
    const bool regular = type == '0' || type == '\0' || type == '7';
    pax_size = -1;
    if (!regular) {  // folders, links, devices, global pax headers: passed over
      ARROW_ASSIGN_OR_RAISE(int64_t skipped, source_->Skip(Padded(size)));
      if (skipped < size) {
        return Fail(
            Status::Invalid("truncated tar: entry '", name, "' at byte ", at, " is cut short"));
      }
      continue;
    }
    TarMember member;
    member.name = std::move(name);
    member.offset = data_at;
    member.size = size;
    const int64_t left = source_->size() - data_at;
    if (size > left) {
      failed_member_ = member.name;
      return Fail(Status::Invalid("truncated tar: member '", member.name, "' needs ", size,
                                  " bytes, the file has ", left, " left"));
    }
    if (read_data && size <= max_member_bytes_) {
      ARROW_ASSIGN_OR_RAISE(member.data, source_->Read(size));
      ARROW_RETURN_NOT_OK(source_->Skip(Padded(size) - size).status());
    } else {
      ARROW_RETURN_NOT_OK(source_->Skip(Padded(size)).status());
    }
    return std::optional<TarMember>(std::move(member));
  }
  return std::optional<TarMember>();
}

}  // namespace imgfeat
