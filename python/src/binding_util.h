// Shared pieces of the Python binding: Status to Python exceptions, Arrow
// arrays across the boundary through the Arrow C data interface (PyCapsules,
// so that no Python object is made per image), and running long C++ work on
// a thread of its own while the calling thread watches for Ctrl-C.
#pragma once

#include <nanobind/nanobind.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "imgfeat/pipeline.h"
#include "imgfeat/report.h"
#include "imgfeat/status.h"

namespace arrow {
class Array;
class RecordBatch;
}  // namespace arrow

namespace imgfeat::python {

namespace nb = nanobind;

// Raises the Python exception that matches `status` (ValueError, TypeError,
// OSError, KeyboardInterrupt, RuntimeError) when it is not OK.
void ThrowIfError(const Status& status);

template <typename T>
T ValueOrThrow(Result<T> result) {
  ThrowIfError(result.status());
  return std::move(result).ValueUnsafe();
}

// (schema, array) capsules, as `__arrow_c_array__` gives them, to an Array
// (the data moves, nothing is copied).
std::shared_ptr<arrow::Array> ImportArray(nb::handle schema_capsule, nb::handle array_capsule);
// A batch to (schema, array) capsules that pyarrow imports without copying.
nb::tuple ExportBatch(const std::shared_ptr<arrow::RecordBatch>& batch);

// Runs `work` on a new thread with the GIL released. Every ~100 ms this
// thread takes the GIL, calls `on_progress(done)` (when not None) and checks
// for signals: on Ctrl-C it sets the cancel flag `work` was given, waits for
// it to return and raises KeyboardInterrupt.
Status RunInterruptibly(const std::function<Status(const std::atomic<bool>* cancel)>& work,
                        const std::atomic<int64_t>* done, nb::handle on_progress);

// Like RunInterruptibly, with `on_tick` called (holding the GIL) instead of a
// progress callback, every ~100 ms and once more at the end.
Status RunInterruptibly(const std::function<Status(const std::atomic<bool>* cancel)>& work,
                        const std::function<void()>& on_tick);

// RunOptions from Python keyword arguments under the options' Python names,
// each checked as the description says, then the rules between them (for a
// run's shells). `shell`: kShellPython, kShellSpark or kShellFeaturizer.
// Raises TypeError (an unknown option, a wrong kind) or ValueError.
RunOptions OptionsFrom(const std::string& input, const std::string& output, nb::dict kwargs,
                       unsigned shell);
// ReportOptions from Python keyword arguments under the report options'
// Python names, each checked as the description says (None: the default).
// Raises TypeError (an unknown option, a wrong kind) or ValueError.
ReportOptions ReportOptionsFrom(const std::string& output, nb::dict kwargs);
// Every option `shell` takes, by Python name ("auto" for auto), with input
// and output.
nb::dict OptionsToDict(const RunOptions& options, unsigned shell);

void BindOptions(nb::module_& m);
void BindFeaturizer(nb::module_& m);
void BindRun(nb::module_& m);
void BindReducers(nb::module_& m);
void BindPca(nb::module_& m);
void BindSpark(nb::module_& m);
void BindStorage(nb::module_& m);      // called by BindSpark
void BindSparkCommit(nb::module_& m);  // called by BindSpark

}  // namespace imgfeat::python
