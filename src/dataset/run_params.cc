#include "dataset/run_params.h"

#include <nlohmann/json.hpp>
#include <set>

namespace imgfeat::dataset {
namespace {

using nlohmann::json;

constexpr const char* kFeatureDimKey = "feature_dim";
constexpr const char* kParamsKey = "params";
constexpr const char* kAbsent = "(absent)";

Result<json> Parse(const std::string& text, const char* what) {
  json doc = json::parse(text, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::Invalid(what, " is not valid JSON");
  // json::value() throws on anything else, e.g. a stored file cut to "1".
  if (!doc.is_object()) return Status::Invalid(what, " is not a JSON object");
  return doc;
}

std::string Join(const std::string& prefix, const std::string& key) {
  return prefix.empty() ? key : prefix + "." + key;
}

// Depth-first over the union of keys, in sorted order (json objects are
// sorted maps), so the first difference reported is deterministic.
std::optional<ParamDifference> Compare(const json& stored, const json& current,
                                       const std::string& prefix) {
  if (stored.is_object() && current.is_object()) {
    std::set<std::string> keys;
    for (const auto& [key, _] : stored.items()) keys.insert(key);
    for (const auto& [key, _] : current.items()) keys.insert(key);
    for (const std::string& key : keys) {
      std::string path = Join(prefix, key);
      if (!stored.contains(key)) return ParamDifference{path, kAbsent, current[key].dump()};
      if (!current.contains(key)) return ParamDifference{path, stored[key].dump(), kAbsent};
      if (auto diff = Compare(stored[key], current[key], path)) return diff;
    }
    return std::nullopt;
  }
  if (stored == current) return std::nullopt;
  return ParamDifference{prefix.empty() ? "(whole document)" : prefix, stored.dump(),
                         current.dump()};
}

}  // namespace

Result<std::string> MakeRunParamsDocument(const std::string& run_params_json, int64_t feature_dim) {
  ARROW_ASSIGN_OR_RAISE(json params, Parse(run_params_json, "the run parameters"));
  json doc = {{kFeatureDimKey, feature_dim}, {kParamsKey, std::move(params)}};
  return doc.dump(2) + "\n";
}

Result<std::string> RunParamsDocumentOfManifest(const std::string& manifest_json) {
  ARROW_ASSIGN_OR_RAISE(json manifest, Parse(manifest_json, "the output's manifest"));
  const json counts = manifest.value("counts", json::object());
  if (!manifest.contains("parameters") || !counts.is_object() || !counts.contains("output_dim")) {
    return Status::Invalid("the output's manifest has no parameters or output_dim");
  }
  json doc = {{kFeatureDimKey, counts["output_dim"]}, {kParamsKey, manifest["parameters"]}};
  return doc.dump(2) + "\n";
}

Result<std::optional<ParamDifference>> FirstDifference(const std::string& stored_document,
                                                       const std::string& current_document) {
  ARROW_ASSIGN_OR_RAISE(json stored, Parse(stored_document, "the stored run parameters"));
  ARROW_ASSIGN_OR_RAISE(json current, Parse(current_document, "the run parameters"));
  // The pipeline's keys are reported as it named them, without our wrapper.
  if (stored.value(kFeatureDimKey, json()) != current.value(kFeatureDimKey, json())) {
    return ParamDifference{kFeatureDimKey, stored.value(kFeatureDimKey, json()).dump(),
                           current.value(kFeatureDimKey, json()).dump()};
  }
  return Compare(stored.value(kParamsKey, json()), current.value(kParamsKey, json()), "");
}

}  // namespace imgfeat::dataset
