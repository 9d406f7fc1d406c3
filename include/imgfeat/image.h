// Decoding, resizing and preprocessing: everything that happens to an image
// before the network sees it, bit-identical to the Python pipeline
// (Pillow's Image.open(f).convert("RGB").resize(size), then the model's
// preprocess_input).
//
// Thread-safety: every function is reentrant; buffers are the caller's.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "imgfeat/status.h"

namespace imgfeat {

// 8-bit RGB pixels, rows packed top to bottom, 3 bytes per pixel (HWC).
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;
};

// Pillow's Image.MAX_IMAGE_PIXELS * 2, above which Image.open refuses an
// image (DecompressionBombError): imgfeat's default limit too.
inline constexpr int64_t kPillowMaxPixels = 178956970;

struct DecodeOptions {
  // Images with more pixels than this are refused before their pixels are
  // decoded (Pillow refuses above 2 * 89,478,485 too: DecompressionBombError).
  int64_t max_pixels = kPillowMaxPixels;
  // The size the image is resized to next, if any: then an image whose
  // resize would need more scratch memory than max_pixels allows (see
  // CheckResizeScratch) is refused from its header, before its pixels are
  // decoded.
  int resize_width = 0;
  int resize_height = 0;
};

// Decodes JPEG, PNG, WebP, TIFF, BMP or GIF (first frame) bytes into the
// pixels Pillow gives for Image.open(f).convert("RGB"). EXIF orientation is
// ignored, as Pillow's open does. Fails with Status::Invalid naming the reason
// ("truncated JPEG", "not an image", "too many pixels: ...").
Result<RgbImage> DecodeRgb(std::span<const uint8_t> bytes, const DecodeOptions& options = {});

// Pillow's Image.resize((width, height)) for RGB images with its default
// filter (bicubic, a = -0.5, antialiased when shrinking, fixed-point
// arithmetic): the same bytes. `dst` is resized as needed; reuse it across
// calls to avoid allocations.
void ResizeBicubic(const RgbImage& src, int width, int height, RgbImage* dst);

// Bytes ResizeBicubic allocates besides `dst` to resize src_width x
// src_height into width x height: Pillow's intermediate image (width x
// src_height, when both axes change) and its weight tables (about 4 per input
// pixel of each axis when shrinking). A long, thin image needs far more than
// its own pixels: 1 x 60,000,000 into 224 x 224 needs 40 GB. Callers bound
// it as they bound the decoded image.
int64_t BicubicResizeScratchBytes(int src_width, int src_height, int width, int height);
// Refuses (Status::Invalid, naming the sizes) a resize of src_width x
// src_height into width x height whose scratch memory is above 3 bytes per
// pixel of max_pixels: the budget of the decoded image itself.
Status CheckResizeScratch(int64_t src_width, int64_t src_height, int width, int height,
                          int64_t max_pixels);

// The model's preprocessing of 8-bit RGB into float32 HWC:
//   kTf    : x / 127.5 - 1            (Keras 'tf' mode: MobileNetV2, Inception)
//   kTorch : (x / 255 - mean) / std   (ImageNet mean/std, RGB)
//   kCaffe : BGR order, x - mean      (ImageNet BGR mean, no scaling)
enum class PreprocessMode { kTf, kTorch, kCaffe };

Result<PreprocessMode> ParsePreprocessMode(const std::string& name);
const char* PreprocessModeName(PreprocessMode mode);

// Writes width*height*3 floats to `out` (HWC, matching Keras' img_to_array
// followed by preprocess_input in float32).
void Preprocess(const RgbImage& image, PreprocessMode mode, float* out);

}  // namespace imgfeat
