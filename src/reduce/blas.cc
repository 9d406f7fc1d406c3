#include "reduce/blas.h"

#include <cstdio>
#include <cstdlib>

namespace imgfeat::reduce {
namespace {

struct Loaded {
  Status status;
  BlasFunctions functions;
};

Result<BlasFunctions> Fill(const DynamicLibrary& library) {
  BlasFunctions functions;
#define IMGFEAT_BLAS_LOOKUP(name)                                         \
  {                                                                       \
    ARROW_ASSIGN_OR_RAISE(void* address, library.Symbol("scipy_" #name)); \
    functions.name = reinterpret_cast<decltype(functions.name)>(address); \
  }
  IMGFEAT_BLAS_FUNCTIONS(IMGFEAT_BLAS_LOOKUP)
#undef IMGFEAT_BLAS_LOOKUP
  functions.library = &library;
  return functions;
}

const Loaded& Load() {
  static const Loaded loaded = [] {
    Loaded out;
    // Open for the life of the process: OpenBLAS's threads outlive any caller.
    static Result<DynamicLibrary> library = DynamicLibrary::Open(
        IMGFEAT_BLAS_SONAME, "the scipy-openblas32 wheel, pip install scipy-openblas32");
    if (!library.ok()) {
      out.status = library.status();
      return out;
    }
    Result<BlasFunctions> functions = Fill(*library);
    if (functions.ok()) {
      out.functions = *functions;
    } else {
      out.status = functions.status();
    }
    return out;
  }();
  return loaded;
}

}  // namespace

Result<const BlasFunctions*> LoadBlas() {
  const Loaded& loaded = Load();
  ARROW_RETURN_NOT_OK(loaded.status);
  return &loaded.functions;
}

const BlasFunctions& Blas() {
  const Loaded& loaded = Load();
  if (!loaded.status.ok()) {
    // Unreachable from the entry points, which call LoadBlas() first.
    std::fprintf(stderr, "imgfeat: %s\n", loaded.status.message().c_str());
    std::abort();
  }
  return loaded.functions;
}

}  // namespace imgfeat::reduce
