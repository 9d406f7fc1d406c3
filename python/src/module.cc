// The compiled part of the imgfeat Python package. It only converts arguments
// and results; the work is done by the C++ library (include/imgfeat).
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <cstdio>
#include <string>

#include "binding_util.h"
#include "cli/cli_main.h"
#include "imgfeat/model.h"
#include "imgfeat/neighbours.h"
#include "imgfeat/path_text.h"
#include "imgfeat/quantize.h"
#include "imgfeat/similar.h"

namespace {

// A registered model's file, found or fetched into the cache now (what
// `imgfeat models fetch NAME` does); the GIL is released while it downloads.
std::string FetchModel(const std::string& name, const std::string& model_dir) {
  imgfeat::Result<std::string> path;
  {
    nanobind::gil_scoped_release release;
    path = [&]() -> imgfeat::Result<std::string> {
      ARROW_ASSIGN_OR_RAISE(imgfeat::ModelSpec spec, imgfeat::FindRegisteredModel(name));
      return imgfeat::ResolveModelFile(spec, {.model_dir = model_dir});
    }();
  }
  return imgfeat::python::ValueOrThrow(std::move(path));
}

// `imgfeat models quantize`: NNCF runs in `python`; the GIL is released
// meanwhile. Returns the quantized model's folder.
std::string QuantizeModel(const std::string& calibration, const std::string& model, int64_t images,
                          const std::string& model_dir, const std::string& model_spec,
                          const std::string& python) {
  imgfeat::QuantizeOptions options;
  options.calibration = calibration;
  options.model = model;
  options.images = images;
  options.model_dir = model_dir;
  options.model_spec = model_spec;
  options.python = python;
  imgfeat::Result<imgfeat::QuantizedModel> made;
  {
    nanobind::gil_scoped_release release;
    made = imgfeat::QuantizeModel(options, [](const std::string& line) {
      std::fprintf(stderr, "imgfeat: %s\n", line.c_str());
    });
  }
  return imgfeat::python::ValueOrThrow(std::move(made)).dir;
}

// A path's bytes as the output's text (imgfeat/path_text.h), and back.
std::string PathText(nanobind::bytes path) {
  return imgfeat::PathText(std::string_view(path.c_str(), path.size()));
}

nanobind::bytes PathBytes(const std::string& text) {
  std::string path = imgfeat::python::ValueOrThrow(imgfeat::PathFromText(text));
  return nanobind::bytes(path.data(), path.size());
}

// `imgfeat neighbours OUTPUT`; the GIL is released while it compares.
nanobind::dict Neighbours(const std::string& output, int k, double duplicate_cosine,
                          const std::string& method, const std::string& column) {
  imgfeat::NeighboursOptions options;
  options.column = column;
  options.method = imgfeat::python::ValueOrThrow(imgfeat::ParseNeighbourMethod(method));
  options.k = k;
  options.duplicate_cosine = duplicate_cosine;
  imgfeat::Result<imgfeat::NeighboursSummary> summary;
  {
    nanobind::gil_scoped_release release;
    summary = imgfeat::WriteNeighbours(output, options);
  }
  const imgfeat::NeighboursSummary s = imgfeat::python::ValueOrThrow(std::move(summary));
  nanobind::dict d;
  d["rows"] = s.rows;
  d["dim"] = s.dim;
  d["neighbour_rows"] = s.neighbour_rows;
  d["duplicate_rows"] = s.duplicate_rows;
  d["duplicate_groups"] = s.duplicate_groups;
  d["seconds"] = s.seconds;
  d["method"] = imgfeat::NeighbourMethodName(s.method);
  return d;
}

// `imgfeat similar OUTPUT IMAGE...` as columns (query index, rank, path,
// label, cosine) and the queries that failed (index, reason).
nanobind::dict Similar(const std::string& output, const std::vector<std::string>& images, int k,
                       int threads, const std::string& model_dir, const std::string& column) {
  imgfeat::SimilarOptions options;
  options.column = column;
  options.k = k;
  options.threads = threads;
  options.model_dir = model_dir;
  imgfeat::Result<imgfeat::SimilarResult> result;
  {
    nanobind::gil_scoped_release release;
    result = imgfeat::FindSimilar(output, images, options);
  }
  const imgfeat::SimilarResult r = imgfeat::python::ValueOrThrow(std::move(result));
  nanobind::list query, rank, path, label, cosine, failed, reason;
  for (const auto& row : r.rows) {
    query.append(row.query);
    rank.append(row.rank);
    path.append(row.path);
    label.append(row.label);
    cosine.append(row.cosine);
  }
  for (const auto& [index, message] : r.errors) {
    failed.append(index);
    reason.append(imgfeat::Utf8Text(message));
  }
  nanobind::dict d;
  d["query"] = query;
  d["rank"] = rank;
  d["path"] = path;
  d["label"] = label;
  d["cosine"] = cosine;
  d["failed"] = failed;
  d["reason"] = reason;
  return d;
}

// The `imgfeat` command of the package (imgfeat._cli): the C++ command line
// itself, every subcommand and option, given the arguments as bytes (a
// file name need not be UTF-8). The GIL is released while it runs.
int CliMain(const std::vector<nanobind::bytes>& args) {
  std::vector<std::string> argv;
  argv.reserve(args.size());
  for (const auto& a : args) argv.emplace_back(a.c_str(), a.size());
  int rc;
  {
    nanobind::gil_scoped_release release;
    rc = imgfeat::cli::Main(std::move(argv));
    std::fflush(stdout);
    std::fflush(stderr);
  }
  return rc;
}

}  // namespace

NB_MODULE(_imgfeat, m) {
  m.attr("__version__") = IMGFEAT_VERSION;
  imgfeat::python::BindOptions(m);
  imgfeat::python::BindFeaturizer(m);
  imgfeat::python::BindRun(m);
  imgfeat::python::BindReducers(m);
  imgfeat::python::BindPca(m);
  m.def("fetch_model", &FetchModel, nanobind::arg("name"), nanobind::arg("model_dir"));
  m.def("quantize_model", &QuantizeModel, nanobind::arg("calibration"), nanobind::arg("model"),
        nanobind::arg("images"), nanobind::arg("model_dir"), nanobind::arg("model_spec"),
        nanobind::arg("python"));
  m.def("path_text", &PathText, nanobind::arg("path"));
  m.def("cli_main", &CliMain, nanobind::arg("args"));
  m.def("similar", &Similar, nanobind::arg("output"), nanobind::arg("images"), nanobind::arg("k"),
        nanobind::arg("threads"), nanobind::arg("model_dir"), nanobind::arg("column"));
  m.def("neighbours", &Neighbours, nanobind::arg("output"), nanobind::arg("k"),
        nanobind::arg("duplicate_cosine"), nanobind::arg("method"), nanobind::arg("column"));
  m.def("path_bytes", &PathBytes, nanobind::arg("text"));
  imgfeat::python::BindSpark(m);
}
