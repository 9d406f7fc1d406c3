// The check a converted MobileNetV2 must pass before it is used: Keras
// publishes no checksum for its weight file, so the converted model is run on
// a fixed synthetic image and its features are compared with values recorded
// from the reference ONNX model (scripts/record_mobilenet_v2_check.py).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "imgfeat/status.h"

namespace imgfeat::model {

inline constexpr int kCheckImageSize = 224;
inline constexpr double kCheckTolerance = 1e-3;

// The synthetic input, NHWC [1,224,224,3] in [-1, 1]: a ramp over rows,
// columns and channels with a slowly growing ripple, all in integers so that
// Python and C++ give the same float32 bits.
std::vector<float> CheckInput();

// Compares `features` (7*7*1280 floats for CheckInput()) with the recorded
// values; OK, or Invalid with the largest difference and where it is.
Status CompareWithRecorded(const std::vector<float>& features);

// Whether CheckInput() is still the recipe the values were recorded for.
Status CheckInputRecipe();

}  // namespace imgfeat::model
