#include "engine/openvino_api.h"

#include "io/dynamic_library.h"

namespace imgfeat::engine {
namespace {

Result<OpenVinoApi> Fill(const DynamicLibrary& library) {
  OpenVinoApi api;
#define IMGFEAT_OPENVINO_FUNCTION(name)                                \
  {                                                                    \
    ARROW_ASSIGN_OR_RAISE(void* address, library.Symbol("ov_" #name)); \
    api.name = reinterpret_cast<decltype(api.name)>(address);          \
  }
#define IMGFEAT_OPENVINO_KEY(name)                                     \
  {                                                                    \
    ARROW_ASSIGN_OR_RAISE(void* address, library.Symbol("ov_" #name)); \
    api.name = *static_cast<const char* const*>(address);              \
  }
  IMGFEAT_OPENVINO_FUNCTIONS(IMGFEAT_OPENVINO_FUNCTION)
  IMGFEAT_OPENVINO_KEYS(IMGFEAT_OPENVINO_KEY)
#undef IMGFEAT_OPENVINO_FUNCTION
#undef IMGFEAT_OPENVINO_KEY
  api.path = library.path();
  return api;
}

// The library stays open for the life of the process: engines, their models
// and OpenVINO's own threads use it until exit.
const Result<OpenVinoApi>& Load() {
  return LoadOnce<OpenVinoApi, Fill>(IMGFEAT_OPENVINO_C_SONAME,
                                     "the openvino wheel, pip install openvino");
}

}  // namespace

Result<const OpenVinoApi*> LoadOpenVino() {
  ARROW_RETURN_NOT_OK(Load().status());
  return &*Load();
}

// Unreachable failure from the engine, which loads before it runs anything.
const OpenVinoApi& Ov() { return LoadedOrExit(Load()); }

}  // namespace imgfeat::engine
