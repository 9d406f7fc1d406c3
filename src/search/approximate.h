// The k nearest rows of every row of an output that is too large to compare
// every pair of: an HNSW graph (FAISS's IndexHNSWFlat, Euclidean) over the
// unit rows projected to at most kApproximateDim dimensions by the PCA of
// --reduce pca, fitted on a sample of them. Memory is the projected rows and
// the graph, about 4 x kApproximateDim + 8 x graph_degree bytes a row,
// whatever the feature length. A cosine is 1 - d^2 / 2 of the projected
// rows' distance d: exact when the rows have at most kApproximateDim features,
// an estimate otherwise. docs/FORMAT.md gives the recall measured against exact.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "imgfeat/status.h"
#include "search/feature_blocks.h"
#include "search/top_k.h"

namespace imgfeat::search {

inline constexpr int kApproximateDim = 512;

struct ApproximateOptions {
  int k = 10;
  int graph_degree = 32;       // HNSW's M
  int build_effort = 80;       // efConstruction
  int search_effort = 128;     // efSearch (raised to k + 1 when lower)
  int64_t pca_sample = 20000;  // rows the PCA is fitted on, at most
};

// Calls `emit` with the nearest rows of consecutive blocks of rows (best
// first, never the row itself), in row order.
using EmitNeighbours =
    std::function<Status(int64_t first_row, const std::vector<std::vector<Candidate>>& nearest)>;
Status ApproximateNeighbours(FeatureBlockReader& reader, const ApproximateOptions& options,
                             const EmitNeighbours& emit);

}  // namespace imgfeat::search
