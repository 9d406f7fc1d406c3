// BLAS and LAPACK: OpenBLAS from the scipy-openblas32 wheel, the build NumPy
// and SciPy use, installed beside pyarrow and openvino and opened at run time
// (io/dynamic_library.h says why; cmake/ImgfeatDependencies.cmake finds it).
// It exports every function with a "scipy_" prefix, so that it never collides
// with another BLAS loaded in the same process; IMGFEAT_BLAS(cblas_sgemm)
// calls its scipy_cblas_sgemm through the table below, typed from its own
// headers.
#pragma once

#include <cblas.h>
#include <lapacke.h>

#include "imgfeat/status.h"
#include "io/dynamic_library.h"

namespace imgfeat::reduce {

// X(name): the functions imgfeat calls, each scipy_<name> in the library.
// clang-format off
#define IMGFEAT_BLAS_FUNCTIONS(X) \
  X(cblas_sgemm) \
  X(cblas_dsyrk) \
  X(cblas_sdot) \
  X(LAPACKE_dgeqrf) \
  X(LAPACKE_dorgqr) \
  X(LAPACKE_dgesdd)
// clang-format on

struct BlasFunctions {
#define IMGFEAT_BLAS_MEMBER(name) decltype(&::scipy_##name) name = nullptr;
  IMGFEAT_BLAS_FUNCTIONS(IMGFEAT_BLAS_MEMBER)
#undef IMGFEAT_BLAS_MEMBER
  // The open library, for functions looked up elsewhere (FAISS's, in the
  // search stage).
  const DynamicLibrary* library = nullptr;
};

// Opens OpenBLAS once per process (thread-safe); later calls return the first
// outcome. Every entry point of code that calls IMGFEAT_BLAS checks it first,
// so that a missing library is an error, not an abort.
Result<const BlasFunctions*> LoadBlas();

// The table LoadBlas() filled: only for code that runs after it succeeded.
const BlasFunctions& Blas();

}  // namespace imgfeat::reduce

#define IMGFEAT_BLAS(name) ::imgfeat::reduce::Blas().name
