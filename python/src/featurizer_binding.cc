// imgfeat._imgfeat.Featurizer: the C++ Featurizer; arrays in and batches out
// through the Arrow C data interface.
#include <arrow/api.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>

#include "binding_util.h"
#include "imgfeat/featurizer.h"

namespace imgfeat::python {
namespace {

std::unique_ptr<Featurizer> MakeFeaturizer(const std::string& model, const std::string& pooling,
                                           const std::string& engine, int threads, int batch,
                                           const std::string& model_dir,
                                           const std::string& model_spec, int64_t max_pixels,
                                           const std::string& model_cache) {
  FeaturizerOptions options;
  options.model = model;
  options.pooling = ValueOrThrow(ParsePooling(pooling));
  options.engine = engine;
  if (threads < 0) throw nb::value_error("threads must be >= 0 (0: all cores)");
  if (batch < 0) throw nb::value_error("batch must be >= 0 (0: the default)");
  if (max_pixels <= 0) throw nb::value_error("max_pixels must be positive");
  options.threads = threads;
  options.batch = batch;
  options.model_dir = model_dir;
  options.model_spec = model_spec;
  options.max_pixels = max_pixels;
  options.model_cache_dir = model_cache;
  Result<std::unique_ptr<Featurizer>> made;
  {
    nb::gil_scoped_release release;
    made = Featurizer::Make(options);
  }
  return ValueOrThrow(std::move(made));
}

nb::tuple Featurize(Featurizer& featurizer, nb::handle schema_capsule, nb::handle array_capsule,
                    nb::handle on_progress) {
  std::shared_ptr<arrow::Array> images = ImportArray(schema_capsule, array_capsule);
  std::shared_ptr<arrow::RecordBatch> batch;
  std::atomic<int64_t> done{0};
  Status status = RunInterruptibly(
      [&](const std::atomic<bool>* cancel) {
        FeaturizeControl control;
        control.cancel = cancel;
        control.done = &done;
        auto result = featurizer.Featurize(*images, control);
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
      .def(nb::new_(&MakeFeaturizer), nb::arg("model"), nb::arg("pooling"), nb::arg("engine"),
           nb::arg("threads"), nb::arg("batch"), nb::arg("model_dir"), nb::arg("model_spec"),
           nb::arg("max_pixels"), nb::arg("model_cache") = "")
      .def("featurize", &Featurize, nb::arg("schema"), nb::arg("array"),
           nb::arg("on_progress").none())
      .def_prop_ro("feature_dim", &Featurizer::feature_dim)
      .def_prop_ro("threads", &Featurizer::threads)
      .def_prop_ro("batch", &Featurizer::batch)
      .def_prop_ro("model_path", &Featurizer::model_path)
      .def_prop_ro("model_sha256", &Featurizer::model_sha256)
      .def_prop_ro("model_name", [](const Featurizer& f) { return f.spec().name; });
}

}  // namespace imgfeat::python
