// CIE L*a*b* to RGB as Pillow's Image.convert("RGB") does it for "LAB"
// images: a LittleCMS transform from cmsCreateLab2Profile(NULL) (D50) to
// cmsCreate_sRGBProfile(), perceptual intent, no flags, 8-bit L, a, b with
// an unused fourth byte in, RGBA out (ImageCms.buildTransform(lab, srgb,
// "LAB", "RGB")). Not thread-safe: one per decode.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "imgfeat/status.h"

namespace imgfeat::image {

class LabToRgb {
 public:
  static Result<LabToRgb> Make();
  LabToRgb(LabToRgb&&) noexcept;
  LabToRgb& operator=(LabToRgb&&) noexcept;
  ~LabToRgb();

  // `lab`: L, a, b, pad per pixel, a and b offset by 128 (Pillow's "LAB").
  void Convert(const uint8_t* lab, int pixels, uint8_t* rgb);

 private:
  LabToRgb();
  struct Transform;
  std::unique_ptr<Transform> transform_;
  std::vector<uint8_t> rgba_;
};

}  // namespace imgfeat::image
