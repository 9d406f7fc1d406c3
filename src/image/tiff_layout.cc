// Pillow's TIFF modes (TiffImagePlugin.OPEN_INFO, TiffDecode.c): which mode a
// page opens in, or why Pillow refuses it.
#include "image/tiff_layout.h"

#include <algorithm>
#include <cstring>
#include <initializer_list>

namespace imgfeat::image {
namespace {

struct Tags {
  uint16_t bits = 1, samples = 1, sample_format = SAMPLEFORMAT_UINT, fill = FILLORDER_MSB2LSB;
  uint16_t planar = PLANARCONFIG_CONTIG, compression = COMPRESSION_NONE, photometric = 0;
  uint16_t extra_count = 0;
  uint16_t* extra = nullptr;
  bool big_endian = false;

  bool ExtrasAre(std::initializer_list<uint16_t> want) const {
    return extra_count == want.size() && std::equal(want.begin(), want.end(), extra);
  }
};

Status Unknown(const Tags& t) {
  return Status::NotImplemented(
      "unsupported TIFF (Pillow: unknown pixel mode): photometric ", t.photometric, ", ", t.samples,
      " samples of ", t.bits, " bits, sample format ", t.sample_format, ", ", t.extra_count,
      " extra samples", t.fill == FILLORDER_LSB2MSB ? ", fill order 2" : "");
}

Result<TiffRow> GreyRow(const Tags& t, bool* inverted) {
  const bool white_is_zero = t.photometric == PHOTOMETRIC_MINISWHITE;
  const bool uint = t.sample_format == SAMPLEFORMAT_UINT;
  const bool reversed = t.fill == FILLORDER_LSB2MSB;
  if (t.samples == 2 && t.bits == 8 && uint && !white_is_zero && !reversed && t.ExtrasAre({2})) {
    return TiffRow::kGray8;  // "LA"
  }
  if (t.samples != 1 || t.extra_count != 0) return Unknown(t);
  if (uint && (t.bits == 1 || t.bits == 2 || t.bits == 4 || t.bits == 8)) {
    *inverted = white_is_zero;
    return t.bits == 1   ? TiffRow::kBilevel
           : t.bits == 2 ? TiffRow::kGray2
           : t.bits == 4 ? TiffRow::kGray4
                         : TiffRow::kGray8;
  }
  const bool little = !t.big_endian;
  if (reversed) {  // only "I;16R" among the wider modes
    if (t.bits == 16 && uint && !white_is_zero && little) return TiffRow::kGray16;
    return Unknown(t);
  }
  // Pillow never inverts these, min-is-white or not.
  if (t.bits == 8 && t.sample_format == SAMPLEFORMAT_INT && !white_is_zero) return TiffRow::kGray8;
  if (t.bits == 12 && uint && !white_is_zero && little) return TiffRow::kGray12;
  if (t.bits == 16 && uint && (little || !white_is_zero)) return TiffRow::kGray16;
  if (t.bits == 16 && t.sample_format == SAMPLEFORMAT_INT && !white_is_zero) {
    return TiffRow::kSigned16;
  }
  if (t.bits == 32 && t.sample_format == SAMPLEFORMAT_IEEEFP) return TiffRow::kFloat32;
  if (t.bits == 32 && uint && !white_is_zero && little) return TiffRow::kUnsigned32;
  if (t.bits == 32 && t.sample_format == SAMPLEFORMAT_INT && !white_is_zero) {
    return TiffRow::kSigned32;
  }
  return Unknown(t);
}

Result<TiffRow> RgbRow(const Tags& t) {
  if (t.sample_format != SAMPLEFORMAT_UINT) return Unknown(t);
  if (t.fill == FILLORDER_LSB2MSB) {
    if (t.bits == 8 && t.samples == 3 && t.extra_count == 0) return TiffRow::kRgb8;
    return Unknown(t);
  }
  if (t.bits == 8) {
    if (t.samples == 3 && t.extra_count == 0) return TiffRow::kRgb8;
    if (t.samples == 4 && (t.extra_count == 0 || t.ExtrasAre({0}) || t.ExtrasAre({2}))) {
      return TiffRow::kRgb8;
    }
    if (t.samples == 4 && t.ExtrasAre({1})) return TiffRow::kRgb8Premultiplied;
    if (t.samples == 5 && (t.ExtrasAre({0, 0}) || t.ExtrasAre({2, 0}))) return TiffRow::kRgb8;
    if (t.samples == 5 && t.ExtrasAre({1, 0})) return TiffRow::kRgb8Premultiplied;
    if (t.samples == 6 && (t.ExtrasAre({0, 0, 0}) || t.ExtrasAre({2, 0, 0}))) {
      return TiffRow::kRgb8;
    }
    if (t.samples == 6 && t.ExtrasAre({1, 0, 0})) return TiffRow::kRgb8Premultiplied;
  }
  if (t.bits == 16) {
    if (t.samples == 3 && t.extra_count == 0) return TiffRow::kRgb16;
    if (t.samples == 4 && (t.extra_count == 0 || t.ExtrasAre({0}) || t.ExtrasAre({2}))) {
      return TiffRow::kRgb16;
    }
    if (t.samples == 4 && t.ExtrasAre({1})) return TiffRow::kRgb16Premultiplied;
  }
  return Unknown(t);
}

}  // namespace

namespace {

// Pillow reads uncompressed planes without libtiff, each with the one-band
// unpacker named by one character of the raw mode ("R", "G", "B" of "RGB"):
// only RGB, RGBA and CMYK planes have one for every character.
Status CheckRawPlanes(const Tags& t, TiffRow row) {
  if (t.bits == 16) {
    // "R" of "RGB;16L": 8-bit unpackers over 16-bit samples, not the picture.
    return Status::NotImplemented(
        "unsupported TIFF: uncompressed planes of 16-bit samples (Pillow unpacks them as 8-bit)");
  }
  const bool rgb =
      row == TiffRow::kRgb8 && (t.samples == 3 || (t.samples == 4 && !t.ExtrasAre({0})));
  const bool cmyk = row == TiffRow::kCmyk8 && t.samples == 4;
  if (rgb || cmyk || row == TiffRow::kLab) return Status::OK();
  return Status::NotImplemented(
      "unsupported TIFF: uncompressed planes of this mode (Pillow: unknown raw mode for given "
      "image mode)");
}

Result<TiffLayout> ClassifyTags(const Tags& t) {
  TiffLayout layout;
  layout.bits = t.bits;
  layout.samples = t.samples;
  layout.planar = t.planar == PLANARCONFIG_SEPARATE && t.samples > 1;
  if (layout.planar && t.bits != 8 && t.bits != 16) {
    return Status::Invalid("bad TIFF: planes of ", t.bits, "-bit samples");
  }
  switch (t.photometric) {
    case PHOTOMETRIC_MINISWHITE:
    case PHOTOMETRIC_MINISBLACK: {
      ARROW_ASSIGN_OR_RAISE(layout.row, GreyRow(t, &layout.inverted));
      return layout;
    }
    case PHOTOMETRIC_RGB: {
      ARROW_ASSIGN_OR_RAISE(layout.row, RgbRow(t));
      return layout;
    }
    case PHOTOMETRIC_PALETTE: {
      const bool uint = t.sample_format == SAMPLEFORMAT_UINT;
      if (uint && t.samples == 1 && t.extra_count == 0 &&
          (t.bits == 1 || t.bits == 2 || t.bits == 4 || t.bits == 8)) {
        layout.row = TiffRow::kPalette;  // "P;1" .. "P", fill order 2 too
        return layout;
      }
      if (uint && t.samples == 2 && t.bits == 8 && t.fill == FILLORDER_MSB2LSB &&
          (t.ExtrasAre({0}) || t.ExtrasAre({2}))) {
        layout.row = TiffRow::kPalette;  // "PX", "PA": the alpha is dropped
        return layout;
      }
      return Unknown(t);
    }
    case PHOTOMETRIC_SEPARATED: {
      const bool plain = t.sample_format == SAMPLEFORMAT_UINT && t.fill == FILLORDER_MSB2LSB;
      if (plain && t.bits == 8 &&
          ((t.samples == 4 && t.extra_count == 0) || (t.samples == 5 && t.ExtrasAre({0})) ||
           (t.samples == 6 && t.ExtrasAre({0, 0})))) {
        layout.row = TiffRow::kCmyk8;
        return layout;
      }
      if (plain && t.bits == 16 && t.samples == 4 && t.extra_count == 0) {
        layout.row = TiffRow::kCmyk16;
        return layout;
      }
      return Unknown(t);
    }
    case PHOTOMETRIC_YCBCR: {
      if (t.sample_format != SAMPLEFORMAT_UINT || t.fill != FILLORDER_MSB2LSB || t.bits != 8 ||
          t.samples != 3 || t.extra_count != 0) {
        return Status::NotImplemented("unsupported TIFF: YCbCr with ", t.samples, " samples of ",
                                      t.bits,
                                      " bits (Pillow reads only 3 samples of 8 bits as RGB)");
      }
      if (t.compression == COMPRESSION_NONE) {
        // Pillow's raw decoder reads these bytes as 4-byte RGBX pixels: no
        // colour conversion, no subsampling; those are not the picture.
        return Status::NotImplemented(
            "unsupported TIFF: uncompressed YCbCr (Pillow reads its bytes as RGBX pixels)");
      }
      if (t.compression == COMPRESSION_JPEG && !layout.planar) {
        layout.jpeg_rgb = true;
        layout.row = TiffRow::kRgb8;
        return layout;
      }
      layout.row = TiffRow::kRgbaRaster;
      return layout;
    }
    case PHOTOMETRIC_CIELAB:
      if (t.sample_format != SAMPLEFORMAT_UINT || t.fill != FILLORDER_MSB2LSB || t.bits != 8 ||
          t.samples != 3 || t.extra_count != 0) {
        return Unknown(t);
      }
      layout.row = TiffRow::kLab;
      return layout;
    default:
      return Unknown(t);
  }
}

}  // namespace

Result<TiffLayout> ClassifyTiff(TIFF* tiff) {
  Tags t;
  TIFFGetFieldDefaulted(tiff, TIFFTAG_BITSPERSAMPLE, &t.bits);
  TIFFGetFieldDefaulted(tiff, TIFFTAG_SAMPLESPERPIXEL, &t.samples);
  TIFFGetFieldDefaulted(tiff, TIFFTAG_SAMPLEFORMAT, &t.sample_format);
  TIFFGetFieldDefaulted(tiff, TIFFTAG_FILLORDER, &t.fill);
  TIFFGetFieldDefaulted(tiff, TIFFTAG_PLANARCONFIG, &t.planar);
  TIFFGetFieldDefaulted(tiff, TIFFTAG_COMPRESSION, &t.compression);
  TIFFGetField(tiff, TIFFTAG_PHOTOMETRIC, &t.photometric);  // Pillow's default: 0
  TIFFGetField(tiff, TIFFTAG_EXTRASAMPLES, &t.extra_count, &t.extra);
  t.big_endian = TIFFIsBigEndian(tiff) != 0;
  // Old-style JPEG is YCbCr to Pillow whatever the tag says.
  if (t.compression == COMPRESSION_OJPEG) t.photometric = PHOTOMETRIC_YCBCR;
  if (t.samples > 1 && t.sample_format != SAMPLEFORMAT_UINT) return Unknown(t);
  ARROW_ASSIGN_OR_RAISE(TiffLayout layout, ClassifyTags(t));
  if (layout.planar && t.compression == COMPRESSION_NONE) {
    ARROW_RETURN_NOT_OK(CheckRawPlanes(t, layout.row));
  }
  return layout;
}

}  // namespace imgfeat::image
