// The concrete reducers behind imgfeat/reduce.h, shared by their factories and
// by the saved-reducer reader, which rebuilds them from a file.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "imgfeat/reduce.h"

namespace imgfeat::reduce {

class IdentityReducer final : public Reducer {
 public:
  explicit IdentityReducer(int64_t dim) : dim_(dim) {}
  std::string kind() const override { return "none"; }
  int64_t input_dim() const override { return dim_; }
  int64_t output_dim() const override { return dim_; }
  void Transform(const float* in, int64_t rows, float* out) const override;
  std::string DescribeJson() const override;

 private:
  int64_t dim_;
};

// x -> components * x with the scikit-learn matrix, in double, rows in blocks.
class SrpReducer final : public Reducer {
 public:
  static Result<std::unique_ptr<SrpReducer>> Make(const SrpOptions& options);
  std::string kind() const override { return "srp"; }
  int64_t input_dim() const override { return options_.n_features; }
  int64_t output_dim() const override { return options_.n_components; }
  void Transform(const float* in, int64_t rows, float* out) const override;
  std::string DescribeJson() const override;

  const SrpOptions& options() const { return options_; }
  double density() const { return density_; }  // 'auto' resolved
  int64_t nonzeros() const { return nonzeros_; }

 private:
  SrpOptions options_;
  double density_ = 0;
  double scale_ = 0;
  int64_t nonzeros_ = 0;
  // The matrix cut into bands of kBandColumns columns, so that the slice of
  // input read by one band stays in the L2 cache. In band b, output row i adds
  // the inputs at band-relative columns columns_[start[i], positive_end[i])
  // and subtracts those at [positive_end[i], start[i + 1]), where start and
  // positive_end are band b's slices of band_row_start_ (n_components + 1 per
  // band) and band_positive_end_ (n_components per band). Every non-zero is
  // +-scale_.
  std::vector<int64_t> band_row_start_;
  std::vector<int64_t> band_positive_end_;
  std::vector<uint16_t> columns_;
};

// How a PCA was fitted, recorded with it.
struct PcaFitInfo {
  int64_t oversampling = 0;
  int power_iterations = 0;
  uint32_t seed = 0;
};

class PcaReducer final : public Reducer {
 public:
  PcaReducer(PcaState state, PcaFitInfo info);
  std::string kind() const override { return "pca"; }
  int64_t input_dim() const override { return static_cast<int64_t>(state_.mean.size()); }
  int64_t output_dim() const override {
    return static_cast<int64_t>(state_.explained_variance.size());
  }
  void Transform(const float* in, int64_t rows, float* out) const override;
  std::string DescribeJson() const override;

  const PcaState& state() const { return state_; }
  const PcaFitInfo& info() const { return info_; }

 private:
  PcaState state_;
  PcaFitInfo info_;
};

// The end of a randomized PCA, shared by FitPca and the distributed fit
// (imgfeat/pca_partial.h): the thin SVD of B^T = C^T Q (d x l, destroyed)
// gives the k components (signs as scikit-learn's svd_flip) and, from the
// singular values, their variances over n rows.
Result<std::unique_ptr<Reducer>> PcaFromProjection(std::vector<double>* bt, int64_t d, int64_t l,
                                                   int64_t k, int64_t n, std::vector<float> mean,
                                                   double total_variance, PcaFitInfo info);

}  // namespace imgfeat::reduce
