// OpenVINO's C API, opened at run time from the openvino wheel's
// libopenvino_c (io/dynamic_library.h says why): a table with one member per
// function and property key the engine uses, typed from OpenVINO's own
// header, so that a call through it is checked as a direct call would be.
#pragma once

#include <openvino/c/openvino.h>

#include <string>

#include "imgfeat/status.h"

namespace imgfeat::engine {

// X(name): the functions, each called as Ov().name(...) for ov_<name>.
// clang-format off
#define IMGFEAT_OPENVINO_FUNCTIONS(X) \
  X(compiled_model_create_infer_request) \
  X(compiled_model_free) \
  X(core_compile_model) \
  X(core_create) \
  X(core_free) \
  X(core_get_property) \
  X(core_read_model) \
  X(free) \
  X(get_error_info) \
  X(get_last_err_msg) \
  X(infer_request_free) \
  X(infer_request_infer) \
  X(infer_request_set_tensor) \
  X(infer_request_start_async) \
  X(infer_request_wait) \
  X(model_const_input) \
  X(model_const_input_by_name) \
  X(model_const_output) \
  X(model_const_output_by_name) \
  X(model_free) \
  X(model_inputs_size) \
  X(model_outputs_size) \
  X(model_reshape_input_by_name) \
  X(output_const_port_free) \
  X(partial_shape_create) \
  X(partial_shape_free) \
  X(port_get_any_name) \
  X(port_get_partial_shape) \
  X(rank_is_dynamic) \
  X(shape_create) \
  X(shape_free) \
  X(tensor_create_from_host_ptr) \
  X(tensor_free)
// clang-format on

// X(name): the property keys (const char* variables), read as
// Ov().name for ov_<name>.
// clang-format off
#define IMGFEAT_OPENVINO_KEYS(X) \
  X(property_key_cache_dir) \
  X(property_key_device_capabilities) \
  X(property_key_hint_enable_cpu_pinning) \
  X(property_key_hint_inference_precision) \
  X(property_key_hint_performance_mode) \
  X(property_key_inference_num_threads) \
  X(property_key_num_streams)
// clang-format on

struct OpenVinoApi {
#define IMGFEAT_OPENVINO_FUNCTION(name) decltype(&::ov_##name) name = nullptr;
#define IMGFEAT_OPENVINO_KEY(name) const char* name = nullptr;
  IMGFEAT_OPENVINO_FUNCTIONS(IMGFEAT_OPENVINO_FUNCTION)
  IMGFEAT_OPENVINO_KEYS(IMGFEAT_OPENVINO_KEY)
#undef IMGFEAT_OPENVINO_FUNCTION
#undef IMGFEAT_OPENVINO_KEY
  // The library file the table was filled from.
  std::string path;
};

// Opens libopenvino_c once per process (thread-safe); later calls return the
// first outcome. An engine calls it before anything else.
Result<const OpenVinoApi*> LoadOpenVino();

// The table LoadOpenVino() filled: only for code that runs after it succeeded.
const OpenVinoApi& Ov();

}  // namespace imgfeat::engine
