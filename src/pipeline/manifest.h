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

// Now, UTC, in ISO 8601 ("2026-01-31T12:00:00Z").
std::string NowUtc();

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
  int64_t embedding_dim = 0;  // 0: no embedding column
  RunTimings timings;
};

std::string BuildManifest(const ManifestInputs& in);

// `_imgfeat.json`'s "model" entry.
Json ModelJson(const ResolvedModel& model);

// What a manifest says, as values (a distributed run has no engine or stream
// of its own to ask): BuildManifest fills one, a Spark driver another.
struct ManifestFields {
  Json parameters;
  Json model;  // ModelJson
  std::string engine_name;
  int threads = 0;
  int batch = 0;
  Json reducer;  // Reducer::DescribeJson
  int64_t images_listed = 0, images_already_done = 0, rows_written = 0, errors = 0;
  int64_t feature_dim = 0, output_dim = 0, embedding_dim = 0;
  double total_seconds = 0, stream_seconds = 0, inference_seconds = 0, reduce_seconds = 0,
         pca_fit_seconds = 0, images_per_second = 0;
  Json extra = Json::object();  // more top-level entries (a Spark run's "spark")
};
std::string ComposeManifest(const ManifestFields& fields);

}  // namespace imgfeat
