// Inference engines: run a model over a batch of preprocessed images.
//
// An engine is picked by name from a registry ("openvino", "opencv"), so that
// other backends (a GPU one) can be added without touching the pipeline.
// An InferenceEngine is used by one thread at a time; it owns its own worker
// threads (EngineOptions::threads) and keeps them off the decode pool's cores
// only as far as the OS scheduler allows.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "imgfeat/model.h"
#include "imgfeat/status.h"

namespace imgfeat {

struct EngineOptions {
  int threads = 0;    // 0: all cores
  int max_batch = 8;  // largest batch Run() will be given
  // OpenVINO: images of a batch run on this many streams at once, each with
  // threads / streams threads. 0: one stream per thread, at most max_batch
  // (the fastest setting measured, docs/BENCHMARKS.md). Ignored by engines
  // without streams.
  int streams = 0;
  // OpenVINO: a folder where compiled models are kept (its CACHE_DIR), so
  // that the next process compiling the same model with the same settings
  // loads it instead (docs/SPARK.md, "Model cache"). Empty: no cache.
  std::string cache_dir;
  // The precision the network computes in: "f32" (the default, Keras'
  // numbers), "bf16" (1.6-1.8 times as fast where the CPU computes bf16
  // natively, features within a cosine of 0.99 of f32's) or "int8" (1.8-2
  // times, for a model quantized by 'imgfeat models quantize' whose
  // .xml is the model path; imgfeat/quantize.h). docs/PARITY.md has the
  // figures. Engines refuse a precision they cannot run natively.
  std::string precision = "f32";
};

// The precisions EngineOptions::precision takes.
inline const char* const kPrecisions[] = {"f32", "bf16", "int8"};

class InferenceEngine {
 public:
  virtual ~InferenceEngine() = default;

  // `input`: batch * H * W * C floats, NHWC, already preprocessed.
  // `output`: batch * spec().feature_length() floats, each image's features in
  // HWC order (Keras' flattening order), whatever the model's own layout.
  virtual Status Run(const float* input, int64_t batch, float* output) = 0;

  // Run in two halves, so that the caller can prepare the next batch and
  // consume the last one while this one runs: Start returns at once with a
  // ticket, Wait(ticket) returns when `output` is written. At most
  // kMaxInFlight batches are started and not waited for; they are waited for
  // in the order started, and `input` and `output` stay valid until then.
  // Engines that cannot overlap run the batch in Start.
  static constexpr int kMaxInFlight = 2;
  virtual Result<int64_t> Start(const float* input, int64_t batch, float* output) {
    ARROW_RETURN_NOT_OK(Run(input, batch, output));
    return 0;
  }
  virtual Status Wait(int64_t /*ticket*/) { return Status::OK(); }

  virtual const ModelSpec& spec() const = 0;
  virtual std::string name() const = 0;
};

// Loads `model_path` (ONNX) for `spec` with the named engine. Fails at once,
// with one clear message, when the file is missing or corrupt or when the
// model's input/output shapes do not match the spec.
Result<std::unique_ptr<InferenceEngine>> OpenEngine(const std::string& engine_name,
                                                    const std::string& model_path,
                                                    const ModelSpec& spec,
                                                    const EngineOptions& options);

std::vector<std::string> EngineNames();
inline constexpr const char* kDefaultEngine = "openvino";

// Global average pooling over H and W: {H, W, C} -> {C}.
void AveragePoolHwc(const float* features, int64_t h, int64_t w, int64_t c, float* out);

}  // namespace imgfeat
