// The compiled part of the imgfeat Python package. It only converts arguments
// and results; the work is done by the C++ library (include/imgfeat).
#include "binding_util.h"

NB_MODULE(_imgfeat, m) {
  m.attr("__version__") = IMGFEAT_VERSION;
  imgfeat::python::BindFeaturizer(m);
  imgfeat::python::BindRun(m);
  imgfeat::python::BindReducers(m);
  imgfeat::python::BindPca(m);
  imgfeat::python::BindSpark(m);
}
