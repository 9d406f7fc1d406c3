#include "reduce/blas.h"

namespace imgfeat::reduce {
namespace {

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

// Open for the life of the process: OpenBLAS's threads outlive any caller.
const Result<BlasFunctions>& Load() {
  return LoadOnce<BlasFunctions, Fill>(IMGFEAT_BLAS_SONAME,
                                       "the scipy-openblas32 wheel, pip install scipy-openblas32");
}

}  // namespace

Result<const BlasFunctions*> LoadBlas() {
  ARROW_RETURN_NOT_OK(Load().status());
  return &*Load();
}

// Unreachable failure from the entry points, which call LoadBlas() first.
const BlasFunctions& Blas() { return LoadedOrExit(Load()); }

}  // namespace imgfeat::reduce
