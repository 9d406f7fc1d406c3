// Expected values below were printed by NumPy 2.2.6, e.g.
//   np.random.RandomState(42).randint(0, 2**32, dtype=np.uint32)  (raw outputs)
//   np.random.RandomState(42).binomial(62720, 1 / np.sqrt(62720), 5)
// tests/test_srp_sklearn.py compares much longer streams at test time.
#include "reduce/legacy_random.h"

#include <gtest/gtest.h>

#include <cmath>

#include "reduce/sample_without_replacement.h"
#include "testing/test_util.h"

namespace imgfeat::reduce {
namespace {

TEST(Mt19937Test, FirstOutputsMatchNumpy) {
  Mt19937 seed42(42);
  for (uint32_t want : {1608637542U, 3421126067U, 4083286876U, 787846414U, 3143890026U}) {
    EXPECT_EQ(seed42.NextUint32(), want);
  }
  Mt19937 seed0(0);
  for (uint32_t want : {2357136044U, 2546248239U, 3071714933U, 3626093760U, 2588848963U}) {
    EXPECT_EQ(seed0.NextUint32(), want);
  }
}

TEST(Mt19937Test, DoublesMatchNumpyRandomSample) {
  EXPECT_EQ(Mt19937(42).NextDouble(), 0.3745401188473625);
  EXPECT_EQ(Mt19937(0).NextDouble(), 0.5488135039273248);
}

TEST(LegacyRandomStateTest, BinomialBtpeThenInversionMatchNumpy) {
  // binomial(62720, 1/sqrt(62720)) takes BTPE (n p ~ 250), binomial(100, 0.1)
  // inversion (n p = 10); both from one generator, so the cache is exercised.
  LegacyRandomState rng(42);
  for (int64_t want : {239, 253, 226, 257, 221}) {
    EXPECT_EQ(rng.Binomial(62720, 1 / std::sqrt(62720.0)), want);
  }
  for (int64_t want : {13, 8, 7, 7, 8}) EXPECT_EQ(rng.Binomial(100, 0.1), want);
  LegacyRandomState rng0(0);
  for (int64_t want : {254, 262, 250, 243, 289}) {
    EXPECT_EQ(rng0.Binomial(62720, 1 / std::sqrt(62720.0)), want);
  }
  for (int64_t want : {12, 10, 10, 14, 6}) EXPECT_EQ(rng0.Binomial(100, 0.1), want);
}

TEST(LegacyRandomStateTest, PermutationMatchesNumpy) {
  EXPECT_EQ(LegacyRandomState(42).Permutation(10),
            (std::vector<int64_t>{8, 1, 5, 0, 7, 2, 9, 4, 3, 6}));
  EXPECT_EQ(LegacyRandomState(0).Permutation(10),
            (std::vector<int64_t>{2, 8, 4, 9, 1, 6, 7, 3, 0, 5}));
}

TEST(SampleWithoutReplacementTest, DocumentedExample) {
  // scikit-learn's docstring: sample_without_replacement(10, 5, random_state=42)
  LegacyRandomState rng(42);
  ASSERT_OK_AND_ASSIGN(auto sample, SampleWithoutReplacement(10, 5, SampleMethod::kAuto, &rng));
  EXPECT_EQ(sample, (std::vector<int64_t>{8, 1, 5, 0, 7}));
}

TEST(SampleWithoutReplacementTest, EveryMethodGivesDistinctValuesInRange) {
  for (auto method : {SampleMethod::kAuto, SampleMethod::kTrackingSelection,
                      SampleMethod::kReservoirSampling, SampleMethod::kPool}) {
    LegacyRandomState rng(7);
    ASSERT_OK_AND_ASSIGN(auto sample, SampleWithoutReplacement(1000, 300, method, &rng));
    std::vector<bool> seen(1000, false);
    for (int64_t v : sample) {
      ASSERT_GE(v, 0);
      ASSERT_LT(v, 1000);
      EXPECT_FALSE(seen[v]);
      seen[v] = true;
    }
  }
}

TEST(SampleWithoutReplacementTest, RejectsBadSizes) {
  LegacyRandomState rng(1);
  EXPECT_TRUE(SampleWithoutReplacement(5, 6, SampleMethod::kAuto, &rng).status().IsInvalid());
  EXPECT_TRUE(SampleWithoutReplacement(-1, 0, SampleMethod::kAuto, &rng).status().IsInvalid());
  EXPECT_TRUE(SampleMethodFromName("shuffle").status().IsInvalid());
}

}  // namespace
}  // namespace imgfeat::reduce
