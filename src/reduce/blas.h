// BLAS and LAPACK: OpenBLAS from the scipy-openblas32 wheel, the build NumPy
// and SciPy use, installed beside pyarrow and openvino (cmake/ImgfeatDependencies.cmake).
// It exports every function with a "scipy_" prefix, so that it never collides
// with another BLAS loaded in the same process; IMGFEAT_BLAS(cblas_sgemm)
// names its cblas_sgemm.
#pragma once

#include <cblas.h>
#include <lapacke.h>

#define IMGFEAT_BLAS(name) scipy_##name
