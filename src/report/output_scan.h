// Reads an output folder for the report: the manifest, the errors, the
// distortion pairs, every row's path and label, and the features of a seeded
// random sample of at most `max_rows` rows. The parts are read one row group
// at a time and only the row groups holding sampled rows have their features
// decoded, so memory is the sample plus one row group.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "imgfeat/status.h"

namespace imgfeat::report {

struct ErrorRow {
  std::string path, stage, error;
};

struct DistortionPairs {
  std::string metadata_json;  // eps, reducer, seed, rows ("" when absent)
  std::vector<double> input_distance, output_distance;
};

struct ScannedOutput {
  std::string manifest_json;  // "" when the folder has no _imgfeat.json
  int64_t rows = 0;
  int64_t dim = 0;
  std::map<std::string, int64_t> label_counts;  // every row
  std::vector<ErrorRow> errors;
  bool has_distortion = false;
  DistortionPairs distortion;
  // The analysed rows (all rows when there are at most max_rows), in row order.
  std::vector<int64_t> row_index;
  std::vector<std::string> paths, labels;
  std::vector<float> features;  // row_index.size() x dim, row-major
};

Result<ScannedOutput> ScanOutput(const std::string& dir, int64_t max_rows, uint32_t seed);

}  // namespace imgfeat::report
