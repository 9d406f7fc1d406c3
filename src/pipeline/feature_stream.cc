#include "pipeline/feature_stream.h"

#include <chrono>

#include "pipeline/decode_infer_loop.h"

namespace imgfeat {
namespace {

using Clock = std::chrono::steady_clock;

// A listing as the loop's inputs: the paths to skip left out, and a failing
// listing ended there (its error kept for the end of the stream).
class ListingInputs {
 public:
  ListingInputs(ImageLister* lister, const std::unordered_set<std::string>* skip)
      : lister_(lister), skip_(skip) {}

  std::optional<LoopInput> Next() {
    while (true) {
      auto next = lister_->Next();
      if (!next.ok()) {
        status_ = next.status();
        return std::nullopt;
      }
      if (!next->has_value()) return std::nullopt;
      ++listed_;
      if (skip_ && skip_->count((*next)->path)) {
        ++skipped_;
        continue;
      }
      LoopInput input;
      input.file = std::move(**next);
      return input;
    }
  }

  const Status& status() const { return status_; }
  int64_t listed() const { return listed_; }
  int64_t skipped() const { return skipped_; }

 private:
  ImageLister* lister_;
  const std::unordered_set<std::string>* skip_;
  Status status_;
  int64_t listed_ = 0;
  int64_t skipped_ = 0;
};

}  // namespace

Status StreamFeatures(ImageLister* lister, InferenceEngine* engine, const StreamConfig& config,
                      const StreamCallbacks& callbacks, StreamStats* stats) {
  const auto start = Clock::now();
  ListingInputs inputs(lister, config.skip);
  LoopConfig loop;
  loop.geometry = config.geometry;
  loop.decode_threads = config.decode_threads;
  loop.batch = config.batch;
  loop.pooling = config.pooling;
  loop.fetcher = config.fetcher;
  loop.cancel = config.cancel;

  std::vector<FeatureRecord> records;
  LoopCallbacks loop_callbacks;
  loop_callbacks.next_input = [&] { return inputs.Next(); };
  loop_callbacks.on_batch = [&](std::vector<LoopInput>& batch, const float* features, int64_t dim) {
    records.clear();
    for (LoopInput& input : batch) {
      std::string label = config.labeler->LabelFor(input.file.path);
      records.push_back(FeatureRecord{std::move(input.file), std::move(label)});
    }
    return callbacks.on_batch(records, features, dim);
  };
  loop_callbacks.on_error = [&](const LoopInput& input, const std::string& stage,
                                const Status& error) {
    return callbacks.on_error(input.file, stage, error);
  };
  loop_callbacks.on_progress = callbacks.on_progress;

  LoopStats loop_stats;
  Status status = RunDecodeInferLoop(engine, loop, loop_callbacks, &loop_stats);
  stats->featurized += loop_stats.featurized;
  stats->failed += loop_stats.failed;
  stats->inference_seconds += loop_stats.inference_seconds;
  ARROW_RETURN_NOT_OK(status);
  // Entries the walk could not follow (a dangling link, an unreadable folder)
  // are reported too, so that nothing under INPUT goes missing unnoticed. The
  // loop has joined the listing's thread, so these reads need no lock.
  for (const auto& [path, reason] : lister->Skipped()) {
    ++stats->failed;
    ARROW_RETURN_NOT_OK(callbacks.on_error(ImageFile{path, 0, 0}, "list", Status::IOError(reason)));
  }
  stats->listed = inputs.listed();
  stats->skipped = inputs.skipped();
  stats->wall_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return inputs.status();
}

}  // namespace imgfeat
