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
  // engine's own threads: while one batch runs, the last one is handed on
  // (pooling, reducing, writing) and the next one is assembled, so that the
  // engine never waits for them.
  const int64_t raw_len = spec.feature_length();
  const int64_t out_len = PooledFeatureLength(spec, config.pooling);
  const bool pool = config.pooling == Pooling::kAvg;
  constexpr int kSets = InferenceEngine::kMaxInFlight;
  struct Running {
    int64_t ticket = 0;
    std::vector<LoopInput> inputs;
    float* features = nullptr;
    int set = 0;
    Clock::time_point started;
  };
  std::vector<float> input[kSets];
  std::vector<float> raw[kSets];
  std::vector<float> own_out[kSets];
  for (int set = 0; set < kSets; ++set) {
    input[set].resize(static_cast<size_t>(batch) * image_floats);
    if (pool) raw[set].resize(static_cast<size_t>(batch) * raw_len);
    if (!callbacks.features_out) own_out[set].resize(static_cast<size_t>(batch) * out_len);
  }
  std::deque<Running> running;
  int next_set = 0;
  Clock::time_point busy_until;  // the end of the engine time counted so far
  std::vector<LoopInput> batch_inputs;
  std::vector<float*> batch_buffers;

  // Waits for the oldest batch and hands it on.
  auto hand_on_oldest = [&]() -> Status {
    Running done = std::move(running.front());
    running.pop_front();
    ARROW_RETURN_NOT_OK(engine->Wait(done.ticket));
    // Engine time as the union of the batches' spans, which overlap.
    const Clock::time_point now = Clock::now();
    stats->inference_seconds +=
        std::chrono::duration<double>(now - std::max(done.started, busy_until)).count();
    busy_until = now;
    const int64_t n = static_cast<int64_t>(done.inputs.size());
    if (pool) {
      const auto& hwc = spec.output_hwc;
      for (int64_t i = 0; i < n; ++i) {
        AveragePoolHwc(raw[done.set].data() + i * raw_len, hwc[0], hwc[1], hwc[2],
                       done.features + i * out_len);
      }
    }
    ARROW_RETURN_NOT_OK(callbacks.on_batch(done.inputs, done.features, out_len));
    stats->featurized += n;
    if (callbacks.on_progress) callbacks.on_progress(stats->featurized + stats->failed);
    return Status::OK();
  };
  bool handing_on_failed = false;  // the engine or on_batch failed
  auto finish_oldest = [&]() -> Status {
    Status status = hand_on_oldest();
    handing_on_failed = handing_on_failed || !status.ok();
    return status;
  };

  auto start_batch = [&]() -> Status {
    const int64_t n = static_cast<int64_t>(batch_inputs.size());
    if (n == 0) return Status::OK();
    if (config.cancel && config.cancel->load()) return Status::Cancelled("interrupted");
    const int set = next_set;
    next_set = (next_set + 1) % kSets;
    for (int64_t i = 0; i < n; ++i) {
      std::copy_n(batch_buffers[i], image_floats, input[set].data() + i * image_floats);
      free_buffers.Push(batch_buffers[i]);
    }
    batch_buffers.clear();
    float* features = callbacks.features_out ? callbacks.features_out(n) : own_out[set].data();
    Running started{0, std::move(batch_inputs), features, set, Clock::now()};
    batch_inputs.clear();
    ARROW_ASSIGN_OR_RAISE(started.ticket,
                          engine->Start(input[set].data(), n, pool ? raw[set].data() : features));
    running.push_back(std::move(started));
    if (static_cast<int>(running.size()) == kSets) return finish_oldest();
    return Status::OK();
  };

  // At the end, and after an error upstream (a failed input's callback, a
  // cancel), the batches already running are handed on: they come before it
  // in input order. After the engine or on_batch fails they are only waited
  // for, since they write into this frame's buffers.
  auto drain = [&](Status status) -> Status {
    while (!running.empty()) {
      if (!handing_on_failed) {
        Status finished = finish_oldest();
        if (status.ok()) status = finished;
      } else {
        (void)engine->Wait(running.front().ticket);
        running.pop_front();
      }
    }
    return status;
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
          ++stats->failed;
          ARROW_RETURN_NOT_OK(callbacks.on_error(ready.input, ready.stage, ready.status));
          continue;
        }
        batch_inputs.push_back(std::move(ready.input));
        batch_buffers.push_back(ready.buffer);
        if (static_cast<int>(batch_inputs.size()) == batch) ARROW_RETURN_NOT_OK(start_batch());
      }
    }
    return start_batch();
  };
  return drain(consume());
}

}  // namespace imgfeat
