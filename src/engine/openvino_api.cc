#include "engine/openvino_api.h"

#include <cstdio>
#include <cstdlib>

#include "io/dynamic_library.h"

namespace imgfeat::engine {
namespace {

struct Loaded {
  Status status;
  OpenVinoApi api;
};

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

const Loaded& Load() {
  static const Loaded loaded = [] {
    Loaded out;
    // The library stays open for the life of the process: engines, their
    // models and OpenVINO's own threads use it until exit.
    static Result<DynamicLibrary> library =
        DynamicLibrary::Open(IMGFEAT_OPENVINO_C_SONAME, "the openvino wheel, pip install openvino");
    if (!library.ok()) {
      out.status = library.status();
      return out;
    }
    Result<OpenVinoApi> api = Fill(*library);
    if (api.ok()) {
      out.api = std::move(*api);
    } else {
      out.status = api.status();
    }
    return out;
  }();
  return loaded;
}

}  // namespace

Result<const OpenVinoApi*> LoadOpenVino() {
  const Loaded& loaded = Load();
  ARROW_RETURN_NOT_OK(loaded.status);
  return &loaded.api;
}

const OpenVinoApi& Ov() {
  const Loaded& loaded = Load();
  if (!loaded.status.ok()) {
    // Unreachable from the engine, which loads before it runs anything.
    std::fprintf(stderr, "imgfeat: %s\n", loaded.status.message().c_str());
    std::abort();
  }
  return loaded.api;
}

}  // namespace imgfeat::engine
