// Figures of the reduce stage for docs/BENCHMARKS.md: building the notebook's
// sparse random projection (62,720 -> 9,468, seed 42), its transform
// throughput, and a streaming PCA fit from a FeatureSpill file.
//
//   reduce_bench [PCA_ROWS=2000] [PCA_COLS=62720] [PCA_K=100] [SPILL=/tmp/...]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "imgfeat/reduce.h"

namespace {

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Non-negative rows, about half zeros, like MobileNetV2's last feature map.
std::vector<float> FeatureLikeRows(int64_t rows, int64_t cols, uint32_t seed) {
  std::mt19937 gen(seed);
  std::gamma_distribution<float> gamma(0.6f, 1.5f);
  std::bernoulli_distribution zero(0.55);
  std::vector<float> x(static_cast<size_t>(rows * cols));
  for (float& v : x) v = zero(gen) ? 0.0f : gamma(gen);
  return x;
}

int Fail(const imgfeat::Status& status) {
  std::fprintf(stderr, "reduce_bench: %s\n", status.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t pca_rows = argc > 1 ? std::stoll(argv[1]) : 2000;
  const int64_t pca_cols = argc > 2 ? std::stoll(argv[2]) : 62720;
  const int64_t pca_k = argc > 3 ? std::stoll(argv[3]) : 100;
  const std::string spill_path =
      argc > 4 ? argv[4] : "/tmp/imgfeat_reduce_bench_" + std::to_string(::getpid()) + ".f32";

  const imgfeat::SrpOptions notebook{.n_components = 9468, .n_features = 62720, .seed = 42};
  auto start = std::chrono::steady_clock::now();
  auto srp = imgfeat::MakeSparseRandomProjection(notebook);
  if (!srp.ok()) return Fail(srp.status());
  std::printf("srp_build_seconds %.3f\n", Seconds(start));

  const int64_t rows = 256, batch = 64;
  const std::vector<float> x = FeatureLikeRows(rows, 62720, 1);
  std::vector<float> y(static_cast<size_t>(rows * 9468));
  (*srp)->Transform(x.data(), batch, y.data());  // warm-up
  start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  for (int64_t r = 0; r < rows; r += batch) {
    (*srp)->Transform(x.data() + r * 62720, batch, y.data() + r * 9468);
  }
  const double wall = Seconds(start);
  const double cpu = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  // Per CPU second too: on a shared machine the wall-clock rate understates it.
  std::printf(
      "srp_transform_rows_per_second %.0f wall, %.0f per cpu-second (one thread, "
      "batches of %lld)\n",
      rows / wall, rows / cpu, static_cast<long long>(batch));

  auto spill = imgfeat::FeatureSpill::Create(spill_path, pca_cols);
  if (!spill.ok()) return Fail(spill.status());
  for (int64_t r = 0; r < pca_rows; r += 256) {
    const int64_t n = std::min<int64_t>(256, pca_rows - r);
    // Low-rank structure plus noise, so that the fit has a spectrum to find.
    std::vector<float> block = FeatureLikeRows(n, pca_cols, static_cast<uint32_t>(r));
    if (auto st = (*spill)->Append(block.data(), n); !st.ok()) return Fail(st);
  }
  if (auto st = (*spill)->FinishWriting(); !st.ok()) return Fail(st);
  start = std::chrono::steady_clock::now();
  const std::clock_t pca_cpu_start = std::clock();
  auto pca = imgfeat::FitPca(spill->get(), {.n_components = pca_k});
  if (!pca.ok()) return Fail(pca.status());
  std::printf(
      "pca_fit_seconds %.2f wall, %.2f cpu (%lld x %lld, k=%lld, oversampling 10, "
      "4 power iterations)\n",
      Seconds(start), static_cast<double>(std::clock() - pca_cpu_start) / CLOCKS_PER_SEC,
      static_cast<long long>(pca_rows), static_cast<long long>(pca_cols),
      static_cast<long long>(pca_k));
  return 0;
}
