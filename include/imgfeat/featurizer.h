// Featurizer: a model loaded and compiled once, then applied to lists of
// images given as file paths or as encoded bytes (Spark's binaryFile
// `content` column, a notebook's list of bytes). This is what the Python
// package calls; the CLI's RunJob streams a folder instead.
//
// Featurize decodes, resizes and preprocesses on a pool of threads and runs
// inference on the calling thread, in batches, exactly as a run does, so a
// row holds the same features the CLI writes for the same image. One row per
// input, in order: a bad input gives a row with null features and a one-line
// reason, never a failed call.
//
// Thread-safety: one Featurize call at a time per Featurizer (it owns one
// inference engine); separate Featurizers may run at once.
#pragma once

#include <arrow/api.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "imgfeat/model.h"
#include "imgfeat/pipeline.h"
#include "imgfeat/reduce.h"
#include "imgfeat/status.h"

namespace imgfeat {

struct FeaturizerOptions {
  std::string model = kDefaultModel;  // a registered name, or a path to an .onnx file
  std::string model_spec;             // JSON spec file; required with an .onnx path
  std::string model_dir;              // searched first for a registered model's file
  std::string engine = "openvino";
  std::string precision = "f32";  // EngineOptions::precision
  Pooling pooling = Pooling::kNone;
  // Also return `embedding`: the output averaged over its positions (needs
  // pooling none), as RunOptions::embedding writes it.
  bool embedding = false;
  int threads = 0;  // decode threads and engine threads; 0: all cores
  int batch = 0;    // images per inference call; 0: the run's default
  int64_t max_pixels = kPillowMaxPixels;
  // OpenVINO's cache of compiled models (EngineOptions::cache_dir); empty: none.
  std::string model_cache_dir;
};

// The Featurizer's options from a run's (the shared ones: model, spec, model
// folder, engine, precision, pooling, embedding, threads, batch, pixel limit).
FeaturizerOptions FeaturizerOptionsOf(const RunOptions& run);

// Observers of a Featurize call; both are optional and may be read from
// another thread while the call runs.
struct FeaturizeControl {
  // Set to true to stop early: the call returns Status::Cancelled after the
  // batch in progress.
  const std::atomic<bool>* cancel = nullptr;
  // Inputs finished so far (featurized or failed).
  std::atomic<int64_t>* done = nullptr;
};

class Featurizer {
 public:
  // Resolves the model (fetching it when needed) and compiles it. Fails with
  // one clear message: unknown model, missing file, bad spec, bad engine.
  static Result<std::unique_ptr<Featurizer>> Make(const FeaturizerOptions& options);
  ~Featurizer();

  // `images`: utf8/large_utf8 (file paths) or binary/large_binary (encoded
  // image bytes); nulls are inputs with no image. Returns a batch with
  //   features: list<float32>, null where the image failed,
  //   error:    utf8, null where it did not ("PATH: reason" / "#ROW: reason"),
  //   and with options.embedding, after features,
  //   embedding: list<float32>, null where the image failed.
  // Fails only on a wrong array type, on cancellation or when inference
  // itself fails.
  //
  // With `reducer` (its input_dim() must be feature_dim()), `features` holds
  // the reduced rows: each batch is reduced as the loop hands it on, from the
  // loop's own reused buffers, as a run reduces. The unreduced rows (62,720
  // floats each for MobileNetV2) are never gathered into the output, which a
  // caller that reduces anyway (the Spark workers) would only allocate, fill
  // and copy (docs/BENCHMARKS.md, "Spark: scaling against the CLI").
  Result<std::shared_ptr<arrow::RecordBatch>> Featurize(const arrow::Array& images,
                                                        const FeaturizeControl& control = {},
                                                        const Reducer* reducer = nullptr);

  const ModelSpec& spec() const;
  int64_t feature_dim() const;    // floats per row, after pooling
  int64_t embedding_dim() const;  // floats per embedding; 0 without options.embedding
  int threads() const;
  int batch() const;
  std::string model_path() const;
  std::string model_sha256() const;

  static std::shared_ptr<arrow::Schema> OutputSchema(bool embedding = false);

 private:
  struct Impl;
  explicit Featurizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace imgfeat
