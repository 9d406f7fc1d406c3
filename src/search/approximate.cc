#include "search/approximate.h"

#include <faiss/IndexHNSW.h>

#include <algorithm>
#include <memory>

#include "imgfeat/reduce.h"
#include "reduce/memory_row_source.h"
#include "search/block_search.h"

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

}  // namespace

Status ApproximateNeighbours(FeatureBlockReader& reader, const ApproximateOptions& options,
                             const EmitNeighbours& emit) {
  const int64_t dim = reader.dim();
  const int64_t n = reader.rows();
  const int64_t out_dim = std::min<int64_t>(dim, kApproximateDim);
  // The PCA of imgfeat's --reduce pca (randomized, no dim x dim covariance),
  // fitted on a sample of the unit rows.
  std::unique_ptr<Reducer> pca;
  if (out_dim < dim) {
    ARROW_ASSIGN_OR_RAISE(std::vector<float> sample, SampleRows(reader, options.pca_sample));
    const int64_t rows = static_cast<int64_t>(sample.size()) / dim;
    reduce::MemoryRowSource source(sample.data(), rows, dim);
    PcaOptions pca_options;
    pca_options.n_components = std::min(out_dim, rows);
    ARROW_ASSIGN_OR_RAISE(pca, FitPca(&source, pca_options));
  }
  const int64_t index_dim = pca ? pca->output_dim() : dim;
  // Euclidean distance between unit rows is sqrt(2 - 2 cosine), and keeps its
  // meaning after the PCA's centring (cosine would not): the graph is L2.
  faiss::IndexHNSWFlat index(static_cast<int>(index_dim), options.graph_degree, faiss::METRIC_L2);
  index.hnsw.efConstruction = options.build_effort;

  // The rows, projected and scaled to unit length again, into the graph.
  std::vector<float> projected;
  FeatureBlock block;
  reader.Rewind();
  while (true) {
    ARROW_ASSIGN_OR_RAISE(bool more, reader.Next(&block));
    if (!more) break;
    const float* rows = block.unit.data();
    if (pca) {
      projected.resize(static_cast<size_t>(block.rows * index_dim));
      pca->Transform(block.unit.data(), block.rows, projected.data());
      rows = projected.data();
    }
    ARROW_RETURN_NOT_OK(Faiss("HNSW add", [&] { index.add(block.rows, rows); }));
  }

  // Each row's k + 1 nearest, itself left out.
  const int want = options.k + 1;
  index.hnsw.efSearch = std::max(options.search_effort, want);
  constexpr int64_t kSearchBlock = 4096;
  std::vector<float> queries, scores;
  std::vector<faiss::Index::idx_t> labels;
  for (int64_t first = 0; first < n; first += kSearchBlock) {
    const int64_t rows = std::min(kSearchBlock, n - first);
    queries.resize(static_cast<size_t>(rows * index_dim));
    scores.resize(static_cast<size_t>(rows * want));
    labels.resize(static_cast<size_t>(rows * want));
    ARROW_RETURN_NOT_OK(Faiss("HNSW search", [&] {
      index.reconstruct_n(first, rows, queries.data());
      index.search(rows, queries.data(), want, scores.data(), labels.data());
    }));
    std::vector<std::vector<Candidate>> nearest(static_cast<size_t>(rows));
    for (int64_t i = 0; i < rows; ++i) {
      TopK top(options.k);
      for (int r = 0; r < want; ++r) {
        const faiss::Index::idx_t j = labels[i * want + r];
        // The cosine the distance stands for (exact without the PCA).
        if (j >= 0 && j != first + i) top.Offer(1.0f - 0.5f * scores[i * want + r], j);
      }
      nearest[static_cast<size_t>(i)] = top.TakeSorted();
    }
    ARROW_RETURN_NOT_OK(emit(first, nearest));
  }
  return Status::OK();
}

}  // namespace imgfeat::search
