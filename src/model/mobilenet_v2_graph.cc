#include "model/mobilenet_v2_graph.h"

#include <array>
#include <cmath>
#include <string>

namespace imgfeat::model {
namespace {

// Folding is done in float32, one rounding per operation, as the reference
// ONNX model was made: the folded weights then have the same bits and the
// two models the same features (this file is built with -ffp-contract=off,
// so that no multiply-add is fused).
constexpr float kBatchNormEpsilon = 1e-3f;
constexpr int kBlocks = 17;
constexpr std::array<int, kBlocks> kBlockStrides = {1, 2, 1, 2, 1, 1, 2, 1, 1,
                                                    1, 1, 1, 1, 2, 1, 1, 1};

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ',';
    text += std::to_string(shape[i]);
  }
  text += ']';
  return text;
}

class GraphBuilder {
 public:
  GraphBuilder(const KerasWeights& weights, int64_t input_size)
      : weights_(weights), size_(input_size) {}

  Result<OnnxGraph> Build() {
    graph_.name = "mobilenet_v2_1.0_no_top";
    graph_.inputs.push_back({"input", {-1, size_, size_, 3}});
    std::string x = Add("Transpose", {"input"}, {OnnxAttribute::Ints("perm", {0, 3, 1, 2})});
    channels_ = 3;
    ARROW_ASSIGN_OR_RAISE(x, ConvBn(x, "Conv1", "bn_Conv1", /*depthwise=*/false, 2, true));
    for (int block = 0; block < kBlocks; ++block) {
      ARROW_ASSIGN_OR_RAISE(x, InvertedResidual(x, block));
    }
    ARROW_ASSIGN_OR_RAISE(x, ConvBn(x, "Conv_1", "Conv_1_bn", false, 1, true));
    graph_.nodes.push_back({"Transpose",
                            "features_nhwc",
                            {x},
                            {"features"},
                            {OnnxAttribute::Ints("perm", {0, 2, 3, 1})}});
    graph_.outputs.push_back({"features", {-1, size_, size_, channels_}});
    return std::move(graph_);
  }

 private:
  Result<std::string> InvertedResidual(const std::string& input, int block) {
    const std::string prefix = block == 0 ? "expanded_conv" : "block_" + std::to_string(block);
    const int stride = kBlockStrides[block];
    const int64_t in_channels = channels_;
    std::string x = input;
    if (block > 0) {
      ARROW_ASSIGN_OR_RAISE(x,
                            ConvBn(x, prefix + "_expand", prefix + "_expand_BN", false, 1, true));
    }
    ARROW_ASSIGN_OR_RAISE(
        x, ConvBn(x, prefix + "_depthwise", prefix + "_depthwise_BN", true, stride, true));
    ARROW_ASSIGN_OR_RAISE(x,
                          ConvBn(x, prefix + "_project", prefix + "_project_BN", false, 1, false));
    if (stride == 1 && in_channels == channels_) x = Add("Add", {input, x}, {});
    return x;
  }

  // A convolution (or depthwise convolution) without bias followed by batch
  // norm, folded into one Conv with bias; then ReLU6 when `relu6`.
  Result<std::string> ConvBn(const std::string& input, const std::string& conv_layer,
                             const std::string& bn_layer, bool depthwise, int stride, bool relu6) {
    // Keras 2 (whose files Keras Applications publishes) names a depthwise
    // kernel "depthwise_kernel", Keras 3 "kernel".
    Result<const WeightTensor*> found = Weight(conv_layer, "kernel");
    if (depthwise && !found.ok()) found = Weight(conv_layer, "depthwise_kernel");
    ARROW_ASSIGN_OR_RAISE(const WeightTensor* kernel, std::move(found));
    const std::vector<int64_t>& s = kernel->shape;
    // Keras kernels: HWIO for Conv2D, HW C 1 for DepthwiseConv2D.
    const bool square = s.size() == 4 && s[0] == s[1] && (s[0] == 1 || s[0] == 3);
    const bool fits = square && s[2] == channels_ && (!depthwise || s[3] == 1) && s[3] > 0;
    if (!fits) {
      return Status::Invalid("layer '", conv_layer, "' has a kernel of shape ", ShapeText(s),
                             " where a ", depthwise ? "depthwise " : "", "kernel over ", channels_,
                             " channels was expected");
    }
    const int64_t k = s[0];
    const int64_t out_channels = depthwise ? channels_ : s[3];
    ARROW_ASSIGN_OR_RAISE(std::vector<float> scale, BnScale(bn_layer, out_channels));
    ARROW_ASSIGN_OR_RAISE(const WeightTensor* beta, Weight(bn_layer, "beta"));
    ARROW_ASSIGN_OR_RAISE(const WeightTensor* mean, Weight(bn_layer, "moving_mean"));

    OnnxTensor w{conv_layer + "_folded_kernel", {}, {}};
    if (depthwise) {
      w.dims = {out_channels, 1, k, k};
    } else {
      w.dims = {out_channels, channels_, k, k};
    }
    w.data.resize(static_cast<size_t>(out_channels * (depthwise ? 1 : channels_) * k * k));
    const int64_t in_per_group = depthwise ? 1 : channels_;
    for (int64_t o = 0; o < out_channels; ++o) {
      for (int64_t i = 0; i < in_per_group; ++i) {
        for (int64_t y = 0; y < k; ++y) {
          for (int64_t x = 0; x < k; ++x) {
            // HWIO (or HWC1) source index of the weight for output o, input i.
            const int64_t src = depthwise ? (y * k + x) * channels_ + o
                                          : ((y * k + x) * channels_ + i) * out_channels + o;
            w.data[static_cast<size_t>(((o * in_per_group + i) * k + y) * k + x)] =
                kernel->values[static_cast<size_t>(src)] * scale[o];
          }
        }
      }
    }
    OnnxTensor b{conv_layer + "_folded_bias", {out_channels}, {}};
    for (int64_t o = 0; o < out_channels; ++o) {
      const float shift = mean->values[o] * scale[o];
      b.data.push_back(beta->values[o] - shift);
    }

    std::vector<int64_t> pads = {0, 0, 0, 0};  // top, left, bottom, right
    if (k == 3 && stride == 1) pads = {1, 1, 1, 1};
    // Keras' correct_pad: an even size gets its one pixel at the bottom/right.
    if (k == 3 && stride == 2)
      pads = size_ % 2 == 0 ? std::vector<int64_t>{0, 0, 1, 1} : std::vector<int64_t>{1, 1, 1, 1};
    std::vector<OnnxAttribute> attrs = {OnnxAttribute::Ints("kernel_shape", {k, k}),
                                        OnnxAttribute::Ints("strides", {stride, stride}),
                                        OnnxAttribute::Ints("pads", pads),
                                        OnnxAttribute::Ints("dilations", {1, 1})};
    if (depthwise) attrs.push_back(OnnxAttribute::Int("group", channels_));
    std::string out = Add("Conv", {input, w.name, b.name}, std::move(attrs));
    graph_.initializers.push_back(std::move(w));
    graph_.initializers.push_back(std::move(b));
    size_ = (size_ + pads[0] + pads[2] - k) / stride + 1;
    channels_ = out_channels;
    if (relu6) {
      out = Add("Clip", {out},
                {OnnxAttribute::Float("min", 0.0f), OnnxAttribute::Float("max", 6.0f)});
    }
    return out;
  }

  Result<std::vector<float>> BnScale(const std::string& bn_layer, int64_t channels) {
    for (const char* name : {"gamma", "beta", "moving_mean", "moving_variance"}) {
      ARROW_ASSIGN_OR_RAISE(const WeightTensor* t, Weight(bn_layer, name));
      if (t->shape != std::vector<int64_t>{channels}) {
        return Status::Invalid("layer '", bn_layer, "' has a ", name, " of shape ",
                               ShapeText(t->shape), " where [", channels, "] was expected");
      }
    }
    const WeightTensor* gamma = *Weight(bn_layer, "gamma");
    const WeightTensor* variance = *Weight(bn_layer, "moving_variance");
    std::vector<float> scale(static_cast<size_t>(channels));
    for (int64_t c = 0; c < channels; ++c) {
      if (!(variance->values[c] >= 0)) {
        return Status::Invalid("layer '", bn_layer, "' has a negative or NaN moving_variance");
      }
      scale[c] = gamma->values[c] / std::sqrt(variance->values[c] + kBatchNormEpsilon);
    }
    return scale;
  }

  Result<const WeightTensor*> Weight(const std::string& layer, const std::string& name) const {
    auto found_layer = weights_.find(layer);
    if (found_layer == weights_.end()) {
      return Status::Invalid("no weights for layer '", layer, "'");
    }
    auto found = found_layer->second.find(name);
    if (found == found_layer->second.end()) {
      return Status::Invalid("layer '", layer, "' has no '", name, "' weight");
    }
    return &found->second;
  }

  std::string Add(const std::string& op, std::vector<std::string> inputs,
                  std::vector<OnnxAttribute> attrs) {
    std::string name = op + "_" + std::to_string(graph_.nodes.size());
    graph_.nodes.push_back({op, name, std::move(inputs), {name}, std::move(attrs)});
    return name;
  }

  const KerasWeights& weights_;
  int64_t size_;
  int64_t channels_ = 0;
  OnnxGraph graph_;
};

}  // namespace

Result<OnnxGraph> BuildMobileNetV2Graph(const KerasWeights& weights, int64_t input_size) {
  if (input_size < 32 || input_size > 4096) {
    return Status::Invalid("MobileNetV2 input size ", input_size, " is out of range");
  }
  return GraphBuilder(weights, input_size).Build();
}

}  // namespace imgfeat::model
