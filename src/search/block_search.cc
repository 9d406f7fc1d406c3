#include "search/block_search.h"

#include <cmath>

#include "reduce/blas.h"

namespace imgfeat::search {
namespace {

// BLAS sums a product's terms in an order that depends on the shape of the
// call (its kernels and blocking differ with the matrices' sizes and the
// machine), so a cosine's last bits changed with the block sizes, and with
// them near-ties. A row that may enter a query's k best is therefore scored
// again here, in an order fixed by the dimension alone; BLAS only screens.
// Its error on unit rows is far below kScreenSlack.
constexpr float kScreenSlack = 1e-3f;

float FixedOrderDot(const float* a, const float* b, int64_t n) {
  float lanes[8] = {};
  int64_t d = 0;
  for (; d + 8 <= n; d += 8) {
    for (int l = 0; l < 8; ++l) lanes[l] += a[d + l] * b[d + l];
  }
  double sum = 0;
  for (float lane : lanes) sum += lane;
  for (; d < n; ++d) sum += static_cast<double>(a[d]) * b[d];
  return static_cast<float>(sum);
}

}  // namespace

Result<std::vector<std::vector<Candidate>>> NearestRows(const float* queries, int64_t rows,
                                                        FeatureBlockReader& reader, int k,
                                                        int64_t self_first_row) {
  const int64_t dim = reader.dim();
  std::vector<TopK> best(static_cast<size_t>(rows), TopK(k));
  std::vector<float> scores;
  FeatureBlock other;
  reader.Rewind();
  while (rows > 0) {
    ARROW_ASSIGN_OR_RAISE(bool more, reader.Next(&other));
    if (!more) break;
    scores.resize(static_cast<size_t>(rows * other.rows));
    IMGFEAT_BLAS(cblas_sgemm)
    (CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(rows), static_cast<int>(other.rows),
     static_cast<int>(dim), 1.0f, queries, static_cast<int>(dim), other.unit.data(),
     static_cast<int>(dim), 0.0f, scores.data(), static_cast<int>(other.rows));
    for (int64_t i = 0; i < rows; ++i) {
      const float* row = scores.data() + i * other.rows;
      TopK& top = best[static_cast<size_t>(i)];
      const int64_t self = self_first_row < 0 ? -1 : self_first_row + i;
      for (int64_t j = 0; j < other.rows; ++j) {
        if (top.Full() && row[j] < top.Worst() - kScreenSlack) continue;
        if (other.first_row + j == self) continue;
        top.Offer(FixedOrderDot(queries + i * dim, other.unit.data() + j * dim, dim),
                  other.first_row + j);
      }
    }
  }
  std::vector<std::vector<Candidate>> out;
  out.reserve(best.size());
  for (auto& top : best) out.push_back(top.TakeSorted());
  return out;
}

void ScaleToUnit(float* values, int64_t rows, int64_t dim) {
  for (int64_t r = 0; r < rows; ++r) {
    float* row = values + r * dim;
    double norm = 0;
    for (int64_t d = 0; d < dim; ++d) norm += static_cast<double>(row[d]) * row[d];
    const double scale = norm > 0 ? 1.0 / std::sqrt(norm) : 0.0;
    for (int64_t d = 0; d < dim; ++d) row[d] = static_cast<float>(row[d] * scale);
  }
}

}  // namespace imgfeat::search
