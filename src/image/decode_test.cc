// DecodeRgb on files built here with libjpeg/libpng, on hand-made BMPs and on
// broken input: each failure must come back as a Status naming its reason.
#include <cstddef>
#include <cstdio>
#include <cstring>

// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>
#include <png.h>

#include <random>
#include <vector>

#include "imgfeat/image.h"
#include "testing/test_util.h"

namespace imgfeat {
namespace {

std::vector<uint8_t> Gradient(int width, int height, int channels) {
  std::vector<uint8_t> pixels(static_cast<size_t>(width) * height * channels);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>((i * 7) % 251);
  return pixels;
}

std::vector<uint8_t> EncodeJpeg(int width, int height, int channels) {
  std::vector<uint8_t> pixels = Gradient(width, height, channels);
  jpeg_compress_struct cinfo;
  jpeg_error_mgr err;
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = width;
  cinfo.image_height = height;
  cinfo.input_components = channels;
  cinfo.in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = pixels.data() + static_cast<size_t>(cinfo.next_scanline) * width * channels;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::vector<uint8_t> out(buffer, buffer + size);
  std::free(buffer);
  return out;
}

std::vector<uint8_t> EncodePngRgb(const std::vector<uint8_t>& pixels, int width, int height) {
  png_image image;
  std::memset(&image, 0, sizeof(image));
  image.version = PNG_IMAGE_VERSION;
  image.width = width;
  image.height = height;
  image.format = PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  EXPECT_TRUE(png_image_write_to_memory(&image, nullptr, &size, 0, pixels.data(), 0, nullptr));
  std::vector<uint8_t> out(size);
  EXPECT_TRUE(png_image_write_to_memory(&image, out.data(), &size, 0, pixels.data(), 0, nullptr));
  out.resize(size);
  return out;
}

void PutLe32(std::vector<uint8_t>* b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) (*b)[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

// A BITMAPINFOHEADER BMP, bottom-up, of `bits` 24 or 8 (with `palette`).
std::vector<uint8_t> MakeBmp(int width, int height, int bits, const std::vector<uint8_t>& rows,
                             const std::vector<uint8_t>& palette = {}) {
  const size_t offset = 14 + 40 + palette.size();
  std::vector<uint8_t> b(offset);
  b[0] = 'B';
  b[1] = 'M';
  PutLe32(&b, 10, static_cast<uint32_t>(offset));
  PutLe32(&b, 14, 40);
  PutLe32(&b, 18, width);
  PutLe32(&b, 22, height);
  b[26] = 1;
  b[28] = static_cast<uint8_t>(bits);
  PutLe32(&b, 46, static_cast<uint32_t>(palette.size() / 4));
  std::copy(palette.begin(), palette.end(), b.begin() + 54);
  b.insert(b.end(), rows.begin(), rows.end());
  return b;
}

TEST(DecodeRgb, EmptyFileIsRefused) {
  auto result = DecodeRgb({});
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("empty"), std::string::npos);
}

TEST(DecodeRgb, UnknownBytesAreNotAnImage) {
  const std::string text = "just some text, not pixels";
  auto result = DecodeRgb({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("not an image"), std::string::npos);
}

TEST(DecodeRgb, GifFirstFrameThroughItsPalette) {
  // 2x1 screen, two-entry global palette, one frame with indices 1, 0 as the
  // LZW codes clear, 1, 0, end (3 bits each).
  const std::string gif = std::string("GIF89a\x02\x00\x01\x00\x80\x00\x00", 13) +
                          "\x0A\x14\x1E\x28\x32\x3C" +
                          std::string(",\x00\x00\x00\x00\x02\x00\x01\x00\x00", 10) +
                          std::string("\x02\x02\x0C\x0A\x00;", 6);
  ASSERT_OK_AND_ASSIGN(RgbImage image,
                       DecodeRgb({reinterpret_cast<const uint8_t*>(gif.data()), gif.size()}));
  EXPECT_EQ(image.width, 2);
  EXPECT_EQ(image.height, 1);
  EXPECT_EQ(image.pixels, (std::vector<uint8_t>{40, 50, 60, 10, 20, 30}));

  auto truncated = DecodeRgb({reinterpret_cast<const uint8_t*>(gif.data()), 10});
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.status().message().find("GIF"), std::string::npos);
}

TEST(DecodeRgb, JpegHasItsSize) {
  std::vector<uint8_t> jpeg = EncodeJpeg(37, 21, 3);
  ASSERT_OK_AND_ASSIGN(RgbImage image, DecodeRgb(jpeg));
  EXPECT_EQ(image.width, 37);
  EXPECT_EQ(image.height, 21);
  EXPECT_EQ(image.pixels.size(), 37u * 21 * 3);
}

TEST(DecodeRgb, GreyJpegRepeatsItsValueInEachChannel) {
  std::vector<uint8_t> jpeg = EncodeJpeg(16, 8, 1);
  ASSERT_OK_AND_ASSIGN(RgbImage image, DecodeRgb(jpeg));
  for (size_t i = 0; i < image.pixels.size(); i += 3) {
    ASSERT_EQ(image.pixels[i], image.pixels[i + 1]);
    ASSERT_EQ(image.pixels[i], image.pixels[i + 2]);
  }
}

TEST(DecodeRgb, TruncatedJpegIsAnError) {
  std::vector<uint8_t> jpeg = EncodeJpeg(64, 64, 3);
  jpeg.resize(jpeg.size() / 2);
  auto result = DecodeRgb(jpeg);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("truncated"), std::string::npos)
      << result.status().ToString();
}

TEST(DecodeRgb, JpegHeaderOnlyIsAnError) {
  std::vector<uint8_t> jpeg = EncodeJpeg(64, 64, 3);
  jpeg.resize(20);
  EXPECT_FALSE(DecodeRgb(jpeg).ok());
}

TEST(DecodeRgb, TooManyPixelsIsRefusedBeforeDecoding) {
  DecodeOptions options;
  options.max_pixels = 100;
  for (const auto& bytes : {EncodeJpeg(11, 10, 3), EncodePngRgb(Gradient(11, 10, 3), 11, 10),
                            MakeBmp(11, 10, 24, std::vector<uint8_t>(36 * 10))}) {
    auto result = DecodeRgb(bytes, options);
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.status().message().find("too many pixels"), std::string::npos)
        << result.status().ToString();
  }
  options.max_pixels = 110;
  EXPECT_OK(DecodeRgb(EncodeJpeg(11, 10, 3), options).status());
}

TEST(DecodeRgb, PngGivesItsExactPixels) {
  std::vector<uint8_t> pixels = Gradient(13, 9, 3);
  ASSERT_OK_AND_ASSIGN(RgbImage image, DecodeRgb(EncodePngRgb(pixels, 13, 9)));
  EXPECT_EQ(image.width, 13);
  EXPECT_EQ(image.height, 9);
  EXPECT_EQ(image.pixels, pixels);
}

TEST(DecodeRgb, PngCutShortIsAnError) {
  std::vector<uint8_t> png = EncodePngRgb(Gradient(64, 64, 3), 64, 64);
  for (size_t keep : {size_t{8}, size_t{30}, png.size() / 2, png.size() - 20}) {
    std::vector<uint8_t> cut(png.begin(), png.begin() + keep);
    auto result = DecodeRgb(cut);
    ASSERT_FALSE(result.ok()) << "kept " << keep << " bytes";
    EXPECT_NE(result.status().message().find("PNG"), std::string::npos);
  }
}

TEST(DecodeRgb, Bmp24IsBgrBottomUp) {
  // 2x2: rows padded to 8 bytes, stored bottom row first, BGR.
  std::vector<uint8_t> rows = {1, 2, 3, 4,  5,  6,  0, 0,  // bottom row
                               7, 8, 9, 10, 11, 12, 0, 0};
  ASSERT_OK_AND_ASSIGN(RgbImage image, DecodeRgb(MakeBmp(2, 2, 24, rows)));
  std::vector<uint8_t> expected = {9, 8, 7, 12, 11, 10, 3, 2, 1, 6, 5, 4};
  EXPECT_EQ(image.pixels, expected);
}

TEST(DecodeRgb, Bmp8LooksUpItsPalette) {
  std::vector<uint8_t> palette = {10, 20, 30, 0, 40, 50, 60, 0};  // BGRX entries
  std::vector<uint8_t> rows = {1, 0, 0, 0};                       // one row of 1 pixel
  ASSERT_OK_AND_ASSIGN(RgbImage image, DecodeRgb(MakeBmp(1, 1, 8, rows, palette)));
  EXPECT_EQ(image.pixels, (std::vector<uint8_t>{60, 50, 40}));
}

TEST(DecodeRgb, TruncatedBmpIsAnError) {
  auto bmp = MakeBmp(4, 4, 24, std::vector<uint8_t>(12 * 3));
  auto result = DecodeRgb(bmp);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("truncated"), std::string::npos);
}

TEST(DecodeRgb, CorruptedFilesFailCleanly) {
  // Flipped bytes must give a Status or an image, never a crash or a leak
  // (this test is also run under AddressSanitizer).
  std::mt19937 random(42);
  std::vector<std::vector<uint8_t>> files = {EncodeJpeg(40, 30, 3),
                                             EncodePngRgb(Gradient(40, 30, 3), 40, 30)};
  for (const auto& original : files) {
    for (int trial = 0; trial < 200; ++trial) {
      std::vector<uint8_t> bytes = original;
      for (int flips = 0; flips < 4; ++flips) {
        bytes[random() % bytes.size()] = static_cast<uint8_t>(random());
      }
      auto result = DecodeRgb(bytes);
      if (result.ok()) {
        EXPECT_EQ(result->pixels.size(), static_cast<size_t>(result->width) * result->height * 3);
      }
    }
  }
}

}  // namespace
}  // namespace imgfeat
