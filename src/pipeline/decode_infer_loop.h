// The one loop from images to features, shared by a run (StreamFeatures) and
// the Featurizer: a feeding thread takes the inputs in order, a pool of decode
// threads turns them into the network's input, the calling thread takes
// them back in input order, batches them and runs the engine, and a hand-on
// thread gives each finished batch, and each failed input, to the callbacks.
//
// Images come out in input order whatever order the decode threads finish in,
// and at most InFlightImages() are held at once, so memory does not depend on
// the number of inputs. Not thread-safe: one call owns its threads and engine.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "imgfeat/engine.h"
#include "imgfeat/listing.h"
#include "imgfeat/pipeline.h"
#include "imgfeat/status.h"
#include "io/object_fetcher.h"
#include "pipeline/image_preparer.h"

namespace imgfeat {

// One input: a file to read, or an image already in memory.
struct LoopInput {
  // The file to read; with `in_memory`, only what names the input.
  ImageFile file;
  // True: decode `bytes` (alive until the loop returns, or held by `owner`)
  // and read nothing.
  bool in_memory = false;
  std::span<const uint8_t> bytes;
  std::shared_ptr<const void> owner;  // keeps `bytes` alive (a shard's part or row group)
  // The label the source gave (a shard sample's --label-field, or its
  // shard's folder); unset: the caller's labeler decides from the path.
  std::optional<std::string> label;
  // A shard sample's --keep-columns values (FeatureRecord::kept).
  std::vector<std::optional<std::string>> kept;
  // Not OK: an input that is bad as given (a null), reported as this error,
  // stage "read", in its place.
  Status refused;
  // Set by the loop: the position in input order, from 0.
  int64_t seq = 0;
  // Set by the loop when a fetcher reads files ahead: the read under way.
  PendingObject fetch;
};

// Fills `out` (geometry.floats() floats) from `input`; on failure `*stage`
// names where it failed ("read" or "decode"). One per decode thread.
using LoopDecoder = std::function<Status(LoopInput* input, float* out, std::string* stage)>;

struct LoopConfig {
  InputGeometry geometry;
  int decode_threads = 1;
  int batch = 8;
  Pooling pooling = Pooling::kNone;
  // When known (>= 0): no more decode threads or buffers than inputs.
  int64_t input_count = -1;
  // Reads files ahead of the decoders (object stores); null: each decode
  // thread reads its file itself.
  ObjectFetcher* fetcher = nullptr;
  // Checked before each batch: true stops the loop with Status::Cancelled.
  const std::atomic<bool>* cancel = nullptr;
  // Makes each decode thread's decoder; unset: ImagePreparer (read, decode,
  // resize, preprocess). Tests set it to control timing and failures.
  std::function<LoopDecoder()> make_decoder;
};

struct LoopCallbacks {
  // The next input in order, or std::nullopt at the end. Called on the
  // feeding thread only.
  std::function<std::optional<LoopInput>()> next_input;
  // Where the features of the next `rows` images go (rows * dim floats),
  // so that a caller can have the engine write into its own output; unset: a
  // buffer of the loop's. Called once per batch, in order, when the batch
  // starts: the next batch may start before on_batch has had the last one.
  std::function<float*(int64_t rows)> features_out;
  // The images of a batch that worked, in input order, and their features,
  // row-major, `dim` floats each. `inputs` may be moved from.
  std::function<Status(std::vector<LoopInput>& inputs, const float* features, int64_t dim)>
      on_batch;
  // An input that failed, in its place in input order: possibly before the
  // batch holding earlier images has run. on_batch, on_error and on_progress
  // are called on one thread (the hand-on thread), one at a time.
  std::function<Status(const LoopInput& input, const std::string& stage, const Status& error)>
      on_error;
  // Inputs finished so far (featurized or failed), after each batch.
  std::function<void(int64_t inputs_done)> on_progress;
};

struct LoopStats {
  int64_t featurized = 0;
  int64_t failed = 0;
  double inference_seconds = 0;
};

// Features per image after pooling.
int64_t PooledFeatureLength(const ModelSpec& spec, Pooling pooling);

// What an embedding (RunOptions::embedding) averages: the model output's
// positions. All zero without one.
struct EmbeddingShape {
  int64_t height = 0, width = 0, channels = 0;
  int64_t dim() const { return channels; }  // floats per embedding; 0: none
  // Averages `rows` unpooled outputs (height x width x channels floats each)
  // over their positions into `out` (dim() floats each), as --pooling avg does.
  void Pool(const float* features, int64_t rows, float* out) const;
};
// Fails where an embedding cannot be made (pooled features, a model output
// without positions).
Result<EmbeddingShape> EmbeddingShapeOf(const ModelSpec& spec, Pooling pooling, bool embedding);

int LoopDecodeThreads(const LoopConfig& config);
// Images held at once (decoded or being decoded, waiting for their turn, or
// in the batch being assembled): the size of the loop's buffer arena.
size_t InFlightImages(const LoopConfig& config);

// Batches whose features the loop holds at once: in the engine, waiting for
// the hand-on thread (the callbacks), and being handed on.
inline constexpr int kLoopFeatureBatches = InferenceEngine::kMaxInFlight + 2 + 1;

// Runs every input through the loop. Returns the first error of a callback or
// of the engine (the threads are stopped and joined first), Cancelled, or OK.
// `stats` is kept up to date as the loop goes, also when it stops early.
Status RunDecodeInferLoop(InferenceEngine* engine, const LoopConfig& config,
                          const LoopCallbacks& callbacks, LoopStats* stats);

}  // namespace imgfeat
