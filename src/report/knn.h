// Feature quality as a person reads it: does an image's nearest neighbours'
// label (cosine distance, k neighbours, majority vote) match its own?
// Measured on the folders' own train/test split when the paths show one,
// by leave-one-out otherwise, with a 95% Wilson interval and the confusion
// between labels. The vote and its ties follow scikit-learn's
// KNeighborsClassifier(metric="cosine"): the most frequent label, the
// smallest label in sorted order on a tie. Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "imgfeat/status.h"

namespace imgfeat::report {

enum class Split { kNone, kTrain, kTest };

// The split a path's folders name: the last folder called train, training,
// test or testing, in any case.
Split SplitOf(const std::string& path);

struct Interval {
  double low = 0, high = 0;
};
// Wilson score interval of `successes` in `n` trials (z = 1.96: 95%).
Interval WilsonInterval(int64_t successes, int64_t n, double z = 1.959963984540054);

struct KnnResult {
  std::string method;                // "train/test" or "leave-one-out"
  std::vector<std::string> classes;  // sorted labels of the references
  std::vector<int64_t> confusion;    // classes x classes: true row, predicted column
  int64_t queries = 0, correct = 0, references = 0;
  double accuracy = 0;
  Interval interval;
  // Per query (in row order): the row and the cosine of its nearest
  // reference, which tell a near-copy of a Train image in Test.
  std::vector<int64_t> query_rows, nearest_rows;
  std::vector<float> nearest_cosines;
};

// `features`: rows x dim, row-major. Train/test when some rows are in each,
// leave-one-out otherwise; fails with fewer than 2 rows.
Result<KnnResult> KnnAccuracy(const float* features, int64_t rows, int64_t dim,
                              const std::vector<std::string>& labels,
                              const std::vector<Split>& splits, int k);

}  // namespace imgfeat::report
