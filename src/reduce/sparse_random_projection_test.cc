// Structure and arithmetic of the sparse random projection; equality with
// scikit-learn itself is tested by tests/test_srp_sklearn.py.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "imgfeat/reduce.h"
#include "testing/test_util.h"

namespace imgfeat {
namespace {

TEST(JohnsonLindenstraussTest, DocumentedValuesAndErrors) {
  // From scikit-learn's docstring and the reference notebook (62,720 -> 9,468).
  EXPECT_EQ(JohnsonLindenstraussMinDim(1000000, 0.5).ValueOrDie(), 663);
  EXPECT_EQ(JohnsonLindenstraussMinDim(1000000, 0.1).ValueOrDie(), 11841);
  // numpy wraps these to a negative int64; imgfeat refuses them.
  EXPECT_TRUE(JohnsonLindenstraussMinDim(1000, 1e-300).status().IsInvalid());
  EXPECT_TRUE(JohnsonLindenstraussMinDim(1000, 1e-9).status().IsInvalid());
  EXPECT_EQ(JohnsonLindenstraussMinDim(10000, 0.1).ValueOrDie(), 7894);
  EXPECT_EQ(JohnsonLindenstraussMinDim(62720, 0.1).ValueOrDie(), 9468);
  EXPECT_TRUE(JohnsonLindenstraussMinDim(100, 0.0).status().IsInvalid());
  EXPECT_TRUE(JohnsonLindenstraussMinDim(100, 1.0).status().IsInvalid());
  EXPECT_TRUE(JohnsonLindenstraussMinDim(0, 0.1).status().IsInvalid());
}

TEST(SparseRandomMatrixTest, ShapeScaleAndDensity) {
  SrpOptions options{.n_components = 200, .n_features = 20000, .density = 0, .seed = 42};
  ASSERT_OK_AND_ASSIGN(SparseMatrix m, SparseRandomMatrix(options));
  ASSERT_EQ(m.indptr.size(), 201u);
  ASSERT_EQ(static_cast<size_t>(m.indptr.back()), m.indices.size());
  const double density = 1 / std::sqrt(20000.0);
  const double scale = std::sqrt(1 / density) / std::sqrt(200.0);
  int64_t positives = 0;
  for (double v : m.values) {
    EXPECT_EQ(std::fabs(v), scale);
    positives += v > 0;
  }
  const double nnz = static_cast<double>(m.values.size());
  EXPECT_NEAR(nnz / (200.0 * 20000.0), density, density * 0.05);
  EXPECT_NEAR(positives / nnz, 0.5, 0.02);
  for (int64_t i = 0; i < 200; ++i) {
    std::vector<int32_t> row(m.indices.begin() + m.indptr[i], m.indices.begin() + m.indptr[i + 1]);
    std::sort(row.begin(), row.end());
    EXPECT_EQ(std::adjacent_find(row.begin(), row.end()), row.end()) << "row " << i;
  }
}

TEST(SparseRandomMatrixTest, RejectsBadOptions) {
  EXPECT_TRUE(SparseRandomMatrix({.n_components = 0, .n_features = 10}).status().IsInvalid());
  EXPECT_TRUE(SparseRandomMatrix({.n_components = 5, .n_features = 10, .density = 1.5})
                  .status()
                  .IsInvalid());
}

TEST(SparseRandomProjectionTest, TransformMatchesPlainCsrProduct) {
  SrpOptions options{.n_components = 300, .n_features = 5000, .density = 0, .seed = 3};
  ASSERT_OK_AND_ASSIGN(SparseMatrix m, SparseRandomMatrix(options));
  ASSERT_OK_AND_ASSIGN(auto reducer, MakeSparseRandomProjection(options));
  EXPECT_EQ(reducer->kind(), "srp");
  EXPECT_EQ(reducer->output_dim(), 300);
  const int64_t rows = 37;  // not a multiple of the 16-row tiles
  std::mt19937 gen(1);
  std::uniform_real_distribution<float> uniform(-1.0f, 3.0f);
  std::vector<float> x(rows * 5000);
  for (float& v : x) v = uniform(gen);
  std::vector<float> out(rows * 300);
  reducer->Transform(x.data(), rows, out.data());
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t i = 0; i < 300; ++i) {
      double want = 0, magnitude = 0;
      for (int64_t p = m.indptr[i]; p < m.indptr[i + 1]; ++p) {
        want += m.values[p] * x[r * 5000 + m.indices[p]];
        magnitude += std::fabs(m.values[p] * x[r * 5000 + m.indices[p]]);
      }
      EXPECT_NEAR(out[r * 300 + i], want, 1e-6 * magnitude + 1e-30) << r << "," << i;
    }
  }
}

}  // namespace
}  // namespace imgfeat
