// JPEG through libjpeg(-turbo)'s libjpeg API with Pillow's settings: default
// ISLOW DCT and fancy upsampling, libjpeg's own colour-space detection, RGB,
// grey or CMYK output (Pillow's JpegDecode.c and JpegImagePlugin.py).
//
// libjpeg reports errors by calling error_exit, which must not return: it
// longjmps back to a setjmp. Every libjpeg call therefore runs inside one of
// the small Run* functions below, whose frames hold no object with a
// destructor, so the jump never skips C++ clean-up.
#include <csetjmp>
#include <cstdio>
#include <cstring>

// jpeglib.h needs size_t and FILE declared first.
#include <jerror.h>
#include <jpeglib.h>

#include "image/decoders.h"
#include "image/message_text.h"
#include "image/pixel_convert.h"

namespace imgfeat::image {
namespace {

struct JpegErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  // Past the last row a missing end marker is harmless: Pillow has all its
  // rows by then and stops reading.
  bool reading_end = false;
  char message[JMSG_LENGTH_MAX] = {};
};

[[noreturn]] void OnJpegError(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

// libjpeg only warns when the data stops early and fills the rest of the image
// with grey; Pillow raises "image file is truncated" instead, so that warning
// becomes an error. Other warnings (corrupt data it can skip) stay silent, as
// in Pillow.
void OnJpegMessage(j_common_ptr cinfo, int level) {
  auto* err = reinterpret_cast<JpegErrorManager*>(cinfo->err);
  if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF && !err->reading_end) {
    std::snprintf(err->message, sizeof(err->message), "truncated JPEG (image file is truncated)");
    std::longjmp(err->jump, 1);
  }
}

struct JpegDecoder {
  jpeg_decompress_struct cinfo;
  JpegErrorManager err;
  bool created = false;
};

bool RunCreate(JpegDecoder* d, std::span<const uint8_t> bytes) {
  d->cinfo.err = jpeg_std_error(&d->err.pub);
  d->err.pub.error_exit = OnJpegError;
  d->err.pub.emit_message = OnJpegMessage;
  if (setjmp(d->err.jump)) return false;
  jpeg_create_decompress(&d->cinfo);
  d->created = true;
  jpeg_mem_src(&d->cinfo, bytes.data(), static_cast<unsigned long>(bytes.size()));
  return true;
}

bool RunReadHeader(JpegDecoder* d) {
  if (setjmp(d->err.jump)) return false;
  jpeg_read_header(&d->cinfo, TRUE);
  return true;
}

// Decodes every row into `out` (width * 3 bytes a row), through `row_buffer`
// (width * components bytes) when the output is not already RGB.
bool RunDecodeRows(JpegDecoder* d, uint8_t* out, uint8_t* row_buffer) {
  if (setjmp(d->err.jump)) return false;
  jpeg_decompress_struct* cinfo = &d->cinfo;
  jpeg_start_decompress(cinfo);
  const int width = static_cast<int>(cinfo->output_width);
  while (cinfo->output_scanline < cinfo->output_height) {
    uint8_t* rgb_row = out + static_cast<size_t>(cinfo->output_scanline) * width * 3;
    JSAMPROW row = cinfo->out_color_space == JCS_RGB ? rgb_row : row_buffer;
    if (jpeg_read_scanlines(cinfo, &row, 1) != 1) {
      std::snprintf(d->err.message, sizeof(d->err.message), "truncated JPEG");
      return false;
    }
    if (cinfo->out_color_space == JCS_GRAYSCALE) {
      GrayToRgb(row_buffer, width, 1, rgb_row);
    } else if (cinfo->out_color_space == JCS_CMYK) {
      InvertedCmykToRgb(row_buffer, width, rgb_row);
    }
  }
  d->err.reading_end = true;
  jpeg_finish_decompress(cinfo);
  return true;
}

}  // namespace

Result<RgbImage> DecodeJpeg(std::span<const uint8_t> bytes, const DecodeOptions& options) {
  JpegDecoder decoder;
  struct Destroyer {
    JpegDecoder* d;
    ~Destroyer() {
      if (d->created) jpeg_destroy_decompress(&d->cinfo);
    }
  } destroyer{&decoder};

  if (!RunCreate(&decoder, bytes) || !RunReadHeader(&decoder)) {
    return Status::Invalid("bad JPEG: ", PrintableOneLine(decoder.err.message));
  }
  jpeg_decompress_struct& cinfo = decoder.cinfo;
  ARROW_RETURN_NOT_OK(CheckImageSize(cinfo.image_width, cinfo.image_height, options));
  // Pillow's JPEG modes: 1 layer is L, 3 are RGB, 4 are CMYK (Adobe
  // polarity, "CMYK;I"); it refuses any other count.
  switch (cinfo.num_components) {
    case 1:
      cinfo.out_color_space = JCS_GRAYSCALE;
      break;
    case 3:
      cinfo.out_color_space = JCS_RGB;
      break;
    case 4:
      cinfo.out_color_space = JCS_CMYK;
      break;
    default:
      return Status::Invalid("bad JPEG: cannot handle ", cinfo.num_components, "-layer images");
  }

  RgbImage image;
  AllocateRgb(static_cast<int>(cinfo.image_width), static_cast<int>(cinfo.image_height), &image);
  std::vector<uint8_t> row_buffer(static_cast<size_t>(cinfo.image_width) * cinfo.num_components);
  if (!RunDecodeRows(&decoder, image.pixels.data(), row_buffer.data())) {
    return Status::Invalid("bad JPEG: ", PrintableOneLine(decoder.err.message));
  }
  return image;
}

}  // namespace imgfeat::image
