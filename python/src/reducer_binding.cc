// imgfeat._imgfeat reducers: the C++ Reducer (SRP, PCA, none) with a NumPy
// transform, the streaming PCA fit and the saved-reducer file.
#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>

#include <cstring>
#include <vector>

#include "binding_util.h"
#include "imgfeat/reduce.h"

namespace imgfeat::python {
namespace {

using InMatrix = nb::ndarray<const float, nb::ndim<2>, nb::c_contig, nb::device::cpu>;

// A NumPy array owning a copy of `values` (rows x cols, or 1-D when cols < 0).
template <typename T>
nb::ndarray<nb::numpy, T> Owned(std::vector<T> values, int64_t rows, int64_t cols = -1) {
  auto* heap = new std::vector<T>(std::move(values));
  nb::capsule owner(heap, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
  if (cols < 0) {
    size_t shape[1] = {static_cast<size_t>(rows)};
    return nb::ndarray<nb::numpy, T>(heap->data(), 1, shape, owner);
  }
  size_t shape[2] = {static_cast<size_t>(rows), static_cast<size_t>(cols)};
  return nb::ndarray<nb::numpy, T>(heap->data(), 2, shape, owner);
}

nb::ndarray<nb::numpy, float> Transform(const Reducer& reducer, InMatrix x) {
  if (static_cast<int64_t>(x.shape(1)) != reducer.input_dim()) {
    std::string message = "transform: rows have " + std::to_string(x.shape(1)) +
                          " features, the reducer expects " + std::to_string(reducer.input_dim());
    throw nb::value_error(message.c_str());
  }
  const int64_t rows = static_cast<int64_t>(x.shape(0));
  std::vector<float> out(static_cast<size_t>(rows * reducer.output_dim()));
  {
    nb::gil_scoped_release release;
    reducer.Transform(x.data(), rows, out.data());
  }
  return Owned(std::move(out), rows, reducer.output_dim());
}

std::unique_ptr<Reducer> MakeSrp(int64_t n_components, int64_t n_features, double density,
                                 int64_t seed) {
  if (seed < 0 || seed > std::numeric_limits<uint32_t>::max()) {
    throw nb::value_error("seed must be in [0, 2**32)");
  }
  SrpOptions options;
  options.n_components = n_components;
  options.n_features = n_features;
  options.density = density;
  options.seed = static_cast<uint32_t>(seed);
  // Without the GIL: the Spark job's driver builds its copy on a thread
  // while the main thread submits the job.
  Result<std::unique_ptr<Reducer>> made;
  {
    nb::gil_scoped_release release;
    made = MakeSparseRandomProjection(options);
  }
  return ValueOrThrow(std::move(made));
}

nb::tuple SrpMatrix(int64_t n_components, int64_t n_features, double density, int64_t seed) {
  SrpOptions options;
  options.n_components = n_components;
  options.n_features = n_features;
  options.density = density;
  options.seed = static_cast<uint32_t>(seed);
  SparseMatrix m = ValueOrThrow(SparseRandomMatrix(options));
  const int64_t nnz = static_cast<int64_t>(m.values.size());
  return nb::make_tuple(Owned(std::move(m.values), nnz), Owned(std::move(m.indices), nnz),
                        Owned(std::move(m.indptr), m.rows + 1));
}

nb::dict PcaStateDict(const Reducer& reducer) {
  PcaState state = ValueOrThrow(PcaStateOf(reducer));
  const int64_t k = static_cast<int64_t>(state.explained_variance.size());
  const int64_t d = static_cast<int64_t>(state.mean.size());
  nb::dict out;
  out["mean"] = Owned(std::move(state.mean), d);
  out["components"] = Owned(std::move(state.components), k, d);
  out["explained_variance"] = Owned(std::move(state.explained_variance), k);
  out["explained_variance_ratio"] = Owned(std::move(state.explained_variance_ratio), k);
  out["total_variance"] = state.total_variance;
  out["n_samples"] = state.n_samples;
  return out;
}

// Rows of one PCA fit, spilled to a file as they arrive, fitted at the end.
class PcaFitter {
 public:
  PcaFitter(const std::string& spill_path, int64_t n_features)
      : spill_(ValueOrThrow(FeatureSpill::Create(spill_path, n_features))) {}
  void Append(InMatrix x) {
    if (static_cast<int64_t>(x.shape(1)) != spill_->cols()) {
      std::string message = "PCA.fit: a batch has " + std::to_string(x.shape(1)) +
                            " features, the first had " + std::to_string(spill_->cols());
      throw nb::value_error(message.c_str());
    }
    Status status;
    {
      nb::gil_scoped_release release;
      status = spill_->Append(x.data(), static_cast<int64_t>(x.shape(0)));
    }
    ThrowIfError(status);
  }
  std::unique_ptr<Reducer> Fit(int64_t n_components, int64_t oversampling, int power_iterations,
                               int64_t seed) {
    PcaOptions options;
    options.n_components = n_components;
    options.oversampling = oversampling;
    options.power_iterations = power_iterations;
    options.seed = static_cast<uint32_t>(seed);
    Result<std::unique_ptr<Reducer>> fitted;
    {
      nb::gil_scoped_release release;
      Status status = spill_->FinishWriting();
      fitted =
          status.ok() ? FitPca(spill_.get(), options) : Result<std::unique_ptr<Reducer>>(status);
    }
    return ValueOrThrow(std::move(fitted));
  }
  int64_t rows() const { return spill_->rows(); }

 private:
  std::unique_ptr<FeatureSpill> spill_;
};

}  // namespace

void BindReducers(nb::module_& m) {
  nb::class_<Reducer>(m, "_Reducer")
      .def_prop_ro("kind", &Reducer::kind)
      .def_prop_ro("input_dim", &Reducer::input_dim)
      .def_prop_ro("output_dim", &Reducer::output_dim)
      .def("describe_json", &Reducer::DescribeJson)
      .def("transform", &Transform, nb::arg("x"))
      .def("pca_state", &PcaStateDict)
      .def("save",
           [](const Reducer& r, const std::string& path) { ThrowIfError(SaveReducer(r, path)); });
  m.def("make_srp", &MakeSrp, nb::arg("n_components"), nb::arg("n_features"), nb::arg("density"),
        nb::arg("seed"));
  m.def("srp_matrix", &SrpMatrix, nb::arg("n_components"), nb::arg("n_features"),
        nb::arg("density"), nb::arg("seed"));
  m.def("make_identity", [](int64_t dim) { return MakeIdentityReducer(dim); });
  m.def("load_reducer", [](const std::string& path) { return ValueOrThrow(LoadReducer(path)); });
  m.def("johnson_lindenstrauss_min_dim", [](int64_t n_samples, double eps) {
    return ValueOrThrow(JohnsonLindenstraussMinDim(n_samples, eps));
  });
  nb::class_<PcaFitter>(m, "_PcaFitter")
      .def(nb::init<const std::string&, int64_t>(), nb::arg("spill_path"), nb::arg("n_features"))
      .def("append", &PcaFitter::Append)
      .def("fit", &PcaFitter::Fit, nb::arg("n_components"), nb::arg("oversampling"),
           nb::arg("power_iterations"), nb::arg("seed"))
      .def_prop_ro("rows", &PcaFitter::rows);
}

}  // namespace imgfeat::python
