#include "pipeline/feature_stream.h"

#include <chrono>

#include "pipeline/decode_infer_loop.h"

namespace imgfeat {
namespace {

using Clock = std::chrono::steady_clock;

// A listing as the loop's inputs: loose files as they are, shards opened and
// their samples given one by one (bytes in memory, labelled), the paths to
// skip left out, and a failing listing ended there (its error kept for the
// end of the stream). While a shard is read, the next listed file is opened
// if it is a shard, so that its first reads are under way when it is reached
// (two shards in flight: one slow GET does not stall the decoders).
class ListingInputs {
 public:
  ListingInputs(ImageLister* lister, const StreamConfig& config)
      : lister_(lister), config_(config) {}

  std::optional<LoopInput> Next() {
    while (true) {
      if (shard_) {
        std::optional<LoopInput> sample = NextSample();
        if (sample) return sample;
        continue;
      }
      std::optional<Listed> listed = NextListed();
      if (!listed) return std::nullopt;
      if (listed->format != InputFormat::kFiles) {
        shard_file_ = std::move(listed->file);
        if (listed->reader.ok()) {
          shard_ = std::move(*listed->reader);
          ahead_ = NextListed();
          continue;
        }
        ++listed_;
        LoopInput failed;
        failed.file = shard_file_;
        failed.refused = listed->reader.status();
        return failed;
      }
      ++listed_;
      if (Skip(listed->file.path)) continue;
      LoopInput input;
      input.file = std::move(listed->file);
      return input;
    }
  }

  const Status& status() const { return status_; }
  int64_t listed() const { return listed_; }
  int64_t skipped() const { return skipped_; }

 private:
  bool Skip(const std::string& path) {
    if (!config_.skip || !config_.skip->count(path)) return false;
    ++skipped_;
    return true;
  }

  // The shard's next sample not to skip; nullopt at its end (shard_ closed).
  std::optional<LoopInput> NextSample() {
    while (true) {
      auto next = shard_->Next();
      if (!next.ok() || !next->has_value()) {
        shard_.reset();
        if (next.ok()) return std::nullopt;
        ++listed_;
        LoopInput failed;
        failed.file = shard_file_;
        failed.refused = next.status();
        return failed;
      }
      ShardSample& sample = **next;
      ++listed_;
      if (Skip(sample.path)) continue;
      LoopInput input;
      input.label = SampleLabel(*config_.labeler, config_.shards, shard_file_.path, sample);
      input.kept = std::move(sample.kept);
      input.file.path = std::move(sample.path);
      input.file.modification_time_us = shard_file_.modification_time_us;
      input.in_memory = true;
      input.refused = std::move(sample.error);
      if (sample.image) {
        input.file.length = sample.image->size();
        input.bytes = std::span<const uint8_t>(sample.image->data(),
                                               static_cast<size_t>(sample.image->size()));
        input.owner = std::move(sample.image);
      }
      return input;
    }
  }

  // A listed file, and its reader when it is a shard (opened: reading began).
  struct Listed {
    ImageFile file;
    InputFormat format = InputFormat::kFiles;
    Result<std::unique_ptr<ShardReader>> reader = std::unique_ptr<ShardReader>();
  };

  // The file listed ahead, else the lister's next; nullopt at the end or on
  // a listing error (kept in status_).
  std::optional<Listed> NextListed() {
    if (ahead_) {
      std::optional<Listed> out = std::move(ahead_);
      ahead_.reset();
      return out;
    }
    if (listing_ended_) return std::nullopt;
    auto next = lister_->Next();
    if (!next.ok() || !next->has_value()) {
      listing_ended_ = true;
      if (!next.ok()) status_ = next.status();
      return std::nullopt;
    }
    Listed listed;
    listed.file = std::move(**next);
    listed.format = ShardFormatOf(listed.file, config_.format);
    if (listed.format != InputFormat::kFiles) {
      listed.reader = ShardReader::Open(listed.file, listed.format, config_.shards);
    }
    return listed;
  }

  ImageLister* lister_;
  const StreamConfig& config_;
  std::optional<Listed> ahead_;
  bool listing_ended_ = false;
  std::unique_ptr<ShardReader> shard_;
  ImageFile shard_file_;
  Status status_;
  int64_t listed_ = 0;
  int64_t skipped_ = 0;
};

}  // namespace

Status StreamFeatures(ImageLister* lister, InferenceEngine* engine, const StreamConfig& config,
                      const StreamCallbacks& callbacks, StreamStats* stats) {
  const auto start = Clock::now();
  ListingInputs inputs(lister, config);
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
      std::string label =
          input.label ? std::move(*input.label) : config.labeler->LabelFor(input.file.path);
      records.push_back(
          FeatureRecord{std::move(input.file), std::move(label), std::move(input.kept)});
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
