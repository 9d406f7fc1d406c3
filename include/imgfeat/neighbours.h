// Nearest neighbours of every row of an output, and its near-duplicates:
// `imgfeat neighbours OUTPUT`. Reads the rows' `features` as the run wrote
// them (reduced by the run's SRP or PCA, or the network's own when it ran
// with --reduce none) and compares them by cosine. Exact: every pair is
// scored, by blocks of rows through BLAS, so memory is two blocks and k
// neighbours per row of a block, whatever the size of the output; the
// output is read once per block of query rows.
//
// Writes, through the output's storage (disk or S3, each file whole or not
// at all, as a run writes):
//   - _neighbours.parquet: path, neighbour, cosine, rank (1 = nearest);
//     k rows per row of the output (fewer when the output has <= k rows);
//   - _duplicates.parquet: path, group; one row per row of the output that
//     has a neighbour at cosine >= duplicate_cosine, the groups being the
//     connected components of those pairs (numbered from 0 in the order of
//     their first row); its metadata keys "imgfeat.duplicate_cosine" and
//     "imgfeat.column" hold the threshold and the column compared.
// docs/FORMAT.md describes both.
#pragma once

#include <cstdint>
#include <string>

#include "imgfeat/status.h"

namespace imgfeat {

// Rows at this cosine or above are near-duplicates, unless told otherwise
// (`imgfeat neighbours`, and the report's Train/Test leakage).
inline constexpr double kDefaultDuplicateCosine = 0.975;

// exact: every pair of rows compared. approximate: the rows projected by PCA
// to at most 512 dimensions, split into lists by FAISS's k-means, and each
// list compared with the rows of its nearest lists, for outputs too large to
// compare every pair of; its recall against exact is measured in
// docs/BENCHMARKS.md. auto: exact up to kExactMaxRows rows.
enum class NeighbourMethod { kAuto, kExact, kApproximate };
inline constexpr int64_t kExactMaxRows = 20000;
Result<NeighbourMethod> ParseNeighbourMethod(const std::string& name);
const char* NeighbourMethodName(NeighbourMethod method);

struct NeighboursOptions {
  int k = 10;
  // The column compared: "features" (as the run wrote them) or "embedding"
  // (a run with --embedding: the unreduced output averaged over its
  // positions, which also finds mirrored and cropped copies).
  std::string column = "features";
  NeighbourMethod method = NeighbourMethod::kAuto;
  // Rows whose cosine is at least this are near-duplicates.
  double duplicate_cosine = kDefaultDuplicateCosine;
  // Feature bytes of one block of rows (the memory bound is about two blocks).
  int64_t block_bytes = int64_t{256} << 20;
};

struct NeighboursSummary {
  int64_t rows = 0;
  int64_t dim = 0;
  int64_t neighbour_rows = 0;  // rows of _neighbours.parquet
  int64_t duplicate_rows = 0;  // rows of _duplicates.parquet
  int64_t duplicate_groups = 0;
  int64_t blocks = 0;                                // blocks of rows whose neighbours were found
  NeighbourMethod method = NeighbourMethod::kExact;  // the one used
  double seconds = 0;
};

// The columns rows are compared by (neighbours, similar): "features" or
// "embedding"; anything else is refused with one line.
Status ValidateFeatureColumn(const std::string& column);

// Checks k (1..1000), column, duplicate_cosine (-1..1) and block_bytes (> 0).
Status ValidateNeighboursOptions(const NeighboursOptions& options);

// OUTPUT must be a complete imgfeat output (its _SUCCESS written).
Result<NeighboursSummary> WriteNeighbours(const std::string& output,
                                          const NeighboursOptions& options);

}  // namespace imgfeat
