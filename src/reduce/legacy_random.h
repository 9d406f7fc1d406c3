// NumPy's legacy `np.random.RandomState(seed)`, stream for stream: the MT19937
// generator seeded from an integer, and the few draws scikit-learn's random
// projections make through it (randint, binomial, permutation, standard_normal).
// Each method consumes the generator exactly as NumPy's C code does, so that a
// matrix built here is the one scikit-learn builds from the same random_state.
//
// Not thread-safe: one instance per thread.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace imgfeat::reduce {

// The Mersenne Twister MT19937 with init_genrand seeding (numpy's mt19937_seed).
class Mt19937 {
 public:
  explicit Mt19937(uint32_t seed);
  uint32_t NextUint32();
  // 53-bit double in [0, 1) from two outputs, as numpy's mt19937_next_double.
  double NextDouble();

 private:
  void Regenerate();
  static constexpr int kStateLength = 624;
  std::array<uint32_t, kStateLength> key_{};
  int pos_ = kStateLength;
};

class LegacyRandomState {
 public:
  explicit LegacyRandomState(uint32_t seed) : mt_(seed) {}

  uint32_t NextUint32() { return mt_.NextUint32(); }
  double NextDouble() { return mt_.NextDouble(); }

  // rng.randint(low, high) for int64 bounds, high exclusive: masked rejection
  // sampling on 32-bit outputs when the range fits in 32 bits.
  int64_t RandInt(int64_t low, int64_t high);
  int64_t RandInt(int64_t high) { return RandInt(0, high); }

  // rng.binomial(n, p): inversion when min(p, 1-p) * n <= 30, BTPE otherwise.
  // Keeps NumPy's cached set-up between calls with the same (n, p).
  int64_t Binomial(int64_t n, double p);

  // rng.permutation(n): Fisher-Yates from the end with random_interval draws.
  std::vector<int64_t> Permutation(int64_t n);

  // rng.standard_normal() of the legacy generator (polar Box-Muller, the
  // second value of each pair cached).
  double StandardNormal();

 private:
  // numpy's random_interval: a value in [0, max] by masked rejection.
  uint64_t Interval(uint64_t max);
  uint64_t NextUint64();
  int64_t BinomialInversion(int64_t n, double p);
  int64_t BinomialBtpe(int64_t n, double p);

  // numpy's binomial_t: the set-up of the last (n, p) seen.
  struct BinomialCache {
    bool valid = false;
    int64_t nsave = 0;
    double psave = 0;
    int64_t m = 0;
    double r = 0, q = 0, fm = 0, p1 = 0, xm = 0, xl = 0, xr = 0, c = 0;
    double laml = 0, lamr = 0, p2 = 0, p3 = 0, p4 = 0;
  };

  Mt19937 mt_;
  BinomialCache binomial_;
  bool has_gauss_ = false;
  double gauss_ = 0;
};

}  // namespace imgfeat::reduce
