// Keras' MobileNetV2 (alpha 1.0, include_top=False) as an ONNX graph, made
// from the layer weights of Keras' own weight file: the graph imgfeat's
// engines run for "mobilenet_v2" (input `input` [N,H,W,3] preprocessed to
// [-1, 1], output `features` [N,H/32,W/32,1280] in Keras' order).
#pragma once

#include "imgfeat/status.h"
#include "model/keras_h5.h"
#include "model/onnx_writer.h"

namespace imgfeat::model {

// The ONNX opset the graph uses (Clip's bounds are attributes up to 10).
inline constexpr int64_t kMobileNetV2Opset = 10;

// Batch norm is folded into the convolutions (epsilon 1e-3, Keras' value for
// this model), ReLU6 is Clip(0, 6), and stride-2 convolutions are padded as
// Keras pads them (one pixel at the bottom and right of an even-sized input).
// Fails with one line naming the layer when a weight is missing or has the
// wrong shape.
Result<OnnxGraph> BuildMobileNetV2Graph(const KerasWeights& weights, int64_t input_size);

}  // namespace imgfeat::model
