#include "binding_util.h"

#include <arrow/api.h>
#include <arrow/c/abi.h>
#include <arrow/c/bridge.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "imgfeat/path_text.h"

namespace imgfeat::python {
namespace {

template <typename T>
T* CapsulePointer(nb::handle capsule, const char* name) {
  void* ptr = PyCapsule_GetPointer(capsule.ptr(), name);
  if (ptr == nullptr) throw nb::python_error();
  return static_cast<T*>(ptr);
}

void ReleaseSchema(void* ptr) noexcept {
  auto* schema = static_cast<ArrowSchema*>(ptr);
  if (schema->release != nullptr) schema->release(schema);
  delete schema;
}

void ReleaseArray(void* ptr) noexcept {
  auto* array = static_cast<ArrowArray*>(ptr);
  if (array->release != nullptr) array->release(array);
  delete array;
}

}  // namespace

void ThrowIfError(const Status& status) {
  if (status.ok()) return;
  // Python's str is text: bytes of a path that are not UTF-8 become \xNN.
  const std::string message = Utf8Text(status.message());
  if (status.IsTypeError()) throw nb::type_error(message.c_str());
  if (status.IsInvalid() || status.IsIndexError() || status.IsKeyError()) {
    throw nb::value_error(message.c_str());
  }
  if (status.IsCancelled()) {
    PyErr_SetString(PyExc_KeyboardInterrupt, message.c_str());
    throw nb::python_error();
  }
  if (status.IsIOError()) {
    PyErr_SetString(PyExc_OSError, message.c_str());
    throw nb::python_error();
  }
  throw std::runtime_error(message);
}

std::shared_ptr<arrow::Array> ImportArray(nb::handle schema_capsule, nb::handle array_capsule) {
  auto* schema = CapsulePointer<ArrowSchema>(schema_capsule, "arrow_schema");
  auto* array = CapsulePointer<ArrowArray>(array_capsule, "arrow_array");
  return ValueOrThrow(arrow::ImportArray(array, schema));
}

nb::tuple ExportBatch(const std::shared_ptr<arrow::RecordBatch>& batch) {
  auto schema = std::make_unique<ArrowSchema>();
  auto array = std::make_unique<ArrowArray>();
  ThrowIfError(arrow::ExportRecordBatch(*batch, array.get(), schema.get()));
  nb::capsule schema_capsule(schema.release(), "arrow_schema", &ReleaseSchema);
  nb::capsule array_capsule(array.release(), "arrow_array", &ReleaseArray);
  return nb::make_tuple(schema_capsule, array_capsule);
}

Status RunInterruptibly(const std::function<Status(const std::atomic<bool>* cancel)>& work,
                        const std::atomic<int64_t>* done, nb::handle on_progress) {
  int64_t reported = -1;
  return RunInterruptibly(work, [&] {
    if (done != nullptr && !on_progress.is_none() && done->load() != reported) {
      reported = done->load();
      on_progress(reported);
    }
  });
}

Status RunInterruptibly(const std::function<Status(const std::atomic<bool>* cancel)>& work,
                        const std::function<void()>& on_tick) {
  struct Shared {
    std::mutex mutex;
    std::condition_variable finished_cv;
    bool finished = false;
    std::atomic<bool> cancel{false};
    Status status;
  } shared;
  std::thread worker([&] {
    Status status = work(&shared.cancel);
    std::lock_guard<std::mutex> lock(shared.mutex);
    shared.status = std::move(status);
    shared.finished = true;
    shared.finished_cv.notify_all();
  });
  // Whatever leaves this function (a progress callback that raises, Ctrl-C),
  // the worker is told to stop and joined first, without the GIL.
  struct Joiner {
    Shared* shared;
    std::thread* worker;
    ~Joiner() {
      shared->cancel = true;
      nb::gil_scoped_release release;
      worker->join();
    }
  } joiner{&shared, &worker};

  while (true) {
    bool finished;
    {
      nb::gil_scoped_release release;
      std::unique_lock<std::mutex> lock(shared.mutex);
      finished = shared.finished_cv.wait_for(lock, std::chrono::milliseconds(100),
                                             [&] { return shared.finished; });
    }
    on_tick();
    if (finished) break;
    if (PyErr_CheckSignals() != 0) throw nb::python_error();
  }
  std::lock_guard<std::mutex> lock(shared.mutex);
  return shared.status;
}

}  // namespace imgfeat::python
