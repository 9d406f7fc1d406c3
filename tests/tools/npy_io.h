// Minimal .npy reading and writing (float32, C order) for the tools that the
// pytest suites drive with NumPy arrays.
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "imgfeat/status.h"

namespace imgfeat::tools {

struct NpyArray {
  std::vector<int64_t> shape;
  std::vector<float> data;
};

inline Result<NpyArray> ReadNpy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot open ", path);
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) {
    return Status::Invalid(path, ": not a .npy file");
  }
  uint32_t header_len = 0;
  if (magic[6] == 1) {
    uint16_t len16 = 0;
    in.read(reinterpret_cast<char*>(&len16), 2);
    header_len = len16;
  } else {
    in.read(reinterpret_cast<char*>(&header_len), 4);
  }
  std::string header(header_len, '\0');
  in.read(header.data(), header_len);
  if (header.find("'descr': '<f4'") == std::string::npos) {
    return Status::Invalid(path, ": needs float32 little-endian data");
  }
  if (header.find("'fortran_order': False") == std::string::npos) {
    return Status::Invalid(path, ": needs C order");
  }
  size_t open = header.find("'shape': (");
  size_t close = header.find(')', open);
  if (open == std::string::npos || close == std::string::npos) {
    return Status::Invalid(path, ": no shape in header");
  }
  NpyArray array;
  std::string dims = header.substr(open + 10, close - open - 10);
  int64_t count = 1;
  for (size_t pos = 0; pos < dims.size();) {
    size_t comma = dims.find(',', pos);
    std::string item =
        dims.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (item.find_first_of("0123456789") != std::string::npos) {
      array.shape.push_back(std::stoll(item));
      count *= array.shape.back();
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  array.data.resize(count);
  if (!in.read(reinterpret_cast<char*>(array.data.data()), count * sizeof(float))) {
    return Status::Invalid(path, ": truncated data");
  }
  return array;
}

inline Status WriteNpy(const std::string& path, const std::vector<int64_t>& shape,
                       const float* data) {
  std::string dims;
  int64_t count = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    dims += (i ? ", " : "") + std::to_string(shape[i]);
    count *= shape[i];
  }
  if (shape.size() == 1) dims += ",";  // Python's one-element tuple
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + dims + "), }";
  // Data starts on a 64-byte boundary: 10 bytes of preamble, header, newline.
  while ((10 + header.size() + 1) % 64 != 0) header.push_back(' ');
  header.push_back('\n');
  std::ofstream out(path, std::ios::binary);
  out.write("\x93NUMPY\x01\x00", 8);
  uint16_t header_len = static_cast<uint16_t>(header.size());
  out.write(reinterpret_cast<const char*>(&header_len), 2);
  out.write(header.data(), header.size());
  out.write(reinterpret_cast<const char*>(data), count * sizeof(float));
  if (!out) return Status::IOError("cannot write ", path);
  return Status::OK();
}

}  // namespace imgfeat::tools
