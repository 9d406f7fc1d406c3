// The pieces behind the decoders that Pillow's quirks live in: BMP RLE,
// the PNG chunk rules, the Orientation transposes and the TIFF row
// arithmetic, on hand-made input with hand-worked answers.
#include <zlib.h>

#include <cstring>
#include <string>
#include <vector>

#include "image/bmp_rle.h"
#include "image/gif_lzw_check.h"
#include "image/message_text.h"
#include "image/pixel_convert.h"
#include "image/png_chunks.h"
#include "image/tiff_layout.h"
#include "testing/test_util.h"

namespace imgfeat::image {
namespace {

std::vector<uint8_t> Bytes(std::initializer_list<int> values) {
  std::vector<uint8_t> out;
  for (int v : values) out.push_back(static_cast<uint8_t>(v));
  return out;
}

TEST(BmpRle, RunsAbsoluteRunsAndEndOfLine) {
  // Row 0: run of 2 x 7, absolute 3 (5, 6, 9) + pad, end of line (pads the
  // row with 0); row 1: run of 4 x 1, end of line, end of bitmap.
  const auto data = Bytes({2, 7, 0, 3, 5, 6, 9, 0, 0, 0, 4, 1, 0, 0, 0, 1});
  ASSERT_OK_AND_ASSIGN(auto indices, DecodeBmpRle(data, 0, 6, 2, false));
  EXPECT_EQ(indices, Bytes({7, 7, 5, 6, 9, 0, 1, 1, 1, 1, 0, 0}));
}

TEST(BmpRle, DeltaReadsFourBytesLikePillow) {
  // 0, 2 then (9, 9) skipped, then (1, 0): one pixel right.
  const auto data = Bytes({1, 3, 0, 2, 9, 9, 1, 0, 1, 4, 0, 1});
  ASSERT_OK_AND_ASSIGN(auto indices, DecodeBmpRle(data, 0, 3, 1, false));
  EXPECT_EQ(indices, Bytes({3, 0, 4}));
}

TEST(BmpRle, OddRle4AbsoluteRunReadsOneByteShort) {
  // An absolute run of 3 nibbles reads 3 / 2 = 1 byte (0xAB) but counts 3
  // pixels, so the run of 2 that follows is clipped to 1 (0xC); the end of
  // line pads the row.
  const auto data = Bytes({0, 3, 0xAB, 0, 2, 0xCD, 0, 0, 0, 1});
  ASSERT_OK_AND_ASSIGN(auto indices, DecodeBmpRle(data, 0, 4, 1, true));
  EXPECT_EQ(indices, Bytes({0xA, 0xB, 0xC, 0}));
}

TEST(BmpRle, EndingBeforeTheLastPixelFails) {
  const auto data = Bytes({2, 7, 0, 1});
  auto result = DecodeBmpRle(data, 0, 4, 2, false);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.status().message().find("RLE"), std::string::npos);
}

std::vector<uint8_t> Chunk(const std::string& type, const std::string& data) {
  std::vector<uint8_t> out;
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<uint8_t>(data.size() >> shift));
  }
  for (char c : type + data) out.push_back(static_cast<uint8_t>(c));
  uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(type.data()), 4);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data()), static_cast<uInt>(data.size()));
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(crc >> shift));
  return out;
}

std::vector<uint8_t> Png(std::initializer_list<std::vector<uint8_t>> chunks) {
  std::vector<uint8_t> out = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  for (const auto& chunk : chunks) out.insert(out.end(), chunk.begin(), chunk.end());
  return out;
}

TEST(PngChunks, ChecksumsCountOnlyBeforeTheImageData) {
  auto text = Chunk("tEXt", std::string("k\0v", 3));
  text.back() ^= 1;
  EXPECT_FALSE(CheckPngChunks(Png({Chunk("IHDR", "0123456789abc"), text})).ok());
  EXPECT_OK(CheckPngChunks(Png({Chunk("IHDR", "0123456789abc"), Chunk("IDAT", "x"), text})));
}

TEST(PngChunks, CompressedTextPastOneMebibyteFails) {
  const std::string text((1 << 20) + 1, 'a');
  std::string packed(compressBound(text.size()), '\0');
  uLongf size = packed.size();
  ASSERT_EQ(compress(reinterpret_cast<Bytef*>(packed.data()), &size,
                     reinterpret_cast<const Bytef*>(text.data()), text.size()),
            Z_OK);
  packed.resize(size);
  const auto png = Png({Chunk("zTXt", std::string("k\0\0", 3) + packed)});
  const Status status = CheckPngChunks(png);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("MAX_TEXT_CHUNK"), std::string::npos);
}

TEST(PngChunks, CutOffChunkFailsUnlessItIsImageData) {
  auto png = Png({Chunk("IDAT", "pixels"), Chunk("tEXt", std::string("k\0value", 7))});
  png.resize(png.size() - 6);
  EXPECT_FALSE(CheckPngChunks(png).ok());
  auto cut_data = Png({Chunk("IDAT", "pixels")});
  cut_data.resize(cut_data.size() - 6);
  EXPECT_OK(CheckPngChunks(cut_data));
}

// Packs 3-bit LZW codes (minimum code size 2: clear 4, end 5) into one
// sub-block.
std::vector<uint8_t> Codes3(std::initializer_list<int> codes) {
  uint32_t bits = 0;
  int count = 0;
  std::vector<uint8_t> data;
  for (int code : codes) {
    bits |= static_cast<uint32_t>(code) << count;
    count += 3;
    while (count >= 8) {
      data.push_back(static_cast<uint8_t>(bits));
      bits >>= 8;
      count -= 8;
    }
  }
  if (count > 0) data.push_back(static_cast<uint8_t>(bits));
  data.insert(data.begin(), static_cast<uint8_t>(data.size()));
  data.push_back(0);
  return data;
}

TEST(GifLzw, CodesPillowCallsBrokenFail) {
  EXPECT_OK(CheckGifLzw(Codes3({4, 1, 6, 1, 5}), 2, 4));          // 6 == next: allowed
  EXPECT_FALSE(CheckGifLzw(Codes3({4, 1, 7, 1, 5}), 2, 4).ok());  // 7 > next
  EXPECT_FALSE(CheckGifLzw(Codes3({4, 6, 1, 5}), 2, 2).ok());     // not a literal after clear
  // Past the last pixel nothing is checked.
  EXPECT_OK(CheckGifLzw(Codes3({4, 1, 1, 7, 5}), 2, 2));
}

RgbImage Numbered(int width, int height) {
  RgbImage image;
  image.width = width;
  image.height = height;
  for (int i = 0; i < width * height; ++i) {
    for (int c = 0; c < 3; ++c) image.pixels.push_back(static_cast<uint8_t>(i));
  }
  return image;
}

std::vector<int> Firsts(const RgbImage& image) {
  std::vector<int> out;
  for (size_t i = 0; i < image.pixels.size(); i += 3) out.push_back(image.pixels[i]);
  return out;
}

TEST(ApplyOrientation, RotationsAndFlipsOfATwoByThree) {
  // 0 1 2
  // 3 4 5
  const std::vector<std::pair<int, std::vector<int>>> cases = {
      {1, {0, 1, 2, 3, 4, 5}}, {2, {2, 1, 0, 5, 4, 3}}, {3, {5, 4, 3, 2, 1, 0}},
      {4, {3, 4, 5, 0, 1, 2}}, {5, {0, 3, 1, 4, 2, 5}}, {6, {3, 0, 4, 1, 5, 2}},
      {7, {5, 2, 4, 1, 3, 0}}, {8, {2, 5, 1, 4, 0, 3}}};
  for (const auto& [orientation, expected] : cases) {
    RgbImage image = Numbered(3, 2);
    ApplyOrientation(orientation, &image);
    EXPECT_EQ(Firsts(image), expected) << "orientation " << orientation;
    EXPECT_EQ(image.width, orientation >= 5 ? 2 : 3);
  }
}

TEST(TiffRowToRgb, WideGreyClipsAndFloatTruncates) {
  TiffLayout layout;
  Palette palette;
  uint8_t scratch[16], rgb[12];
  const uint16_t wide[] = {0, 255, 256, 65535};
  layout.row = TiffRow::kGray16;
  TiffRowToRgb(reinterpret_cast<const uint8_t*>(wide), 4, layout, palette, scratch, rgb);
  EXPECT_EQ(std::vector<uint8_t>(rgb, rgb + 12),
            std::vector<uint8_t>({0, 0, 0, 255, 255, 255, 255, 255, 255, 255, 255, 255}));
  const float floats[] = {-1.0f, 1.99f, 254.9f, 1e9f};
  layout.row = TiffRow::kFloat32;
  TiffRowToRgb(reinterpret_cast<const uint8_t*>(floats), 4, layout, palette, scratch, rgb);
  EXPECT_EQ(rgb[0], 0);
  EXPECT_EQ(rgb[3], 1);
  EXPECT_EQ(rgb[6], 254);
  EXPECT_EQ(rgb[9], 255);
  const int32_t ints[] = {-7, 7, 300, 2147483647};
  layout.row = TiffRow::kSigned32;
  TiffRowToRgb(reinterpret_cast<const uint8_t*>(ints), 4, layout, palette, scratch, rgb);
  EXPECT_EQ(rgb[0], 0);
  EXPECT_EQ(rgb[3], 7);
  EXPECT_EQ(rgb[6], 255);
  EXPECT_EQ(rgb[9], 255);
}

}  // namespace
}  // namespace imgfeat::image

TEST(PrintableOneLine, JoinsLinesAndEscapesBytes) {
  using imgfeat::image::PrintableOneLine;
  EXPECT_EQ(PrintableOneLine("Tag InkNames:\n  Value 1 of NumberOfInks"),
            "Tag InkNames: Value 1 of NumberOfInks");
  EXPECT_EQ(PrintableOneLine("\nno leading or trailing break\r\n"), "no leading or trailing break");
  EXPECT_EQ(PrintableOneLine("tab\tand  two spaces"), "tab and  two spaces");
  EXPECT_EQ(PrintableOneLine(std::string("chunk \x01\xff\x7f", 9)), "chunk \\x01\\xff\\x7f");
  EXPECT_EQ(PrintableOneLine(""), "");
}
