// The report of an output folder: one self-contained HTML page (no network,
// no external script or font) and a PNG of its main figure, written from the
// output alone (docs/FORMAT.md, "The report"). It shows the run, the images
// per label, the errors, a 2-D map of the features (PCA), the k-nearest-
// neighbour label accuracy with its confidence interval and confusion, and
// how well the reduction kept the distances of a sample of pairs.
//
// Memory is bounded: beyond `max_rows` rows, a seeded random sample of rows
// is analysed and the page says so. WriteReport is reentrant (no shared state).
#pragma once

#include <cstdint>
#include <string>

#include "imgfeat/status.h"

namespace imgfeat {

struct ReportOptions {
  std::string output;            // the output folder of `imgfeat run`
  std::string html;              // empty: OUTPUT/_report.html
  std::string png;               // empty: OUTPUT/_report.png
  int64_t max_rows = 8000;       // rows analysed (map, k-NN); a random sample beyond
  int64_t max_thumbnails = 400;  // images shown as thumbnails on hover
  int k = 5;                     // neighbours of the k-NN accuracy
  uint32_t seed = 42;            // the row sample
};

struct ReportSummary {
  std::string html, png;      // the files written
  int64_t rows = 0;           // rows in the output
  int64_t rows_analysed = 0;  // rows in the map and the k-NN accuracy
  std::string knn_method;     // "train/test" or "leave-one-out"
  int64_t knn_queries = 0;
  double knn_accuracy = 0;           // NaN without labelled rows
  double knn_low = 0, knn_high = 0;  // 95% Wilson interval
  // With a Train/Test split: the Test rows with a near-copy in Train (cosine
  // >= kDefaultDuplicateCosine to their nearest Train row), and the accuracy
  // without them (NaN when none is left, or without a split).
  int64_t test_with_near_copy = 0;
  double knn_accuracy_without_leaks = 0;
  int64_t distortion_pairs = 0;
  double distortion_within = 0;  // share of pairs inside the bound; NaN without pairs
};

Result<ReportSummary> WriteReport(const ReportOptions& options);

}  // namespace imgfeat
