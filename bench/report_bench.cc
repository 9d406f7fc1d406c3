// The report over a large output: `report_bench write DIR [ROWS] [DIM]` makes
// a synthetic output (ROWS rows of DIM floats, ten labels in Train/Test
// folders, default 100,000 x 9,468, about 3.8 GB), `report_bench report DIR`
// times WriteReport on it and prints its peak memory (run it as a process of
// its own, so that the peak is the report's alone), `report_bench pairs`
// times what a run adds at its end: the distances of the pairs of its
// distortion sample (128 rows of 62,720 raw and 6,747 reduced floats).
// docs/BENCHMARKS.md, "Report", has the figures.
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "imgfeat/dataset.h"
#include "imgfeat/report.h"
#include "pipeline/distortion_sample.h"

namespace {

constexpr int kLabels = 10;
constexpr int64_t kBatch = 256;

// xorshift64*: fast, and the same rows on every machine.
struct Random {
  uint64_t state = 0x9e3779b97f4a7c15ULL;
  float Uniform() {  // in [-1, 1)
    state ^= state >> 12, state ^= state << 25, state ^= state >> 27;
    return static_cast<float>((state * 0x2545f4914f6cdd1dULL) >> 40) / (1 << 23) - 1.0f;
  }
};

int Write(const std::string& dir, int64_t rows, int64_t dim) {
  imgfeat::DatasetOptions options;
  auto writer = imgfeat::DatasetWriter::Open(dir, dim, "{}", options);
  if (!writer.ok()) return std::fprintf(stderr, "%s\n", writer.status().ToString().c_str()), 1;
  auto distortion = imgfeat::DistortionSample::Make(rows, imgfeat::kDistortionRows, 42, dim, dim);
  Random random;
  // Each label: a centre in the positive orthant plus noise; features are
  // non-negative, as after MobileNetV2's ReLU6.
  std::vector<float> centres(kLabels * dim);
  for (float& c : centres) c = 1.0f + random.Uniform();
  std::vector<float> block(kBatch * dim), reduced(kBatch * dim);
  for (int64_t r0 = 0; r0 < rows; r0 += kBatch) {
    const int64_t n = std::min(kBatch, rows - r0);
    std::vector<imgfeat::FeatureRecord> records(n);
    for (int64_t i = 0; i < n; ++i) {
      const int label = static_cast<int>((r0 + i) % kLabels);
      records[i].label = "label" + std::to_string(label);
      records[i].file.path = "/synthetic/" + std::string((r0 + i) % 4 ? "Train/" : "Test/") +
                             records[i].label + "/" + std::to_string(r0 + i) + ".jpg";
      for (int64_t j = 0; j < dim; ++j) {
        block[i * dim + j] = std::max(0.0f, centres[label * dim + j] + 1.5f * random.Uniform());
        reduced[i * dim + j] = block[i * dim + j] * (1.0f + 0.02f * random.Uniform());
      }
    }
    distortion->Offer(records, block.data(), reduced.data());
    auto st = (*writer)->Append(records, block.data(), nullptr);
    if (!st.ok()) return std::fprintf(stderr, "%s\n", st.ToString().c_str()), 1;
  }
  auto st = distortion->Write((*writer)->work_dir() + "/_distortion.parquet.tmp",
                              dir + "/_distortion.parquet",
                              R"({"eps": 0.1, "reducer": "srp", "seed": 42, "rows": 128})");
  if (st.ok()) {
    st = (*writer)->Finish(R"({"version": "bench", "counts": {"feature_dim": )" +
                           std::to_string(dim) + "}}");
  }
  if (!st.ok()) return std::fprintf(stderr, "%s\n", st.ToString().c_str()), 1;
  std::printf("wrote %lld rows of %lld floats to %s\n", static_cast<long long>(rows),
              static_cast<long long>(dim), dir.c_str());
  return 0;
}

int Report(const std::string& dir) {
  imgfeat::ReportOptions options;
  options.output = dir;
  const auto t0 = std::chrono::steady_clock::now();
  auto summary = imgfeat::WriteReport(options);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!summary.ok()) return std::fprintf(stderr, "%s\n", summary.status().ToString().c_str()), 1;
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf(
      "report of %lld rows (%lld analysed, k-NN %s %.4f, %lld pairs %.3f within): %.1f s, "
      "peak RSS %.0f MiB\n",
      static_cast<long long>(summary->rows), static_cast<long long>(summary->rows_analysed),
      summary->knn_method.c_str(), summary->knn_accuracy,
      static_cast<long long>(summary->distortion_pairs), summary->distortion_within, seconds,
      usage.ru_maxrss / 1024.0);
  return 0;
}

int Pairs() {
  constexpr int64_t kRaw = 62720, kReduced = 6747, kRows = imgfeat::kDistortionRows;
  auto sample = imgfeat::DistortionSample::Make(kRows, kRows, 42, kRaw, kReduced);
  Random random;
  std::vector<float> raw(kRows * kRaw), reduced(kRows * kReduced);
  for (float& v : raw) v = std::max(0.0f, random.Uniform());
  for (float& v : reduced) v = random.Uniform();
  std::vector<imgfeat::FeatureRecord> records(kRows);
  for (int64_t i = 0; i < kRows; ++i) records[i].file.path = std::to_string(i);
  sample->Offer(records, raw.data(), reduced.data());
  for (int round = 0; round < 3; ++round) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto pairs = sample->ComputePairs();
    std::printf("%zu pairs of %lld rows (%lld and %lld floats): %.3f s\n", pairs.a.size(),
                static_cast<long long>(kRows), static_cast<long long>(kRaw),
                static_cast<long long>(kReduced),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::strcmp(argv[1], "write") == 0) {
    return Write(argv[2], argc > 3 ? std::stoll(argv[3]) : 100000,
                 argc > 4 ? std::stoll(argv[4]) : 9468);
  }
  if (argc == 3 && std::strcmp(argv[1], "report") == 0) return Report(argv[2]);
  if (argc == 2 && std::strcmp(argv[1], "pairs") == 0) return Pairs();
  std::fprintf(stderr,
               "usage: report_bench write DIR [ROWS] [DIM] | report_bench report DIR | "
               "report_bench pairs\n");
  return 2;
}
