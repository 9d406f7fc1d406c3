// Randomized PCA (Halko, Martinsson & Tropp 2011, algorithms 4.4 and 5.1) over
// a RowSource read in blocks: the n x d data is never held in memory, only
// n x l and d x l panels (l = n_components + oversampling).
//
// Passes over the data: 1 (column moments and Y = C Omega together, using
// (X - 1 mu^T) Omega = X Omega - 1 (mu^T Omega)), then 2 per power iteration
// (Z = C^T Q, Y = C Z, each re-orthonormalized by QR), then 1 for
// B^T = C^T Q, whose thin SVD gives the components: 2 * power_iterations + 2.
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "reduce/blas.h"
#include "reduce/legacy_random.h"
#include "reduce/linalg.h"
#include "reduce/reducers.h"

namespace imgfeat {
namespace reduce {
namespace {

// Reads the whole source once, handing each block to `visit(block, first_row, rows)`.
// The block may be modified by `visit` (it is scratch).
template <typename Visit>
Status ForEachBlock(RowSource* source, int64_t block_rows, std::vector<float>* buffer,
                    Visit&& visit) {
  ARROW_RETURN_NOT_OK(source->Rewind());
  int64_t row = 0;
  for (;;) {
    ARROW_ASSIGN_OR_RAISE(const int64_t n, source->Read(buffer->data(), block_rows));
    if (n == 0) break;
    if (row + n > source->rows()) {
      return Status::Invalid("PCA: the source gave more than its ", source->rows(), " rows");
    }
    ARROW_RETURN_NOT_OK(visit(buffer->data(), row, n));
    row += n;
  }
  if (row != source->rows()) {
    return Status::Invalid("PCA: the source gave ", row, " rows, not ", source->rows());
  }
  return Status::OK();
}

// Column means and sums of squared deviations, merged block by block with
// Chan, Golub & LeVeque's update: exact in double even when the means are
// large next to the spread (a plain sum of squares would cancel).
class ColumnMoments {
 public:
  explicit ColumnMoments(int64_t cols)
      : cols_(cols), mean_(cols, 0.0), m2_(cols, 0.0), block_mean_(cols, 0.0) {}

  void Add(const float* block, int64_t rows) {
    std::fill(block_mean_.begin(), block_mean_.end(), 0.0);
    for (int64_t r = 0; r < rows; ++r) {
      const float* row = block + r * cols_;
      for (int64_t c = 0; c < cols_; ++c) block_mean_[c] += row[c];
    }
    for (double& m : block_mean_) m /= static_cast<double>(rows);
    for (int64_t r = 0; r < rows; ++r) {
      const float* row = block + r * cols_;
      for (int64_t c = 0; c < cols_; ++c) {
        const double d = row[c] - block_mean_[c];
        m2_[c] += d * d;
      }
    }
    const double n_a = static_cast<double>(count_), n_b = static_cast<double>(rows);
    const double n = n_a + n_b;
    for (int64_t c = 0; c < cols_; ++c) {
      const double delta = block_mean_[c] - mean_[c];
      mean_[c] += delta * n_b / n;
      m2_[c] += delta * delta * n_a * n_b / n;
    }
    count_ += rows;
  }

  const std::vector<double>& mean() const { return mean_; }
  // Sum over the columns of the sample variance (denominator n - 1), as
  // scikit-learn's total variance.
  double TotalVariance() const {
    double sum = 0;
    for (double m2 : m2_) sum += m2;
    return sum / static_cast<double>(count_ - 1);
  }

 private:
  int64_t cols_;
  int64_t count_ = 0;
  std::vector<double> mean_, m2_, block_mean_;
};

std::vector<double> ToDouble(const std::vector<float>& v) { return {v.begin(), v.end()}; }
std::vector<float> ToFloat(const std::vector<double>& v) { return {v.begin(), v.end()}; }

void CenterRows(float* block, int64_t rows, const std::vector<float>& mean) {
  const auto cols = static_cast<int64_t>(mean.size());
  for (int64_t r = 0; r < rows; ++r) {
    float* row = block + r * cols;
    for (int64_t c = 0; c < cols; ++c) row[c] -= mean[c];
  }
}

Status ValidatePca(const RowSource& source, const PcaOptions& options) {
  const int64_t n = source.rows(), d = source.cols();
  if (n < 2) return Status::Invalid("PCA needs at least 2 rows, got ", n);
  if (options.n_components < 1 || options.n_components > std::min(n, d)) {
    return Status::Invalid("PCA: n_components ", options.n_components, " must be in [1, ",
                           std::min(n, d), "] for ", n, " rows of ", d, " features");
  }
  if (options.power_iterations < 0 || options.block_rows < 1) {
    return Status::Invalid("PCA: power_iterations must be >= 0, block_rows >= 1");
  }
  return Status::OK();
}

}  // namespace

PcaReducer::PcaReducer(PcaState state, PcaFitInfo info) : state_(std::move(state)), info_(info) {}

void PcaReducer::Transform(const float* in, int64_t rows, float* out) const {
  constexpr int64_t kBlockRows = 64;
  const int64_t d = input_dim(), k = output_dim();
  std::vector<float> centered(static_cast<size_t>(std::min(rows, kBlockRows) * d));
  for (int64_t r0 = 0; r0 < rows; r0 += kBlockRows) {
    const int64_t n = std::min(kBlockRows, rows - r0);
    std::copy(in + r0 * d, in + (r0 + n) * d, centered.begin());
    CenterRows(centered.data(), n, state_.mean);
    MatMul(centered.data(), false, state_.components.data(), true, n, k, d, 0.0f, out + r0 * k);
  }
}

std::string PcaReducer::DescribeJson() const {
  return nlohmann::json{{"kind", "pca"},
                        {"n_components", output_dim()},
                        {"n_features", input_dim()},
                        {"n_samples", state_.n_samples},
                        {"method", "randomized, streaming"},
                        {"oversampling", info_.oversampling},
                        {"power_iterations", info_.power_iterations},
                        {"seed", info_.seed},
                        {"total_variance", state_.total_variance},
                        {"explained_variance", state_.explained_variance},
                        {"explained_variance_ratio", state_.explained_variance_ratio}}
      .dump();
}

}  // namespace reduce

Result<std::unique_ptr<Reducer>> FitPca(RowSource* source, const PcaOptions& options) {
  ARROW_RETURN_NOT_OK(reduce::LoadBlas().status());
  using reduce::MatMul;
  ARROW_RETURN_NOT_OK(reduce::ValidatePca(*source, options));
  const int64_t n = source->rows(), d = source->cols(), k = options.n_components;
  const int64_t oversampling = options.oversampling < 0 ? k : options.oversampling;
  const int64_t l = std::min(k + oversampling, std::min(n, d));
  const int64_t block_rows = std::min(options.block_rows, n);
  std::vector<float> block(static_cast<size_t>(block_rows * d));

  std::vector<float> omega(static_cast<size_t>(d * l));
  reduce::LegacyRandomState rng(options.seed);
  for (float& value : omega) value = static_cast<float>(rng.StandardNormal());

  // Pass 1: moments and Y = X Omega.
  reduce::ColumnMoments moments(d);
  std::vector<float> y(static_cast<size_t>(n * l));
  ARROW_RETURN_NOT_OK(reduce::ForEachBlock(
      source, block_rows, &block, [&](float* rows, int64_t first, int64_t count) {
        moments.Add(rows, count);
        MatMul(rows, false, omega.data(), false, count, l, d, 0.0f, y.data() + first * l);
        return Status::OK();
      }));
  const std::vector<double>& mean = moments.mean();
  const std::vector<float> mean_f = reduce::ToFloat(mean);
  std::vector<double> mean_omega(static_cast<size_t>(l), 0.0);
  for (int64_t c = 0; c < d; ++c) {
    for (int64_t j = 0; j < l; ++j) mean_omega[j] += mean[c] * omega[c * l + j];
  }
  std::vector<double> q = reduce::ToDouble(y);
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t j = 0; j < l; ++j) q[r * l + j] -= mean_omega[j];
  }
  ARROW_RETURN_NOT_OK(reduce::OrthonormalizeColumns(&q, n, l));
  std::vector<float> q_f = reduce::ToFloat(q);

  // Z (d x l) = C^T Q, from centered blocks.
  std::vector<float> z(static_cast<size_t>(d * l));
  auto project_columns = [&]() {
    return reduce::ForEachBlock(source, block_rows, &block,
                                [&](float* rows, int64_t first, int64_t count) {
                                  reduce::CenterRows(rows, count, mean_f);
                                  MatMul(rows, true, q_f.data() + first * l, false, d, l, count,
                                         first == 0 ? 0.0f : 1.0f, z.data());
                                  return Status::OK();
                                });
  };
  for (int it = 0; it < options.power_iterations; ++it) {
    ARROW_RETURN_NOT_OK(project_columns());
    std::vector<double> z_d = reduce::ToDouble(z);
    ARROW_RETURN_NOT_OK(reduce::OrthonormalizeColumns(&z_d, d, l));
    const std::vector<float> z_f = reduce::ToFloat(z_d);
    ARROW_RETURN_NOT_OK(reduce::ForEachBlock(
        source, block_rows, &block, [&](float* rows, int64_t first, int64_t count) {
          reduce::CenterRows(rows, count, mean_f);
          MatMul(rows, false, z_f.data(), false, count, l, d, 0.0f, y.data() + first * l);
          return Status::OK();
        }));
    q = reduce::ToDouble(y);
    ARROW_RETURN_NOT_OK(reduce::OrthonormalizeColumns(&q, n, l));
    q_f = reduce::ToFloat(q);
  }

  // B^T = C^T Q (d x l); its left singular vectors are the components.
  ARROW_RETURN_NOT_OK(project_columns());
  std::vector<double> bt = reduce::ToDouble(z);
  reduce::PcaFitInfo info{l - k, options.power_iterations, options.seed};
  return reduce::PcaFromProjection(&bt, d, l, k, n, mean_f, moments.TotalVariance(), info);
}

namespace reduce {

Result<std::unique_ptr<Reducer>> PcaFromProjection(std::vector<double>* bt, int64_t d, int64_t l,
                                                   int64_t k, int64_t n, std::vector<float> mean,
                                                   double total_variance, PcaFitInfo info) {
  std::vector<double> u, s;
  ARROW_RETURN_NOT_OK(ThinSvd(bt, d, l, &u, &s));
  PcaState state;
  state.n_samples = n;
  state.mean = std::move(mean);
  state.total_variance = total_variance;
  state.components.resize(static_cast<size_t>(k * d));
  for (int64_t i = 0; i < k; ++i) {
    // scikit-learn's svd_flip(u_based_decision=False): the largest |entry| of
    // each component is positive (the first such entry on ties).
    int64_t arg_max = 0;
    for (int64_t c = 1; c < d; ++c) {
      if (std::fabs(u[c * l + i]) > std::fabs(u[arg_max * l + i])) arg_max = c;
    }
    const double sign = u[arg_max * l + i] < 0 ? -1.0 : 1.0;
    for (int64_t c = 0; c < d; ++c) {
      state.components[i * d + c] = static_cast<float>(sign * u[c * l + i]);
    }
    const double variance = s[i] * s[i] / static_cast<double>(n - 1);
    state.explained_variance.push_back(variance);
    state.explained_variance_ratio.push_back(
        state.total_variance > 0 ? variance / state.total_variance : 0.0);
  }
  return std::unique_ptr<Reducer>(new PcaReducer(std::move(state), info));
}

}  // namespace reduce

Result<PcaState> PcaStateOf(const Reducer& reducer) {
  const auto* pca = dynamic_cast<const reduce::PcaReducer*>(&reducer);
  if (pca == nullptr) {
    return Status::Invalid("reducer of kind '", reducer.kind(), "' has no PCA state");
  }
  return pca->state();
}

}  // namespace imgfeat
