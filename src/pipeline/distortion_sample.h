// What the reduction does to distances, measured during a run: the raw and
// reduced features of a fixed random sample of rows are kept (a few hundred
// at most), and at the end the distance of every pair of them, before and
// after the reduction, is written to OUTPUT/_distortion.parquet
// (docs/FORMAT.md). The report compares the ratios with the
// Johnson-Lindenstrauss bound.
//
// Used by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "imgfeat/dataset.h"
#include "imgfeat/status.h"
#include "reduce/legacy_random.h"

namespace imgfeat {

// Rows kept: 128 rows give 8,128 pairs and cost 32 MiB at 62,720 floats.
constexpr int64_t kDistortionRows = 128;

class DistortionSample {
 public:
  // Keeps the rows whose ordinal in this run (0, 1, ... in writing order) is
  // among `max_rows` drawn from [0, expected_rows) with `seed`, as
  // scikit-learn's sample_without_replacement(expected_rows, max_rows,
  // random_state=seed) draws them. expected_rows <= 0 (a run that does not
  // count its input first, as on S3): a reservoir sample of `max_rows` rows
  // of the stream, seeded alike.
  static Result<DistortionSample> Make(int64_t expected_rows, int64_t max_rows, uint32_t seed,
                                       int64_t input_dim, int64_t output_dim);

  // The next `records.size()` rows: raw (`input`) and reduced (`output`) features.
  void Offer(const std::vector<FeatureRecord>& records, const float* input, const float* output);

  int64_t rows_kept() const { return static_cast<int64_t>(paths_.size()); }

  // Euclidean distance of every pair of kept rows (i < j), before and after.
  struct Pairs {
    std::vector<int32_t> a, b;  // indices into paths()
    std::vector<double> input_distance, output_distance;
  };
  Pairs ComputePairs() const;
  const std::vector<std::string>& paths() const { return paths_; }

  // The pairs as a Parquet file's bytes; `metadata_json` goes to the key
  // imgfeat.distortion (eps, reducer kind, seed). A run publishes them in its
  // output (DatasetWriter::Publish).
  Result<std::string> ToParquet(const std::string& metadata_json) const;
  // The same, written to a local file: under `tmp_path` first, renamed to
  // `final_path` once complete.
  Status Write(const std::string& tmp_path, const std::string& final_path,
               const std::string& metadata_json) const;

 private:
  void Keep(size_t slot, const FeatureRecord& record, const float* input, const float* output);

  std::vector<int64_t> wanted_;  // sorted ordinals
  int64_t max_rows_ = 0;
  std::shared_ptr<reduce::LegacyRandomState> reservoir_;  // null: ordinals drawn ahead
  size_t next_wanted_ = 0;
  int64_t seen_ = 0;
  int64_t input_dim_ = 0, output_dim_ = 0;
  std::vector<std::string> paths_;
  std::vector<float> input_, output_;
};

}  // namespace imgfeat
