#include "io/dynamic_library.h"

#include <dlfcn.h>
#include <link.h>

namespace imgfeat {

void DynamicLibrary::Close::operator()(void* handle) const { dlclose(handle); }

Result<DynamicLibrary> DynamicLibrary::Open(const char* soname, const char* provider) {
  // RTLD_LOCAL: its symbols serve only the lookups below, never another
  // library's (a second BLAS or OpenVINO in the process keeps its own).
  void* handle = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    return Status::IOError("cannot load ", soname, " (from ", provider,
                           "): ", why ? why : "unknown error");
  }
  DynamicLibrary library;
  library.handle_.reset(handle);
  library.soname_ = soname;
  const link_map* map = nullptr;
  library.path_ =
      dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0 && map && map->l_name ? map->l_name : soname;
  return library;
}

Result<void*> DynamicLibrary::Symbol(const char* name) const {
  dlerror();
  void* address = dlsym(handle_.get(), name);
  if (address == nullptr) {
    return Status::IOError(path_, " has no symbol ", name,
                           ": another version than the one imgfeat was built with?");
  }
  return address;
}

}  // namespace imgfeat
