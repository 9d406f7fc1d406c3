// scikit-learn's sklearn.utils.random.sample_without_replacement
// (sklearn/utils/_random.pyx), drawing from a LegacyRandomState exactly as the
// Cython code draws from a numpy RandomState.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "imgfeat/status.h"
#include "reduce/legacy_random.h"

namespace imgfeat::reduce {

enum class SampleMethod { kAuto, kTrackingSelection, kReservoirSampling, kPool };

Result<SampleMethod> SampleMethodFromName(const std::string& name);

// `n_samples` distinct integers of [0, n_population), in scikit-learn's order.
// kAuto picks as scikit-learn does from n_samples / n_population: a
// permutation between 0.01 and 0.99 (exclusive), else tracking selection
// below 0.2 and reservoir sampling above.
Result<std::vector<int64_t>> SampleWithoutReplacement(int64_t n_population, int64_t n_samples,
                                                      SampleMethod method, LegacyRandomState* rng);

}  // namespace imgfeat::reduce
