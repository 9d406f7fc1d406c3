// scikit-learn's SparseRandomProjection (sklearn/random_projection.py,
// _sparse_random_matrix) rebuilt from its random_state, and a fast transform.
//
// scikit-learn draws, from one RandomState(seed): for each output row the
// number of non-zeros (binomial(n_features, density)), then their columns
// (sample_without_replacement with that same generator); after all rows, one
// sign per non-zero (binomial(1, 0.5) * 2 - 1). The values are
// +-sqrt(1 / density) / sqrt(n_components). With density == 1 it draws a dense
// matrix of signs instead, row by row, scaled by 1 / sqrt(n_components).
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "reduce/legacy_random.h"
#include "reduce/reducers.h"
#include "reduce/sample_without_replacement.h"

#if defined(__AVX__)
#include <immintrin.h>
#endif

namespace imgfeat {
namespace {

Result<double> ResolveDensity(const SrpOptions& options) {
  if (options.n_components <= 0 || options.n_features <= 0) {
    return Status::Invalid("sparse random projection: n_components (", options.n_components,
                           ") and n_features (", options.n_features, ") must be > 0");
  }
  if (options.n_features > INT32_MAX) {
    return Status::Invalid("sparse random projection: n_features ", options.n_features,
                           " is above 2^31 - 1");
  }
  if (std::isnan(options.density) || options.density > 1) {
    return Status::Invalid("sparse random projection: density must be in (0, 1], got ",
                           options.density);
  }
  if (options.density > 0) return options.density;
  return 1 / std::sqrt(static_cast<double>(options.n_features));
}

}  // namespace

Result<int64_t> JohnsonLindenstraussMinDim(int64_t n_samples, double eps) {
  if (!(eps > 0.0 && eps < 1.0)) {
    return Status::Invalid("the Johnson-Lindenstrauss bound is defined for eps in (0, 1), got ",
                           eps);
  }
  if (n_samples <= 0) {
    return Status::Invalid("the Johnson-Lindenstrauss bound needs n_samples > 0, got ", n_samples);
  }
  // numpy evaluates eps**2 as a square and eps**3 with pow.
  const double denominator = (eps * eps / 2) - (std::pow(eps, 3.0) / 3);
  const double bound = 4 * std::log(static_cast<double>(n_samples)) / denominator;
  // A tiny eps makes the bound overflow an int64 (numpy wraps it negative).
  if (!(bound < 0x1p62)) {
    return Status::Invalid("the Johnson-Lindenstrauss bound for eps ", eps, " and ", n_samples,
                           " samples is too large to be a number of components");
  }
  return static_cast<int64_t>(bound);
}

Result<SparseMatrix> SparseRandomMatrix(const SrpOptions& options) {
  ARROW_ASSIGN_OR_RAISE(const double density, ResolveDensity(options));
  const int64_t n_rows = options.n_components, n_cols = options.n_features;
  reduce::LegacyRandomState rng(options.seed);
  SparseMatrix matrix;
  matrix.rows = n_rows;
  matrix.cols = n_cols;
  matrix.indptr.reserve(static_cast<size_t>(n_rows) + 1);
  matrix.indptr.push_back(0);

  if (density == 1) {
    const double scale = 1 / std::sqrt(static_cast<double>(n_rows));
    matrix.indices.reserve(static_cast<size_t>(n_rows * n_cols));
    matrix.values.reserve(static_cast<size_t>(n_rows * n_cols));
    for (int64_t i = 0; i < n_rows; ++i) {
      for (int64_t j = 0; j < n_cols; ++j) {
        matrix.indices.push_back(static_cast<int32_t>(j));
        matrix.values.push_back(scale * static_cast<double>(rng.Binomial(1, 0.5) * 2 - 1));
      }
      matrix.indptr.push_back(matrix.indptr.back() + n_cols);
    }
    return matrix;
  }

  for (int64_t i = 0; i < n_rows; ++i) {
    const int64_t nonzeros = rng.Binomial(n_cols, density);
    ARROW_ASSIGN_OR_RAISE(
        std::vector<int64_t> columns,
        reduce::SampleWithoutReplacement(n_cols, nonzeros, reduce::SampleMethod::kAuto, &rng));
    for (int64_t column : columns) matrix.indices.push_back(static_cast<int32_t>(column));
    matrix.indptr.push_back(matrix.indptr.back() + nonzeros);
  }
  const double scale = std::sqrt(1 / density) / std::sqrt(static_cast<double>(n_rows));
  matrix.values.resize(matrix.indices.size());
  for (double& value : matrix.values) {
    value = scale * static_cast<double>(rng.Binomial(1, 0.5) * 2 - 1);
  }
  return matrix;
}

namespace reduce {

namespace {

// Rows are transformed kLanes at a time from a column-major copy (a "tile"):
// each non-zero then reads kLanes adjacent floats, one cache line, instead of
// kLanes scattered ones. A band of kBandColumns columns of the tile is 512 KiB.
constexpr int64_t kLanes = 16;
constexpr int64_t kBandColumns = 8192;
static_assert(kBandColumns <= 65536, "band-relative columns are 16-bit");

}  // namespace

Result<std::unique_ptr<SrpReducer>> SrpReducer::Make(const SrpOptions& options) {
  ARROW_ASSIGN_OR_RAISE(SparseMatrix matrix, SparseRandomMatrix(options));
  auto reducer = std::unique_ptr<SrpReducer>(new SrpReducer());
  reducer->options_ = options;
  ARROW_ASSIGN_OR_RAISE(reducer->density_, ResolveDensity(options));
  reducer->scale_ = matrix.values.empty() ? 0.0 : std::fabs(matrix.values[0]);
  reducer->nonzeros_ = static_cast<int64_t>(matrix.values.size());
  const int64_t n_rows = matrix.rows;
  const int64_t bands = (matrix.cols + kBandColumns - 1) / kBandColumns;
  reducer->band_row_start_.reserve(static_cast<size_t>(bands * (n_rows + 1)));
  reducer->band_positive_end_.reserve(static_cast<size_t>(bands * n_rows));
  reducer->columns_.reserve(matrix.values.size());
  std::vector<uint16_t> negatives;
  for (int64_t band = 0; band < bands; ++band) {
    const int64_t first = band * kBandColumns, last = first + kBandColumns;
    for (int64_t i = 0; i < n_rows; ++i) {
      reducer->band_row_start_.push_back(static_cast<int64_t>(reducer->columns_.size()));
      negatives.clear();
      const size_t row_begin = reducer->columns_.size();
      for (int64_t p = matrix.indptr[i]; p < matrix.indptr[i + 1]; ++p) {
        const int64_t column = matrix.indices[p];
        if (column < first || column >= last) continue;
        const auto local = static_cast<uint16_t>(column - first);
        if (matrix.values[p] > 0) {
          reducer->columns_.push_back(local);
        } else {
          negatives.push_back(local);
        }
      }
      // Ascending columns within each sign keep the gathers moving forward.
      std::sort(reducer->columns_.begin() + static_cast<int64_t>(row_begin),
                reducer->columns_.end());
      reducer->band_positive_end_.push_back(static_cast<int64_t>(reducer->columns_.size()));
      std::sort(negatives.begin(), negatives.end());
      reducer->columns_.insert(reducer->columns_.end(), negatives.begin(), negatives.end());
    }
    reducer->band_row_start_.push_back(static_cast<int64_t>(reducer->columns_.size()));
  }
  return reducer;
}

namespace {

#if defined(__AVX__)
struct LaneSums {
  __m256d a = _mm256_setzero_pd(), b = _mm256_setzero_pd(), c = _mm256_setzero_pd(),
          d = _mm256_setzero_pd();
  void Add(const float* lanes) {
    const __m256 lo = _mm256_loadu_ps(lanes), hi = _mm256_loadu_ps(lanes + 8);
    a = _mm256_add_pd(a, _mm256_cvtps_pd(_mm256_castps256_ps128(lo)));
    b = _mm256_add_pd(b, _mm256_cvtps_pd(_mm256_extractf128_ps(lo, 1)));
    c = _mm256_add_pd(c, _mm256_cvtps_pd(_mm256_castps256_ps128(hi)));
    d = _mm256_add_pd(d, _mm256_cvtps_pd(_mm256_extractf128_ps(hi, 1)));
  }
  void Sub(const float* lanes) {
    const __m256 lo = _mm256_loadu_ps(lanes), hi = _mm256_loadu_ps(lanes + 8);
    a = _mm256_sub_pd(a, _mm256_cvtps_pd(_mm256_castps256_ps128(lo)));
    b = _mm256_sub_pd(b, _mm256_cvtps_pd(_mm256_extractf128_ps(lo, 1)));
    c = _mm256_sub_pd(c, _mm256_cvtps_pd(_mm256_castps256_ps128(hi)));
    d = _mm256_sub_pd(d, _mm256_cvtps_pd(_mm256_extractf128_ps(hi, 1)));
  }
  void MergeInto(double* out) const {
    _mm256_storeu_pd(out, _mm256_add_pd(_mm256_loadu_pd(out), a));
    _mm256_storeu_pd(out + 4, _mm256_add_pd(_mm256_loadu_pd(out + 4), b));
    _mm256_storeu_pd(out + 8, _mm256_add_pd(_mm256_loadu_pd(out + 8), c));
    _mm256_storeu_pd(out + 12, _mm256_add_pd(_mm256_loadu_pd(out + 12), d));
  }
};
#else
struct LaneSums {
  double v[kLanes] = {};
  void Add(const float* lanes) {
    for (int64_t l = 0; l < kLanes; ++l) v[l] += lanes[l];
  }
  void Sub(const float* lanes) {
    for (int64_t l = 0; l < kLanes; ++l) v[l] -= lanes[l];
  }
  void MergeInto(double* out) const {
    for (int64_t l = 0; l < kLanes; ++l) out[l] += v[l];
  }
};
#endif

// Adds the columns [pos, pos_end) of `band` and subtracts [pos_end, neg_end)
// to the kLanes sums; two accumulators per sign hide the adds' latency.
void AddSignedColumns(const float* band, const uint16_t* pos, const uint16_t* pos_end,
                      const uint16_t* neg_end, double* sums) {
  LaneSums even, odd;
  // Counts, not p + 1 < end: an empty run may be a null pointer, and null + 1
  // is undefined.
  const uint16_t* p = pos;
  for (; pos_end - p > 1; p += 2) {
    even.Add(band + p[0] * kLanes);
    odd.Add(band + p[1] * kLanes);
  }
  if (p < pos_end) even.Add(band + *p * kLanes);
  p = pos_end;
  for (; neg_end - p > 1; p += 2) {
    even.Sub(band + p[0] * kLanes);
    odd.Sub(band + p[1] * kLanes);
  }
  if (p < neg_end) even.Sub(band + *p * kLanes);
  even.MergeInto(sums);
  odd.MergeInto(sums);
}

}  // namespace

void SrpReducer::Transform(const float* in, int64_t rows, float* out) const {
  const int64_t n_in = options_.n_features, n_out = options_.n_components;
  const int64_t bands = (n_in + kBandColumns - 1) / kBandColumns;
  // The tile is padded to whole bands so that no band reads past its end.
  std::vector<float> tile(static_cast<size_t>(bands * kBandColumns * kLanes), 0.0f);
  std::vector<double> sums(static_cast<size_t>(n_out * kLanes));
  for (int64_t r0 = 0; r0 < rows; r0 += kLanes) {
    const int64_t lanes = std::min(kLanes, rows - r0);
    for (int64_t l = 0; l < kLanes; ++l) {
      if (l < lanes) {
        const float* row = in + (r0 + l) * n_in;
        for (int64_t c = 0; c < n_in; ++c) tile[c * kLanes + l] = row[c];
      } else {
        for (int64_t c = 0; c < n_in; ++c) tile[c * kLanes + l] = 0.0f;
      }
    }
    std::fill(sums.begin(), sums.end(), 0.0);
    for (int64_t band = 0; band < bands; ++band) {
      const float* band_tile = tile.data() + band * kBandColumns * kLanes;
      const int64_t* start = band_row_start_.data() + band * (n_out + 1);
      const int64_t* positive_end = band_positive_end_.data() + band * n_out;
      const uint16_t* columns = columns_.data();
      for (int64_t i = 0; i < n_out; ++i) {
        AddSignedColumns(band_tile, columns + start[i], columns + positive_end[i],
                         columns + start[i + 1], sums.data() + i * kLanes);
      }
    }
    for (int64_t l = 0; l < lanes; ++l) {
      float* out_row = out + (r0 + l) * n_out;
      for (int64_t i = 0; i < n_out; ++i) {
        out_row[i] = static_cast<float>(sums[i * kLanes + l] * scale_);
      }
    }
  }
}

std::string SrpReducer::DescribeJson() const {
  return nlohmann::json{{"kind", "srp"},
                        {"n_components", options_.n_components},
                        {"n_features", options_.n_features},
                        {"density", density_},
                        {"density_auto", options_.density <= 0},
                        {"seed", options_.seed},
                        {"nonzeros", nonzeros()},
                        {"implementation", "scikit-learn SparseRandomProjection"}}
      .dump();
}

}  // namespace reduce

Result<std::unique_ptr<Reducer>> MakeSparseRandomProjection(const SrpOptions& options) {
  ARROW_ASSIGN_OR_RAISE(auto reducer, reduce::SrpReducer::Make(options));
  return std::unique_ptr<Reducer>(std::move(reducer));
}

}  // namespace imgfeat
