// The decode-infer loop with a stand-in decoder and engine, so that the
// decoders' timing and failures are chosen: input order kept when decoders
// finish out of order, errors reported in place, the buffers bounded, and a
// cancel or a failing callback stopping it.
#include "pipeline/decode_infer_loop.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "testing/test_util.h"

namespace imgfeat {
namespace {

using std::chrono::milliseconds;

// Features of an image: its two first input floats, as they were decoded.
class CopyEngine : public InferenceEngine {
 public:
  CopyEngine() {
    spec_.input_height = 1;
    spec_.input_width = 1;
    spec_.output_hwc = {1, 1, 2};
  }
  Status Run(const float* input, int64_t batch, float* output) override {
    for (int64_t i = 0; i < batch; ++i) {
      output[2 * i] = input[3 * i];
      output[2 * i + 1] = input[3 * i + 1];
    }
    return Status::OK();
  }
  const ModelSpec& spec() const override { return spec_; }
  std::string name() const override { return "copy"; }

 private:
  ModelSpec spec_;
};

// Runs each batch a little later on a thread of its own, as an engine's
// streams do, so that a loop touching a batch's input or output before
// Wait would give wrong features.
class AsyncCopyEngine : public CopyEngine {
 public:
  ~AsyncCopyEngine() override {
    for (auto& [ticket, thread] : threads_) thread.join();
  }
  Result<int64_t> Start(const float* input, int64_t batch, float* output) override {
    EXPECT_LT(threads_.size(), static_cast<size_t>(kMaxInFlight));
    const int64_t ticket = next_ticket_++;
    threads_.emplace(ticket, std::thread([=, this] {
                       std::this_thread::sleep_for(milliseconds(2));
                       (void)Run(input, batch, output);
                     }));
    most_in_flight = std::max(most_in_flight, threads_.size());
    return ticket;
  }
  Status Wait(int64_t ticket) override {
    EXPECT_EQ(ticket, threads_.begin()->first) << "batches are waited for in order";
    threads_.at(ticket).join();
    threads_.erase(ticket);
    if (ticket == fail_at) return Status::IOError("the engine failed");
    return Status::OK();
  }

  int64_t fail_at = -1;
  size_t most_in_flight = 0;

 private:
  std::map<int64_t, std::thread> threads_;
  int64_t next_ticket_ = 0;
};

LoopConfig OneByOneImages(int threads, int batch) {
  LoopConfig config;
  config.geometry.width = 1;
  config.geometry.height = 1;
  config.decode_threads = threads;
  config.batch = batch;
  return config;
}

// Inputs 0 .. n-1 named by their number.
std::function<std::optional<LoopInput>()> Numbered(int64_t n, int64_t* taken) {
  return [n, taken]() -> std::optional<LoopInput> {
    if (*taken >= n) return std::nullopt;
    LoopInput input;
    input.file.path = std::to_string((*taken)++);
    return input;
  };
}

// Decodes input i as {i, 2i, 0}.
Status DecodeAsNumber(const LoopInput& input, float* out) {
  out[0] = static_cast<float>(input.seq);
  out[1] = static_cast<float>(2 * input.seq);
  out[2] = 0;
  return Status::OK();
}

TEST(DecodeInferLoopTest, InputOrderWhateverOrderDecodersFinishErrorsInPlace) {
  constexpr int64_t kInputs = 40;
  constexpr int kBatch = 3;
  CopyEngine engine;
  LoopConfig config = OneByOneImages(/*threads=*/4, kBatch);

  // Input 0 is decoded only once five later inputs are, so the loop must hold
  // those back until it comes.
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<int64_t> finish_order;
  config.make_decoder = [&] {
    return LoopDecoder([&](LoopInput* input, float* out, std::string* stage) -> Status {
      std::unique_lock lock(mutex);
      if (input->seq == 0) {
        changed.wait_for(lock, std::chrono::seconds(10), [&] { return finish_order.size() >= 5; });
      }
      finish_order.push_back(input->seq);
      changed.notify_all();
      EXPECT_NE(input->seq, 10) << "a refused input is not decoded";
      if (input->seq % 7 == 3) {
        *stage = "decode";
        return Status::IOError("bad ", input->seq);
      }
      return DecodeAsNumber(*input, out);
    });
  };

  int64_t taken = 0;
  std::vector<std::string> events;
  std::vector<int64_t> progress;
  LoopCallbacks callbacks;
  auto numbered = Numbered(kInputs, &taken);
  callbacks.next_input = [&]() -> std::optional<LoopInput> {
    std::optional<LoopInput> input = numbered();
    if (input && input->file.path == "10") input->refused = Status::Invalid("no image");
    return input;
  };
  callbacks.on_batch = [&](std::vector<LoopInput>& inputs, const float* features, int64_t dim) {
    EXPECT_EQ(dim, 2);
    EXPECT_LE(inputs.size(), static_cast<size_t>(kBatch));
    for (size_t i = 0; i < inputs.size(); ++i) {
      EXPECT_EQ(inputs[i].file.path, std::to_string(inputs[i].seq));
      EXPECT_EQ(features[2 * i], static_cast<float>(inputs[i].seq));
      EXPECT_EQ(features[2 * i + 1], static_cast<float>(2 * inputs[i].seq));
      events.push_back(inputs[i].file.path);
    }
    return Status::OK();
  };
  callbacks.on_error = [&](const LoopInput& input, const std::string& stage, const Status& error) {
    events.push_back("error:" + stage + ":" + input.file.path + ":" + error.message());
    return Status::OK();
  };
  callbacks.on_progress = [&](int64_t done) { progress.push_back(done); };
  LoopStats stats;
  ASSERT_OK(RunDecodeInferLoop(&engine, config, callbacks, &stats));

  EXPECT_NE(finish_order.front(), 0) << "the decoders did finish out of order";
  // Rows come in input order, and so do errors; an error is reported as soon
  // as it is reached, possibly before the batch holding earlier rows has run.
  std::vector<std::string> rows, errors, want_rows, want_errors;
  for (const auto& e : events) (e.starts_with("error:") ? errors : rows).push_back(e);
  for (int64_t i = 0; i < kInputs; ++i) {
    if (i == 10) {
      want_errors.push_back("error:read:10:no image");
    } else if (i % 7 == 3) {
      want_errors.push_back("error:decode:" + std::to_string(i) + ":bad " + std::to_string(i));
    } else {
      want_rows.push_back(std::to_string(i));
    }
  }
  EXPECT_EQ(rows, want_rows);
  EXPECT_EQ(errors, want_errors);
  EXPECT_EQ(stats.featurized, static_cast<int64_t>(want_rows.size()));
  EXPECT_EQ(stats.failed, static_cast<int64_t>(want_errors.size()));
  ASSERT_FALSE(progress.empty());
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
  EXPECT_EQ(progress.back(), kInputs);  // the last input worked
}

TEST(DecodeInferLoopTest, BatchesOverlapInTheEngineAndComeOutWhole) {
  constexpr int64_t kInputs = 101;
  AsyncCopyEngine engine;
  LoopConfig config = OneByOneImages(/*threads=*/2, /*batch=*/4);
  config.make_decoder = [] {
    return LoopDecoder(
        [](LoopInput* input, float* out, std::string*) { return DecodeAsNumber(*input, out); });
  };
  int64_t taken = 0, next = 0;
  LoopCallbacks callbacks;
  callbacks.next_input = Numbered(kInputs, &taken);
  callbacks.on_batch = [&](std::vector<LoopInput>& inputs, const float* features, int64_t) {
    for (size_t i = 0; i < inputs.size(); ++i, ++next) {
      EXPECT_EQ(inputs[i].seq, next);
      EXPECT_EQ(features[2 * i], static_cast<float>(next));
      EXPECT_EQ(features[2 * i + 1], static_cast<float>(2 * next));
    }
    return Status::OK();
  };
  callbacks.on_error = [](const LoopInput&, const std::string&, const Status&) {
    return Status::OK();
  };
  LoopStats stats;
  ASSERT_OK(RunDecodeInferLoop(&engine, config, callbacks, &stats));
  EXPECT_EQ(stats.featurized, kInputs);
  EXPECT_EQ(next, kInputs);
  EXPECT_EQ(engine.most_in_flight, static_cast<size_t>(InferenceEngine::kMaxInFlight));
  EXPECT_GT(stats.inference_seconds, 0);
}

TEST(DecodeInferLoopTest, AFailingEngineStopsTheLoopAndHandsOnNothingAfter) {
  AsyncCopyEngine engine;
  engine.fail_at = 3;
  LoopConfig config = OneByOneImages(/*threads=*/2, /*batch=*/4);
  config.make_decoder = [] {
    return LoopDecoder(
        [](LoopInput* input, float* out, std::string*) { return DecodeAsNumber(*input, out); });
  };
  int64_t taken = 0;
  LoopCallbacks callbacks;
  callbacks.next_input = Numbered(1000, &taken);
  callbacks.on_batch = [](std::vector<LoopInput>&, const float*, int64_t) { return Status::OK(); };
  callbacks.on_error = [](const LoopInput&, const std::string&, const Status&) {
    return Status::OK();
  };
  LoopStats stats;
  Status status = RunDecodeInferLoop(&engine, config, callbacks, &stats);
  EXPECT_EQ(status.message(), "the engine failed");
  // Batches 0-2 handed on; batch 4, running when batch 3 failed, only waited for.
  EXPECT_EQ(stats.featurized, 12);
}

TEST(DecodeInferLoopTest, HoldsAtMostInFlightImages) {
  constexpr int64_t kInputs = 300;
  CopyEngine engine;
  LoopConfig config = OneByOneImages(/*threads=*/2, /*batch=*/4);
  const size_t in_flight = InFlightImages(config);
  EXPECT_EQ(in_flight, 12u);

  std::mutex mutex;
  std::set<const float*> buffers;
  config.make_decoder = [&] {
    return LoopDecoder([&](LoopInput* input, float* out, std::string* stage) -> Status {
      {
        std::lock_guard lock(mutex);
        buffers.insert(out);
      }
      if (input->seq % 5 == 0) {
        *stage = "decode";
        return Status::IOError("bad");
      }
      return DecodeAsNumber(*input, out);
    });
  };
  // A slow consumer lets the feeding thread run as far ahead as it may: the
  // images holding buffers, the one it waits to find a buffer for, and the
  // batches in the engine, whose buffers are free again before on_batch
  // counts them finished.
  int64_t taken = 0, finished = 0, most_ahead = 0;
  auto numbered = Numbered(kInputs, &taken);
  LoopCallbacks callbacks;
  callbacks.next_input = [&] {
    std::lock_guard lock(mutex);
    auto input = numbered();
    most_ahead = std::max(most_ahead, taken - finished);
    return input;
  };
  callbacks.on_batch = [&](std::vector<LoopInput>& inputs, const float*, int64_t) {
    std::this_thread::sleep_for(milliseconds(1));
    std::lock_guard lock(mutex);
    finished += static_cast<int64_t>(inputs.size());
    return Status::OK();
  };
  callbacks.on_error = [&](const LoopInput&, const std::string&, const Status&) {
    std::lock_guard lock(mutex);
    ++finished;
    return Status::OK();
  };
  LoopStats stats;
  ASSERT_OK(RunDecodeInferLoop(&engine, config, callbacks, &stats));
  EXPECT_EQ(stats.featurized + stats.failed, kInputs);
  EXPECT_EQ(buffers.size(), in_flight);
  EXPECT_LE(most_ahead, static_cast<int64_t>(in_flight) + 1 + kLoopFeatureBatches * 4);

  // Fewer inputs than that: no more buffers or threads than inputs.
  config.input_count = 5;
  EXPECT_EQ(InFlightImages(config), 5u);
  EXPECT_EQ(LoopDecodeThreads(config), 2);
  config.input_count = 1;
  EXPECT_EQ(LoopDecodeThreads(config), 1);
  config.input_count = 0;
  EXPECT_EQ(InFlightImages(config), 1u);
}

TEST(DecodeInferLoopTest, CancelStopsBeforeTheNextBatch) {
  CopyEngine engine;
  LoopConfig config = OneByOneImages(/*threads=*/2, /*batch=*/2);
  std::atomic<bool> cancel{false};
  config.cancel = &cancel;
  config.make_decoder = [] {
    return LoopDecoder(
        [](LoopInput* input, float* out, std::string*) { return DecodeAsNumber(*input, out); });
  };
  int64_t taken = 0, batches = 0;
  LoopCallbacks callbacks;
  callbacks.next_input = Numbered(1000000, &taken);
  callbacks.on_batch = [&](std::vector<LoopInput>&, const float*, int64_t) {
    ++batches;
    cancel = true;
    return Status::OK();
  };
  callbacks.on_error = [](const LoopInput&, const std::string&, const Status&) {
    return Status::OK();
  };
  LoopStats stats;
  Status status = RunDecodeInferLoop(&engine, config, callbacks, &stats);
  EXPECT_TRUE(status.IsCancelled()) << status.ToString();
  EXPECT_EQ(status.message(), "interrupted");
  // The batches started before the cancel was seen are handed on, and no
  // more: at most those whose features the loop holds at once.
  EXPECT_GE(batches, 1);
  EXPECT_LE(batches, kLoopFeatureBatches + 1);
  EXPECT_EQ(stats.featurized, 2 * batches);
}

TEST(DecodeInferLoopTest, ACallbacksErrorStopsTheLoopAndTheFeaturesCanGoToTheCaller) {
  CopyEngine engine;
  LoopConfig config = OneByOneImages(/*threads=*/3, /*batch=*/4);
  config.pooling = Pooling::kAvg;  // over one position: the features as they are
  config.make_decoder = [] {
    return LoopDecoder([](LoopInput* input, float* out, std::string* stage) -> Status {
      if (input->seq == 9) {
        *stage = "decode";
        return Status::IOError("bad");
      }
      return DecodeAsNumber(*input, out);
    });
  };
  std::vector<float> out(100 * 2);
  int64_t taken = 0, packed = 0;
  LoopCallbacks callbacks;
  callbacks.next_input = Numbered(100, &taken);
  int64_t reserved = 0;
  callbacks.features_out = [&](int64_t rows) {
    EXPECT_LE(rows, 4);
    float* next = out.data() + reserved * 2;
    reserved += rows;
    return next;
  };
  callbacks.on_batch = [&](std::vector<LoopInput>& inputs, const float* features, int64_t) {
    EXPECT_EQ(features, out.data() + packed * 2);
    packed += static_cast<int64_t>(inputs.size());
    return Status::OK();
  };
  callbacks.on_error = [](const LoopInput&, const std::string&, const Status&) {
    return Status::IOError("the error log is full");
  };
  LoopStats stats;
  Status status = RunDecodeInferLoop(&engine, config, callbacks, &stats);
  EXPECT_EQ(status.message(), "the error log is full");
  EXPECT_EQ(stats.failed, 1);
  // Inputs 0-3: input 9's error reached the callbacks while inputs 4-7 were
  // still in the engine, and 8 waited in the batch being assembled.
  EXPECT_EQ(packed, 4);
  for (int64_t i = 0; i < packed; ++i) EXPECT_EQ(out[2 * i], static_cast<float>(i));
}

}  // namespace
}  // namespace imgfeat
