// The OpenVINO engine, through OpenVINO's C API only: the wheel's C++ API is
// built with the old std::string ABI and cannot share a binary with Arrow.
//
// The model is read once and compiled for each chunk size it is run with. A
// batch is split into chunks, each run by an infer request of its own on
// whichever of the `streams` OpenVINO streams is free, writing straight into
// the caller's output buffer when the model's output is already NHWC. Each
// batch that may be in flight at once (Start/Wait) has its own requests, so
// that the streams go on to the next batch as soon as they finish one.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine/engine_internal.h"
#include "engine/openvino_api.h"

namespace imgfeat::engine {
namespace {

// Each handle freed by its own function of the table, whichever copy of
// OpenVINO the table was loaded from.
template <typename T, void (*OpenVinoApi::*Free)(T*)>
struct OvFree {
  void operator()(T* handle) const { (Ov().*Free)(handle); }
};
template <typename T, void (*OpenVinoApi::*Free)(T*)>
using OvPtr = std::unique_ptr<T, OvFree<T, Free>>;

using CorePtr = OvPtr<ov_core_t, &OpenVinoApi::core_free>;
using ModelPtr = OvPtr<ov_model_t, &OpenVinoApi::model_free>;
using CompiledPtr = OvPtr<ov_compiled_model_t, &OpenVinoApi::compiled_model_free>;
using RequestPtr = OvPtr<ov_infer_request_t, &OpenVinoApi::infer_request_free>;
using TensorPtr = OvPtr<ov_tensor_t, &OpenVinoApi::tensor_free>;
using ConstPortPtr = OvPtr<ov_output_const_port_t, &OpenVinoApi::output_const_port_free>;

// Owns the dims of an ov_shape_t / ov_partial_shape_t.
struct ShapeHolder {
  ov_shape_t shape{};
  ~ShapeHolder() {
    if (shape.dims) Ov().shape_free(&shape);
  }
};
struct PartialShapeHolder {
  ov_partial_shape_t shape{};
  ~PartialShapeHolder() {
    if (shape.dims) Ov().partial_shape_free(&shape);
  }
};

std::string LastOpenVinoError(ov_status_e status) {
  const char* message = Ov().get_last_err_msg();  // a copy the caller frees
  std::string text = message ? message : Ov().get_error_info(status);
  if (message) Ov().free(message);
  return OneLine(text);
}

#define IMGFEAT_OV_CALL(call, ...)                                                       \
  do {                                                                                   \
    ov_status_e _ov_status = (call);                                                     \
    if (_ov_status != OK) {                                                              \
      return ::arrow::Status::IOError(__VA_ARGS__, ": ", LastOpenVinoError(_ov_status)); \
    }                                                                                    \
  } while (false)

// Points stderr at /dev/null for its lifetime. Used only while the model is
// read, before any other thread of imgfeat writes to stderr.
class StderrSilencer {
 public:
  StderrSilencer() {
    std::fflush(stderr);
    saved_ = ::dup(STDERR_FILENO);
    int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (saved_ >= 0 && null_fd >= 0) ::dup2(null_fd, STDERR_FILENO);
    if (null_fd >= 0) ::close(null_fd);
  }
  ~StderrSilencer() {
    if (saved_ < 0) return;
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
  }
  StderrSilencer(const StderrSilencer&) = delete;
  StderrSilencer& operator=(const StderrSilencer&) = delete;

 private:
  int saved_ = -1;
};

Result<std::string> PortName(const ov_output_const_port_t* port) {
  char* name = nullptr;
  IMGFEAT_OV_CALL(Ov().port_get_any_name(port, &name), "OpenVINO cannot name a model port");
  std::string text = name;
  Ov().free(name);
  return text;
}

Result<std::vector<int64_t>> PortDims(const ov_output_const_port_t* port) {
  PartialShapeHolder partial;
  IMGFEAT_OV_CALL(Ov().port_get_partial_shape(port, &partial.shape),
                  "OpenVINO cannot read a port's shape");
  if (Ov().rank_is_dynamic(partial.shape.rank)) return std::vector<int64_t>{};
  std::vector<int64_t> dims;
  for (int64_t i = 0; i < partial.shape.rank.max; ++i) {
    const ov_dimension_t& dim = partial.shape.dims[i];
    dims.push_back(dim.min == dim.max ? dim.max : -1);
  }
  return dims;
}

// An input or output port: by its name in the spec, or the model's only one.
Result<ConstPortPtr> FindPort(const ov_model_t* model, bool input, const std::string& name,
                              const std::string& model_path) {
  const char* what = input ? "input" : "output";
  size_t count = 0;
  IMGFEAT_OV_CALL(
      input ? Ov().model_inputs_size(model, &count) : Ov().model_outputs_size(model, &count),
      "OpenVINO cannot count the model's ", what, "s");
  ov_output_const_port_t* port = nullptr;
  ov_status_e status;
  if (name.empty()) {
    if (count != 1) {
      return Status::Invalid("model '", model_path, "' has ", count, " ", what,
                             "s; name the one to use in the model spec");
    }
    status = input ? Ov().model_const_input(model, &port) : Ov().model_const_output(model, &port);
  } else {
    status = input ? Ov().model_const_input_by_name(model, name.c_str(), &port)
                   : Ov().model_const_output_by_name(model, name.c_str(), &port);
  }
  if (status != OK) {
    return Status::Invalid("model '", model_path, "' has no ", what, " named '", name, "'");
  }
  return ConstPortPtr(port);
}

// Static dimensions must equal the spec's; -1 (dynamic) ones are free.
bool DimsFit(const std::vector<int64_t>& model_dims, const std::vector<int64_t>& spec_dims) {
  if (model_dims.size() != spec_dims.size()) return false;
  for (size_t i = 1; i < model_dims.size(); ++i) {
    if (model_dims[i] >= 0 && model_dims[i] != spec_dims[i]) return false;
  }
  return true;
}

Status Reshape(ov_model_t* model, const std::string& input_name,
               const std::vector<ov_dimension_t>& dims) {
  PartialShapeHolder partial;
  IMGFEAT_OV_CALL(
      Ov().partial_shape_create(static_cast<int64_t>(dims.size()), dims.data(), &partial.shape),
      "OpenVINO cannot make a shape");
  IMGFEAT_OV_CALL(Ov().model_reshape_input_by_name(model, input_name.c_str(), partial.shape),
                  "OpenVINO cannot reshape the model's input to ",
                  ShapeText({dims[0].max, dims[1].max, dims[2].max, dims[3].max}));
  return Status::OK();
}

std::vector<ov_dimension_t> Dims(const std::vector<int64_t>& shape, int64_t batch_min) {
  std::vector<ov_dimension_t> dims;
  for (int64_t d : shape) dims.push_back({d, d});
  dims[0].min = batch_min;
  return dims;
}

// ov_core_compile_model takes its properties as C varargs: spell out the
// counts imgfeat uses.
Result<CompiledPtr> CompileWithProperties(const ov_core_t* core, const ov_model_t* model,
                                          const std::vector<const char*>& p) {
  ov_compiled_model_t* compiled = nullptr;
  ov_status_e status;
  switch (p.size()) {
    case 6:
      status = Ov().core_compile_model(core, model, "CPU", 6, &compiled, p[0], p[1], p[2], p[3],
                                       p[4], p[5]);
      break;
    case 8:
      status = Ov().core_compile_model(core, model, "CPU", 8, &compiled, p[0], p[1], p[2], p[3],
                                       p[4], p[5], p[6], p[7]);
      break;
    case 10:
      status = Ov().core_compile_model(core, model, "CPU", 10, &compiled, p[0], p[1], p[2], p[3],
                                       p[4], p[5], p[6], p[7], p[8], p[9]);
      break;
    case 12:
      status = Ov().core_compile_model(core, model, "CPU", 12, &compiled, p[0], p[1], p[2], p[3],
                                       p[4], p[5], p[6], p[7], p[8], p[9], p[10], p[11]);
      break;
    default:
      return Status::Invalid("unsupported number of OpenVINO properties: ", p.size());
  }
  if (status != OK) {
    return Status::IOError("OpenVINO cannot compile the model: ", LastOpenVinoError(status));
  }
  return CompiledPtr(compiled);
}

class OpenVinoEngine : public InferenceEngine {
 public:
  OpenVinoEngine(ModelSpec spec, EngineOptions options, OpenVinoTuning tuning)
      : spec_(std::move(spec)), options_(options), tuning_(tuning) {
    if (options_.streams <= 0) {
      int threads = options_.threads;
      if (threads <= 0) threads = static_cast<int>(std::thread::hardware_concurrency());
      options_.streams = std::max(1, threads);
    }
    options_.streams = std::max(1, std::min(options_.streams, options_.max_batch));
    max_chunks_ = ChunkCount(options_.max_batch);
  }

  // Requests still running write into their callers' buffers: they end first.
  ~OpenVinoEngine() override {
    for (Pending& pending : pending_) (void)WaitAll(&pending);
  }

  Status Load(const std::string& model_path) {
    ov_core_t* core = nullptr;
    IMGFEAT_OV_CALL(Ov().core_create(&core), "OpenVINO cannot start");
    core_.reset(core);
    ARROW_RETURN_NOT_OK(CheckPrecision(model_path));
    ov_model_t* raw_model = nullptr;
    ov_status_e read_status;
    {
      // OpenVINO tries every frontend on a file it cannot parse, and some of
      // them print protobuf errors to stderr: the message below says it once.
      StderrSilencer quiet;
      read_status = Ov().core_read_model(core_.get(), model_path.c_str(), nullptr, &raw_model);
    }
    if (read_status != OK) {
      return Status::IOError("cannot read model '", model_path,
                             "': not a valid ONNX model (or not a model at all)");
    }
    model_.reset(raw_model);
    ARROW_RETURN_NOT_OK(CheckShapes(model_path));
    if (tuning_.dynamic_batch) {
      ARROW_RETURN_NOT_OK(
          Reshape(model_.get(), input_name_, Dims(InputShape(spec_, options_.max_batch), 1)));
    }
    // Compiled now, so that a model OpenVINO cannot run fails here: the
    // requests a full batch uses.
    const int64_t chunks = ChunkCount(options_.max_batch);
    return CompiledFor((options_.max_batch + chunks - 1) / chunks).status();
  }

  Status Run(const float* input, int64_t batch, float* output) override {
    ARROW_ASSIGN_OR_RAISE(int64_t ticket, Begin(input, batch, output, /*allow_sync=*/true));
    return Wait(ticket);
  }

  Result<int64_t> Start(const float* input, int64_t batch, float* output) override {
    return Begin(input, batch, output, /*allow_sync=*/false);
  }

  Status Wait(int64_t ticket) override {
    Pending& pending = pending_[ticket % kMaxInFlight];
    if (!pending.active || pending.ticket != ticket) {
      return Status::Invalid("no batch in flight for ticket ", ticket);
    }
    Status status = WaitAll(&pending);
    ARROW_RETURN_NOT_OK(status);
    if (spec_.output_layout == TensorLayout::kNCHW) {
      NchwToNhwc(pending.out_scratch.data(), pending.batch, spec_.output_hwc[0],
                 spec_.output_hwc[1], spec_.output_hwc[2], pending.output);
    }
    return Status::OK();
  }

  const ModelSpec& spec() const override { return spec_; }
  std::string name() const override { return "openvino"; }

 private:
  struct Compiled {
    CompiledPtr model;
    // One per chunk of the largest batch for each batch that may be in
    // flight: chunk i of set s runs on requests[s * max_chunks_ + i].
    std::vector<RequestPtr> requests;
  };

  // A batch started and not yet waited for, with what its requests use.
  struct Pending {
    bool active = false;
    int64_t ticket = -1;
    int64_t batch = 0;
    float* output = nullptr;
    std::vector<ov_infer_request_t*> in_flight;
    std::vector<std::vector<TensorPtr>> tensors;
    std::vector<float> in_scratch;
    std::vector<float> out_scratch;
  };

  Result<int64_t> Begin(const float* input, int64_t batch, float* output, bool allow_sync) {
    if (batch < 1 || batch > options_.max_batch) {
      return Status::Invalid("batch of ", batch, " images; the engine was opened for 1 to ",
                             options_.max_batch);
    }
    const int64_t ticket = next_ticket_;
    const int set = static_cast<int>(ticket % kMaxInFlight);
    Pending& pending = pending_[set];
    if (pending.active) {
      return Status::Invalid("more than ", kMaxInFlight, " batches in flight");
    }
    const int64_t in_per_image = spec_.input_height * spec_.input_width * spec_.input_channels;
    const int64_t out_per_image = spec_.feature_length();
    const float* model_input = input;
    if (spec_.input_layout == TensorLayout::kNCHW) {
      pending.in_scratch.resize(batch * in_per_image);
      NhwcToNchw(input, batch, spec_.input_height, spec_.input_width, spec_.input_channels,
                 pending.in_scratch.data());
      model_input = pending.in_scratch.data();
    }
    float* model_output = output;
    if (spec_.output_layout == TensorLayout::kNCHW) {
      pending.out_scratch.resize(batch * out_per_image);
      model_output = pending.out_scratch.data();
    }

    // The batch is cut into chunks that differ in size by at most one, each
    // started at once on an infer request of its own: the streams take them
    // in turn as they free up, and go on to the next batch's without waiting
    // for the caller.
    const int64_t chunks = ChunkCount(batch);
    pending.in_flight.assign(chunks, nullptr);
    pending.tensors.resize(chunks);
    pending.batch = batch;
    pending.output = output;
    Status status = Status::OK();
    int64_t first = 0;
    for (int64_t chunk = 0; chunk < chunks && status.ok(); ++chunk) {
      const int64_t count = batch / chunks + (chunk < batch % chunks ? 1 : 0);
      status = StartChunk(set * max_chunks_ + chunk, count,
                          const_cast<float*>(model_input) + first * in_per_image,
                          model_output + first * out_per_image, allow_sync && chunks == 1,
                          &pending.in_flight[chunk], &pending.tensors[chunk]);
      first += count;
    }
    if (!status.ok()) {
      // Every started request is waited for, even after a failure: it writes
      // into the caller's buffer.
      (void)WaitAll(&pending);
      return status;
    }
    pending.active = true;
    pending.ticket = ticket;
    ++next_ticket_;
    return ticket;
  }

  static Status WaitAll(Pending* pending) {
    Status status = Status::OK();
    for (ov_infer_request_t*& request : pending->in_flight) {
      if (!request) continue;
      Status waited = WaitRequest(request);
      request = nullptr;
      if (status.ok()) status = waited;
    }
    pending->active = false;
    return status;
  }

  // Chunks of at most images_per_request images, at least one per stream.
  int64_t ChunkCount(int64_t batch) const {
    int64_t chunks = std::min<int64_t>(batch, options_.streams);
    if (tuning_.images_per_request > 0) {
      chunks =
          std::max(chunks, (batch + tuning_.images_per_request - 1) / tuning_.images_per_request);
    }
    return chunks;
  }

  static Status WaitRequest(ov_infer_request_t* request) {
    ov_status_e status = Ov().infer_request_wait(request);
    if (status == OK) return Status::OK();
    return Status::IOError("OpenVINO inference failed: ", LastOpenVinoError(status));
  }

  Status StartChunk(int64_t slot, int64_t count, float* in, float* out, bool synchronous,
                    ov_infer_request_t** in_flight, std::vector<TensorPtr>* tensors) {
    ARROW_ASSIGN_OR_RAISE(Compiled * compiled, CompiledFor(count));
    ov_infer_request_t* request = compiled->requests[slot].get();
    ARROW_ASSIGN_OR_RAISE(TensorPtr in_tensor, HostTensor(InputShape(spec_, count), in));
    ARROW_ASSIGN_OR_RAISE(TensorPtr out_tensor, HostTensor(OutputShape(spec_, count), out));
    IMGFEAT_OV_CALL(Ov().infer_request_set_tensor(request, input_name_.c_str(), in_tensor.get()),
                    "OpenVINO cannot set the input");
    IMGFEAT_OV_CALL(Ov().infer_request_set_tensor(request, output_name_.c_str(), out_tensor.get()),
                    "OpenVINO cannot set the output");
    tensors->clear();
    tensors->push_back(std::move(in_tensor));
    tensors->push_back(std::move(out_tensor));
    if (synchronous) {
      IMGFEAT_OV_CALL(Ov().infer_request_infer(request), "OpenVINO inference failed");
      return Status::OK();
    }
    IMGFEAT_OV_CALL(Ov().infer_request_start_async(request), "OpenVINO inference failed");
    *in_flight = request;
    return Status::OK();
  }

  // The compiled model for chunks of `count` images: static shapes run
  // faster than a dynamic batch, so each chunk size used gets its own
  // compilation (a run uses one or two: full batches and the last one).
  Result<Compiled*> CompiledFor(int64_t count) {
    const int64_t key = tuning_.dynamic_batch ? 0 : count;
    auto found = compiled_.find(key);
    if (found != compiled_.end()) return &found->second;
    if (!tuning_.dynamic_batch) {
      ARROW_RETURN_NOT_OK(
          Reshape(model_.get(), input_name_, Dims(InputShape(spec_, count), count)));
    }
    const std::string threads = std::to_string(options_.threads);
    const std::string streams = std::to_string(options_.streams);
    // Always named: on CPUs with bf16 or fp16 OpenVINO would otherwise pick
    // the lower precision, outside the parity bound of f32. An int8 model
    // computes in int8 where it was quantized and in f32 elsewhere.
    const char* hint = options_.precision == "int8" ? "f32" : options_.precision.c_str();
    std::vector<const char*> properties = {Ov().property_key_hint_inference_precision,
                                           hint,
                                           Ov().property_key_hint_performance_mode,
                                           options_.streams == 1 ? "LATENCY" : "THROUGHPUT",
                                           Ov().property_key_num_streams,
                                           streams.c_str()};
    if (options_.threads > 0) {
      properties.push_back(Ov().property_key_inference_num_threads);
      properties.push_back(threads.c_str());
    }
    if (tuning_.cpu_pinning) {
      properties.push_back(Ov().property_key_hint_enable_cpu_pinning);
      properties.push_back(tuning_.cpu_pinning);
    }
    if (!options_.cache_dir.empty()) {
      properties.push_back(Ov().property_key_cache_dir);
      properties.push_back(options_.cache_dir.c_str());
    }
    Compiled compiled;
    ARROW_ASSIGN_OR_RAISE(compiled.model,
                          CompileWithProperties(core_.get(), model_.get(), properties));
    for (int64_t i = 0; i < max_chunks_ * kMaxInFlight; ++i) {
      ov_infer_request_t* request = nullptr;
      IMGFEAT_OV_CALL(Ov().compiled_model_create_infer_request(compiled.model.get(), &request),
                      "OpenVINO cannot create an infer request");
      compiled.requests.emplace_back(request);
    }
    return &compiled_.emplace(key, std::move(compiled)).first->second;
  }

  // A lower precision only where the CPU computes it natively: OpenVINO
  // would otherwise emulate it, slower than f32 and less exact.
  Status CheckPrecision(const std::string& model_path) {
    const std::string& precision = options_.precision;
    if (precision == "f32") return Status::OK();
    if (std::find(std::begin(kPrecisions), std::end(kPrecisions), precision) ==
        std::end(kPrecisions)) {
      std::string known;
      for (const char* name : kPrecisions)
        known += (known.empty() ? "" : " or ") + std::string(name);
      return Status::Invalid("unknown precision '", precision, "' (", known, ")");
    }
    char* value = nullptr;
    IMGFEAT_OV_CALL(
        Ov().core_get_property(core_.get(), "CPU", Ov().property_key_device_capabilities, &value),
        "OpenVINO cannot tell the CPU's capabilities");
    const std::string capabilities = value ? value : "";
    Ov().free(value);
    const std::string capability = precision == "int8" ? "INT8" : "BF16";
    if (capabilities.find(capability) == std::string::npos) {
      return Status::Invalid("--precision ", precision, ": this CPU does not compute ", precision,
                             " natively (OpenVINO finds: ", capabilities, "); use f32");
    }
    // The quantization is in the model itself (imgfeat/quantize.h).
    if (precision == "int8" && !model_path.ends_with(".xml")) {
      return Status::Invalid(
          "--precision int8 runs a quantized model ('imgfeat models quantize'), "
          "not ",
          model_path);
    }
    return Status::OK();
  }

  Status CheckShapes(const std::string& model_path) {
    ov_model_t* model = model_.get();
    ARROW_ASSIGN_OR_RAISE(ConstPortPtr input, FindPort(model, true, spec_.input_name, model_path));
    ARROW_ASSIGN_OR_RAISE(input_name_, PortName(input.get()));
    ARROW_ASSIGN_OR_RAISE(std::vector<int64_t> input_dims, PortDims(input.get()));
    std::vector<int64_t> expected_input = InputShape(spec_, -1);
    if (!DimsFit(input_dims, expected_input)) {
      return Status::Invalid("model '", model_path, "' takes input ", ShapeText(input_dims),
                             ", the spec of '", spec_.name, "' says ", ShapeText(expected_input));
    }
    // With the spec's input size, the output must have the spec's size.
    ARROW_RETURN_NOT_OK(Reshape(model, input_name_, Dims(InputShape(spec_, 1), 1)));
    ARROW_ASSIGN_OR_RAISE(ConstPortPtr output,
                          FindPort(model, false, spec_.output_name, model_path));
    ARROW_ASSIGN_OR_RAISE(output_name_, PortName(output.get()));
    ARROW_ASSIGN_OR_RAISE(std::vector<int64_t> output_dims, PortDims(output.get()));
    std::vector<int64_t> expected_output = OutputShape(spec_, 1);
    if (output_dims != expected_output) {
      return Status::Invalid("model '", model_path, "' gives output ", ShapeText(output_dims),
                             " per image, the spec of '", spec_.name, "' says ",
                             ShapeText(expected_output));
    }
    return Status::OK();
  }

  static Result<TensorPtr> HostTensor(const std::vector<int64_t>& dims, float* data) {
    ShapeHolder shape;
    IMGFEAT_OV_CALL(Ov().shape_create(static_cast<int64_t>(dims.size()), dims.data(), &shape.shape),
                    "OpenVINO cannot make a shape");
    ov_tensor_t* tensor = nullptr;
    IMGFEAT_OV_CALL(Ov().tensor_create_from_host_ptr(F32, shape.shape, data, &tensor),
                    "OpenVINO cannot wrap a buffer");
    return TensorPtr(tensor);
  }

  ModelSpec spec_;
  EngineOptions options_;
  OpenVinoTuning tuning_;
  // Destroyed in reverse order: requests and compiled models before the core.
  CorePtr core_;
  ModelPtr model_;
  std::map<int64_t, Compiled> compiled_;
  std::string input_name_;
  std::string output_name_;
  int64_t max_chunks_ = 1;
  Pending pending_[kMaxInFlight];
  int64_t next_ticket_ = 0;
};

}  // namespace

Result<std::unique_ptr<InferenceEngine>> OpenOpenVinoEngine(const std::string& model_path,
                                                            const ModelSpec& spec,
                                                            const EngineOptions& options) {
  return OpenOpenVinoEngineTuned(model_path, spec, options, OpenVinoTuning{});
}

Result<std::unique_ptr<InferenceEngine>> OpenOpenVinoEngineTuned(const std::string& model_path,
                                                                 const ModelSpec& spec,
                                                                 const EngineOptions& options,
                                                                 const OpenVinoTuning& tuning) {
  ARROW_RETURN_NOT_OK(LoadOpenVino().status());
  auto engine = std::make_unique<OpenVinoEngine>(spec, options, tuning);
  ARROW_RETURN_NOT_OK(engine->Load(model_path));
  return std::unique_ptr<InferenceEngine>(std::move(engine));
}

}  // namespace imgfeat::engine
