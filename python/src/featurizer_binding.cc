// imgfeat._imgfeat.Featurizer: the C++ Featurizer; arrays in and batches out
// through the Arrow C data interface.
#include <arrow/api.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>

#include "binding_util.h"
#include "imgfeat/featurizer.h"
#include "imgfeat/reduce.h"

namespace imgfeat::python {
namespace {

// The options are the description's (imgfeat/run_options.h) for the
// Featurizer shell: the same checks as a run's.
std::unique_ptr<Featurizer> MakeFeaturizer(nb::dict kwargs, const std::string& model_cache) {
  FeaturizerOptions options = FeaturizerOptionsOf(OptionsFrom(".", ".", kwargs, kShellFeaturizer));
  options.model_cache_dir = model_cache;
  Result<std::unique_ptr<Featurizer>> made;
  {
    nb::gil_scoped_release release;
    made = Featurizer::Make(options);
  }
  return ValueOrThrow(std::move(made));
}

// With `reducer` (None: the model's features), the features come reduced
// (Featurizer::Featurize).
nb::tuple Featurize(Featurizer& featurizer, nb::handle schema_capsule, nb::handle array_capsule,
                    nb::handle on_progress, const Reducer* reducer) {
  std::shared_ptr<arrow::Array> images = ImportArray(schema_capsule, array_capsule);
  std::shared_ptr<arrow::RecordBatch> batch;
  std::atomic<int64_t> done{0};
  Status status = RunInterruptibly(
      [&](const std::atomic<bool>* cancel) {
        FeaturizeControl control;
        control.cancel = cancel;
        control.done = &done;
        auto result = featurizer.Featurize(*images, control, reducer);
        if (!result.ok()) return result.status();
        batch = std::move(result).ValueUnsafe();
        return Status::OK();
      },
      &done, on_progress);
  ThrowIfError(status);
  return ExportBatch(batch);
}

}  // namespace

void BindFeaturizer(nb::module_& m) {
  nb::class_<Featurizer>(m, "_Featurizer")
      .def(nb::new_(&MakeFeaturizer), nb::arg("options"), nb::arg("model_cache") = "")
      .def("featurize", &Featurize, nb::arg("schema"), nb::arg("array"),
           nb::arg("on_progress").none(), nb::arg("reducer").none() = nullptr)
      .def_prop_ro("feature_dim", &Featurizer::feature_dim)
      .def_prop_ro("threads", &Featurizer::threads)
      .def_prop_ro("batch", &Featurizer::batch)
      .def_prop_ro("model_path", &Featurizer::model_path)
      .def_prop_ro("model_sha256", &Featurizer::model_sha256)
      .def_prop_ro("model_name", [](const Featurizer& f) { return f.spec().name; });
}

}  // namespace imgfeat::python
