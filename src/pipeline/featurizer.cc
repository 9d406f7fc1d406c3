// Featurizer::Featurize: decode threads fill buffers out of order, the calling
// thread takes them back in input order, batches them and runs the engine
// straight into the output's feature buffer (no copy of the features).
#include "imgfeat/featurizer.h"

#include <algorithm>
#include <limits>
#include <map>
#include <mutex>
#include <thread>

#include "imgfeat/engine.h"
#include "pipeline/bounded_queue.h"
#include "pipeline/feature_stream.h"
#include "pipeline/image_preparer.h"
#include "pipeline/job_setup.h"
#include "pipeline/thread_group.h"

namespace imgfeat {
namespace {

struct Prepared {
  int64_t index;
  float* buffer;
  Status status;
};

// One input of the array: a path, bytes, or nothing (null).
struct InputView {
  bool is_null = true;
  bool is_path = false;
  std::string_view value;
};

class InputArray {
 public:
  static Result<InputArray> Of(const arrow::Array& array) {
    switch (array.type_id()) {
      case arrow::Type::STRING:
      case arrow::Type::LARGE_STRING:
      case arrow::Type::BINARY:
      case arrow::Type::LARGE_BINARY:
        return InputArray(array);
      default:
        return Status::TypeError("images must be paths (string) or encoded images (binary), not ",
                                 array.type()->ToString());
    }
  }
  InputView At(int64_t i) const {
    InputView view;
    if (array_->IsNull(i)) return view;
    view.is_null = false;
    switch (array_->type_id()) {
      case arrow::Type::STRING:
        view.is_path = true;
        [[fallthrough]];
      case arrow::Type::BINARY:
        view.value = static_cast<const arrow::BinaryArray&>(*array_).GetView(i);
        break;
      case arrow::Type::LARGE_STRING:
        view.is_path = true;
        [[fallthrough]];
      default:
        view.value = static_cast<const arrow::LargeBinaryArray&>(*array_).GetView(i);
    }
    return view;
  }

 private:
  explicit InputArray(const arrow::Array& array) : array_(&array) {}
  const arrow::Array* array_;
};

Status PrepareOne(const InputView& input, int64_t index, ImagePreparer* preparer, float* out) {
  if (input.is_null) return Status::Invalid("#", index, ": no image (null)");
  if (input.is_path) {
    std::string stage;
    Status st = preparer->Prepare(ImageFile{std::string(input.value), 0, 0}, out, &stage);
    if (!st.ok()) return st.WithMessage(input.value, ": ", st.message());
    return st;
  }
  Status st = preparer->PrepareBytes(
      {reinterpret_cast<const uint8_t*>(input.value.data()), input.value.size()}, out);
  if (!st.ok()) return st.WithMessage("#", index, ": ", st.message());
  return st;
}

}  // namespace

struct Featurizer::Impl {
  FeaturizerOptions options;
  ResolvedModel model;
  std::unique_ptr<InferenceEngine> engine;
  InputGeometry geometry;
  int threads = 1;
  int batch = 1;
  int64_t feature_dim = 0;
};

Featurizer::Featurizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Featurizer::~Featurizer() = default;

Result<std::unique_ptr<Featurizer>> Featurizer::Make(const FeaturizerOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->threads = options.threads > 0
                      ? options.threads
                      : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  impl->batch = options.batch > 0 ? options.batch : kDefaultBatch;
  RunOptions run;
  run.model = options.model;
  run.model_spec = options.model_spec;
  run.model_dir = options.model_dir;
  ARROW_ASSIGN_OR_RAISE(impl->model, ResolveModel(run));
  EngineOptions engine_options;
  engine_options.threads = impl->threads;
  engine_options.max_batch = impl->batch;
  engine_options.cache_dir = options.model_cache_dir;
  ARROW_ASSIGN_OR_RAISE(
      impl->engine, OpenEngine(options.engine, impl->model.path, impl->model.spec, engine_options));
  const ModelSpec& spec = impl->model.spec;
  impl->geometry.width = spec.input_width;
  impl->geometry.height = spec.input_height;
  impl->geometry.preprocess = spec.preprocess;
  impl->geometry.max_pixels = options.max_pixels;
  impl->feature_dim = PooledFeatureLength(spec, options.pooling);
  return std::unique_ptr<Featurizer>(new Featurizer(std::move(impl)));
}

const ModelSpec& Featurizer::spec() const { return impl_->model.spec; }
int64_t Featurizer::feature_dim() const { return impl_->feature_dim; }
int Featurizer::threads() const { return impl_->threads; }
int Featurizer::batch() const { return impl_->batch; }
std::string Featurizer::model_path() const { return impl_->model.path; }
std::string Featurizer::model_sha256() const { return impl_->model.sha256; }

std::shared_ptr<arrow::Schema> Featurizer::OutputSchema() {
  return arrow::schema(
      {arrow::field("features", arrow::list(arrow::field("element", arrow::float32(), false))),
       arrow::field("error", arrow::utf8())});
}

Result<std::shared_ptr<arrow::RecordBatch>> Featurizer::Featurize(const arrow::Array& images,
                                                                  const FeaturizeControl& control) {
  ARROW_ASSIGN_OR_RAISE(InputArray inputs, InputArray::Of(images));
  const int64_t n = images.length();
  const int64_t dim = impl_->feature_dim;
  if (n * dim > std::numeric_limits<int32_t>::max()) {
    return Status::Invalid("at most ", std::numeric_limits<int32_t>::max() / dim,
                           " images of this model per call (list offsets are 32-bit)");
  }
  const size_t image_floats = impl_->geometry.floats();
  const int batch = impl_->batch;
  const int threads = static_cast<int>(std::min<int64_t>(impl_->threads, std::max<int64_t>(n, 1)));
  // A full batch being assembled plus every thread busy, twice over, so that
  // decoding does not wait on inference (as in a run).
  const size_t in_flight = std::min<size_t>(static_cast<size_t>(batch + threads) * 2,
                                            static_cast<size_t>(std::max<int64_t>(n, 1)));

  std::vector<float> arena(in_flight * image_floats);
  BoundedQueue<float*> free_buffers(in_flight);
  for (size_t i = 0; i < in_flight; ++i) free_buffers.Push(arena.data() + i * image_floats);
  BoundedQueue<Prepared> prepared(in_flight);
  std::mutex take_mutex;
  int64_t next_index = 0;
  std::atomic<int> workers_left{threads};
  ThreadGroup workers([&] {
    free_buffers.Close();
    prepared.Close();
  });
  for (int t = 0; t < threads; ++t) {
    workers.Spawn([&] {
      ImagePreparer preparer(impl_->geometry);
      while (true) {
        // A buffer, then the next index, under one lock: indices are handed
        // out in the order buffers are, so the oldest unfinished input always
        // holds a buffer and taking them back in order cannot starve.
        int64_t index;
        std::optional<float*> buffer;
        {
          std::lock_guard<std::mutex> lock(take_mutex);
          if (next_index >= n) break;
          buffer = free_buffers.Pop();
          if (!buffer) break;
          index = next_index++;
        }
        Status st = PrepareOne(inputs.At(index), index, &preparer, *buffer);
        if (!prepared.Push(Prepared{index, *buffer, std::move(st)})) break;
      }
      if (--workers_left == 0) prepared.Close();
    });
  }

  // Output: the features of the images that worked, packed in input order.
  ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::ResizableBuffer> values,
                        arrow::AllocateResizableBuffer(n * dim * sizeof(float)));
  float* out = reinterpret_cast<float*>(values->mutable_data());
  std::vector<int32_t> offsets(n + 1, 0);
  arrow::TypedBufferBuilder<bool> valid;
  arrow::StringBuilder errors;
  ARROW_RETURN_NOT_OK(valid.Reserve(n));
  ARROW_RETURN_NOT_OK(errors.Reserve(n));
  int64_t null_count = 0, rows_done = 0, packed = 0;

  const ModelSpec& spec = impl_->model.spec;
  const int64_t raw_len = spec.feature_length();
  const bool pool = impl_->options.pooling == Pooling::kAvg;
  std::vector<float> input(static_cast<size_t>(batch) * image_floats);
  std::vector<float> raw(pool ? static_cast<size_t>(batch) * raw_len : 0);
  std::vector<float*> batch_buffers;
  auto run_batch = [&]() -> Status {
    const int64_t rows = static_cast<int64_t>(batch_buffers.size());
    if (rows == 0) return Status::OK();
    if (control.cancel && control.cancel->load()) return Status::Cancelled("interrupted");
    for (int64_t i = 0; i < rows; ++i) {
      std::copy_n(batch_buffers[i], image_floats, input.data() + i * image_floats);
      free_buffers.Push(batch_buffers[i]);
    }
    batch_buffers.clear();
    float* dest = out + packed * dim;
    ARROW_RETURN_NOT_OK(impl_->engine->Run(input.data(), rows, pool ? raw.data() : dest));
    if (pool) {
      const auto& hwc = spec.output_hwc;
      for (int64_t i = 0; i < rows; ++i) {
        AveragePoolHwc(raw.data() + i * raw_len, hwc[0], hwc[1], hwc[2], dest + i * dim);
      }
    }
    packed += rows;
    return Status::OK();
  };
  auto finish_row = [&](const Status& st) -> Status {
    valid.UnsafeAppend(st.ok());
    if (st.ok()) {
      errors.UnsafeAppendNull();
    } else {
      ++null_count;
      ARROW_RETURN_NOT_OK(errors.Append(st.message()));
    }
    const int64_t row = rows_done++;
    offsets[row + 1] = offsets[row] + (st.ok() ? static_cast<int32_t>(dim) : 0);
    return Status::OK();
  };

  std::map<int64_t, Prepared> waiting;
  int64_t next = 0;
  while (std::optional<Prepared> item = prepared.Pop()) {
    const int64_t index = item->index;
    waiting.emplace(index, std::move(*item));
    for (auto it = waiting.find(next); it != waiting.end(); it = waiting.find(next)) {
      Prepared ready = std::move(it->second);
      waiting.erase(it);
      ++next;
      if (ready.status.ok()) {
        batch_buffers.push_back(ready.buffer);
      } else {
        free_buffers.Push(ready.buffer);
      }
      ARROW_RETURN_NOT_OK(finish_row(ready.status));
      if (static_cast<int>(batch_buffers.size()) == batch) {
        ARROW_RETURN_NOT_OK(run_batch());
        if (control.done) control.done->store(rows_done);
      }
    }
  }
  ARROW_RETURN_NOT_OK(run_batch());
  if (control.done) control.done->store(rows_done);
  if (rows_done != n) return Status::UnknownError("featurize stopped after ", rows_done, " of ", n);

  ARROW_RETURN_NOT_OK(values->Resize(packed * dim * sizeof(float), /*shrink_to_fit=*/false));
  auto value_array = std::make_shared<arrow::FloatArray>(packed * dim, values);
  std::shared_ptr<arrow::Buffer> validity;
  ARROW_RETURN_NOT_OK(valid.Finish(&validity));
  auto offset_buffer = arrow::Buffer::FromVector(std::move(offsets));
  auto features = std::make_shared<arrow::ListArray>(
      OutputSchema()->field(0)->type(), n, offset_buffer, value_array, validity, null_count);
  ARROW_ASSIGN_OR_RAISE(auto error_array, errors.Finish());
  return arrow::RecordBatch::Make(OutputSchema(), n, {features, error_array});
}

}  // namespace imgfeat
