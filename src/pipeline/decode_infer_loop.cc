#include "pipeline/decode_infer_loop.h"

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <memory>

#include "pipeline/bounded_queue.h"
#include "pipeline/thread_group.h"

namespace imgfeat {
namespace {

using Clock = std::chrono::steady_clock;

struct Task {
  LoopInput input;
  float* buffer;
};

struct Decoded {
  LoopInput input;
  float* buffer;
  Status status;
  std::string stage;
};

// What the hand-on thread gets, in input order: a batch whose features are
// ready (in output set `set`), or one input that failed (set -1).
struct HandOn {
  std::vector<LoopInput> inputs;
  int set = -1;
  float* features = nullptr;
  Status error;
  std::string stage;
};

// Finished batches and failed inputs waiting for the hand-on thread.
constexpr size_t kHandOnQueue = 2;

// Reads (or takes the fetcher's bytes), decodes, resizes and preprocesses.
class ImageDecoder {
 public:
  ImageDecoder(const InputGeometry& geometry, ObjectFetcher* fetcher)
      : preparer_(geometry), fetcher_(fetcher) {}

  Status operator()(LoopInput* input, float* out, std::string* stage) {
    if (input->in_memory) {
      *stage = "decode";
      return preparer_.PrepareBytes(input->bytes, out);
    }
    if (!fetcher_) return preparer_.Prepare(input->file, out, stage);
    *stage = "read";
    ARROW_RETURN_NOT_OK(fetcher_->Finish(input->file, &input->fetch, &bytes_));
    *stage = "decode";
    return preparer_.PrepareBytes(bytes_, out);
  }

 private:
  ImagePreparer preparer_;
  ObjectFetcher* fetcher_;
  std::vector<uint8_t> bytes_;
};

}  // namespace

int64_t PooledFeatureLength(const ModelSpec& spec, Pooling pooling) {
  if (pooling == Pooling::kAvg && !spec.output_hwc.empty()) return spec.output_hwc.back();
  return spec.feature_length();
}

void EmbeddingShape::Pool(const float* features, int64_t rows, float* out) const {
  const int64_t row_floats = height * width * channels;
  for (int64_t i = 0; i < rows; ++i) {
    AveragePoolHwc(features + i * row_floats, height, width, channels, out + i * channels);
  }
}

Result<EmbeddingShape> EmbeddingShapeOf(const ModelSpec& spec, Pooling pooling, bool embedding) {
  if (!embedding) return EmbeddingShape{};
  if (pooling != Pooling::kNone) {
    return Status::Invalid(
        "embedding needs pooling none: with avg the features are the "
        "embedding already");
  }
  if (spec.output_hwc.size() != 3) {
    return Status::Invalid("embedding averages the model's output over its positions, but ",
                           spec.name, "'s output has no height, width, channels");
  }
  return EmbeddingShape{spec.output_hwc[0], spec.output_hwc[1], spec.output_hwc[2]};
}

int LoopDecodeThreads(const LoopConfig& config) {
  int threads = std::max(1, config.decode_threads);
  if (config.input_count >= 0) {
    threads =
        static_cast<int>(std::min<int64_t>(threads, std::max<int64_t>(config.input_count, 1)));
  }
  return threads;
}

size_t InFlightImages(const LoopConfig& config) {
  // Enough buffers for a full batch being assembled plus every thread busy,
  // twice over so decoding never waits on inference.
  const int batch = std::max(1, config.batch);
  size_t in_flight = static_cast<size_t>(batch + LoopDecodeThreads(config)) * 2;
  if (config.input_count >= 0) {
    in_flight =
        std::min<size_t>(in_flight, static_cast<size_t>(std::max<int64_t>(config.input_count, 1)));
  }
  return in_flight;
}

Status RunDecodeInferLoop(InferenceEngine* engine, const LoopConfig& config,
                          const LoopCallbacks& callbacks, LoopStats* stats) {
  const ModelSpec& spec = engine->spec();
  const size_t image_floats = config.geometry.floats();
  const int batch = std::max(1, config.batch);
  const int threads = LoopDecodeThreads(config);
  const size_t in_flight = InFlightImages(config);

  std::vector<float> arena(in_flight * image_floats);
  BoundedQueue<float*> free_buffers(in_flight);
  for (size_t i = 0; i < in_flight; ++i) free_buffers.Push(arena.data() + i * image_floats);
  BoundedQueue<Task> tasks(in_flight);
  BoundedQueue<Decoded> decoded(in_flight);

  ThreadGroup group([&] {
    free_buffers.Close();
    tasks.Close();
    decoded.Close();
    if (config.fetcher) config.fetcher->Close();
  });

  // Feeding: buffers are taken in input order, so the oldest unfinished input
  // always holds one and the reordering below cannot starve.
  std::atomic<int> decoders_left{threads};
  group.Spawn([&] {
    int64_t seq = 0;
    while (std::optional<LoopInput> input = callbacks.next_input()) {
      std::optional<float*> buffer = free_buffers.Pop();
      if (!buffer) break;
      input->seq = seq++;
      if (config.fetcher && !input->in_memory && input->refused.ok()) {
        input->fetch = config.fetcher->Start(input->file);
      }
      if (!tasks.Push(Task{std::move(*input), *buffer})) break;
    }
    tasks.Close();
  });
  for (int t = 0; t < threads; ++t) {
    group.Spawn([&] {
      LoopDecoder decode = config.make_decoder ? config.make_decoder()
                                               : ImageDecoder(config.geometry, config.fetcher);
      while (std::optional<Task> task = tasks.Pop()) {
        Decoded out{std::move(task->input), task->buffer, Status::OK(), "read"};
        out.status =
            out.input.refused.ok() ? decode(&out.input, out.buffer, &out.stage) : out.input.refused;
        if (!decoded.Push(std::move(out))) break;
      }
      if (--decoders_left == 0) decoded.Close();
    });
  }

  // Inference is started from this thread, in input order, and runs on the
  // engine's own threads. A batch whose inference has finished goes to the
  // hand-on thread (pooling, on_batch: reducing and writing), with the failed
  // inputs in their places, so that neither the engine nor this thread waits
  // for the consumer while it works.
  const int64_t raw_len = spec.feature_length();
  const int64_t out_len = PooledFeatureLength(spec, config.pooling);
  const bool pool = config.pooling == Pooling::kAvg;
  constexpr int kInputSets = InferenceEngine::kMaxInFlight;
  std::vector<std::vector<float>> input(kInputSets);
  for (auto& set : input) set.resize(static_cast<size_t>(batch) * image_floats);
  std::vector<std::vector<float>> raw(kLoopFeatureBatches);
  std::vector<std::vector<float>> own_out(kLoopFeatureBatches);
  BoundedQueue<int> free_outputs(kLoopFeatureBatches);
  for (int set = 0; set < kLoopFeatureBatches; ++set) {
    if (pool) raw[set].resize(static_cast<size_t>(batch) * raw_len);
    if (!callbacks.features_out) own_out[set].resize(static_cast<size_t>(batch) * out_len);
    free_outputs.Push(set);
  }

  BoundedQueue<HandOn> hand_on(kHandOnQueue);
  Status hand_on_status;  // written by the hand-on thread before it ends
  auto hand_on_one = [&](HandOn& item) -> Status {
    if (item.set < 0) {
      ++stats->failed;
      return callbacks.on_error(item.inputs.front(), item.stage, item.error);
    }
    const int64_t n = static_cast<int64_t>(item.inputs.size());
    if (pool) {
      const auto& hwc = spec.output_hwc;
      for (int64_t i = 0; i < n; ++i) {
        AveragePoolHwc(raw[item.set].data() + i * raw_len, hwc[0], hwc[1], hwc[2],
                       item.features + i * out_len);
      }
    }
    ARROW_RETURN_NOT_OK(callbacks.on_batch(item.inputs, item.features, out_len));
    free_outputs.Push(item.set);
    stats->featurized += n;
    if (callbacks.on_progress) callbacks.on_progress(stats->featurized + stats->failed);
    return Status::OK();
  };
  ThreadGroup hand_on_thread([&] {
    hand_on.Close();
    free_outputs.Close();
  });
  hand_on_thread.Spawn([&] {
    while (std::optional<HandOn> item = hand_on.Pop()) {
      Status status = hand_on_one(*item);
      if (!status.ok()) {
        hand_on_status = status;
        // Stops the pushes and the wait for an output set.
        hand_on.Close();
        free_outputs.Close();
        return;
      }
    }
  });
  // What this thread returns when the hand-on thread has stopped: its own
  // error is the one reported.
  const Status hand_on_stopped = Status::Cancelled("the consumer stopped");

  struct Running {
    int64_t ticket = 0;
    HandOn item;
    Clock::time_point started;
  };
  std::deque<Running> running;
  int next_input_set = 0;
  Clock::time_point busy_until;  // the end of the engine time counted so far
  bool engine_failed = false;
  std::vector<LoopInput> batch_inputs;
  std::vector<float*> batch_buffers;

  // Waits for the oldest batch and passes it to the hand-on thread.
  auto finish_oldest = [&]() -> Status {
    Running done = std::move(running.front());
    running.pop_front();
    Status waited = engine->Wait(done.ticket);
    if (!waited.ok()) {
      engine_failed = true;
      return waited;
    }
    // Engine time as the union of the batches' spans, which overlap.
    const Clock::time_point now = Clock::now();
    stats->inference_seconds +=
        std::chrono::duration<double>(now - std::max(done.started, busy_until)).count();
    busy_until = now;
    return hand_on.Push(std::move(done.item)) ? Status::OK() : hand_on_stopped;
  };

  auto start_batch = [&]() -> Status {
    const int64_t n = static_cast<int64_t>(batch_inputs.size());
    if (n == 0) return Status::OK();
    if (config.cancel && config.cancel->load()) return Status::Cancelled("interrupted");
    std::optional<int> out_set = free_outputs.Pop();
    if (!out_set) return hand_on_stopped;
    const int in_set = next_input_set;
    next_input_set = (next_input_set + 1) % kInputSets;
    for (int64_t i = 0; i < n; ++i) {
      std::copy_n(batch_buffers[i], image_floats, input[in_set].data() + i * image_floats);
      free_buffers.Push(batch_buffers[i]);
    }
    batch_buffers.clear();
    float* features = callbacks.features_out ? callbacks.features_out(n) : own_out[*out_set].data();
    Running started{0, HandOn{std::move(batch_inputs), *out_set, features, {}, {}}, Clock::now()};
    batch_inputs.clear();
    Result<int64_t> ticket =
        engine->Start(input[in_set].data(), n, pool ? raw[*out_set].data() : features);
    if (!ticket.ok()) {
      engine_failed = true;
      return ticket.status();
    }
    started.ticket = *ticket;
    running.push_back(std::move(started));
    if (static_cast<int>(running.size()) == kInputSets) return finish_oldest();
    return Status::OK();
  };

  std::map<int64_t, Decoded> waiting;
  int64_t next_seq = 0;
  auto consume = [&]() -> Status {
    while (std::optional<Decoded> item = decoded.Pop()) {
      waiting.emplace(item->input.seq, std::move(*item));
      for (auto it = waiting.find(next_seq); it != waiting.end(); it = waiting.find(next_seq)) {
        Decoded ready = std::move(it->second);
        waiting.erase(it);
        ++next_seq;
        if (!ready.status.ok()) {
          free_buffers.Push(ready.buffer);
          std::vector<LoopInput> failed;
          failed.push_back(std::move(ready.input));
          if (!hand_on.Push(HandOn{std::move(failed), -1, nullptr, ready.status, ready.stage})) {
            return hand_on_stopped;
          }
          continue;
        }
        batch_inputs.push_back(std::move(ready.input));
        batch_buffers.push_back(ready.buffer);
        if (static_cast<int>(batch_inputs.size()) == batch) ARROW_RETURN_NOT_OK(start_batch());
      }
    }
    return start_batch();
  };

  Status status = consume();
  // The batches still running are handed on after a cancel too (they come
  // before it in input order); after the engine fails they are only waited
  // for, since they write into this frame's buffers.
  while (!running.empty()) {
    if (!engine_failed) {
      Status finished = finish_oldest();
      if (status.ok()) status = finished;
    } else {
      (void)engine->Wait(running.front().ticket);
      running.pop_front();
    }
  }
  hand_on.Close();
  hand_on_thread.Join();
  // The hand-on thread's error came first in input order.
  if (!hand_on_status.ok()) return hand_on_status;
  return status;
}

}  // namespace imgfeat
