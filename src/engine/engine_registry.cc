// Engines by name. Each entry's factory checks the model against the spec, so
// a wrong model fails here, before any image is decoded.
#include <filesystem>
#include <system_error>

#include "engine/engine_internal.h"

namespace imgfeat {
namespace {

using Factory = Result<std::unique_ptr<InferenceEngine>> (*)(const std::string&, const ModelSpec&,
                                                             const EngineOptions&);
struct EngineEntry {
  const char* name;
  Factory open;
};

const std::vector<EngineEntry>& Engines() {
  static const std::vector<EngineEntry> engines = {
      {"openvino", &engine::OpenOpenVinoEngine},
#ifdef IMGFEAT_WITH_OPENCV
      {"opencv", &engine::OpenOpenCvEngine},
#endif
  };
  return engines;
}

}  // namespace

std::vector<std::string> EngineNames() {
  std::vector<std::string> names;
  for (const EngineEntry& entry : Engines()) names.push_back(entry.name);
  return names;
}

Result<std::unique_ptr<InferenceEngine>> OpenEngine(const std::string& engine_name,
                                                    const std::string& model_path,
                                                    const ModelSpec& spec,
                                                    const EngineOptions& options) {
  const EngineEntry* found = nullptr;
  std::string known;
  for (const EngineEntry& entry : Engines()) {
    if (entry.name == engine_name) found = &entry;
    known += (known.empty() ? "" : ", ") + std::string(entry.name);
  }
  if (!found) {
    return Status::Invalid("unknown inference engine '", engine_name, "' (this build has: ", known,
                           ")");
  }
  if (options.max_batch < 1) return Status::Invalid("engine max_batch must be at least 1");
  if (options.threads < 0) return Status::Invalid("engine threads must not be negative");
  if (spec.output_hwc.size() != 3) {
    return Status::Invalid("model spec '", spec.name, "' has no 3-dimensional output shape");
  }
  std::error_code ec;
  if (!std::filesystem::is_regular_file(model_path, ec)) {
    return Status::IOError("model file '", model_path, "' does not exist");
  }
  return found->open(model_path, spec, options);
}

}  // namespace imgfeat
