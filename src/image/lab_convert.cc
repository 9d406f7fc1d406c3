// The LittleCMS transform behind Pillow's LAB -> RGB conversion.
#include "image/lab_convert.h"

#include <lcms2.h>

namespace imgfeat::image {

struct LabToRgb::Transform {
  cmsHTRANSFORM handle = nullptr;
  ~Transform() {
    if (handle != nullptr) cmsDeleteTransform(handle);
  }
};

LabToRgb::LabToRgb() = default;
LabToRgb::LabToRgb(LabToRgb&&) noexcept = default;
LabToRgb& LabToRgb::operator=(LabToRgb&&) noexcept = default;
LabToRgb::~LabToRgb() = default;

Result<LabToRgb> LabToRgb::Make() {
  struct Profile {
    cmsHPROFILE handle;
    ~Profile() {
      if (handle != nullptr) cmsCloseProfile(handle);
    }
  };
  const Profile lab{cmsCreateLab2Profile(nullptr)};
  const Profile srgb{cmsCreate_sRGBProfile()};
  if (lab.handle == nullptr || srgb.handle == nullptr) {
    return Status::OutOfMemory("cannot create the L*a*b* and sRGB profiles");
  }
  // Pillow's "LAB" type: L*a*b* V2 encoding, 3 bytes and one extra.
  const cmsUInt32Number lab_type =
      COLORSPACE_SH(PT_LabV2) | CHANNELS_SH(3) | BYTES_SH(1) | EXTRA_SH(1);
  LabToRgb converter;
  converter.transform_ = std::make_unique<Transform>();
  converter.transform_->handle =
      cmsCreateTransform(lab.handle, lab_type, srgb.handle, TYPE_RGBA_8, INTENT_PERCEPTUAL, 0);
  if (converter.transform_->handle == nullptr) {
    return Status::Invalid("cannot create the L*a*b* to sRGB transform");
  }
  return converter;
}

void LabToRgb::Convert(const uint8_t* lab, int pixels, uint8_t* rgb) {
  rgba_.resize(static_cast<size_t>(pixels) * 4);
  cmsDoTransform(transform_->handle, lab, rgba_.data(), static_cast<cmsUInt32Number>(pixels));
  for (int i = 0; i < pixels; ++i) {
    rgb[3 * i + 0] = rgba_[4 * i + 0];
    rgb[3 * i + 1] = rgba_[4 * i + 1];
    rgb[3 * i + 2] = rgba_[4 * i + 2];
  }
}

}  // namespace imgfeat::image
