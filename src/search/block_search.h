// The k nearest rows of an output for each of a set of query rows, in one
// pass over the output's blocks: screened by BLAS (a matrix product per
// block), the rows that may enter the best scored in a fixed order (the same
// cosine whatever the block sizes), the best kept per query (top_k.h). Rows
// are unit length, so a score is a cosine.
#pragma once

#include <cstdint>
#include <vector>

#include "imgfeat/status.h"
#include "search/feature_blocks.h"
#include "search/top_k.h"

namespace imgfeat::search {

// `queries`: rows x reader.dim(), row-major, unit rows. With self_first_row
// >= 0, query i is the output's row self_first_row + i and never its own
// neighbour. Best first per query.
Result<std::vector<std::vector<Candidate>>> NearestRows(const float* queries, int64_t rows,
                                                        FeatureBlockReader& reader, int k,
                                                        int64_t self_first_row = -1);

// `values` (rows x dim) scaled in place to unit rows (a zero row stays zero).
void ScaleToUnit(float* values, int64_t rows, int64_t dim);

}  // namespace imgfeat::search
