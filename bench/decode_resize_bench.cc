// decode_resize_bench [--threads N] [--images N] [--runs N] FOLDER
//
// Images per second for what the pipeline does to each image before the
// network: read the file, DecodeRgb, ResizeBicubic to 224x224, Preprocess
// (tf). The images of FOLDER are repeated through symbolic links in a
// temporary folder up to --images files (default 20,000), so the figure is
// not a handful of files hot in one cache; the median of --runs runs is
// printed.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "imgfeat/image.h"

namespace fs = std::filesystem;

namespace {

std::vector<fs::path> ReplicateImages(const fs::path& folder, int count, const fs::path& temp) {
  std::vector<fs::path> sources;
  for (const auto& entry : fs::recursive_directory_iterator(folder)) {
    if (entry.is_regular_file()) sources.push_back(entry.path());
  }
  std::sort(sources.begin(), sources.end());
  std::vector<fs::path> links;
  for (int i = 0; i < count && !sources.empty(); ++i) {
    fs::path link = temp / (std::to_string(i) + sources[i % sources.size()].extension().string());
    fs::create_symlink(fs::absolute(sources[i % sources.size()]), link);
    links.push_back(link);
  }
  return links;
}

// Returns the number of images that failed.
int ProcessAll(const std::vector<fs::path>& files, int threads) {
  std::atomic<size_t> next{0};
  std::atomic<int> failures{0};
  auto worker = [&] {
    std::vector<uint8_t> bytes;
    imgfeat::RgbImage resized;
    std::vector<float> features(224 * 224 * 3);
    for (size_t i; (i = next.fetch_add(1)) < files.size();) {
      std::ifstream in(files[i], std::ios::binary);
      bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      auto image = imgfeat::DecodeRgb(bytes);
      if (!image.ok()) {
        failures.fetch_add(1);
        continue;
      }
      imgfeat::ResizeBicubic(*image, 224, 224, &resized);
      imgfeat::Preprocess(resized, imgfeat::PreprocessMode::kTf, features.data());
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
  for (auto& thread : pool) thread.join();
  return failures.load();
}

}  // namespace

int main(int argc, char** argv) {
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int images = 20000, runs = 3;
  fs::path folder;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--images") == 0 && i + 1 < argc) {
      images = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
      runs = std::atoi(argv[++i]);
    } else if (argv[i][0] != '-') {
      folder = argv[i];
    } else {
      folder.clear();
      break;
    }
  }
  if (folder.empty() || threads < 1 || images < 1 || runs < 1) {
    std::fprintf(stderr,
                 "usage: decode_resize_bench [--threads N] [--images N] [--runs N] FOLDER\n");
    return 2;
  }
  fs::path temp = fs::temp_directory_path() / ("imgfeat-bench-" + std::to_string(::getpid()));
  fs::create_directories(temp);
  std::vector<fs::path> files = ReplicateImages(folder, images, temp);
  std::vector<double> rates;
  int failures = 0;
  for (int run = 0; run < runs; ++run) {
    auto start = std::chrono::steady_clock::now();
    failures = ProcessAll(files, threads);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    rates.push_back(files.size() / seconds);
    std::printf("run %d: %.0f images/s\n", run + 1, rates.back());
  }
  fs::remove_all(temp);
  std::sort(rates.begin(), rates.end());
  std::printf(
      "imgfeat decode+resize+preprocess: %zu images, %d threads, median %.0f images/s"
      " (%.3f ms/image/thread), %d failed\n",
      files.size(), threads, rates[rates.size() / 2], 1000.0 * threads / rates[rates.size() / 2],
      failures);
  return failures == 0 ? 0 : 1;
}
