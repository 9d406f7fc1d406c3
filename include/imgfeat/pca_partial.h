// PCA fitted across partitions (Spark executors, processes) without bringing
// the features to one machine: the CLI's randomized PCA (FitPca, the same
// seed, oversampling and power iterations), each pass a map-reduce of small,
// mergeable partial sums.
//
//   driver:    PcaDriver driver = PcaDriver::Make(n_features, options)
//   each pass: every partition starts PcaPartial::Empty(driver.pass()), Adds
//              its rows, partials are Merged (in any order or grouping), and
//              the driver's EndPass(total) makes the next pass's basis;
//   end:       driver.Finish() gives the fitted PCA Reducer.
//
// A partial holds, for the rows it has seen, their count, column means,
// column sums of squared deviations and S = C^T C V (d x l), with C the rows
// centred on their own mean and V the pass's basis (d x l, l = n_components
// + oversampling, oversampling < 0 meaning n_components, as for FitPca).
// Merging two partials is exact (Chan's update, extended to S), so no
// partition needs the global mean and the result does not depend on how rows
// were split.
//
// One pass here is two of FitPca's: with Y = C V, FitPca's Q = orth(Y) and
// Z = C^T Q, and C^T Y = S, Y^T Y = V^T S; so the driver gets Z = S W L^-1/2
// from the eigendecomposition V^T S = W L W^T (Q = Y W L^-1/2 is another
// orthonormal basis of the same range, which leaves the next basis' span and
// the final SVD unchanged). The first basis is FitPca's Gaussian Omega, the
// next ones orth(Z), and the last Z is FitPca's B^T: a fit takes
// power_iterations + 1 passes, each reading a row once, O(d * l) memory per
// partition, and gives FitPca's components to rounding.
//
// Thread-safety: PcaPass and a finished driver are immutable; a PcaPartial is
// used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "imgfeat/reduce.h"
#include "imgfeat/status.h"

namespace imgfeat {

// What every partition of one pass needs: the basis Q (cols x width, row-major).
struct PcaPass {
  int index = 0;
  int64_t cols = 0;
  int64_t width = 0;
  std::vector<float> basis;
};

struct PcaPartial {
  int64_t cols = 0;
  int64_t width = 0;
  int64_t rows = 0;
  std::vector<double> mean;     // cols
  std::vector<double> m2;       // cols
  std::vector<double> scatter;  // cols x width: C^T C Q

  static PcaPartial Empty(const PcaPass& pass);
  // Adds `n` rows (n x pass.cols floats, row-major).
  Status Add(const PcaPass& pass, const float* rows, int64_t n);
  // Adds another partial of the same pass.
  Status Merge(const PcaPass& pass, const PcaPartial& other);
};

class PcaDriver {
 public:
  // The first pass's basis is FitPca's Gaussian Omega from `options.seed`.
  // Fails on n_components < 1 or > n_features.
  static Result<PcaDriver> Make(int64_t n_features, const PcaOptions& options);

  const PcaPass& pass() const { return pass_; }
  int passes() const { return options_.power_iterations + 1; }
  bool done() const { return done_; }

  // The merged partial of every row, for the current pass.
  Status EndPass(const PcaPartial& total);
  // After the last pass: the fitted reducer (mean, components, variances).
  Result<std::unique_ptr<Reducer>> Finish() const;

 private:
  PcaOptions options_;
  PcaPass pass_;
  bool done_ = false;
  PcaPartial last_;
  std::vector<double> projection_;  // after the last pass: FitPca's B^T = C^T Q
};

}  // namespace imgfeat
