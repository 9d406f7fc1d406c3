#include "report/thumbnails.h"

#include <jpeglib.h>

#include <algorithm>
#include <csetjmp>
#include <fstream>
#include <iterator>

#include "imgfeat/path_text.h"

namespace imgfeat::report {
namespace {

struct JpegError {
  jpeg_error_mgr manager;
  std::jmp_buf jump;
};

void OnJpegError(j_common_ptr info) {
  std::longjmp(reinterpret_cast<JpegError*>(info->err)->jump, 1);
}

// Fills the compressor's output buffer; plain C state only, so that the
// longjmp of an error skips no destructor.
struct JpegOutput {
  unsigned char* data = nullptr;
  unsigned long size = 0;
};

bool Compress(const RgbImage& image, int quality, JpegOutput* out) {
  jpeg_compress_struct info;
  JpegError error;
  info.err = jpeg_std_error(&error.manager);
  error.manager.error_exit = OnJpegError;
  if (setjmp(error.jump)) {
    jpeg_destroy_compress(&info);
    return false;
  }
  jpeg_create_compress(&info);
  jpeg_mem_dest(&info, &out->data, &out->size);
  info.image_width = static_cast<JDIMENSION>(image.width);
  info.image_height = static_cast<JDIMENSION>(image.height);
  info.input_components = 3;
  info.in_color_space = JCS_RGB;
  jpeg_set_defaults(&info);
  jpeg_set_quality(&info, quality, TRUE);
  jpeg_start_compress(&info, TRUE);
  while (info.next_scanline < info.image_height) {
    JSAMPROW row = const_cast<JSAMPROW>(image.pixels.data() +
                                        static_cast<size_t>(info.next_scanline) * image.width * 3);
    jpeg_write_scanlines(&info, &row, 1);
  }
  jpeg_finish_compress(&info);
  jpeg_destroy_compress(&info);
  return true;
}

}  // namespace

Result<std::vector<uint8_t>> EncodeJpeg(const RgbImage& image, int quality) {
  if (image.width <= 0 || image.height <= 0) return Status::Invalid("empty image");
  JpegOutput out;
  const bool ok = Compress(image, quality, &out);
  std::vector<uint8_t> bytes(out.data, out.data + (ok ? out.size : 0));
  std::free(out.data);
  if (!ok) return Status::Invalid("JPEG encoding failed");
  return bytes;
}

std::string Base64(const std::vector<uint8_t>& bytes) {
  static constexpr char kDigits[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string text;
  text.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const uint32_t b0 = bytes[i], b1 = i + 1 < bytes.size() ? bytes[i + 1] : 0,
                   b2 = i + 2 < bytes.size() ? bytes[i + 2] : 0;
    const uint32_t triple = (b0 << 16) | (b1 << 8) | b2;
    text += kDigits[(triple >> 18) & 63];
    text += kDigits[(triple >> 12) & 63];
    text += i + 1 < bytes.size() ? kDigits[(triple >> 6) & 63] : '=';
    text += i + 2 < bytes.size() ? kDigits[triple & 63] : '=';
  }
  return text;
}

std::string ShortName(const std::string& path) {
  const size_t last = path.find_last_of('/');
  if (last == std::string::npos || last == 0) return path;
  const size_t before = path.find_last_of('/', last - 1);
  return before == std::string::npos ? path : path.substr(before + 1);
}

Result<std::string> ThumbnailDataUri(const std::string& path, int size) {
  ARROW_ASSIGN_OR_RAISE(std::string local, PathFromText(path));
  std::ifstream file(local, std::ios::binary);
  if (!file) return Status::IOError("cannot open '", path, "'");
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)),
                             std::istreambuf_iterator<char>());
  auto image = DecodeRgb(bytes);
  if (!image.ok()) return Status::Invalid("'", path, "': ", image.status().message());
  const double scale = static_cast<double>(size) / std::max(image->width, image->height);
  RgbImage small;
  ResizeBicubic(*image, std::max(1, static_cast<int>(image->width * scale + 0.5)),
                std::max(1, static_cast<int>(image->height * scale + 0.5)), &small);
  ARROW_ASSIGN_OR_RAISE(auto jpeg, EncodeJpeg(small, 80));
  return "data:image/jpeg;base64," + Base64(jpeg);
}

}  // namespace imgfeat::report
