// The k nearest rows of every row of an output too large to compare every
// pair of: an inverted-file search for all rows at once. The unit rows,
// projected to at most kApproximateDim dimensions by the PCA of --reduce pca
// (fitted on a sample) and held in memory, are split into about one list
// per 1,000 rows by FAISS's k-means; then the rows of each list are compared
// with the candidates of the `probe` lists whose centres are nearest its own,
// by one matrix product (BLAS), as the exact search compares blocks. A row is
// a candidate in its `spread` nearest lists, so that a neighbour across the
// border of a list is still found. Memory is
// the projected rows (4 x kApproximateDim bytes a row) and the k best of
// every row, whatever the feature length.
//
// A cosine is 1 - d^2 / 2 of the projected rows' Euclidean distance d:
// exact when the rows have at most kApproximateDim features (no PCA), an
// estimate otherwise (slightly high: the PCA drops part of each distance).
// docs/FORMAT.md gives the recall measured against exact.
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
  int64_t rows_per_list = 1000;  // k-means lists: rows / rows_per_list
  int probe = 32;                // lists compared with each list (its own included)
  int spread = 3;                // lists each row is a candidate in (its nearest)
  int64_t pca_sample = 20000;    // rows the PCA is fitted on, at most
  uint32_t seed = 1234;          // the k-means and the PCA
};

// Calls `emit` with the nearest rows of consecutive blocks of rows (best
// first, never the row itself), in row order.
using EmitNeighbours =
    std::function<Status(int64_t first_row, const std::vector<std::vector<Candidate>>& nearest)>;
Status ApproximateNeighbours(FeatureBlockReader& reader, const ApproximateOptions& options,
                             const EmitNeighbours& emit);

}  // namespace imgfeat::search
