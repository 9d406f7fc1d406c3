#include "search/approximate.h"

#include <faiss/Clustering.h>
#include <faiss/IndexFlat.h>

#include <algorithm>
#include <memory>

#include "imgfeat/reduce.h"
#include "reduce/blas.h"
#include "reduce/memory_row_source.h"
#include "search/faiss_blas.h"

namespace imgfeat::search {
namespace {

// FAISS reports misuse by exceptions; the library's callers get a Status.
template <typename F>
Status Faiss(const char* what, F&& f) {
  try {
    f();
    return Status::OK();
  } catch (const std::exception& e) {
    return Status::UnknownError(what, ": ", e.what());
  }
}

// Every stride-th row of a pass, for the PCA.
Result<std::vector<float>> SampleRows(FeatureBlockReader& reader, int64_t max_rows) {
  const int64_t stride = std::max<int64_t>(1, (reader.rows() + max_rows - 1) / max_rows);
  std::vector<float> sample;
  FeatureBlock block;
  reader.Rewind();
  while (true) {
    ARROW_ASSIGN_OR_RAISE(bool more, reader.Next(&block));
    if (!more) break;
    for (int64_t i = 0; i < block.rows; ++i) {
      if ((block.first_row + i) % stride != 0) continue;
      const float* row = block.unit.data() + i * reader.dim();
      sample.insert(sample.end(), row, row + reader.dim());
    }
  }
  return sample;
}

// All rows, unit length, projected by `pca` when there is one: n x dim.
Result<std::vector<float>> ProjectedRows(FeatureBlockReader& reader, const Reducer* pca,
                                         int64_t dim) {
  std::vector<float> rows(static_cast<size_t>(reader.rows() * dim));
  FeatureBlock block;
  reader.Rewind();
  while (true) {
    ARROW_ASSIGN_OR_RAISE(bool more, reader.Next(&block));
    if (!more) break;
    float* out = rows.data() + block.first_row * dim;
    if (pca) {
      pca->Transform(block.unit.data(), block.rows, out);
    } else {
      std::copy(block.unit.begin(), block.unit.end(), out);
    }
  }
  return rows;
}

}  // namespace

Status ApproximateNeighbours(FeatureBlockReader& reader, const ApproximateOptions& options,
                             const EmitNeighbours& emit) {
  const int64_t n = reader.rows();
  if (n == 0) return Status::OK();
  ARROW_RETURN_NOT_OK(LoadFaissBlas());
  // The PCA of imgfeat's --reduce pca (randomized, no dim x dim covariance),
  // fitted on a sample of the unit rows; centring keeps Euclidean distances.
  std::unique_ptr<Reducer> pca;
  if (reader.dim() > kApproximateDim) {
    ARROW_ASSIGN_OR_RAISE(std::vector<float> sample, SampleRows(reader, options.pca_sample));
    const int64_t rows = static_cast<int64_t>(sample.size()) / reader.dim();
    reduce::MemoryRowSource source(sample.data(), rows, reader.dim());
    PcaOptions pca_options;
    pca_options.n_components = std::min<int64_t>(kApproximateDim, rows);
    pca_options.seed = options.seed;
    ARROW_ASSIGN_OR_RAISE(pca, FitPca(&source, pca_options));
  }
  const int64_t dim = pca ? pca->output_dim() : reader.dim();
  ARROW_ASSIGN_OR_RAISE(std::vector<float> x, ProjectedRows(reader, pca.get(), dim));
  pca.reset();
  std::vector<float> norms(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    norms[i] = IMGFEAT_BLAS(cblas_sdot)(static_cast<int>(dim), &x[i * dim], 1, &x[i * dim], 1);
  }

  // The lists: FAISS's k-means over the rows, each row in its nearest list.
  const int64_t lists = std::clamp<int64_t>(n / options.rows_per_list, 1, 65536);
  faiss::IndexFlatL2 centres(static_cast<int>(dim));
  const int spread = static_cast<int>(std::min<int64_t>(options.spread, lists));
  std::vector<faiss::Index::idx_t> list_of(static_cast<size_t>(n * spread));
  std::vector<float> ignored(static_cast<size_t>(n * spread));
  ARROW_RETURN_NOT_OK(Faiss("k-means", [&] {
    faiss::ClusteringParameters params;
    params.seed = static_cast<int>(options.seed);
    params.niter = 20;
    faiss::Clustering clustering(static_cast<int>(dim), static_cast<int>(lists), params);
    clustering.train(n, x.data(), centres);
    centres.search(n, x.data(), spread, ignored.data(), list_of.data());
  }));
  const int probe = static_cast<int>(std::min<int64_t>(options.probe, lists));
  std::vector<float> centre_distances(static_cast<size_t>(lists * probe));
  std::vector<faiss::Index::idx_t> near_lists(static_cast<size_t>(lists * probe));
  ARROW_RETURN_NOT_OK(Faiss("k-means", [&] {
    centres.search(lists, centres.get_xb(), probe, centre_distances.data(), near_lists.data());
  }));
  // A row is a query in its nearest list and a candidate in its `spread` nearest.
  std::vector<std::vector<int64_t>> members(static_cast<size_t>(lists));
  std::vector<std::vector<int64_t>> candidates_of(static_cast<size_t>(lists));
  for (int64_t i = 0; i < n; ++i) {
    members[list_of[i * spread]].push_back(i);
    for (int s = 0; s < spread; ++s) {
      if (list_of[i * spread + s] >= 0) candidates_of[list_of[i * spread + s]].push_back(i);
    }
  }
  std::vector<int64_t> seen_in(static_cast<size_t>(n), -1);  // a candidate once per list

  // Each list's rows against the rows of its nearest lists: one product.
  std::vector<TopK> best(static_cast<size_t>(n), TopK(options.k));
  std::vector<float> queries, candidates, scores;
  std::vector<int64_t> candidate_rows;
  for (int64_t l = 0; l < lists; ++l) {
    const auto& mine = members[l];
    if (mine.empty()) continue;
    candidate_rows.clear();
    for (int p = 0; p < probe; ++p) {
      const faiss::Index::idx_t other = near_lists[l * probe + p];
      if (other < 0) continue;
      for (int64_t row : candidates_of[other]) {
        if (seen_in[row] == l) continue;
        seen_in[row] = l;
        candidate_rows.push_back(row);
      }
    }
    const int64_t m = static_cast<int64_t>(mine.size());
    const int64_t c = static_cast<int64_t>(candidate_rows.size());
    queries.resize(static_cast<size_t>(m * dim));
    candidates.resize(static_cast<size_t>(c * dim));
    for (int64_t i = 0; i < m; ++i) std::copy_n(&x[mine[i] * dim], dim, &queries[i * dim]);
    for (int64_t j = 0; j < c; ++j) {
      std::copy_n(&x[candidate_rows[j] * dim], dim, &candidates[j * dim]);
    }
    scores.resize(static_cast<size_t>(m * c));
    IMGFEAT_BLAS(cblas_sgemm)
    (CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(m), static_cast<int>(c),
     static_cast<int>(dim), 1.0f, queries.data(), static_cast<int>(dim), candidates.data(),
     static_cast<int>(dim), 0.0f, scores.data(), static_cast<int>(c));
    for (int64_t i = 0; i < m; ++i) {
      TopK& top = best[mine[i]];
      const float* dot = &scores[i * c];
      for (int64_t j = 0; j < c; ++j) {
        const int64_t row = candidate_rows[j];
        if (row == mine[i]) continue;
        // |a - b|^2 = |a|^2 + |b|^2 - 2 a.b, and cosine = 1 - |a - b|^2 / 2.
        const float cosine = 1.0f - 0.5f * (norms[mine[i]] + norms[row] - 2.0f * dot[j]);
        if (!top.Full() || cosine >= top.Worst()) top.Offer(cosine, row);
      }
    }
  }

  constexpr int64_t kEmitRows = 4096;
  for (int64_t first = 0; first < n; first += kEmitRows) {
    const int64_t rows = std::min(kEmitRows, n - first);
    std::vector<std::vector<Candidate>> nearest(static_cast<size_t>(rows));
    for (int64_t i = 0; i < rows; ++i) nearest[i] = best[first + i].TakeSorted();
    ARROW_RETURN_NOT_OK(emit(first, nearest));
  }
  return Status::OK();
}

}  // namespace imgfeat::search
