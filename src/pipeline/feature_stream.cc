#include "pipeline/feature_stream.h"

#include <chrono>
#include <map>
#include <memory>
#include <thread>

#include "pipeline/bounded_queue.h"
#include "pipeline/thread_group.h"

namespace imgfeat {
namespace {

using Clock = std::chrono::steady_clock;

struct Task {
  int64_t seq;
  ImageFile file;
  float* buffer;
  PendingObject fetch;  // with a fetcher: the read already under way
};

struct Prepared {
  int64_t seq;
  ImageFile file;
  float* buffer;
  Status status;
  std::string stage;
};

}  // namespace

int64_t PooledFeatureLength(const ModelSpec& spec, Pooling pooling) {
  if (pooling == Pooling::kAvg && !spec.output_hwc.empty()) return spec.output_hwc.back();
  return spec.feature_length();
}

Status StreamFeatures(ImageLister* lister, InferenceEngine* engine, const StreamConfig& config,
                      const StreamCallbacks& callbacks, StreamStats* stats) {
  const auto start = Clock::now();
  const ModelSpec& spec = engine->spec();
  const size_t image_floats = config.geometry.floats();
  const int batch = std::max(1, config.batch);
  const int threads = std::max(1, config.decode_threads);
  // Enough buffers for a full batch being assembled plus every thread busy,
  // twice over so decoding never waits on inference.
  const size_t in_flight = static_cast<size_t>(batch + threads) * 2;

  std::vector<float> arena(in_flight * image_floats);
  BoundedQueue<float*> free_buffers(in_flight);
  for (size_t i = 0; i < in_flight; ++i) free_buffers.Push(arena.data() + i * image_floats);
  BoundedQueue<Task> tasks(in_flight);
  BoundedQueue<Prepared> prepared(in_flight);

  Status listing_status;
  ThreadGroup group([&] {
    free_buffers.Close();
    tasks.Close();
    prepared.Close();
    if (config.fetcher) config.fetcher->Close();
  });

  // Listing: buffers are taken in listing order, so the oldest unfinished
  // image always holds one and the reordering below cannot starve.
  std::atomic<int64_t> listed{0}, skipped{0};
  std::atomic<int> workers_left{threads};
  group.Spawn([&] {
    int64_t seq = 0;
    while (true) {
      auto next = lister->Next();
      if (!next.ok()) {
        listing_status = next.status();
        break;
      }
      if (!next->has_value()) break;
      ImageFile file = std::move(**next);
      ++listed;
      if (config.skip && config.skip->count(file.path)) {
        ++skipped;
        continue;
      }
      std::optional<float*> buffer = free_buffers.Pop();
      if (!buffer) break;
      Task task{seq++, std::move(file), *buffer, {}};
      if (config.fetcher) task.fetch = config.fetcher->Start(task.file);
      if (!tasks.Push(std::move(task))) break;
    }
    tasks.Close();
  });
  for (int t = 0; t < threads; ++t) {
    group.Spawn([&] {
      ImagePreparer preparer(config.geometry);
      std::vector<uint8_t> bytes;
      while (std::optional<Task> task = tasks.Pop()) {
        Prepared out{task->seq, std::move(task->file), task->buffer, Status::OK(), ""};
        if (config.fetcher) {
          out.stage = "read";
          out.status = config.fetcher->Finish(out.file, &task->fetch, &bytes);
          if (out.status.ok()) {
            out.stage = "decode";
            out.status = preparer.PrepareBytes(bytes, out.buffer);
          }
        } else {
          out.status = preparer.Prepare(out.file, out.buffer, &out.stage);
        }
        if (!prepared.Push(std::move(out))) break;
      }
      if (--workers_left == 0) prepared.Close();
    });
  }

  // Inference on this thread, in listing order.
  const int64_t raw_len = spec.feature_length();
  const int64_t out_len = PooledFeatureLength(spec, config.pooling);
  const auto& hwc = spec.output_hwc;
  std::vector<float> input(static_cast<size_t>(batch) * image_floats);
  std::vector<float> raw(static_cast<size_t>(batch) * raw_len);
  std::vector<float> pooled(config.pooling == Pooling::kAvg ? batch * out_len : 0);
  std::vector<FeatureRecord> records;
  std::vector<float*> batch_buffers;
  std::map<int64_t, Prepared> waiting;
  int64_t next_seq = 0, done = 0;

  auto run_batch = [&]() -> Status {
    if (records.empty()) return Status::OK();
    if (config.cancel && config.cancel->load()) return Status::Cancelled("interrupted");
    const int64_t n = static_cast<int64_t>(records.size());
    for (int64_t i = 0; i < n; ++i) {
      std::copy_n(batch_buffers[i], image_floats, input.data() + i * image_floats);
      free_buffers.Push(batch_buffers[i]);
    }
    batch_buffers.clear();
    auto t0 = Clock::now();
    ARROW_RETURN_NOT_OK(engine->Run(input.data(), n, raw.data()));
    stats->inference_seconds += std::chrono::duration<double>(Clock::now() - t0).count();
    const float* features = raw.data();
    if (config.pooling == Pooling::kAvg) {
      for (int64_t i = 0; i < n; ++i) {
        AveragePoolHwc(raw.data() + i * raw_len, hwc[0], hwc[1], hwc[2],
                       pooled.data() + i * out_len);
      }
      features = pooled.data();
    }
    ARROW_RETURN_NOT_OK(callbacks.on_batch(records, features, out_len));
    stats->featurized += n;
    done += n;
    records.clear();
    if (callbacks.on_progress) callbacks.on_progress(done + stats->failed);
    return Status::OK();
  };

  while (std::optional<Prepared> item = prepared.Pop()) {
    waiting.emplace(item->seq, std::move(*item));
    for (auto it = waiting.find(next_seq); it != waiting.end(); it = waiting.find(next_seq)) {
      Prepared ready = std::move(it->second);
      waiting.erase(it);
      ++next_seq;
      if (!ready.status.ok()) {
        free_buffers.Push(ready.buffer);
        ++stats->failed;
        ARROW_RETURN_NOT_OK(callbacks.on_error(ready.file, ready.stage, ready.status));
        continue;
      }
      std::string label = config.labeler->LabelFor(ready.file.path);
      records.push_back(FeatureRecord{std::move(ready.file), std::move(label)});
      batch_buffers.push_back(ready.buffer);
      if (static_cast<int>(records.size()) == batch) ARROW_RETURN_NOT_OK(run_batch());
    }
  }
  ARROW_RETURN_NOT_OK(run_batch());
  // Entries the walk could not follow (a dangling link, an unreadable folder)
  // are reported too, so that nothing under INPUT goes missing unnoticed. The
  // listing thread has finished: the queues it closed order this read.
  for (const auto& [path, reason] : lister->Skipped()) {
    ++stats->failed;
    ARROW_RETURN_NOT_OK(callbacks.on_error(ImageFile{path, 0, 0}, "list", Status::IOError(reason)));
  }
  stats->listed = listed;
  stats->skipped = skipped;
  stats->wall_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return listing_status;
}

}  // namespace imgfeat
