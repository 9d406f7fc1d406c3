#include "io/dynamic_library.h"

#include <dlfcn.h>
#include <link.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace imgfeat {

namespace {

// The folders the loader searches for a library needed by the binary that
// holds this code (the module, or a program): its RUNPATH or RPATH with
// $ORIGIN expanded, LD_LIBRARY_PATH, the system's folders. dlopen would search
// them itself for its caller, but a sanitizer's dlopen interceptor becomes
// the caller and hides them, so they are asked for and tried here, in order.
std::vector<std::string> SearchFolders() {
  Dl_info info;
  link_map* self = nullptr;
  if (dladdr1(reinterpret_cast<void*>(&SearchFolders), &info, reinterpret_cast<void**>(&self),
              RTLD_DL_LINKMAP) == 0 ||
      self == nullptr) {
    return {};
  }
  Dl_serinfo size;
  if (dlinfo(self, RTLD_DI_SERINFOSIZE, &size) != 0) return {};
  std::vector<char> buffer(size.dls_size);
  auto* serinfo = reinterpret_cast<Dl_serinfo*>(buffer.data());
  serinfo->dls_size = size.dls_size;
  serinfo->dls_cnt = size.dls_cnt;
  if (dlinfo(self, RTLD_DI_SERINFO, serinfo) != 0) return {};
  std::vector<std::string> folders;
  for (unsigned i = 0; i < serinfo->dls_cnt; ++i)
    folders.emplace_back(serinfo->dls_serpath[i].dls_name);
  return folders;
}

}  // namespace

void DynamicLibrary::Close::operator()(void* handle) const { dlclose(handle); }

Result<DynamicLibrary> DynamicLibrary::Open(const char* soname, const char* provider) {
  // RTLD_LOCAL: its symbols serve only the lookups below, never another
  // library's (a second BLAS or OpenVINO in the process keeps its own).
  constexpr int kMode = RTLD_NOW | RTLD_LOCAL;
  void* handle = nullptr;
  for (const std::string& folder : SearchFolders()) {
    const std::string candidate = folder + "/" + soname;
    if (access(candidate.c_str(), R_OK) == 0 && (handle = dlopen(candidate.c_str(), kMode))) break;
  }
  // Then the loader's own search (its cache of the system's libraries).
  if (handle == nullptr) handle = dlopen(soname, kMode);
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

void ExitUnloaded(const Status& status) {
  std::fprintf(stderr, "imgfeat: %s\n", status.message().c_str());
  std::abort();
}

}  // namespace imgfeat
