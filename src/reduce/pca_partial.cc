// FitPca's randomized PCA from mergeable partial sums (see
// imgfeat/pca_partial.h for why one pass here is two of FitPca's).
#include "imgfeat/pca_partial.h"

#include <algorithm>
#include <cmath>

#include "reduce/blas.h"
#include "reduce/legacy_random.h"
#include "reduce/linalg.h"
#include "reduce/reducers.h"

namespace imgfeat {
namespace {

Status CheckShape(const PcaPass& pass, const PcaPartial& partial) {
  if (partial.cols != pass.cols || partial.width != pass.width ||
      partial.mean.size() != static_cast<size_t>(pass.cols) ||
      partial.scatter.size() != static_cast<size_t>(pass.cols * pass.width)) {
    return Status::Invalid("PCA partial of ", partial.cols, " x ", partial.width,
                           " does not belong to a pass of ", pass.cols, " x ", pass.width);
  }
  return Status::OK();
}

// Chan's update for two groups a (into) and b: means, squared deviations and
// S = C^T C Q, where the cross term is (n_a n_b / n) delta (delta^T Q).
void Combine(const PcaPass& pass, int64_t rows_b, const std::vector<double>& mean_b,
             const std::vector<double>& m2_b, const double* scatter_b, PcaPartial* a) {
  const int64_t d = pass.cols, l = pass.width;
  if (rows_b == 0) return;
  const double n_a = static_cast<double>(a->rows), n_b = static_cast<double>(rows_b);
  const double n = n_a + n_b, w = n_a * n_b / n;
  std::vector<double> delta(d), delta_q(l, 0.0);
  for (int64_t c = 0; c < d; ++c) delta[c] = mean_b[c] - a->mean[c];
  for (int64_t c = 0; c < d; ++c) {
    const float* q = pass.basis.data() + c * l;
    for (int64_t j = 0; j < l; ++j) delta_q[j] += delta[c] * q[j];
  }
  for (int64_t c = 0; c < d; ++c) {
    a->mean[c] += delta[c] * n_b / n;
    a->m2[c] += m2_b[c] + w * delta[c] * delta[c];
    double* s = a->scatter.data() + c * l;
    const double* sb = scatter_b + c * l;
    for (int64_t j = 0; j < l; ++j) s[j] += sb[j] + w * delta[c] * delta_q[j];
  }
  a->rows += rows_b;
}

}  // namespace

PcaPartial PcaPartial::Empty(const PcaPass& pass) {
  PcaPartial p;
  p.cols = pass.cols;
  p.width = pass.width;
  p.mean.assign(pass.cols, 0.0);
  p.m2.assign(pass.cols, 0.0);
  p.scatter.assign(static_cast<size_t>(pass.cols * pass.width), 0.0);
  return p;
}

Status PcaPartial::Add(const PcaPass& pass, const float* rows_in, int64_t n) {
  ARROW_RETURN_NOT_OK(reduce::LoadBlas().status());
  ARROW_RETURN_NOT_OK(CheckShape(pass, *this));
  constexpr int64_t kBlockRows = 256;
  const int64_t d = pass.cols, l = pass.width;
  std::vector<float> block, projected, block_scatter(static_cast<size_t>(d * l));
  std::vector<double> block_mean(d), block_m2(d), scatter_d(static_cast<size_t>(d * l));
  for (int64_t r0 = 0; r0 < n; r0 += kBlockRows) {
    const int64_t m = std::min(kBlockRows, n - r0);
    const float* src = rows_in + r0 * d;
    std::fill(block_mean.begin(), block_mean.end(), 0.0);
    for (int64_t r = 0; r < m; ++r) {
      for (int64_t c = 0; c < d; ++c) block_mean[c] += src[r * d + c];
    }
    for (double& v : block_mean) v /= static_cast<double>(m);
    block.resize(static_cast<size_t>(m * d));
    std::fill(block_m2.begin(), block_m2.end(), 0.0);
    for (int64_t r = 0; r < m; ++r) {
      for (int64_t c = 0; c < d; ++c) {
        const double centered = src[r * d + c] - block_mean[c];
        block[r * d + c] = static_cast<float>(centered);
        block_m2[c] += centered * centered;
      }
    }
    // S_block = C^T (C Q).
    projected.resize(static_cast<size_t>(m * l));
    reduce::MatMul(block.data(), false, pass.basis.data(), false, m, l, d, 0.0f, projected.data());
    reduce::MatMul(block.data(), true, projected.data(), false, d, l, m, 0.0f,
                   block_scatter.data());
    std::copy(block_scatter.begin(), block_scatter.end(), scatter_d.begin());
    Combine(pass, m, block_mean, block_m2, scatter_d.data(), this);
  }
  return Status::OK();
}

Status PcaPartial::Merge(const PcaPass& pass, const PcaPartial& other) {
  ARROW_RETURN_NOT_OK(CheckShape(pass, *this));
  ARROW_RETURN_NOT_OK(CheckShape(pass, other));
  Combine(pass, other.rows, other.mean, other.m2, other.scatter.data(), this);
  return Status::OK();
}

Result<PcaDriver> PcaDriver::Make(int64_t n_features, const PcaOptions& options) {
  ARROW_RETURN_NOT_OK(reduce::LoadBlas().status());
  if (n_features < 1) return Status::Invalid("PCA: n_features must be >= 1, got ", n_features);
  if (options.n_components < 1 || options.n_components > n_features) {
    return Status::Invalid("PCA: n_components ", options.n_components, " must be in [1, ",
                           n_features, "]");
  }
  if (options.power_iterations < 0) {
    return Status::Invalid("PCA: power_iterations must be >= 0");
  }
  PcaDriver driver;
  driver.options_ = options;
  // Negative: as many extra directions as components, as FitPca does.
  if (driver.options_.oversampling < 0) driver.options_.oversampling = options.n_components;
  const int64_t l = std::min(options.n_components + driver.options_.oversampling, n_features);
  driver.pass_.cols = n_features;
  driver.pass_.width = l;
  // FitPca's Omega: the same draws in the same order, in float.
  driver.pass_.basis.resize(static_cast<size_t>(n_features * l));
  reduce::LegacyRandomState rng(options.seed);
  for (float& v : driver.pass_.basis) v = static_cast<float>(rng.StandardNormal());
  return driver;
}

Status PcaDriver::EndPass(const PcaPartial& total) {
  if (done_) return Status::Invalid("PCA: every pass has ended");
  ARROW_RETURN_NOT_OK(CheckShape(pass_, total));
  if (total.rows < 2) return Status::Invalid("PCA needs at least 2 rows, got ", total.rows);
  if (options_.n_components > total.rows) {
    return Status::Invalid("PCA: n_components ", options_.n_components, " must be <= ", total.rows,
                           " rows");
  }
  const int64_t d = pass_.cols;
  // FitPca keeps l <= n (its Q is n x l): the same here.
  const int64_t l = pass_.width, used = std::min(l, total.rows);
  // G = V^T S = Y^T Y (l x l), symmetric positive semi-definite, so its SVD
  // is its eigendecomposition W L W^T.
  std::vector<double> g(static_cast<size_t>(l * l), 0.0);
  for (int64_t c = 0; c < d; ++c) {
    const float* v = pass_.basis.data() + c * l;
    const double* s = total.scatter.data() + c * l;
    for (int64_t i = 0; i < l; ++i) {
      for (int64_t j = 0; j < l; ++j) g[i * l + j] += v[i] * s[j];
    }
  }
  for (int64_t i = 0; i < l; ++i) {  // symmetrize the rounding
    for (int64_t j = i + 1; j < l; ++j) {
      g[i * l + j] = g[j * l + i] = 0.5 * (g[i * l + j] + g[j * l + i]);
    }
  }
  std::vector<double> w, eigenvalues;
  ARROW_RETURN_NOT_OK(reduce::ThinSvd(&g, l, l, &w, &eigenvalues));
  // M = W L^-1/2 on the `used` largest eigenvalues; a direction Y does not
  // span (L ~ 0, rank below l) gets a zero column, as Q has nothing there.
  std::vector<double> m(static_cast<size_t>(l * used), 0.0);
  const double floor = eigenvalues.empty() ? 0 : eigenvalues[0] * 1e-14;
  for (int64_t j = 0; j < used; ++j) {
    if (!(eigenvalues[j] > floor)) continue;
    const double scale = 1.0 / std::sqrt(eigenvalues[j]);
    for (int64_t i = 0; i < l; ++i) m[i * used + j] = w[i * l + j] * scale;
  }
  // Z = S M = C^T Q (d x used).
  std::vector<double> z(static_cast<size_t>(d * used), 0.0);
  for (int64_t c = 0; c < d; ++c) {
    const double* s = total.scatter.data() + c * l;
    double* out = z.data() + c * used;
    for (int64_t i = 0; i < l; ++i) {
      const double si = s[i];
      const double* mi = m.data() + i * used;
      for (int64_t j = 0; j < used; ++j) out[j] += si * mi[j];
    }
  }
  if (pass_.index + 1 == passes()) {
    last_ = total;
    last_.scatter.clear();
    projection_ = std::move(z);
    pass_.width = used;
    done_ = true;
    return Status::OK();
  }
  ARROW_RETURN_NOT_OK(reduce::OrthonormalizeColumns(&z, d, used));
  pass_.width = used;
  pass_.basis.assign(z.begin(), z.end());
  ++pass_.index;
  return Status::OK();
}

Result<std::unique_ptr<Reducer>> PcaDriver::Finish() const {
  if (!done_) return Status::Invalid("PCA: pass ", pass_.index + 1, " of ", passes(), " is open");
  const int64_t d = pass_.cols, l = pass_.width, k = options_.n_components, n = last_.rows;
  double m2 = 0;
  for (double x : last_.m2) m2 += x;
  std::vector<double> bt = projection_;
  reduce::PcaFitInfo info{options_.oversampling, options_.power_iterations, options_.seed};
  return reduce::PcaFromProjection(&bt, d, l, k, n, {last_.mean.begin(), last_.mean.end()},
                                   m2 / static_cast<double>(n - 1), info);
}

}  // namespace imgfeat
