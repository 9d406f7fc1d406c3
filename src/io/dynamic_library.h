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

}  // namespace imgfeat
