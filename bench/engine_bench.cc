// engine_bench: the network alone, in images per second, by engine, threads
// and batch size, on random input (docs/BENCHMARKS.md, "Inference engines").
//
//   engine_bench [--engines openvino,opencv] [--threads 1,2] [--batches 1,4,8,16,32]
//                [--rounds 5] [--images 32] [--variants]
//
// Each configuration runs `images` images per round; rounds of the
// configurations of one engine and thread count are interleaved, so that a
// busy machine slows them alike, and the median round is reported, with
// the CPU time per image (less sensitive to other processes than wall time).
// --variants adds other OpenVINO settings than imgfeat's (one stream per
// thread, one image per infer request, unpinned, one compilation per batch
// size): one stream for the whole batch, halves of the batch per stream, CPU
// pinning, one dynamic-batch compilation.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "engine/engine_internal.h"
#include "imgfeat/engine.h"
#include "imgfeat/model.h"

namespace {

using namespace imgfeat;

std::vector<std::string> Split(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) items.push_back(item);
  return items;
}

std::vector<int> SplitInts(const std::string& text) {
  std::vector<int> values;
  for (const std::string& item : Split(text)) values.push_back(std::stoi(item));
  return values;
}

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec * 1e-6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

struct Config {
  std::string engine;
  std::string variant;  // "" for the engine's default settings
  int threads = 0;
  int batch = 0;
  int streams = 0;  // 0: the engine's choice
  engine::OpenVinoTuning tuning;
  std::unique_ptr<InferenceEngine> opened;
  std::vector<double> images_per_s;
  std::vector<double> cpu_ms_per_image;
};

Result<std::unique_ptr<InferenceEngine>> Open(const Config& c, const std::string& model_path,
                                              const ModelSpec& spec) {
  EngineOptions options{.threads = c.threads, .max_batch = c.batch, .streams = c.streams};
  if (c.engine == "openvino") {
    return engine::OpenOpenVinoEngineTuned(model_path, spec, options, c.tuning);
  }
  return OpenEngine(c.engine, model_path, spec, options);
}

Status RunRound(Config* c, const std::vector<float>& input, int images,
                std::vector<float>* output) {
  const int calls = (images + c->batch - 1) / c->batch;
  const double cpu0 = CpuSeconds();
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < calls; ++i) {
    ARROW_RETURN_NOT_OK(c->opened->Run(input.data(), c->batch, output->data()));
  }
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double done = static_cast<double>(calls) * c->batch;
  c->images_per_s.push_back(done / wall);
  c->cpu_ms_per_image.push_back((CpuSeconds() - cpu0) * 1e3 / done);
  return Status::OK();
}

Status Main(int argc, char** argv) {
  std::vector<std::string> engines = EngineNames();
  std::vector<int> threads = {1, 2}, batches = {1, 4, 8, 16, 32};
  int rounds = 5, images = 32;
  bool variants = false;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--variants") {
      variants = true;
      continue;
    }
    if (i + 1 >= argc) return Status::Invalid("missing value for ", flag);
    std::string value = argv[++i];
    if (flag == "--engines")
      engines = Split(value);
    else if (flag == "--threads")
      threads = SplitInts(value);
    else if (flag == "--batches")
      batches = SplitInts(value);
    else if (flag == "--rounds")
      rounds = std::stoi(value);
    else if (flag == "--images")
      images = std::stoi(value);
    else
      return Status::Invalid("unknown flag ", flag);
  }

  ARROW_ASSIGN_OR_RAISE(ModelSpec spec, FindRegisteredModel(kDefaultModel));
  ARROW_ASSIGN_OR_RAISE(std::string model_path, ResolveModelFile(spec, {}));
  const int max_batch = *std::max_element(batches.begin(), batches.end());
  const int64_t in_per_image = spec.input_height * spec.input_width * spec.input_channels;
  std::vector<float> input(max_batch * in_per_image);
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> uniform(-1.f, 1.f);
  for (float& x : input) x = uniform(rng);
  std::vector<float> output(max_batch * spec.feature_length());

  std::printf("model %s, %d images per round, median of %d rounds\n", spec.name.c_str(), images,
              rounds);
  std::printf("%-9s %-15s %7s %5s %10s %14s %11s\n", "engine", "settings", "threads", "batch",
              "images/s", "(min - max)", "cpu ms/img");
  for (const std::string& engine : engines) {
    for (int thread_count : threads) {
      std::vector<Config> configs;
      for (int batch : batches) {
        configs.push_back(
            {.engine = engine, .threads = thread_count, .batch = batch, .streams = 0});
        if (!variants || engine != "openvino") continue;
        auto variant = [&](const char* name, int streams, auto&& tune) {
          Config c{.engine = engine,
                   .variant = name,
                   .threads = thread_count,
                   .batch = batch,
                   .streams = streams};
          tune(c.tuning);
          configs.push_back(std::move(c));
        };
        using Tuning = engine::OpenVinoTuning;
        // The usual latency setting: one stream, the whole batch at once.
        variant("1 stream", 1, [](Tuning& t) {
          t.images_per_request = 0;
          t.cpu_pinning = nullptr;
        });
        if (batch >= 2) variant("1 str, 1 img", 1, [](Tuning&) {});
        if (batch >= 2 && thread_count >= 2) {
          variant("2 str, halves", 2, [](Tuning& t) { t.images_per_request = 0; });
        }
        variant("pinned", 0, [](Tuning& t) { t.cpu_pinning = "YES"; });
        variant("dynamic batch", 0, [](Tuning& t) { t.dynamic_batch = true; });
      }
      for (Config& c : configs) {
        ARROW_ASSIGN_OR_RAISE(c.opened, Open(c, model_path, spec));
        ARROW_RETURN_NOT_OK(c.opened->Run(input.data(), c.batch, output.data()));  // warm-up
      }
      for (int round = 0; round < rounds; ++round) {
        for (Config& c : configs) {
          ARROW_RETURN_NOT_OK(RunRound(&c, input, images, &output));
        }
      }
      for (const Config& c : configs) {
        auto [lo, hi] = std::minmax_element(c.images_per_s.begin(), c.images_per_s.end());
        std::printf("%-9s %-15s %7d %5d %10.1f %6.1f - %5.1f %11.1f\n", c.engine.c_str(),
                    c.variant.empty() ? "default" : c.variant.c_str(), c.threads, c.batch,
                    Median(c.images_per_s), *lo, *hi, Median(c.cpu_ms_per_image));
      }
      std::fflush(stdout);
    }
  }
  return Status::OK();
}

}  // namespace

int main(int argc, char** argv) {
  Status status = Main(argc, argv);
  if (!status.ok()) {
    std::fprintf(stderr, "engine_bench: %s\n", status.message().c_str());
    return 1;
  }
  return 0;
}
