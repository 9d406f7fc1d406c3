// End-to-end throughput without the output: list -> decode/resize/preprocess
// -> batched inference -> features in memory, on a folder replicated to N
// images through symbolic links.
//
//   build/bench/pipeline_bench [--images 20000] [--threads N] [--batch B]
//                              [--engine openvino] [--source DIR] [--runs 1]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "imgfeat/engine.h"
#include "imgfeat/listing.h"
#include "imgfeat/model.h"
#include "pipeline/feature_stream.h"

namespace fs = std::filesystem;
using namespace imgfeat;

namespace {

// Links the images of `source` into `dir` until there are `count` of them.
Result<int64_t> Replicate(const std::string& source, const fs::path& dir, int64_t count) {
  ARROW_ASSIGN_OR_RAISE(auto lister, ImageLister::Open(source));
  std::vector<std::string> files;
  while (true) {
    ARROW_ASSIGN_OR_RAISE(auto next, lister->Next());
    if (!next) break;
    files.push_back(next->path);
  }
  if (files.empty()) return Status::Invalid("no images in ", source);
  for (int64_t i = 0; i < count; ++i) {
    fs::path sub = dir / ("copy" + std::to_string(i / static_cast<int64_t>(files.size())));
    fs::create_directories(sub);
    fs::create_symlink(files[i % files.size()], sub / (std::to_string(i) + ".jpg"));
  }
  return count;
}

std::string Flag(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == name) return argv[i + 1];
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t images = std::stoll(Flag(argc, argv, "--images", "20000"));
  const int threads = std::stoi(Flag(
      argc, argv, "--threads", std::to_string(std::max(1u, std::thread::hardware_concurrency()))));
  const int batch = std::stoi(Flag(argc, argv, "--batch", "8"));
  const int runs = std::stoi(Flag(argc, argv, "--runs", "1"));
  const std::string engine_name = Flag(argc, argv, "--engine", kDefaultEngine);
  const std::string source = Flag(argc, argv, "--source", "../shared/datasets/fruits-360-sample");

  fs::path dir = fs::temp_directory_path() / ("imgfeat_pipeline_bench_" + std::to_string(getpid()));
  auto status = [&]() -> Status {
    ARROW_RETURN_NOT_OK(Replicate(source, dir, images).status());
    ARROW_ASSIGN_OR_RAISE(ModelSpec spec, FindRegisteredModel(kDefaultModel));
    ARROW_ASSIGN_OR_RAISE(std::string path, ResolveModelFile(spec, ModelSearch{}));
    EngineOptions eo;
    eo.threads = threads;
    eo.max_batch = batch;
    ARROW_ASSIGN_OR_RAISE(auto engine, OpenEngine(engine_name, path, spec, eo));
    ARROW_ASSIGN_OR_RAISE(Labeler labeler, Labeler::Make());
    std::vector<double> rates;
    for (int r = 0; r < runs; ++r) {
      ARROW_ASSIGN_OR_RAISE(auto lister, ImageLister::Open(dir.string()));
      StreamConfig config;
      config.geometry.preprocess = spec.preprocess;
      config.decode_threads = threads;
      config.batch = batch;
      config.labeler = &labeler;
      double checksum = 0;
      StreamCallbacks cb;
      cb.on_batch = [&](const std::vector<FeatureRecord>& recs, const float* f, int64_t dim) {
        for (int64_t i = 0; i < static_cast<int64_t>(recs.size()) * dim; ++i) checksum += f[i];
        return Status::OK();
      };
      cb.on_error = [](const ImageFile& f, const std::string&, const Status& e) {
        return Status::IOError(f.path, ": ", e.message());
      };
      StreamStats stats;
      ARROW_RETURN_NOT_OK(StreamFeatures(lister.get(), engine.get(), config, cb, &stats));
      double rate = stats.featurized / stats.wall_seconds;
      rates.push_back(rate);
      std::printf(
          "run %d: %lld images in %.1f s = %.1f images/s (inference %.1f s, checksum %.3f)\n",
          r + 1, static_cast<long long>(stats.featurized), stats.wall_seconds, rate,
          stats.inference_seconds, checksum);
    }
    std::sort(rates.begin(), rates.end());
    std::printf("pipeline_bench engine=%s threads=%d batch=%d images=%lld: median %.1f images/s\n",
                engine_name.c_str(), threads, batch, static_cast<long long>(images),
                rates[rates.size() / 2]);
    return Status::OK();
  }();
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (!status.ok()) {
    std::fprintf(stderr, "pipeline_bench: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
