// Search by image: `imgfeat similar OUTPUT IMAGE...`. Each query image goes
// through the run's own model, pooling and reducer (from OUTPUT's
// _imgfeat.json and _reducer.parquet), so that its features are those the
// run would have written for it, and is compared by cosine with every row of
// the output (exact, in blocks; see imgfeat/neighbours.h). With column
// "embedding" (an output written with --embedding) the query's embedding is
// compared with the rows' instead, which also finds mirrored and cropped
// views of an image.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "imgfeat/status.h"

namespace imgfeat {

struct SimilarOptions {
  int k = 10;
  int threads = 0;                  // 0: all cores
  std::string model_dir;            // searched first for the run's model file
  std::string column = "features";  // or "embedding" (NeighboursOptions::column)
};

struct SimilarRow {
  int64_t query = 0;  // index into the images given
  int rank = 0;       // 1: nearest
  std::string path;   // the row's path (its text, as in the parts)
  std::string label;
  float cosine = 0;
};

struct SimilarResult {
  std::vector<SimilarRow> rows;  // by query, nearest first
  // Queries that could not be featurized: index and one-line reason.
  std::vector<std::pair<int64_t, std::string>> errors;
};

// OUTPUT must be a complete output. Fails when the run's model cannot be
// found or differs from the run's (its SHA-256), or the features do not
// match; a bad query image is an entry of `errors`, never a failure.
Result<SimilarResult> FindSimilar(const std::string& output, const std::vector<std::string>& images,
                                  const SimilarOptions& options);

}  // namespace imgfeat
