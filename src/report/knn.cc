#include "report/knn.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>

#include "reduce/blas.h"
#include "reduce/linalg.h"

namespace imgfeat::report {
namespace {

// Query rows per similarity block: 256 x rows floats at a time.
constexpr int64_t kQueryBlock = 256;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<float> InverseNorms(const float* features, int64_t rows, int64_t dim) {
  std::vector<float> inv(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) {
    double sum = 0;
    for (int64_t j = 0; j < dim; ++j)
      sum += static_cast<double>(features[r * dim + j]) * features[r * dim + j];
    // A zero vector is at cosine distance 1 from everything, as in scikit-learn.
    inv[r] = sum > 0 ? static_cast<float>(1.0 / std::sqrt(sum)) : 0.0f;
  }
  return inv;
}

// The k nearest allowed references of one query: smallest distance first,
// then smallest row.
void NearestK(const float* similarity, const std::vector<float>& inv_norm, float query_inv,
              const std::vector<int64_t>& references, int64_t self, int k,
              std::vector<std::pair<double, int64_t>>* best) {
  best->clear();
  for (int64_t r : references) {
    if (r == self) continue;
    const double distance = 1.0 - static_cast<double>(similarity[r]) * query_inv * inv_norm[r];
    const std::pair<double, int64_t> candidate(distance, r);
    if (static_cast<int>(best->size()) == k && !(candidate < best->back())) continue;
    if (static_cast<int>(best->size()) == k) best->pop_back();
    best->insert(std::upper_bound(best->begin(), best->end(), candidate), candidate);
  }
}

}  // namespace

Split SplitOf(const std::string& path) {
  Split split = Split::kNone;
  size_t start = 0;
  const size_t last_slash = path.find_last_of('/');
  while (last_slash != std::string::npos && start < last_slash) {
    size_t end = path.find('/', start);
    const std::string folder = Lower(path.substr(start, end - start));
    if (folder == "train" || folder == "training") split = Split::kTrain;
    if (folder == "test" || folder == "testing") split = Split::kTest;
    start = end + 1;
  }
  return split;
}

Interval WilsonInterval(int64_t successes, int64_t n, double z) {
  if (n <= 0) return {0, 1};
  const double p = static_cast<double>(successes) / n;
  const double z2 = z * z;
  const double denominator = 1 + z2 / n;
  const double center = (p + z2 / (2.0 * n)) / denominator;
  const double half = z / denominator * std::sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
  // In exact arithmetic the interval holds p; rounding can leave it a hair
  // outside at p = 0 or 1, which a reader would take for a bug.
  return {std::clamp(center - half, 0.0, p), std::clamp(center + half, p, 1.0)};
}

Result<KnnResult> KnnAccuracy(const float* features, int64_t rows, int64_t dim,
                              const std::vector<std::string>& labels,
                              const std::vector<Split>& splits, int k) {
  ARROW_RETURN_NOT_OK(reduce::LoadBlas().status());
  if (rows < 2) return Status::Invalid("k-NN accuracy needs at least 2 rows, got ", rows);
  if (k < 1) return Status::Invalid("k-NN needs k >= 1");
  KnnResult result;
  std::vector<int64_t> queries, references;
  for (int64_t r = 0; r < rows; ++r) {
    if (splits[r] == Split::kTest) queries.push_back(r);
    if (splits[r] == Split::kTrain) references.push_back(r);
  }
  const bool split = !queries.empty() && !references.empty();
  result.method = split ? "train/test" : "leave-one-out";
  if (!split) {
    queries.clear();
    for (int64_t r = 0; r < rows; ++r) queries.push_back(r);
    references = queries;
  }
  std::map<std::string, int> class_index;
  for (int64_t r : references) class_index[labels[r]] = 0;
  for (int64_t q : queries) class_index[labels[q]] = 0;
  for (auto& [name, index] : class_index) {
    index = static_cast<int>(result.classes.size());
    result.classes.push_back(name);
  }
  const size_t n_classes = result.classes.size();
  result.confusion.assign(n_classes * n_classes, 0);
  result.queries = static_cast<int64_t>(queries.size());
  result.references = static_cast<int64_t>(references.size());

  const std::vector<float> inv_norm = InverseNorms(features, rows, dim);
  std::vector<float> block(static_cast<size_t>(kQueryBlock * dim));
  std::vector<float> similarity(static_cast<size_t>(kQueryBlock * rows));
  std::vector<std::pair<double, int64_t>> best;
  std::vector<int> votes(n_classes);
  for (size_t q0 = 0; q0 < queries.size(); q0 += kQueryBlock) {
    const int64_t m = std::min<int64_t>(kQueryBlock, queries.size() - q0);
    for (int64_t i = 0; i < m; ++i) {
      std::copy_n(features + queries[q0 + i] * dim, dim, block.data() + i * dim);
    }
    reduce::MatMul(block.data(), false, features, true, m, rows, dim, 0.0f, similarity.data());
    for (int64_t i = 0; i < m; ++i) {
      const int64_t query = queries[q0 + i];
      NearestK(similarity.data() + i * rows, inv_norm, inv_norm[query], references,
               split ? -1 : query, k, &best);
      std::fill(votes.begin(), votes.end(), 0);
      for (const auto& [distance, r] : best) ++votes[class_index[labels[r]]];
      const int predicted =
          static_cast<int>(std::max_element(votes.begin(), votes.end()) - votes.begin());
      result.query_rows.push_back(query);
      result.nearest_rows.push_back(best.empty() ? -1 : best.front().second);
      result.nearest_cosines.push_back(best.empty() ? NAN
                                                    : static_cast<float>(1.0 - best.front().first));
      const int truth = class_index[labels[query]];
      ++result.confusion[truth * n_classes + predicted];
      if (predicted == truth) ++result.correct;
    }
  }
  result.accuracy = static_cast<double>(result.correct) / result.queries;
  result.interval = WilsonInterval(result.correct, result.queries);
  return result;
}

}  // namespace imgfeat::report
