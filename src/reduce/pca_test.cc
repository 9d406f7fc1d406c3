// The streaming PCA on data with planted components; comparison with
// scikit-learn's exact PCA is in tests/test_pca_sklearn.py.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "imgfeat/reduce.h"
#include "reduce/memory_row_source.h"
#include "testing/test_util.h"

namespace imgfeat {
namespace {

constexpr int64_t kRows = 400, kCols = 300, kPlanted = 5;

// Rows = offset + sum_i score_i * sigma_i * direction_i + small noise, with
// orthonormal directions (Gram-Schmidt of random vectors).
struct Planted {
  std::vector<float> data;
  std::vector<std::vector<double>> directions;
};

Planted MakePlanted() {
  std::mt19937 gen(11);
  std::normal_distribution<double> normal;
  Planted p;
  for (int64_t i = 0; i < kPlanted; ++i) {
    std::vector<double> v(kCols);
    for (double& x : v) x = normal(gen);
    for (const auto& u : p.directions) {
      double dot = 0;
      for (int64_t c = 0; c < kCols; ++c) dot += u[c] * v[c];
      for (int64_t c = 0; c < kCols; ++c) v[c] -= dot * u[c];
    }
    double norm = 0;
    for (double x : v) norm += x * x;
    for (double& x : v) x /= std::sqrt(norm);
    p.directions.push_back(v);
  }
  // Scores: centered, mutually orthogonal columns with sample variance
  // sigma_i^2, so that the sample covariance has exactly the planted
  // eigenvectors (up to the tiny noise).
  const double sigma[kPlanted] = {20, 10, 5, 3, 2};
  std::vector<std::vector<double>> scores;
  for (int64_t i = 0; i < kPlanted; ++i) {
    std::vector<double> s(kRows);
    for (double& x : s) x = normal(gen);
    double mean = 0;
    for (double x : s) mean += x / kRows;
    for (double& x : s) x -= mean;
    for (const auto& t : scores) {
      double dot = 0, tt = 0;
      for (int64_t r = 0; r < kRows; ++r) dot += t[r] * s[r], tt += t[r] * t[r];
      for (int64_t r = 0; r < kRows; ++r) s[r] -= dot / tt * t[r];
    }
    double ss = 0;
    for (double x : s) ss += x * x;
    for (double& x : s) x *= sigma[i] / std::sqrt(ss / (kRows - 1));
    scores.push_back(s);
  }
  p.data.resize(kRows * kCols);
  for (int64_t r = 0; r < kRows; ++r) {
    for (int64_t c = 0; c < kCols; ++c) p.data[r * kCols + c] = 4.0f + 0.01f * normal(gen);
    for (int64_t i = 0; i < kPlanted; ++i) {
      for (int64_t c = 0; c < kCols; ++c) {
        p.data[r * kCols + c] += static_cast<float>(scores[i][r] * p.directions[i][c]);
      }
    }
  }
  return p;
}

TEST(PcaTest, RecoversPlantedComponentsAndVariance) {
  Planted planted = MakePlanted();
  reduce::MemoryRowSource source(planted.data.data(), kRows, kCols);
  PcaOptions options{.n_components = kPlanted, .block_rows = 64};
  ASSERT_OK_AND_ASSIGN(auto pca, FitPca(&source, options));
  ASSERT_OK_AND_ASSIGN(PcaState state, PcaStateOf(*pca));
  ASSERT_EQ(state.components.size(), static_cast<size_t>(kPlanted * kCols));
  EXPECT_EQ(state.n_samples, kRows);

  // Total variance and mean, computed directly.
  double total = 0;
  for (int64_t c = 0; c < kCols; ++c) {
    double mean = 0;
    for (int64_t r = 0; r < kRows; ++r) mean += planted.data[r * kCols + c];
    mean /= kRows;
    EXPECT_NEAR(state.mean[c], mean, 1e-4);
    for (int64_t r = 0; r < kRows; ++r) {
      const double d = planted.data[r * kCols + c] - mean;
      total += d * d;
    }
  }
  total /= kRows - 1;
  EXPECT_NEAR(state.total_variance, total, total * 1e-9);

  for (int64_t i = 0; i < kPlanted; ++i) {
    double dot = 0, norm = 0, max_abs = 0, signed_max = 0;
    for (int64_t c = 0; c < kCols; ++c) {
      const double v = state.components[i * kCols + c];
      dot += v * planted.directions[i][c];
      norm += v * v;
      if (std::fabs(v) > max_abs) max_abs = std::fabs(v), signed_max = v;
    }
    EXPECT_NEAR(norm, 1.0, 1e-5);
    EXPECT_GE(std::fabs(dot), 0.999) << "component " << i;
    EXPECT_GT(signed_max, 0) << "svd_flip sign of component " << i;
    // The variance along the recovered direction, computed directly.
    double var = 0;
    for (int64_t r = 0; r < kRows; ++r) {
      double score = 0;
      for (int64_t c = 0; c < kCols; ++c) {
        score += (planted.data[r * kCols + c] - state.mean[c]) * state.components[i * kCols + c];
      }
      var += score * score;
    }
    var /= kRows - 1;
    EXPECT_NEAR(state.explained_variance[i], var, var * 1e-4) << "component " << i;
    EXPECT_NEAR(state.explained_variance_ratio[i], var / total, var / total * 1e-4);
    if (i > 0) {
      EXPECT_LT(state.explained_variance[i], state.explained_variance[i - 1]);
    }
  }

  // Transform = centered rows times the components.
  std::vector<float> out(3 * kPlanted);
  pca->Transform(planted.data.data(), 3, out.data());
  for (int64_t r = 0; r < 3; ++r) {
    for (int64_t i = 0; i < kPlanted; ++i) {
      double want = 0;
      for (int64_t c = 0; c < kCols; ++c) {
        want += (planted.data[r * kCols + c] - state.mean[c]) * state.components[i * kCols + c];
      }
      EXPECT_NEAR(out[r * kPlanted + i], want, 1e-3);
    }
  }
}

TEST(PcaTest, RejectsBadSizes) {
  std::vector<float> data(10 * 4, 1.0f);
  reduce::MemoryRowSource source(data.data(), 10, 4);
  EXPECT_TRUE(FitPca(&source, {.n_components = 5}).status().IsInvalid());
  EXPECT_TRUE(FitPca(&source, {.n_components = 0}).status().IsInvalid());
  reduce::MemoryRowSource one_row(data.data(), 1, 4);
  EXPECT_TRUE(FitPca(&one_row, {.n_components = 1}).status().IsInvalid());
}

TEST(FeatureSpillTest, RowsComeBackInBlocksAndTheFileIsRemoved) {
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("imgfeat_spill_" + std::to_string(::getpid()) + ".f32"))
                               .string();
  std::vector<float> rows(7 * 3);
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<float>(i) * 0.5f;
  {
    ASSERT_OK_AND_ASSIGN(auto spill, FeatureSpill::Create(path, 3));
    ASSERT_OK(spill->Append(rows.data(), 4));
    ASSERT_OK(spill->Append(rows.data() + 12, 3));
    EXPECT_TRUE(spill->Read(rows.data(), 1).status().IsInvalid());  // still writing
    ASSERT_OK(spill->FinishWriting());
    EXPECT_EQ(spill->rows(), 7);
    EXPECT_TRUE(spill->Append(rows.data(), 1).IsInvalid());
    for (int pass = 0; pass < 2; ++pass) {
      ASSERT_OK(spill->Rewind());
      std::vector<float> back(rows.size());
      int64_t got = 0;
      while (true) {
        ASSERT_OK_AND_ASSIGN(int64_t n, spill->Read(back.data() + got * 3, 3));
        if (n == 0) break;
        got += n;
      }
      EXPECT_EQ(got, 7);
      EXPECT_EQ(back, rows);
    }
    EXPECT_TRUE(std::filesystem::exists(path));
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(FeatureSpillTest, PcaFromASpillEqualsPcaFromMemory) {
  Planted planted = MakePlanted();
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("imgfeat_spill_pca_" + std::to_string(::getpid()) + ".f32"))
                               .string();
  ASSERT_OK_AND_ASSIGN(auto spill, FeatureSpill::Create(path, kCols));
  ASSERT_OK(spill->Append(planted.data.data(), kRows));
  ASSERT_OK(spill->FinishWriting());
  PcaOptions options{.n_components = 3, .block_rows = 50};
  ASSERT_OK_AND_ASSIGN(auto from_spill, FitPca(spill.get(), options));
  reduce::MemoryRowSource source(planted.data.data(), kRows, kCols);
  ASSERT_OK_AND_ASSIGN(auto from_memory, FitPca(&source, options));
  EXPECT_EQ(PcaStateOf(*from_spill)->components, PcaStateOf(*from_memory)->components);
  EXPECT_EQ(from_spill->DescribeJson(), from_memory->DescribeJson());
}

}  // namespace
}  // namespace imgfeat
