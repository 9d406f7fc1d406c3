// WebP through libwebp's animation decoder with its default options (RGBA
// canvas, no premultiplication): the decoder Pillow's WebPImagePlugin uses,
// so still, alpha and animated files give Pillow's first frame. RGBA -> RGB
// drops alpha.
#include <webp/decode.h>
#include <webp/demux.h>

#include <memory>

#include "image/decoders.h"
#include "image/pixel_convert.h"

namespace imgfeat::image {
namespace {

struct AnimDecoderDeleter {
  void operator()(WebPAnimDecoder* decoder) const { WebPAnimDecoderDelete(decoder); }
};

}  // namespace

Result<RgbImage> DecodeWebp(std::span<const uint8_t> bytes, const DecodeOptions& options) {
  WebPBitstreamFeatures features;
  VP8StatusCode status = WebPGetFeatures(bytes.data(), bytes.size(), &features);
  if (status == VP8_STATUS_NOT_ENOUGH_DATA) return Status::Invalid("bad WebP: truncated WebP");
  if (status != VP8_STATUS_OK) return Status::Invalid("bad WebP: unreadable header");
  ARROW_RETURN_NOT_OK(CheckImageSize(features.width, features.height, options));

  WebPData data{bytes.data(), bytes.size()};
  std::unique_ptr<WebPAnimDecoder, AnimDecoderDeleter> decoder(WebPAnimDecoderNew(&data, nullptr));
  WebPAnimInfo info;
  if (!decoder || !WebPAnimDecoderGetInfo(decoder.get(), &info)) {
    return Status::Invalid("bad WebP: could not create decoder object");
  }
  ARROW_RETURN_NOT_OK(CheckImageSize(info.canvas_width, info.canvas_height, options));
  uint8_t* canvas = nullptr;
  int timestamp = 0;
  if (!WebPAnimDecoderGetNext(decoder.get(), &canvas, &timestamp)) {
    return Status::Invalid("bad WebP: failed to read next frame");
  }
  RgbImage image;
  AllocateRgb(static_cast<int>(info.canvas_width), static_cast<int>(info.canvas_height), &image);
  DropExtraChannels(canvas, image.width * image.height, 4, image.pixels.data());
  return image;
}

}  // namespace imgfeat::image
