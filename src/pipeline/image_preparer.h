// Turns one image file into the network's float input: read, decode, resize,
// preprocess. One ImagePreparer per worker thread (it keeps scratch buffers).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "imgfeat/image.h"
#include "imgfeat/listing.h"
#include "imgfeat/status.h"

namespace imgfeat {

struct InputGeometry {
  int width = 224;
  int height = 224;
  PreprocessMode preprocess = PreprocessMode::kTf;
  int64_t max_pixels = kPillowMaxPixels;
  int64_t max_file_bytes = int64_t{512} << 20;
  size_t floats() const { return static_cast<size_t>(width) * height * 3; }
};

class ImagePreparer {
 public:
  explicit ImagePreparer(InputGeometry geometry) : geometry_(geometry) {}

  // Fills `out` (geometry.floats() floats). On failure `*stage` names where it
  // failed ("read" or "decode") and the Status says why.
  Status Prepare(const ImageFile& file, float* out, std::string* stage);
  // The same for an image already in memory (the "decode" stage only).
  Status PrepareBytes(std::span<const uint8_t> bytes, float* out);

 private:
  Status DecodeResizePreprocess(std::span<const uint8_t> bytes, float* out);

  InputGeometry geometry_;
  std::vector<uint8_t> bytes_;
  RgbImage resized_;
};

// Reads a whole file into `bytes` (resized to fit).
Status ReadWholeFile(const std::string& path, std::vector<uint8_t>* bytes);

// A run's "read" stage: reads a listed file whole into `bytes`, refusing,
// before reading, what is not a regular file or is above `max_bytes`, and a
// file changed since it was listed (size or modification time; a listing
// without a modification time, as in single-file tools, is not compared).
Status ReadListedFile(const ImageFile& file, int64_t max_bytes, std::vector<uint8_t>* bytes);

}  // namespace imgfeat
