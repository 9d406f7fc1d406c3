// FAISS's BLAS and LAPACK calls (sgemm_, ...) go to the OpenBLAS that
// imgfeat opens at run time: the build renames them in a copy of FAISS's
// archive to imgfeat_faiss_<name> (cmake/ImgfeatDependencies.cmake), which
// faiss_blas.cc defines.
#pragma once

#include "imgfeat/status.h"

namespace imgfeat::search {

// Looks up the functions FAISS calls, once per process; every entry point
// that runs FAISS checks it first.
Status LoadFaissBlas();

}  // namespace imgfeat::search
