#include "reduce/sample_without_replacement.h"

#include <unordered_set>

namespace imgfeat::reduce {
namespace {

std::vector<int64_t> TrackingSelection(int64_t n_population, int64_t n_samples,
                                       LegacyRandomState* rng) {
  std::vector<int64_t> out(static_cast<size_t>(n_samples));
  std::unordered_set<int64_t> selected;
  selected.reserve(static_cast<size_t>(n_samples) * 2);
  for (int64_t i = 0; i < n_samples; ++i) {
    int64_t j = rng->RandInt(n_population);
    while (selected.count(j)) j = rng->RandInt(n_population);
    selected.insert(j);
    out[i] = j;
  }
  return out;
}

std::vector<int64_t> ReservoirSampling(int64_t n_population, int64_t n_samples,
                                       LegacyRandomState* rng) {
  std::vector<int64_t> out(static_cast<size_t>(n_samples));
  for (int64_t i = 0; i < n_samples; ++i) out[i] = i;
  for (int64_t i = n_samples; i < n_population; ++i) {
    const int64_t j = rng->RandInt(0, i + 1);
    if (j < n_samples) out[j] = i;
  }
  return out;
}

std::vector<int64_t> Pool(int64_t n_population, int64_t n_samples, LegacyRandomState* rng) {
  std::vector<int64_t> out(static_cast<size_t>(n_samples));
  std::vector<int64_t> pool(static_cast<size_t>(n_population));
  for (int64_t i = 0; i < n_population; ++i) pool[i] = i;
  for (int64_t i = 0; i < n_samples; ++i) {
    const int64_t j = rng->RandInt(n_population - i);
    out[i] = pool[j];
    pool[j] = pool[n_population - i - 1];
  }
  return out;
}

}  // namespace

Result<SampleMethod> SampleMethodFromName(const std::string& name) {
  if (name == "auto") return SampleMethod::kAuto;
  if (name == "tracking_selection") return SampleMethod::kTrackingSelection;
  if (name == "reservoir_sampling") return SampleMethod::kReservoirSampling;
  if (name == "pool") return SampleMethod::kPool;
  return Status::Invalid("sample method '", name,
                         "' is none of auto, tracking_selection, reservoir_sampling, pool");
}

Result<std::vector<int64_t>> SampleWithoutReplacement(int64_t n_population, int64_t n_samples,
                                                      SampleMethod method, LegacyRandomState* rng) {
  if (n_population < 0) {
    return Status::Invalid("n_population should be >= 0, got ", n_population);
  }
  if (n_samples < 0 || n_samples > n_population) {
    return Status::Invalid("n_samples ", n_samples, " is outside [0, n_population ", n_population,
                           "]");
  }
  const double ratio =
      n_population != 0 ? static_cast<double>(n_samples) / static_cast<double>(n_population) : 1.0;
  if (method == SampleMethod::kAuto && ratio > 0.01 && ratio < 0.99) {
    std::vector<int64_t> permutation = rng->Permutation(n_population);
    permutation.resize(static_cast<size_t>(n_samples));
    return permutation;
  }
  switch (method) {
    case SampleMethod::kAuto:
    case SampleMethod::kTrackingSelection:
      // The 0.2 threshold is scikit-learn's, chosen there by benchmarking.
      if (ratio < 0.2) return TrackingSelection(n_population, n_samples, rng);
      return ReservoirSampling(n_population, n_samples, rng);
    case SampleMethod::kReservoirSampling:
      return ReservoirSampling(n_population, n_samples, rng);
    case SampleMethod::kPool:
      return Pool(n_population, n_samples, rng);
  }
  return Status::Invalid("unknown sample method");
}

}  // namespace imgfeat::reduce
