// imgfeat._imgfeat.run: the CLI's RunJob with its options from a dict of
// Python names, on a thread of its own so that Ctrl-C can stop it.
#include <nanobind/stl/string.h>

#include <cmath>
#include <limits>

#include "binding_util.h"
#include "imgfeat/pipeline.h"
#include "imgfeat/report.h"

namespace imgfeat::python {
namespace {

template <typename T>
T Option(const std::string& name, nb::handle value, const char* what) {
  T out;
  if (!nb::try_cast(value, out)) {
    std::string message = "option '" + name + "' must be " + what + ", not " +
                          nb::cast<std::string>(nb::str(value.type().attr("__name__")));
    throw nb::type_error(message.c_str());
  }
  return out;
}

int64_t NonNegative(const std::string& name, nb::handle value) {
  int64_t v = Option<int64_t>(name, value, "an int");
  if (v < 0) throw nb::value_error(("option '" + name + "' must be >= 0").c_str());
  return v;
}

bool IsAuto(nb::handle value) {
  return value.is_none() ||
         (nb::isinstance<nb::str>(value) && nb::cast<std::string>(value) == "auto");
}

}  // namespace

RunOptions OptionsFrom(const std::string& input, const std::string& output, nb::dict kwargs) {
  RunOptions o;
  o.input = input;
  o.output = output;
  o.progress = false;  // the Python side draws its own bar
  for (auto [key, value] : kwargs) {
    const std::string name = nb::cast<std::string>(key);
    if (name == "glob") {
      o.list.glob = Option<std::string>(name, value, "a str");
    } else if (name == "follow_symlinks") {
      o.list.follow_symlinks = Option<bool>(name, value, "a bool");
    } else if (name == "label_regex") {
      o.label_regex = Option<std::string>(name, value, "a str");
    } else if (name == "threads") {
      o.threads = static_cast<int>(NonNegative(name, value));
    } else if (name == "batch") {
      o.batch = static_cast<int>(NonNegative(name, value));
    } else if (name == "model") {
      o.model = Option<std::string>(name, value, "a str");
    } else if (name == "model_spec") {
      o.model_spec = Option<std::string>(name, value, "a str");
    } else if (name == "model_dir") {
      o.model_dir = Option<std::string>(name, value, "a str");
    } else if (name == "engine") {
      o.engine = Option<std::string>(name, value, "a str");
    } else if (name == "pooling") {
      o.pooling = ValueOrThrow(ParsePooling(Option<std::string>(name, value, "a str")));
    } else if (name == "reduce") {
      o.reduce = ValueOrThrow(ParseReduceKind(Option<std::string>(name, value, "a str")));
    } else if (name == "components") {
      o.components = IsAuto(value) ? -1 : NonNegative(name, value);
      if (o.components == 0) throw nb::value_error("option 'components' must be positive");
    } else if (name == "eps") {
      o.eps = Option<double>(name, value, "a float");
      if (!(o.eps > 0 && o.eps < 1)) throw nb::value_error("option 'eps' must be in (0, 1)");
    } else if (name == "density") {
      o.density = IsAuto(value) ? 0 : Option<double>(name, value, "a float or 'auto'");
      if (!IsAuto(value) && !(o.density > 0 && o.density <= 1)) {
        throw nb::value_error("option 'density' must be 'auto' or in (0, 1]");
      }
    } else if (name == "seed") {
      int64_t seed = NonNegative(name, value);
      if (seed > std::numeric_limits<uint32_t>::max()) {
        throw nb::value_error("option 'seed' must be below 2**32");
      }
      o.seed = static_cast<uint32_t>(seed);
    } else if (name == "pca_power_iterations") {
      o.pca_power_iterations = static_cast<int>(NonNegative(name, value));
    } else if (name == "pca_oversampling") {
      o.pca_oversampling = IsAuto(value) ? -1 : NonNegative(name, value);
    } else if (name == "reducer_from") {
      o.reducer_from = Option<std::string>(name, value, "a str");
    } else if (name == "overwrite") {
      o.overwrite = Option<bool>(name, value, "a bool");
    } else if (name == "resume") {
      o.resume = Option<bool>(name, value, "a bool");
    } else if (name == "quiet") {
      o.quiet = Option<bool>(name, value, "a bool");
    } else if (name == "max_pixels") {
      o.max_pixels = NonNegative(name, value);
    } else if (name == "rows_per_part") {
      o.rows_per_part = NonNegative(name, value);
    } else if (name == "report") {
      o.report = Option<bool>(name, value, "a bool");
    } else if (name == "s3_endpoint") {
      o.storage.s3_endpoint = Option<std::string>(name, value, "a str");
    } else if (name == "s3_region") {
      o.storage.s3_region = Option<std::string>(name, value, "a str");
    } else if (name == "s3_anonymous") {
      o.storage.s3_anonymous = Option<bool>(name, value, "a bool");
    } else if (name == "s3_attempts") {
      o.storage.s3_max_attempts = static_cast<int>(NonNegative(name, value));
      if (o.storage.s3_max_attempts < 1) throw nb::value_error("option 's3_attempts' must be >= 1");
    } else {
      throw nb::type_error(("run() got an unknown option '" + name + "'").c_str());
    }
  }
  return o;
}

namespace {

nb::dict Run(const std::string& input, const std::string& output, nb::dict kwargs,
             nb::object on_progress) {
  RunOptions options = OptionsFrom(input, output, kwargs);
  std::atomic<int64_t> done{0}, total{0};
  options.on_progress = [&](int64_t d, int64_t t) {
    total = t;
    done = d;
  };
  nb::object report = nb::none();
  if (!on_progress.is_none()) {
    report = nb::cpp_function([&total, on_progress](int64_t d) { on_progress(d, total.load()); });
  }
  RunSummary summary;
  Status status = RunInterruptibly(
      [&](const std::atomic<bool>* cancel) {
        options.cancel = cancel;
        auto result = RunJob(options);
        if (!result.ok()) return result.status();
        summary = *result;
        return Status::OK();
      },
      &done, report);
  ThrowIfError(status);
  nb::dict out;
  if (options.report) {
    ReportOptions report_options;
    report_options.output = options.output;
    ReportSummary written;
    {
      nb::gil_scoped_release release;
      auto result = WriteReport(report_options);
      status = result.status();
      if (result.ok()) written = *result;
    }
    ThrowIfError(status);
    out["report"] = written.html;
  }
  out["images_listed"] = summary.images_listed;
  out["images_skipped_as_done"] = summary.images_skipped_as_done;
  out["already_complete"] = summary.already_complete;
  out["rows_written"] = summary.rows_written;
  out["errors"] = summary.errors;
  out["feature_dim"] = summary.feature_dim;
  out["output_dim"] = summary.output_dim;
  out["seconds"] = summary.seconds;
  return out;
}

nb::dict Report(const std::string& output, const std::string& html, const std::string& png,
                int64_t max_rows, int64_t max_thumbnails, uint32_t seed) {
  ReportOptions options;
  options.output = output;
  options.html = html;
  options.png = png;
  options.max_rows = max_rows;
  options.max_thumbnails = max_thumbnails;
  options.seed = seed;
  Result<ReportSummary> result;
  {
    nb::gil_scoped_release release;
    result = WriteReport(options);
  }
  ThrowIfError(result.status());
  nb::dict out;
  out["html"] = result->html;
  out["png"] = result->png;
  out["rows"] = result->rows;
  out["rows_analysed"] = result->rows_analysed;
  out["knn_method"] = result->knn_method;
  out["knn_queries"] = result->knn_queries;
  out["knn_accuracy"] = result->knn_accuracy;
  out["knn_interval"] = nb::make_tuple(result->knn_low, result->knn_high);
  out["distortion_pairs"] = result->distortion_pairs;
  out["distortion_within"] = result->distortion_within;
  return out;
}

}  // namespace

void BindRun(nb::module_& m) {
  m.def("run", &Run, nb::arg("input"), nb::arg("output"), nb::arg("options"),
        nb::arg("on_progress").none());
  m.def("report", &Report, nb::arg("output"), nb::arg("html"), nb::arg("png"), nb::arg("max_rows"),
        nb::arg("max_thumbnails"), nb::arg("seed"));
}

}  // namespace imgfeat::python
