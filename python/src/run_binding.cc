// imgfeat._imgfeat.run: the CLI's RunJob with its options from a dict of
// Python names, on a thread of its own so that Ctrl-C can stop it.
#include <nanobind/stl/string.h>

#include <mutex>
#include <utility>
#include <vector>

#include "binding_util.h"
#include "imgfeat/neighbours.h"
#include "imgfeat/pipeline.h"
#include "imgfeat/report.h"

namespace imgfeat::python {
namespace {

// A run's events, kept until the Python thread takes them (every ~100 ms):
// each failed file and phase, and the latest progress only.
class EventQueue : public RunEventSink {
 public:
  void OnEvent(const RunEvent& event) override {
    std::lock_guard<std::mutex> lock(mutex_);
    if (event.kind == RunEventKind::kProgress && !events_.empty() &&
        events_.back().kind == RunEventKind::kProgress) {
      events_.back() = event;
    } else {
      events_.push_back(event);
    }
  }
  std::vector<RunEvent> Take() {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::exchange(events_, {});
  }

 private:
  std::mutex mutex_;
  std::vector<RunEvent> events_;
};

const char* KindName(RunEventKind kind) {
  switch (kind) {
    case RunEventKind::kPhase:
      return "phase";
    case RunEventKind::kProgress:
      return "progress";
    case RunEventKind::kFileError:
      return "file_error";
    case RunEventKind::kNotice:
      return "notice";
  }
  return "?";
}

nb::dict EventDict(const RunEvent& e) {
  nb::dict d;
  d["kind"] = KindName(e.kind);
  d["phase"] = e.phase;
  d["done"] = e.done;
  d["total"] = e.total;
  d["path"] = e.path;
  d["stage"] = e.stage;
  d["message"] = e.message;
  return d;
}

nb::dict Run(const std::string& input, const std::string& output, nb::dict kwargs,
             nb::object on_events) {
  RunOptions options = OptionsFrom(input, output, kwargs, kShellPython);
  EventQueue queue;
  options.events = &queue;
  RunSummary summary;
  Status status = RunInterruptibly(
      [&](const std::atomic<bool>* cancel) {
        options.cancel = cancel;
        auto result = RunJob(options);
        if (!result.ok()) return result.status();
        summary = *result;
        return Status::OK();
      },
      [&] {
        std::vector<RunEvent> events = queue.Take();
        if (events.empty() || on_events.is_none()) return;
        nb::list out;
        for (const auto& e : events) out.append(EventDict(e));
        on_events(out);
      });
  ThrowIfError(status);
  nb::dict out;
  if (options.neighbours) {
    Result<NeighboursSummary> found;
    {
      nb::gil_scoped_release release;
      found = WriteNeighbours(options.output, {});
    }
    ThrowIfError(found.status());
    out["duplicate_groups"] = found->duplicate_groups;
  }
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

nb::dict Report(const std::string& output, nb::dict kwargs) {
  const ReportOptions options = ReportOptionsFrom(output, kwargs);
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
  out["test_with_near_copy"] = result->test_with_near_copy;
  out["knn_accuracy_without_leaks"] = result->knn_accuracy_without_leaks;
  out["distortion_pairs"] = result->distortion_pairs;
  out["distortion_within"] = result->distortion_within;
  return out;
}

}  // namespace

void BindRun(nb::module_& m) {
  m.def("run", &Run, nb::arg("input"), nb::arg("output"), nb::arg("options"),
        nb::arg("on_events").none());
  m.def("report", &Report, nb::arg("output"), nb::arg("options"));
}

}  // namespace imgfeat::python
