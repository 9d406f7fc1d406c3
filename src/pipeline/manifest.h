// The two JSON documents a run writes: its parameters (what determines the
// rows, compared on --resume) and the manifest `_imgfeat.json` (docs/FORMAT.md).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "imgfeat/pipeline.h"
#include "pipeline/feature_stream.h"
#include "pipeline/job_setup.h"

namespace imgfeat {

using Json = nlohmann::ordered_json;

Json RunParameters(const RunOptions& options, const ResolvedModel& model, int64_t components,
                   const std::string& input_abs);

struct RunTimings {
  double total_seconds = 0;
  double reduce_seconds = 0;
  double pca_fit_seconds = 0;
};

struct ManifestInputs {
  const Json* parameters;
  const ResolvedModel* model;
  const InferenceEngine* engine;
  const Reducer* reducer;
  const StreamStats* stats;
  int threads = 0;
  int batch = 0;
  int64_t rows_written = 0;
  int64_t errors = 0;
  int64_t feature_dim = 0;
  int64_t output_dim = 0;
  RunTimings timings;
};

std::string BuildManifest(const ManifestInputs& in);

}  // namespace imgfeat
