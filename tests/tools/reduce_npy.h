// Minimal .npy (NumPy format 1.0) reading and writing for the reduce tool:
// C-order arrays of float32/float64 (read as float32) and writes of
// float32, float64, int32, int64 and uint32.
#pragma once

#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "imgfeat/status.h"

namespace imgfeat::tools {

template <typename T>
constexpr const char* NpyDescr();
template <>
constexpr const char* NpyDescr<float>() {
  return "<f4";
}
template <>
constexpr const char* NpyDescr<double>() {
  return "<f8";
}
template <>
constexpr const char* NpyDescr<int32_t>() {
  return "<i4";
}
template <>
constexpr const char* NpyDescr<int64_t>() {
  return "<i8";
}
template <>
constexpr const char* NpyDescr<uint32_t>() {
  return "<u4";
}

template <typename T>
Status WriteNpy(const std::string& path, const std::vector<int64_t>& shape, const T* data) {
  std::string dims;
  int64_t count = 1;
  for (int64_t d : shape) {
    dims += std::to_string(d) + ",";
    count *= d;
  }
  if (shape.size() > 1) dims.pop_back();
  std::string header = std::string("{'descr': '") + NpyDescr<T>() +
                       "', 'fortran_order': False, 'shape': (" + dims + "), }";
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header.push_back('\n');
  std::ofstream out(path, std::ios::binary);
  const uint16_t length = static_cast<uint16_t>(header.size());
  out.write("\x93NUMPY\x01\x00", 8);
  out.write(reinterpret_cast<const char*>(&length), 2);
  out << header;
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(count * sizeof(T)));
  if (!out) return Status::IOError(path, ": cannot write");
  return Status::OK();
}

struct NpyMatrix {
  int64_t rows = 0, cols = 0;
  std::vector<float> values;
};

// A 1-d (one row) or 2-d C-order float32/float64 array, as float32.
inline Result<NpyMatrix> ReadNpyMatrix(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[8];
  uint16_t length = 0;
  if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0 || magic[6] != 1 ||
      !in.read(reinterpret_cast<char*>(&length), 2)) {
    return Status::Invalid(path, ": not a version 1 .npy file");
  }
  std::string header(length, '\0');
  in.read(header.data(), length);
  const bool is_f4 = header.find("'<f4'") != std::string::npos;
  const bool is_f8 = header.find("'<f8'") != std::string::npos;
  if ((!is_f4 && !is_f8) || header.find("'fortran_order': False") == std::string::npos) {
    return Status::Invalid(path, ": expected a C-order float32 or float64 array: ", header);
  }
  const size_t open = header.find('(', header.find("'shape'"));
  const size_t close = header.find(')', open);
  std::vector<int64_t> shape;
  std::string dims = header.substr(open + 1, close - open - 1);
  for (size_t pos = 0; pos < dims.size();) {
    size_t comma = dims.find(',', pos);
    if (comma == std::string::npos) comma = dims.size();
    const std::string item = dims.substr(pos, comma - pos);
    if (item.find_first_of("0123456789") != std::string::npos) shape.push_back(std::stoll(item));
    pos = comma + 1;
  }
  if (shape.empty() || shape.size() > 2) return Status::Invalid(path, ": expected 1 or 2 dims");
  NpyMatrix m;
  m.rows = shape.size() == 2 ? shape[0] : 1;
  m.cols = shape.back();
  m.values.resize(static_cast<size_t>(m.rows * m.cols));
  if (is_f4) {
    in.read(reinterpret_cast<char*>(m.values.data()),
            static_cast<std::streamsize>(m.values.size() * sizeof(float)));
  } else {
    std::vector<double> wide(m.values.size());
    in.read(reinterpret_cast<char*>(wide.data()),
            static_cast<std::streamsize>(wide.size() * sizeof(double)));
    for (size_t i = 0; i < wide.size(); ++i) m.values[i] = static_cast<float>(wide[i]);
  }
  if (!in) return Status::IOError(path, ": truncated");
  return m;
}

}  // namespace imgfeat::tools
