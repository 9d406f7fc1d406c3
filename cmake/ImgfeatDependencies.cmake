# Finds imgfeat's third-party libraries and exposes them as imported targets.
#
# Arrow/Parquet and OpenVINO are looked up through their normal CMake packages
# first (system or conda installs). When those are absent, the copies shipped in
# the pyarrow and openvino wheels of the Python environment are used: openvino
# ships a CMake config; pyarrow ships headers and versioned libraries, wrapped
# here as the same target names Arrow's own config defines.

find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(JPEG REQUIRED)
find_package(PNG REQUIRED)
find_package(TIFF REQUIRED)
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED COMPONENTS Crypto)
find_package(nlohmann_json 3 REQUIRED)
pkg_check_modules(WEBP REQUIRED IMPORTED_TARGET libwebp)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)

find_package(Python3 COMPONENTS Interpreter)

# imgfeat_soname(<out> <library file>): the library's SONAME, the name a
# program opens it by at run time.
function(imgfeat_soname out file)
  execute_process(COMMAND ${CMAKE_OBJDUMP} -p "${file}" OUTPUT_VARIABLE dump RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0 OR NOT dump MATCHES "SONAME +([^\n]+)")
    message(FATAL_ERROR "cannot read the SONAME of ${file}")
  endif()
  string(STRIP "${CMAKE_MATCH_1}" soname)
  set(${out} "${soname}" PARENT_SCOPE)
endfunction()

function(imgfeat_python_query out code)
  if(NOT Python3_EXECUTABLE)
    return()
  endif()
  execute_process(COMMAND ${Python3_EXECUTABLE} -c "${code}"
                  OUTPUT_VARIABLE value OUTPUT_STRIP_TRAILING_WHITESPACE
                  RESULT_VARIABLE rc ERROR_QUIET)
  if(rc EQUAL 0)
    set(${out} "${value}" PARENT_SCOPE)
  endif()
endfunction()

# --- Arrow and Parquet -------------------------------------------------------
find_package(Arrow CONFIG QUIET)
find_package(Parquet CONFIG QUIET)
if(Arrow_FOUND AND Parquet_FOUND)
  set(IMGFEAT_ARROW_TARGET Arrow::arrow_shared)
  set(IMGFEAT_PARQUET_TARGET Parquet::parquet_shared)
else()
  imgfeat_python_query(PYARROW_DIR "import pyarrow, os; print(os.path.dirname(pyarrow.__file__))")
  if(NOT PYARROW_DIR)
    message(FATAL_ERROR "Arrow C++ not found: install it, or the pyarrow wheel (make setup)")
  endif()
  file(GLOB _arrow_lib "${PYARROW_DIR}/libarrow.so.[0-9]*")
  file(GLOB _parquet_lib "${PYARROW_DIR}/libparquet.so.[0-9]*")
  if(NOT _arrow_lib OR NOT _parquet_lib)
    message(FATAL_ERROR "pyarrow at ${PYARROW_DIR} ships no libarrow/libparquet")
  endif()
  add_library(imgfeat_arrow SHARED IMPORTED GLOBAL)
  set_target_properties(imgfeat_arrow PROPERTIES
    IMPORTED_LOCATION "${_arrow_lib}"
    INTERFACE_INCLUDE_DIRECTORIES "${PYARROW_DIR}/include")
  add_library(imgfeat_parquet SHARED IMPORTED GLOBAL)
  set_target_properties(imgfeat_parquet PROPERTIES
    IMPORTED_LOCATION "${_parquet_lib}"
    INTERFACE_LINK_LIBRARIES imgfeat_arrow)
  set(IMGFEAT_ARROW_TARGET imgfeat_arrow)
  set(IMGFEAT_PARQUET_TARGET imgfeat_parquet)
  list(APPEND IMGFEAT_RUNTIME_DIRS "${PYARROW_DIR}")
  message(STATUS "Arrow C++: from pyarrow at ${PYARROW_DIR}")
endif()

# --- OpenVINO ----------------------------------------------------------------
if(NOT OpenVINO_DIR)
  imgfeat_python_query(_ov_cmake
    "import openvino, os; print(os.path.join(os.path.dirname(openvino.__file__), 'cmake'))")
  if(_ov_cmake)
    set(OpenVINO_DIR "${_ov_cmake}")
  endif()
endif()
find_package(OpenVINO CONFIG REQUIRED COMPONENTS Runtime)
# OpenVINO's wheel is built with the pre-C++11 std::string ABI and its config
# forces that ABI on every target; Arrow's is built with the C++11 ABI. imgfeat
# uses only OpenVINO's C API, where the ABI does not matter, so keep C++11's.
remove_definitions(-D_GLIBCXX_USE_CXX11_ABI=${OpenVINO_GLIBCXX_USE_CXX11_ABI})
get_target_property(_ov_lib openvino::runtime::c IMPORTED_LOCATION_RELEASE)
if(_ov_lib)
  get_filename_component(_ov_libdir "${_ov_lib}" DIRECTORY)
  list(APPEND IMGFEAT_RUNTIME_DIRS "${_ov_libdir}")
endif()
# The engine opens the C API at run time by its soname (src/engine/openvino_api.h).
imgfeat_soname(IMGFEAT_OPENVINO_C_SONAME "${_ov_lib}")

# --- BLAS and LAPACK, and FAISS over them ------------------------------------
# OpenBLAS from the scipy-openblas32 wheel (NumPy's and SciPy's build): one
# self-contained library, opened at run time beside pyarrow and openvino
# (src/reduce/blas.h), so that the wheel bundles no BLAS of its own and does
# not list it as a needed library. Its functions carry a "scipy_" prefix.
imgfeat_python_query(_openblas_dirs
  "import scipy_openblas32 as s; print(s.get_include_dir() + ';' + s.get_lib_dir())")
if(NOT _openblas_dirs)
  message(FATAL_ERROR "OpenBLAS not found: install the scipy-openblas32 wheel (make setup)")
endif()
list(GET _openblas_dirs 0 _openblas_include)
list(GET _openblas_dirs 1 _openblas_libdir)
imgfeat_soname(_openblas_soname "${_openblas_libdir}/libscipy_openblas.so")
add_library(imgfeat_blas INTERFACE)
target_include_directories(imgfeat_blas SYSTEM INTERFACE "${_openblas_include}")
target_compile_definitions(imgfeat_blas INTERFACE IMGFEAT_BLAS_SONAME="${_openblas_soname}")
list(APPEND IMGFEAT_RUNTIME_DIRS "${_openblas_libdir}")
message(STATUS "OpenBLAS: from scipy-openblas32 at ${_openblas_libdir}")

# FAISS (Debian's libfaiss-dev, a static archive) calls the Fortran BLAS and
# LAPACK names (sgemm_, ...): a copy of the archive calls imgfeat_faiss_sgemm_
# and so on instead, which src/search/faiss_blas.cc forwards to the OpenBLAS
# opened at run time, so that it runs on the same OpenBLAS and brings in no other.
find_package(OpenMP REQUIRED)
find_package(faiss REQUIRED)
get_target_property(_faiss_archive faiss LOCATION)
get_target_property(_faiss_include faiss INTERFACE_INCLUDE_DIRECTORIES)
execute_process(COMMAND nm --undefined-only --just-symbols "${_faiss_archive}"
                OUTPUT_VARIABLE _faiss_undefined)
execute_process(COMMAND nm -D --defined-only --just-symbols "${_openblas_libdir}/libscipy_openblas.so"
                OUTPUT_VARIABLE _openblas_defined)
string(REPLACE "\n" ";" _faiss_undefined "${_faiss_undefined}")
string(REPLACE "\n" ";" _openblas_defined "${_openblas_defined}")
list(REMOVE_DUPLICATES _faiss_undefined)
set(_redefine "")
foreach(_symbol IN LISTS _faiss_undefined)
  if(_symbol MATCHES "^[a-z][a-z0-9]*_$" AND "scipy_${_symbol}" IN_LIST _openblas_defined)
    list(APPEND _redefine "--redefine-sym" "${_symbol}=imgfeat_faiss_${_symbol}")
  endif()
endforeach()
set(_faiss_copy "${CMAKE_BINARY_DIR}/faiss/libfaiss_openblas.a")
file(MAKE_DIRECTORY "${CMAKE_BINARY_DIR}/faiss")
execute_process(COMMAND ${CMAKE_OBJCOPY} ${_redefine} "${_faiss_archive}" "${_faiss_copy}"
                RESULT_VARIABLE _objcopy_rc)
if(NOT _objcopy_rc EQUAL 0 OR NOT _redefine)
  message(FATAL_ERROR "cannot point FAISS (${_faiss_archive}) at scipy-openblas32")
endif()
add_library(imgfeat_faiss STATIC IMPORTED GLOBAL)
set_target_properties(imgfeat_faiss PROPERTIES
  IMPORTED_LOCATION "${_faiss_copy}"
  INTERFACE_INCLUDE_DIRECTORIES "${_faiss_include}"
  INTERFACE_LINK_LIBRARIES "OpenMP::OpenMP_CXX")

# --- OpenCV DNN (second engine, compared in the benchmarks) ------------------
option(IMGFEAT_WITH_OPENCV "Build the OpenCV DNN inference engine" ON)
if(IMGFEAT_WITH_OPENCV)
  find_package(OpenCV QUIET COMPONENTS core dnn)
  if(NOT OpenCV_FOUND)
    message(STATUS "OpenCV DNN not found: the opencv engine is not built")
    set(IMGFEAT_WITH_OPENCV OFF)
  endif()
endif()

# --- Tests and benchmarks ----------------------------------------------------
find_package(GTest REQUIRED)
find_package(benchmark QUIET)

# Libraries from wheels live outside the loader's path: bake their folders in.
set(CMAKE_BUILD_RPATH "${IMGFEAT_RUNTIME_DIRS}")
set(CMAKE_INSTALL_RPATH "${IMGFEAT_RUNTIME_DIRS}")
