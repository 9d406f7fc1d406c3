// imgfeat._imgfeat PCA across partitions: PcaPass and PcaPartial (picklable,
// so that Spark or multiprocessing can ship them) and the driver.
#include <nanobind/ndarray.h>
#include <nanobind/stl/unique_ptr.h>

#include <cstring>

#include "binding_util.h"
#include "imgfeat/pca_partial.h"

namespace imgfeat::python {
namespace {

using InMatrix = nb::ndarray<const float, nb::ndim<2>, nb::c_contig, nb::device::cpu>;

template <typename T>
nb::bytes Bytes(const std::vector<T>& v) {
  return nb::bytes(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

template <typename T>
std::vector<T> FromBytes(nb::bytes b, size_t expected) {
  if (b.size() != expected * sizeof(T)) throw nb::value_error("corrupt PCA state");
  std::vector<T> v(expected);
  std::memcpy(v.data(), b.c_str(), b.size());
  return v;
}

void AddRows(PcaPartial& partial, const PcaPass& pass, InMatrix x) {
  if (static_cast<int64_t>(x.shape(1)) != pass.cols) {
    std::string message = "PCA: a batch has " + std::to_string(x.shape(1)) +
                          " features, the pass has " + std::to_string(pass.cols);
    throw nb::value_error(message.c_str());
  }
  Status status;
  {
    nb::gil_scoped_release release;
    status = partial.Add(pass, x.data(), static_cast<int64_t>(x.shape(0)));
  }
  ThrowIfError(status);
}

}  // namespace

void BindPca(nb::module_& m) {
  nb::class_<PcaPass>(m, "PcaPass",
                      "One pass of a partitioned PCA fit: the basis every partition needs.")
      .def_ro("index", &PcaPass::index)
      .def_ro("cols", &PcaPass::cols)
      .def_ro("width", &PcaPass::width)
      .def(
          "__getstate__",
          [](const PcaPass& p) { return nb::make_tuple(p.index, p.cols, p.width, Bytes(p.basis)); })
      .def("__setstate__", [](PcaPass& p, nb::tuple t) {
        new (&p) PcaPass();
        p.index = nb::cast<int>(t[0]);
        p.cols = nb::cast<int64_t>(t[1]);
        p.width = nb::cast<int64_t>(t[2]);
        p.basis = FromBytes<float>(nb::cast<nb::bytes>(t[3]), p.cols * p.width);
      });

  nb::class_<PcaPartial>(m, "PcaPartial",
                         "What one partition computes in one pass of a partitioned PCA fit: "
                         "row count, column means, squared deviations and C^T C Q.")
      .def_static("empty", &PcaPartial::Empty, nb::arg("pass_"))
      .def_ro("rows", &PcaPartial::rows)
      .def("add", &AddRows, nb::arg("pass_"), nb::arg("rows"),
           "Adds rows (a float32 C-contiguous matrix) to this partial.")
      .def(
          "merge",
          [](PcaPartial& self, const PcaPass& pass, const PcaPartial& other) {
            ThrowIfError(self.Merge(pass, other));
          },
          nb::arg("pass_"), nb::arg("other"), "Adds another partial of the same pass.")
      .def("__getstate__",
           [](const PcaPartial& p) {
             return nb::make_tuple(p.cols, p.width, p.rows, Bytes(p.mean), Bytes(p.m2),
                                   Bytes(p.scatter));
           })
      .def("__setstate__", [](PcaPartial& p, nb::tuple t) {
        new (&p) PcaPartial();
        p.cols = nb::cast<int64_t>(t[0]);
        p.width = nb::cast<int64_t>(t[1]);
        p.rows = nb::cast<int64_t>(t[2]);
        p.mean = FromBytes<double>(nb::cast<nb::bytes>(t[3]), p.cols);
        p.m2 = FromBytes<double>(nb::cast<nb::bytes>(t[4]), p.cols);
        p.scatter = FromBytes<double>(nb::cast<nb::bytes>(t[5]), p.cols * p.width);
      });

  nb::class_<PcaDriver>(m, "_PcaDriver")
      .def("__init__",
           [](PcaDriver* self, int64_t n_features, int64_t n_components, int64_t oversampling,
              int power_iterations, int64_t seed) {
             PcaOptions options;
             options.n_components = n_components;
             options.oversampling = oversampling;
             options.power_iterations = power_iterations;
             if (seed < 0 || seed > std::numeric_limits<uint32_t>::max()) {
               throw nb::value_error("seed must be in [0, 2**32)");
             }
             options.seed = static_cast<uint32_t>(seed);
             new (self) PcaDriver(ValueOrThrow(PcaDriver::Make(n_features, options)));
           })
      .def_prop_ro("pass_", [](const PcaDriver& d) { return PcaPass(d.pass()); })
      .def_prop_ro("passes", &PcaDriver::passes)
      .def_prop_ro("done", &PcaDriver::done)
      .def("end_pass",
           [](PcaDriver& d, const PcaPartial& total) { ThrowIfError(d.EndPass(total)); })
      .def("finish", [](const PcaDriver& d) { return ValueOrThrow(d.Finish()); });
}

}  // namespace imgfeat::python
