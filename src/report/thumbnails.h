// Small JPEG thumbnails of the images an output was made from, as data URIs
// for the report's hover. The images are read from the paths in the output;
// one that has moved or no longer decodes gives an error (the page then
// shows the file name alone). Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "imgfeat/image.h"
#include "imgfeat/status.h"

namespace imgfeat::report {

// "data:image/jpeg;base64,..." of the image at `path` (a path column's text,
// imgfeat/path_text.h), fitted in size x size.
Result<std::string> ThumbnailDataUri(const std::string& path, int size);

// The name an image is shown with: the last two components of its path
// ("apple/r_12_100.jpg").
std::string ShortName(const std::string& path);

// JPEG bytes of an RGB image (for tests).
Result<std::vector<uint8_t>> EncodeJpeg(const RgbImage& image, int quality);
std::string Base64(const std::vector<uint8_t>& bytes);

}  // namespace imgfeat::report
