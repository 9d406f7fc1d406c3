// imgfeat_infer: runs an engine over preprocessed images saved as .npy, so
// that the pytest suites can compare the engine alone with Keras.
//
//   imgfeat_infer --input X.npy --output Y.npy [--engine NAME] [--model NAME]
//                 [--model-dir DIR] [--batch N] [--threads N] [--streams N]
//                 [--pooling avg]
// X: float32 (N, H, W, C), already preprocessed. Y: float32 (N, h, w, c) in
// HWC order, or (N, c) with --pooling avg.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "imgfeat/engine.h"
#include "imgfeat/model.h"
#include "npy_io.h"

namespace {

using namespace imgfeat;

struct Args {
  std::string input, output, engine = kDefaultEngine, model = kDefaultModel, model_dir, pooling;
  int batch = 8, threads = 0, streams = 0;
};

Status Main(const Args& args) {
  ARROW_ASSIGN_OR_RAISE(ModelSpec spec, FindRegisteredModel(args.model));
  ARROW_ASSIGN_OR_RAISE(std::string model_path,
                        ResolveModelFile(spec, {.model_dir = args.model_dir}));
  ARROW_ASSIGN_OR_RAISE(tools::NpyArray input, tools::ReadNpy(args.input));
  const std::vector<int64_t> image_shape = {spec.input_height, spec.input_width,
                                            spec.input_channels};
  if (input.shape.size() != 4 ||
      !std::equal(image_shape.begin(), image_shape.end(), input.shape.begin() + 1)) {
    return Status::Invalid(args.input, ": expected (N, ", spec.input_height, ", ", spec.input_width,
                           ", ", spec.input_channels, ") floats");
  }
  EngineOptions options{.threads = args.threads, .max_batch = args.batch, .streams = args.streams};
  ARROW_ASSIGN_OR_RAISE(auto engine, OpenEngine(args.engine, model_path, spec, options));

  const int64_t n = input.shape[0];
  const int64_t in_per_image = spec.input_height * spec.input_width * spec.input_channels;
  const int64_t out_per_image = spec.feature_length();
  std::vector<float> features(n * out_per_image);
  for (int64_t first = 0; first < n; first += args.batch) {
    int64_t count = std::min<int64_t>(args.batch, n - first);
    ARROW_RETURN_NOT_OK(engine->Run(input.data.data() + first * in_per_image, count,
                                    features.data() + first * out_per_image));
  }
  if (args.pooling == "avg") {
    const int64_t c = spec.output_hwc[2];
    std::vector<float> pooled(n * c);
    for (int64_t i = 0; i < n; ++i) {
      AveragePoolHwc(features.data() + i * out_per_image, spec.output_hwc[0], spec.output_hwc[1], c,
                     pooled.data() + i * c);
    }
    return tools::WriteNpy(args.output, {n, c}, pooled.data());
  }
  return tools::WriteNpy(args.output,
                         {n, spec.output_hwc[0], spec.output_hwc[1], spec.output_hwc[2]},
                         features.data());
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--input")
      args.input = value;
    else if (flag == "--output")
      args.output = value;
    else if (flag == "--engine")
      args.engine = value;
    else if (flag == "--model")
      args.model = value;
    else if (flag == "--model-dir")
      args.model_dir = value;
    else if (flag == "--batch")
      args.batch = std::stoi(value);
    else if (flag == "--threads")
      args.threads = std::stoi(value);
    else if (flag == "--streams")
      args.streams = std::stoi(value);
    else if (flag == "--pooling")
      args.pooling = value;
    else {
      std::fprintf(stderr, "imgfeat_infer: unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (args.input.empty() || args.output.empty() || argc % 2 == 0) {
    std::fprintf(stderr, "usage: imgfeat_infer --input X.npy --output Y.npy [--engine NAME] ...\n");
    return 2;
  }
  Status status = Main(args);
  if (!status.ok()) {
    std::fprintf(stderr, "imgfeat_infer: %s\n", status.message().c_str());
    return 1;
  }
  return 0;
}
