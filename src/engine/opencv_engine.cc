// The OpenCV DNN engine (OpenCV 4.6's own CPU backend), the reference point
// the benchmarks compare OpenVINO with. OpenCV throws cv::Exception; every
// call into it is wrapped so that nothing crosses imgfeat's API.
#ifdef IMGFEAT_WITH_OPENCV

#include <algorithm>
#include <cstring>
#include <exception>
#include <opencv2/core.hpp>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/dnn.hpp>
#include <string>
#include <vector>

#include "engine/engine_internal.h"

namespace imgfeat::engine {
namespace {

std::vector<int64_t> MatDims(const cv::Mat& mat) {
  std::vector<int64_t> dims;
  for (int i = 0; i < mat.dims; ++i) dims.push_back(mat.size[i]);
  return dims;
}

// OpenCV logs its failures to stderr as well as throwing them; imgfeat
// reports them once, as a Status, so the log is off while OpenCV runs.
class QuietOpenCvLog {
 public:
  QuietOpenCvLog()
      : previous_(cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT)) {}
  ~QuietOpenCvLog() { cv::utils::logging::setLogLevel(previous_); }

 private:
  cv::utils::logging::LogLevel previous_;
};

class OpenCvEngine : public InferenceEngine {
 public:
  OpenCvEngine(ModelSpec spec, EngineOptions options) : spec_(std::move(spec)), options_(options) {}

  Status Load(const std::string& model_path) {
    QuietOpenCvLog quiet;
    try {
      if (options_.threads > 0) cv::setNumThreads(options_.threads);
      net_ = cv::dnn::readNetFromONNX(model_path);
      if (net_.empty()) return Status::IOError("OpenCV read no network from '", model_path, "'");
      net_.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
      net_.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    } catch (const std::exception& e) {
      return Status::IOError("cannot read model '", model_path, "': ", OneLine(e.what()));
    }
    // OpenCV knows the shapes only once it has run: one zero image shows
    // whether the model fits the spec.
    std::vector<float> zeros(spec_.input_height * spec_.input_width * spec_.input_channels, 0.f);
    cv::Mat out;
    Status ran = Forward(zeros.data(), 1, &out);
    if (!ran.ok()) {
      return Status::Invalid("model '", model_path, "' does not run on input ",
                             ShapeText(InputShape(spec_, 1)), " (spec of '", spec_.name,
                             "'): ", ran.message());
    }
    if (MatDims(out) != OutputShape(spec_, 1)) {
      return Status::Invalid("model '", model_path, "' gives output ", ShapeText(MatDims(out)),
                             " per image, the spec of '", spec_.name, "' says ",
                             ShapeText(OutputShape(spec_, 1)));
    }
    return Status::OK();
  }

  Status Run(const float* input, int64_t batch, float* output) override {
    if (batch < 1 || batch > options_.max_batch) {
      return Status::Invalid("batch of ", batch, " images; the engine was opened for 1 to ",
                             options_.max_batch);
    }
    const float* model_input = input;
    if (spec_.input_layout == TensorLayout::kNCHW) {
      scratch_.resize(batch * spec_.input_height * spec_.input_width * spec_.input_channels);
      NhwcToNchw(input, batch, spec_.input_height, spec_.input_width, spec_.input_channels,
                 scratch_.data());
      model_input = scratch_.data();
    }
    cv::Mat out;
    ARROW_RETURN_NOT_OK(Forward(model_input, batch, &out));
    const int64_t count = batch * spec_.feature_length();
    if (MatDims(out) != OutputShape(spec_, batch) || !out.isContinuous() || out.type() != CV_32F) {
      return Status::IOError("OpenCV gave output ", ShapeText(MatDims(out)), " for a batch of ",
                             batch);
    }
    const float* data = out.ptr<float>();
    if (spec_.output_layout == TensorLayout::kNCHW) {
      NchwToNhwc(data, batch, spec_.output_hwc[0], spec_.output_hwc[1], spec_.output_hwc[2],
                 output);
    } else {
      std::memcpy(output, data, count * sizeof(float));
    }
    return Status::OK();
  }

  const ModelSpec& spec() const override { return spec_; }
  std::string name() const override { return "opencv"; }

 private:
  Status Forward(const float* input, int64_t batch, cv::Mat* out) {
    std::vector<int> sizes;
    for (int64_t d : InputShape(spec_, batch)) sizes.push_back(static_cast<int>(d));
    QuietOpenCvLog quiet;
    try {
      // OpenCV only reads the blob; it wraps the caller's floats without a copy.
      cv::Mat blob(static_cast<int>(sizes.size()), sizes.data(), CV_32F, const_cast<float*>(input));
      net_.setInput(blob, spec_.input_name);
      *out = net_.forward(spec_.output_name);
    } catch (const std::exception& e) {
      return Status::IOError("OpenCV inference failed: ", OneLine(e.what()));
    }
    return Status::OK();
  }

  ModelSpec spec_;
  EngineOptions options_;
  cv::dnn::Net net_;
  std::vector<float> scratch_;
};

}  // namespace

Result<std::unique_ptr<InferenceEngine>> OpenOpenCvEngine(const std::string& model_path,
                                                          const ModelSpec& spec,
                                                          const EngineOptions& options) {
  if (options.precision != "f32") {
    return Status::Invalid("the opencv engine computes in f32 only, not ", options.precision);
  }
  auto engine = std::make_unique<OpenCvEngine>(spec, options);
  ARROW_RETURN_NOT_OK(engine->Load(model_path));
  return std::unique_ptr<InferenceEngine>(std::move(engine));
}

}  // namespace imgfeat::engine

#endif  // IMGFEAT_WITH_OPENCV
