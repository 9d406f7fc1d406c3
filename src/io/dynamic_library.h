// A shared library opened at run time, for the libraries imgfeat takes from
// the wheels it depends on (OpenVINO's C API, OpenBLAS): opening them
// instead of linking them keeps them off the module's list of needed
// libraries, so that the wheel stays a manylinux wheel and loads them only
// when a run needs them.
#pragma once

#include <memory>
#include <string>

#include "imgfeat/status.h"

namespace imgfeat {

class DynamicLibrary {
 public:
  // Opens `soname` the way the loader would for the binary that holds this
  // code: its RUNPATH (the wheels' folders beside the module, the build's
  // folders), then LD_LIBRARY_PATH and the system's. `provider` says where the library
  // comes from, for the error ("the openvino wheel"). A plain string, so
  // that the name stays readable in the binary (scripts/check_wheel_elf.py
  // finds the libraries a wheel opens by it).
  static Result<DynamicLibrary> Open(const char* soname, const char* provider);

  // The address of `name`: a function or a variable.
  Result<void*> Symbol(const char* name) const;
  // The file that was opened, for messages and tests.
  const std::string& path() const { return path_; }

 private:
  struct Close {
    void operator()(void* handle) const;
  };
  std::unique_ptr<void, Close> handle_;
  std::string soname_, path_;
};

// Prints `status` as imgfeat's one-line error and aborts (LoadedOrExit).
[[noreturn]] void ExitUnloaded(const Status& status);

// A table of a library's functions, filled once per process (thread-safe)
// by `fill` from the library `soname`, which stays open until exit (its
// threads and the objects made with it outlive any caller). Later calls
// return the first outcome.
template <typename Table, Result<Table> (*Fill)(const DynamicLibrary&)>
const Result<Table>& LoadOnce(const char* soname, const char* provider) {
  static const Result<Table> table = [&]() -> Result<Table> {
    static const Result<DynamicLibrary> library = DynamicLibrary::Open(soname, provider);
    ARROW_RETURN_NOT_OK(library.status());
    return Fill(*library);
  }();
  return table;
}

// The table LoadOnce() filled, for code that runs only after a caller
// checked LoadOnce(); ends the process with the loader's message otherwise.
template <typename Table>
const Table& LoadedOrExit(const Result<Table>& table) {
  if (!table.ok()) ExitUnloaded(table.status());
  return *table;
}
}  // namespace imgfeat
