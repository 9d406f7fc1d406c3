// Port of NumPy's legacy RandomState draws (numpy/random/src/mt19937,
// distributions/distributions.c, legacy/legacy-distributions.c,
// _bounded_integers.pyx, mtrand.pyx). The arithmetic keeps NumPy's expression
// order and integer/double conversions: a different rounding would change
// which branch BTPE takes and so the whole stream after it. The file is built
// with -ffp-contract=off (see CMakeLists.txt) because NumPy's baseline build
// does not fuse multiply-adds.
#include "reduce/legacy_random.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace imgfeat::reduce {

namespace {
constexpr int kShift = 397;
constexpr uint32_t kMatrixA = 0x9908b0dfU;
constexpr uint32_t kUpperMask = 0x80000000U;
constexpr uint32_t kLowerMask = 0x7fffffffU;

// Smallest all-ones mask covering `max`.
uint64_t MaskFor(uint64_t max) {
  uint64_t mask = max;
  mask |= mask >> 1;
  mask |= mask >> 2;
  mask |= mask >> 4;
  mask |= mask >> 8;
  mask |= mask >> 16;
  mask |= mask >> 32;
  return mask;
}
}  // namespace

Mt19937::Mt19937(uint32_t seed) {
  for (int pos = 0; pos < kStateLength; ++pos) {
    key_[pos] = seed;
    seed = 1812433253U * (seed ^ (seed >> 30)) + static_cast<uint32_t>(pos) + 1U;
  }
  pos_ = kStateLength;
}

void Mt19937::Regenerate() {
  constexpr int n = kStateLength, m = kShift;
  uint32_t y;
  int i = 0;
  for (; i < n - m; ++i) {
    y = (key_[i] & kUpperMask) | (key_[i + 1] & kLowerMask);
    key_[i] = key_[i + m] ^ (y >> 1) ^ (-(y & 1U) & kMatrixA);
  }
  for (; i < n - 1; ++i) {
    y = (key_[i] & kUpperMask) | (key_[i + 1] & kLowerMask);
    key_[i] = key_[i + (m - n)] ^ (y >> 1) ^ (-(y & 1U) & kMatrixA);
  }
  y = (key_[n - 1] & kUpperMask) | (key_[0] & kLowerMask);
  key_[n - 1] = key_[m - 1] ^ (y >> 1) ^ (-(y & 1U) & kMatrixA);
  pos_ = 0;
}

uint32_t Mt19937::NextUint32() {
  if (pos_ == kStateLength) Regenerate();
  uint32_t y = key_[pos_++];
  y ^= (y >> 11);
  y ^= (y << 7) & 0x9d2c5680U;
  y ^= (y << 15) & 0xefc60000U;
  y ^= (y >> 18);
  return y;
}

double Mt19937::NextDouble() {
  const int32_t a = static_cast<int32_t>(NextUint32() >> 5);
  const int32_t b = static_cast<int32_t>(NextUint32() >> 6);
  return (a * 67108864.0 + b) / 9007199254740992.0;
}

uint64_t LegacyRandomState::NextUint64() {
  const uint64_t high = NextUint32();
  return (high << 32) | NextUint32();
}

int64_t LegacyRandomState::RandInt(int64_t low, int64_t high) {
  // _rand_int64: the generator works on the closed range [low, high - 1].
  const uint64_t range = static_cast<uint64_t>(high - 1 - low);
  const uint64_t offset = static_cast<uint64_t>(low);
  if (range == 0) return low;
  const uint64_t mask = MaskFor(range);
  uint64_t value;
  if (range <= 0xFFFFFFFFULL) {
    while ((value = (NextUint32() & mask)) > range) {
    }
  } else if (range == 0xFFFFFFFFFFFFFFFFULL) {
    value = NextUint64();
  } else {
    while ((value = (NextUint64() & mask)) > range) {
    }
  }
  return static_cast<int64_t>(offset + value);
}

uint64_t LegacyRandomState::Interval(uint64_t max) {
  if (max == 0) return 0;
  const uint64_t mask = MaskFor(max);
  uint64_t value;
  if (max <= 0xFFFFFFFFULL) {
    while ((value = (NextUint32() & mask)) > max) {
    }
  } else {
    while ((value = (NextUint64() & mask)) > max) {
    }
  }
  return value;
}

std::vector<int64_t> LegacyRandomState::Permutation(int64_t n) {
  std::vector<int64_t> values(static_cast<size_t>(std::max<int64_t>(n, 0)));
  for (int64_t i = 0; i < n; ++i) values[i] = i;
  for (int64_t i = n - 1; i >= 1; --i) {
    const auto j = static_cast<int64_t>(Interval(static_cast<uint64_t>(i)));
    std::swap(values[i], values[j]);
  }
  return values;
}

double LegacyRandomState::StandardNormal() {
  if (has_gauss_) {
    has_gauss_ = false;
    const double cached = gauss_;
    gauss_ = 0;
    return cached;
  }
  double x1, x2, r2;
  do {
    x1 = 2.0 * NextDouble() - 1.0;
    x2 = 2.0 * NextDouble() - 1.0;
    r2 = x1 * x1 + x2 * x2;
  } while (r2 >= 1.0 || r2 == 0.0);
  const double f = std::sqrt(-2.0 * std::log(r2) / r2);
  gauss_ = f * x1;
  has_gauss_ = true;
  return f * x2;
}

int64_t LegacyRandomState::Binomial(int64_t n, double p) {
  // legacy_random_binomial_original: unlike the Generator's binomial it has
  // no early return for n == 0 or p == 0 (inversion then draws once).
  if (p <= 0.5) {
    if (p * n <= 30.0) return BinomialInversion(n, p);
    return BinomialBtpe(n, p);
  }
  const double q = 1.0 - p;
  if (q * n <= 30.0) return n - BinomialInversion(n, q);
  return n - BinomialBtpe(n, q);
}

int64_t LegacyRandomState::BinomialInversion(int64_t n, double p) {
  BinomialCache& b = binomial_;
  double q, qn, np;
  int64_t bound;
  if (!b.valid || b.nsave != n || b.psave != p) {
    b.nsave = n;
    b.psave = p;
    b.valid = true;
    b.q = q = 1.0 - p;
    b.r = qn = std::exp(n * std::log(q));
    b.c = np = n * p;
    // MIN(n, double) in C compares and yields a double, then truncates.
    const double limit = np + 10.0 * std::sqrt(np * q + 1);
    b.m = bound =
        static_cast<int64_t>(static_cast<double>(n) < limit ? static_cast<double>(n) : limit);
  } else {
    q = b.q;
    qn = b.r;
    np = b.c;
    bound = b.m;
  }
  (void)np;
  int64_t x = 0;
  double px = qn;
  double u = NextDouble();
  while (u > px) {
    ++x;
    if (x > bound) {
      x = 0;
      px = qn;
      u = NextDouble();
    } else {
      u -= px;
      px = ((n - x + 1) * p * px) / (x * q);
    }
  }
  return x;
}

int64_t LegacyRandomState::BinomialBtpe(int64_t n, double p) {
  BinomialCache& b = binomial_;
  double r, q, fm, p1, xm, xl, xr, c, laml, lamr, p2, p3, p4;
  double a, u, v, s, f, rho, t, big_a, nrq, x1, x2, f1, f2, z, z2, w, w2, x;
  int64_t m, y, k, i;

  if (!b.valid || b.nsave != n || b.psave != p) {
    b.nsave = n;
    b.psave = p;
    b.valid = true;
    b.r = r = std::min(p, 1.0 - p);
    b.q = q = 1.0 - r;
    b.fm = fm = n * r + r;
    b.m = m = static_cast<int64_t>(std::floor(b.fm));
    b.p1 = p1 = std::floor(2.195 * std::sqrt(n * r * q) - 4.6 * q) + 0.5;
    b.xm = xm = m + 0.5;
    b.xl = xl = xm - p1;
    b.xr = xr = xm + p1;
    b.c = c = 0.134 + 20.5 / (15.3 + m);
    a = (fm - xl) / (fm - xl * r);
    b.laml = laml = a * (1.0 + a / 2.0);
    a = (xr - fm) / (xr * q);
    b.lamr = lamr = a * (1.0 + a / 2.0);
    b.p2 = p2 = p1 * (1.0 + 2.0 * c);
    b.p3 = p3 = p2 + c / laml;
    b.p4 = p4 = p3 + c / lamr;
  } else {
    r = b.r;
    q = b.q;
    fm = b.fm;
    m = b.m;
    p1 = b.p1;
    xm = b.xm;
    xl = b.xl;
    xr = b.xr;
    c = b.c;
    laml = b.laml;
    lamr = b.lamr;
    p2 = b.p2;
    p3 = b.p3;
    p4 = b.p4;
  }

  // The steps of Kachitvichyanukul & Schmeiser's algorithm, as NumPy's gotos.
  for (;;) {  // Step 10
    nrq = n * r * q;
    u = NextDouble() * p4;
    v = NextDouble();
    if (u <= p1) {
      y = static_cast<int64_t>(std::floor(xm - p1 * v + u));
      break;  // Step 60
    }
    if (u <= p2) {  // Step 20
      x = xl + (u - p1) / c;
      v = v * c + 1.0 - std::fabs(m - x + 0.5) / p1;
      if (v > 1.0) continue;
      y = static_cast<int64_t>(std::floor(x));
    } else if (u <= p3) {  // Step 30
      y = static_cast<int64_t>(std::floor(xl + std::log(v) / laml));
      if ((y < 0) || (v == 0.0)) continue;
      v = v * (u - p2) * laml;
    } else {  // Step 40
      y = static_cast<int64_t>(std::floor(xr - std::log(v) / lamr));
      if ((y > n) || (v == 0.0)) continue;
      v = v * (u - p3) * lamr;
    }

    // Step 50
    k = std::llabs(y - m);
    if (!((k > 20) && (k < ((nrq) / 2.0 - 1)))) {
      s = r / q;
      a = s * (n + 1);
      f = 1.0;
      if (m < y) {
        for (i = m + 1; i <= y; ++i) f *= (a / i - s);
      } else if (m > y) {
        for (i = y + 1; i <= m; ++i) f /= (a / i - s);
      }
      if (v > f) continue;
      break;  // Step 60
    }

    // Step 52
    rho = (k / (nrq)) * ((k * (k / 3.0 + 0.625) + 0.16666666666666666) / nrq + 0.5);
    t = -k * k / (2 * nrq);
    big_a = std::log(v);
    if (big_a < (t - rho)) break;
    if (big_a > (t + rho)) continue;

    x1 = y + 1;
    f1 = m + 1;
    z = n + 1 - m;
    w = n - y + 1;
    x2 = x1 * x1;
    f2 = f1 * f1;
    z2 = z * z;
    w2 = w * w;
    if (big_a > (xm * std::log(f1 / x1) + (n - m + 0.5) * std::log(z / w) +
                 (y - m) * std::log(w * r / (x1 * q)) +
                 (13680. - (462. - (132. - (99. - 140. / f2) / f2) / f2) / f2) / f1 / 166320. +
                 (13680. - (462. - (132. - (99. - 140. / z2) / z2) / z2) / z2) / z / 166320. +
                 (13680. - (462. - (132. - (99. - 140. / x2) / x2) / x2) / x2) / x1 / 166320. +
                 (13680. - (462. - (132. - (99. - 140. / w2) / w2) / w2) / w2) / w / 166320.)) {
      continue;
    }
    break;
  }
  // Step 60
  if (p > 0.5) y = n - y;
  return y;
}

}  // namespace imgfeat::reduce
