// imgfeat_pixels [--size W H] [--preprocess tf|torch|caffe]
//
// Reads file paths from stdin, one per line, and writes to stdout for each,
// in order, either
//   "OK <w> <h> <rw> <rh> <floats>\n" then w*h*3 decoded RGB bytes, rw*rh*3
//   resized bytes and <floats> float32 values (the preprocessed resized image,
//   little-endian; 0 without --preprocess)
// or
//   "ERR <reason>\n"
// so that one process checks thousands of files against Pillow.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include "imgfeat/image.h"

namespace {

bool ReadFile(const std::string& path, std::vector<uint8_t>* bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  bytes->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int width = 224, height = 224;
  bool preprocess = false;
  imgfeat::PreprocessMode mode = imgfeat::PreprocessMode::kTf;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--size") == 0 && i + 2 < argc) {
      width = std::atoi(argv[++i]);
      height = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--preprocess") == 0 && i + 1 < argc) {
      auto parsed = imgfeat::ParsePreprocessMode(argv[++i]);
      if (!parsed.ok()) {
        std::cerr << parsed.status().ToString() << "\n";
        return 2;
      }
      mode = *parsed;
      preprocess = true;
    } else {
      std::cerr << "usage: imgfeat_pixels [--size W H] [--preprocess tf|torch|caffe] < paths\n";
      return 2;
    }
  }
  std::vector<uint8_t> bytes;
  imgfeat::RgbImage resized;
  std::vector<float> features;
  std::string path;
  while (std::getline(std::cin, path)) {
    if (path.empty()) continue;
    if (!ReadFile(path, &bytes)) {
      std::printf("ERR cannot read %s\n", path.c_str());
      continue;
    }
    auto decoded = imgfeat::DecodeRgb(bytes);
    if (!decoded.ok()) {
      std::string reason = decoded.status().ToString();
      for (char& c : reason) c = c == '\n' ? ' ' : c;
      std::printf("ERR %s\n", reason.c_str());
      continue;
    }
    imgfeat::ResizeBicubic(*decoded, width, height, &resized);
    features.resize(preprocess ? resized.pixels.size() : 0);
    if (preprocess) imgfeat::Preprocess(resized, mode, features.data());
    std::printf("OK %d %d %d %d %zu\n", decoded->width, decoded->height, resized.width,
                resized.height, features.size());
    std::fwrite(decoded->pixels.data(), 1, decoded->pixels.size(), stdout);
    std::fwrite(resized.pixels.data(), 1, resized.pixels.size(), stdout);
    if (!features.empty()) std::fwrite(features.data(), sizeof(float), features.size(), stdout);
  }
  return std::fflush(stdout) == 0 ? 0 : 1;
}
