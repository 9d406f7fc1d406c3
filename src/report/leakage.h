// The report's near-duplicates section: Test images that are near-copies of
// a Train image (a cosine to their nearest Train image at or above the
// duplicate threshold), the k-NN accuracy without them, and the groups of
// near-duplicates `imgfeat neighbours` found (OUTPUT/_duplicates.parquet).
// A near-copy in Train is classified by its copy, so the accuracy with it
// measures memory more than features; the page says so.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "imgfeat/status.h"
#include "report/knn.h"
#include "report/output_scan.h"

namespace imgfeat::report {

struct LeakageFigures {
  double threshold = 0;
  int64_t test_rows = 0, leaked = 0;
  // The accuracy on the Test rows that have no near-copy in Train; no
  // queries when every Test row has one.
  KnnResult clean;
};

// From the analysed rows and the train/test k-NN result that scored them
// (its nearest-reference cosines).
Result<LeakageFigures> FindLeakage(const ScannedOutput& scan, const std::vector<Split>& splits,
                                   const KnnResult& knn, int k, double threshold);

// The page's data: the figures and up to `pairs` Test/Train pairs (the
// closest first) with thumbnails.
nlohmann::ordered_json LeakageJson(const ScannedOutput& scan, const KnnResult& knn,
                                   const LeakageFigures& figures, int k, size_t pairs,
                                   int thumbnail_size);

// OUTPUT/_duplicates.parquet's largest groups (up to `groups`, up to
// `per_group` images each, with thumbnails), its threshold and counts; null
// when the file is absent.
Result<nlohmann::ordered_json> DuplicateGroupsJson(const std::string& output, size_t groups,
                                                   size_t per_group, int thumbnail_size);

}  // namespace imgfeat::report
