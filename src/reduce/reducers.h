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
  int64_t nonzeros() const { return static_cast<int64_t>(columns_.size()); }

 private:
  SrpOptions options_;
  double density_ = 0;
  double scale_ = 0;
  // Output row i adds columns_[row_start_[i], positive_end_[i]) and subtracts
  // columns_[positive_end_[i], row_start_[i + 1]): every non-zero is +-scale_.
  std::vector<int64_t> row_start_;
  std::vector<int64_t> positive_end_;
  std::vector<int32_t> columns_;
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

}  // namespace imgfeat::reduce
