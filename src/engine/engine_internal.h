// What the engine implementations share: their factories (for the registry)
// and the layout and message functions.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "imgfeat/engine.h"

namespace imgfeat::engine {

Result<std::unique_ptr<InferenceEngine>> OpenOpenVinoEngine(const std::string& model_path,
                                                            const ModelSpec& spec,
                                                            const EngineOptions& options);
// Settings of the OpenVINO engine that the benchmark compares; the defaults
// are what imgfeat uses (docs/BENCHMARKS.md).
struct OpenVinoTuning {
  bool dynamic_batch = false;  // one compilation for every batch size
  // Unpinned threads can move off a core that a decode thread is using.
  const char* cpu_pinning = "NO";  // "YES", "NO"; null: OpenVINO's choice
  // Largest chunk of a batch one infer request runs (0: the batch split
  // evenly over the streams). One image at a time keeps a stream's
  // activations in its core's L2 cache: about 20% less CPU per image here.
  int images_per_request = 1;
};
Result<std::unique_ptr<InferenceEngine>> OpenOpenVinoEngineTuned(const std::string& model_path,
                                                                 const ModelSpec& spec,
                                                                 const EngineOptions& options,
                                                                 const OpenVinoTuning& tuning);
#ifdef IMGFEAT_WITH_OPENCV
Result<std::unique_ptr<InferenceEngine>> OpenOpenCvEngine(const std::string& model_path,
                                                          const ModelSpec& spec,
                                                          const EngineOptions& options);
#endif

// `batch` images of `dims` (H, W, C) stored NHWC -> NCHW, and back.
void NhwcToNchw(const float* in, int64_t batch, int64_t h, int64_t w, int64_t c, float* out);
void NchwToNhwc(const float* in, int64_t batch, int64_t h, int64_t w, int64_t c, float* out);

// The model's tensor shape for `batch` images, in the spec's layout.
std::vector<int64_t> InputShape(const ModelSpec& spec, int64_t batch);
std::vector<int64_t> OutputShape(const ModelSpec& spec, int64_t batch);
std::string ShapeText(const std::vector<int64_t>& dims);  // "[1,224,224,3]", -1 as "?"

// Library messages span lines; imgfeat's errors are one line.
std::string OneLine(std::string text, size_t max_chars = 600);

}  // namespace imgfeat::engine
