#include "search/faiss_blas.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "reduce/blas.h"

namespace imgfeat::search {
namespace {

// The Fortran prototypes as FAISS declares them (every argument by address;
// FAISS ignores the int they return).
using Int = int;
using Sgemm = int (*)(const char*, const char*, Int*, Int*, Int*, const float*, const float*, Int*,
                      const float*, Int*, float*, float*, Int*);
using Dgemm = int (*)(const char*, const char*, Int*, Int*, Int*, const double*, const double*,
                      Int*, const double*, Int*, double*, double*, Int*);
using Ssyrk = int (*)(const char*, const char*, Int*, Int*, float*, float*, Int*, float*, float*,
                      Int*);
using Sgeqrf = int (*)(Int*, Int*, float*, Int*, float*, float*, Int*, Int*);
using Sorgqr = int (*)(Int*, Int*, Int*, float*, Int*, float*, float*, Int*, Int*);
using Sgesvd = int (*)(const char*, const char*, Int*, Int*, float*, Int*, float*, float*, Int*,
                       float*, Int*, float*, Int*, Int*);
using Dgesvd = int (*)(const char*, const char*, Int*, Int*, double*, Int*, double*, double*, Int*,
                       double*, Int*, double*, Int*, Int*);
using Dsyev = int (*)(const char*, const char*, Int*, double*, Int*, double*, double*, Int*, Int*);

// X(name, type)
// clang-format off
#define IMGFEAT_FAISS_BLAS(X) \
  X(sgemm_, Sgemm) \
  X(dgemm_, Dgemm) \
  X(ssyrk_, Ssyrk) \
  X(sgeqrf_, Sgeqrf) \
  X(sorgqr_, Sorgqr) \
  X(sgesvd_, Sgesvd) \
  X(dgesvd_, Dgesvd) \
  X(dsyev_, Dsyev)
// clang-format on

struct FaissBlas {
#define IMGFEAT_FAISS_MEMBER(name, type) type name = nullptr;
  IMGFEAT_FAISS_BLAS(IMGFEAT_FAISS_MEMBER)
#undef IMGFEAT_FAISS_MEMBER
};

FaissBlas table;
Status load_status;
std::once_flag once;

Status Fill() {
  ARROW_ASSIGN_OR_RAISE(const reduce::BlasFunctions* blas, reduce::LoadBlas());
#define IMGFEAT_FAISS_LOOKUP(name, type)                                         \
  {                                                                              \
    ARROW_ASSIGN_OR_RAISE(void* address, blas->library->Symbol("scipy_" #name)); \
    table.name = reinterpret_cast<type>(address);                                \
  }
  IMGFEAT_FAISS_BLAS(IMGFEAT_FAISS_LOOKUP)
#undef IMGFEAT_FAISS_LOOKUP
  return Status::OK();
}

const FaissBlas& Table() {
  if (table.sgemm_ == nullptr) {
    // Unreachable from the entry points, which call LoadFaissBlas() first.
    std::fprintf(stderr, "imgfeat: FAISS ran before OpenBLAS was loaded\n");
    std::abort();
  }
  return table;
}

}  // namespace

Status LoadFaissBlas() {
  std::call_once(once, [] { load_status = Fill(); });
  return load_status;
}

}  // namespace imgfeat::search

// The names the FAISS archive's copy calls.
using namespace imgfeat::search;  // NOLINT: the typedefs above, in extern "C" signatures
extern "C" {
int imgfeat_faiss_sgemm_(const char* ta, const char* tb, Int* m, Int* n, Int* k, const float* alpha,
                         const float* a, Int* lda, const float* b, Int* ldb, float* beta, float* c,
                         Int* ldc) {
  return Table().sgemm_(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
int imgfeat_faiss_dgemm_(const char* ta, const char* tb, Int* m, Int* n, Int* k,
                         const double* alpha, const double* a, Int* lda, const double* b, Int* ldb,
                         double* beta, double* c, Int* ldc) {
  return Table().dgemm_(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}
int imgfeat_faiss_ssyrk_(const char* uplo, const char* trans, Int* n, Int* k, float* alpha,
                         float* a, Int* lda, float* beta, float* c, Int* ldc) {
  return Table().ssyrk_(uplo, trans, n, k, alpha, a, lda, beta, c, ldc);
}
int imgfeat_faiss_sgeqrf_(Int* m, Int* n, float* a, Int* lda, float* tau, float* work, Int* lwork,
                          Int* info) {
  return Table().sgeqrf_(m, n, a, lda, tau, work, lwork, info);
}
int imgfeat_faiss_sorgqr_(Int* m, Int* n, Int* k, float* a, Int* lda, float* tau, float* work,
                          Int* lwork, Int* info) {
  return Table().sorgqr_(m, n, k, a, lda, tau, work, lwork, info);
}
int imgfeat_faiss_sgesvd_(const char* ju, const char* jvt, Int* m, Int* n, float* a, Int* lda,
                          float* s, float* u, Int* ldu, float* vt, Int* ldvt, float* work,
                          Int* lwork, Int* info) {
  return Table().sgesvd_(ju, jvt, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, info);
}
int imgfeat_faiss_dgesvd_(const char* ju, const char* jvt, Int* m, Int* n, double* a, Int* lda,
                          double* s, double* u, Int* ldu, double* vt, Int* ldvt, double* work,
                          Int* lwork, Int* info) {
  return Table().dgesvd_(ju, jvt, m, n, a, lda, s, u, ldu, vt, ldvt, work, lwork, info);
}
int imgfeat_faiss_dsyev_(const char* jobz, const char* uplo, Int* n, double* a, Int* lda, double* w,
                         double* work, Int* lwork, Int* info) {
  return Table().dsyev_(jobz, uplo, n, a, lda, w, work, lwork, info);
}
}
