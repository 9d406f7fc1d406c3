#include "reduce/linalg.h"

#include "reduce/blas.h"

namespace imgfeat::reduce {

void MatMul(const float* a, bool trans_a, const float* b, bool trans_b, int64_t m, int64_t n,
            int64_t k, float beta, float* c) {
  IMGFEAT_BLAS(cblas_sgemm)
  (CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans,
   static_cast<blasint>(m), static_cast<blasint>(n), static_cast<blasint>(k), 1.0f, a,
   static_cast<blasint>(trans_a ? m : k), b, static_cast<blasint>(trans_b ? k : n), beta, c,
   static_cast<blasint>(n));
}

Status OrthonormalizeColumns(std::vector<double>* a, int64_t rows, int64_t cols) {
  if (rows < cols || static_cast<int64_t>(a->size()) != rows * cols) {
    return Status::Invalid("QR: a ", rows, " x ", cols, " matrix needs rows >= cols");
  }
  std::vector<double> tau(static_cast<size_t>(cols));
  const auto m = static_cast<lapack_int>(rows), n = static_cast<lapack_int>(cols);
  lapack_int info = IMGFEAT_BLAS(LAPACKE_dgeqrf)(LAPACK_ROW_MAJOR, m, n, a->data(), n, tau.data());
  if (info != 0) return Status::ExecutionError("QR: dgeqrf failed with info ", info);
  info = IMGFEAT_BLAS(LAPACKE_dorgqr)(LAPACK_ROW_MAJOR, m, n, n, a->data(), n, tau.data());
  if (info != 0) return Status::ExecutionError("QR: dorgqr failed with info ", info);
  return Status::OK();
}

Status ThinSvd(std::vector<double>* a, int64_t rows, int64_t cols, std::vector<double>* u,
               std::vector<double>* s) {
  if (rows < cols || static_cast<int64_t>(a->size()) != rows * cols) {
    return Status::Invalid("SVD: a ", rows, " x ", cols, " matrix needs rows >= cols");
  }
  const auto m = static_cast<lapack_int>(rows), n = static_cast<lapack_int>(cols);
  u->assign(static_cast<size_t>(rows * cols), 0.0);
  s->assign(static_cast<size_t>(cols), 0.0);
  std::vector<double> vt(static_cast<size_t>(cols * cols));
  const lapack_int info = IMGFEAT_BLAS(LAPACKE_dgesdd)(LAPACK_ROW_MAJOR, 'S', m, n, a->data(), n,
                                                       s->data(), u->data(), n, vt.data(), n);
  if (info != 0) return Status::ExecutionError("SVD: dgesdd failed with info ", info);
  return Status::OK();
}

}  // namespace imgfeat::reduce
