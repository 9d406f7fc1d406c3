// The run parameters stored at a run's first Open, which a resume must match:
// rows written under other parameters (another model, reducer, input...)
// must never be mixed in one output.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "imgfeat/status.h"

namespace imgfeat::dataset {

// The document stored in _temporary/run.json: the pipeline's parameters plus
// the feature length, which is not visible in the Parquet schema.
Result<std::string> MakeRunParamsDocument(const std::string& run_params_json, int64_t feature_dim);

// The same document for a complete output, from its _imgfeat.json (whose
// "parameters" are the stored ones and "counts.output_dim" the feature
// length), so that a resume of a finished run is checked as well.
Result<std::string> RunParamsDocumentOfManifest(const std::string& manifest_json);

// The first key (in sorted order, dotted for nested objects, e.g.
// "model.sha256", or "feature_dim") whose value differs between two
// documents, with both values; nothing when they are equal.
struct ParamDifference {
  std::string key;
  std::string stored;   // JSON text, "(absent)" when the key is missing
  std::string current;  // JSON text, "(absent)" when the key is missing
};
Result<std::optional<ParamDifference>> FirstDifference(const std::string& stored_document,
                                                       const std::string& current_document);

}  // namespace imgfeat::dataset
