// The partitioned PCA fit: the same result however rows are split and
// merged, the same components and variances as FitPca, clear errors.
#include "imgfeat/pca_partial.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "reduce/memory_row_source.h"
#include "testing/test_util.h"

namespace imgfeat {
namespace {

// Rank-6 data plus a little noise, away from the origin.
std::vector<float> LowRankData(int64_t n, int64_t d) {
  std::mt19937 gen(7);
  std::normal_distribution<float> normal;
  std::vector<float> factors(n * 6), loadings(6 * d), x(n * d);
  for (auto& v : factors) v = normal(gen);
  for (auto& v : loadings) v = normal(gen);
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t c = 0; c < d; ++c) {
      float sum = 5.0f + 0.01f * normal(gen);
      for (int f = 0; f < 6; ++f) sum += factors[r * 6 + f] * loadings[f * d + c] * (6 - f);
      x[r * d + c] = sum;
    }
  }
  return x;
}

PcaState Fit(const std::vector<float>& x, int64_t d, const std::vector<int64_t>& splits,
             const PcaOptions& options) {
  auto driver = PcaDriver::Make(d, options).ValueOrDie();
  while (!driver.done()) {
    const PcaPass& pass = driver.pass();
    std::vector<PcaPartial> partials;
    int64_t start = 0;
    for (int64_t end : splits) {  // each partition adds its rows in two calls
      PcaPartial p = PcaPartial::Empty(pass);
      const int64_t mid = start + (end - start) / 3;
      EXPECT_OK(p.Add(pass, x.data() + start * d, mid - start));
      EXPECT_OK(p.Add(pass, x.data() + mid * d, end - mid));
      partials.push_back(std::move(p));
      start = end;
    }
    PcaPartial total = partials.back();  // merged in reverse order
    for (int i = static_cast<int>(partials.size()) - 2; i >= 0; --i) {
      EXPECT_OK(total.Merge(pass, partials[i]));
    }
    EXPECT_OK(driver.EndPass(total));
  }
  return PcaStateOf(*driver.Finish().ValueOrDie()).ValueOrDie();
}

TEST(PcaPartialTest, SplitsDoNotMatterAndFitPcaAgrees) {
  const int64_t n = 300, d = 80;
  std::vector<float> x = LowRankData(n, d);
  PcaOptions options;
  options.n_components = 4;
  options.seed = 3;
  PcaState one = Fit(x, d, {n}, options);
  PcaState split = Fit(x, d, {17, 150, 151, n}, options);
  reduce::MemoryRowSource source(x.data(), n, d);
  PcaState reference = PcaStateOf(*FitPca(&source, options).ValueOrDie()).ValueOrDie();

  ASSERT_EQ(one.n_samples, n);
  ASSERT_EQ(split.components.size(), static_cast<size_t>(4 * d));
  EXPECT_NEAR(split.total_variance, reference.total_variance, 1e-9 * reference.total_variance);
  for (int64_t c = 0; c < d; ++c) EXPECT_NEAR(split.mean[c], reference.mean[c], 1e-4);
  for (int i = 0; i < 4; ++i) {
    EXPECT_NEAR(split.explained_variance[i], one.explained_variance[i],
                1e-6 * one.explained_variance[i]);
    EXPECT_NEAR(split.explained_variance[i], reference.explained_variance[i],
                1e-4 * reference.explained_variance[i]);
    double dot_one = 0, dot_ref = 0;
    for (int64_t c = 0; c < d; ++c) {
      dot_one += split.components[i * d + c] * one.components[i * d + c];
      dot_ref += split.components[i * d + c] * reference.components[i * d + c];
    }
    EXPECT_NEAR(dot_one, 1.0, 1e-5) << i;  // same sign convention too
    EXPECT_NEAR(dot_ref, 1.0, 1e-4) << i;
  }
}

// A slowly decaying spectrum, where a randomized PCA has not converged to
// the exact one: only the same algorithm gives FitPca's components.
std::vector<float> FlatSpectrumData(int64_t n, int64_t d) {
  std::mt19937 gen(11);
  std::normal_distribution<float> normal;
  std::vector<float> x(n * d);
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t c = 0; c < d; ++c) {
      x[r * d + c] = 2.0f + normal(gen) / std::sqrt(1.0f + 0.05f * static_cast<float>(c));
    }
  }
  return x;
}

TEST(PcaPartialTest, IsFitPcasAlgorithmWhereItHasNotConverged) {
  const int64_t n = 400, d = 120;
  std::vector<float> x = FlatSpectrumData(n, d);
  PcaOptions options;
  options.n_components = 16;
  options.power_iterations = 1;
  options.seed = 5;
  PcaState split = Fit(x, d, {90, 91, 300, n}, options);
  reduce::MemoryRowSource source(x.data(), n, d);
  PcaState reference = PcaStateOf(*FitPca(&source, options).ValueOrDie()).ValueOrDie();
  for (int i = 0; i < 16; ++i) {
    EXPECT_NEAR(split.explained_variance[i], reference.explained_variance[i],
                1e-4 * reference.explained_variance[i])
        << i;
    double dot = 0;
    for (int64_t c = 0; c < d; ++c) {
      dot += split.components[i * d + c] * reference.components[i * d + c];
    }
    EXPECT_GE(dot, 0.9999) << i;
  }
}

TEST(PcaPartialTest, Errors) {
  PcaOptions options;
  options.n_components = 0;
  EXPECT_FALSE(PcaDriver::Make(10, options).ok());
  options.n_components = 11;
  EXPECT_FALSE(PcaDriver::Make(10, options).ok());
  options.n_components = 2;
  auto driver = PcaDriver::Make(10, options).ValueOrDie();
  EXPECT_EQ(driver.pass().width, 4);  // 2 + 2: oversampling defaults to n_components
  options.oversampling = 10;
  EXPECT_EQ(PcaDriver::Make(10, options).ValueOrDie().pass().width, 10);  // capped at the features
  EXPECT_FALSE(driver.Finish().ok());
  PcaPartial one_row = PcaPartial::Empty(driver.pass());
  std::vector<float> row(10, 1.0f);
  ASSERT_OK(one_row.Add(driver.pass(), row.data(), 1));
  EXPECT_EQ(driver.EndPass(one_row).message(), "PCA needs at least 2 rows, got 1");
  auto other = PcaDriver::Make(12, options).ValueOrDie();
  PcaPartial wrong = PcaPartial::Empty(other.pass());
  EXPECT_FALSE(one_row.Merge(driver.pass(), wrong).ok());
}

}  // namespace
}  // namespace imgfeat
