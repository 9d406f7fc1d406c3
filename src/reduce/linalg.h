// The dense linear algebra of the streaming PCA, over OpenBLAS and LAPACKE.
// Every matrix is row-major. Thread-safe (no shared state of its own).
#pragma once

#include <cstdint>
#include <vector>

#include "imgfeat/status.h"

namespace imgfeat::reduce {

// C (m x n) = op(A) (m x k) * op(B) (k x n) + beta * C, in float.
// op(A) = A^T when trans_a: A is then stored k x m (likewise B).
void MatMul(const float* a, bool trans_a, const float* b, bool trans_b, int64_t m, int64_t n,
            int64_t k, float beta, float* c);

// Replaces the rows x cols matrix (rows >= cols) by an orthonormal basis of
// its column space (Householder QR, then Q formed explicitly).
Status OrthonormalizeColumns(std::vector<double>* a, int64_t rows, int64_t cols);

// Thin SVD of a rows x cols matrix (rows >= cols): left singular vectors
// (rows x cols) and singular values in decreasing order. `a` is destroyed.
Status ThinSvd(std::vector<double>* a, int64_t rows, int64_t cols, std::vector<double>* u,
               std::vector<double>* s);

}  // namespace imgfeat::reduce
