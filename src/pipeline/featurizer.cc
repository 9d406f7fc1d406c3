// Featurizer::Featurize: the array's inputs through the decode-infer loop
// (pipeline/decode_infer_loop.h), the engine writing straight into the
// output's feature buffer (no copy of the features).
#include "imgfeat/featurizer.h"

#include <algorithm>
#include <limits>
#include <thread>

#include "imgfeat/engine.h"
#include "imgfeat/path_text.h"
#include "pipeline/decode_infer_loop.h"
#include "pipeline/job_setup.h"

namespace imgfeat {
namespace {

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

// The loop's input for one row: a file, bytes, or a null refused as is.
LoopInput LoopInputOf(const InputView& view) {
  LoopInput input;
  if (view.is_null) {
    input.refused = Status::Invalid("no image (null)");
  } else if (view.is_path) {
    // A path or its text form, as the output's path column holds it.
    auto path = PathFromText(view.value);
    if (path.ok()) {
      input.file.path = std::move(*path);
    } else {
      input.refused = path.status();
    }
  } else {
    input.in_memory = true;
    input.bytes = {reinterpret_cast<const uint8_t*>(view.value.data()), view.value.size()};
  }
  return input;
}

// A row's one-line error: "PATH: reason" for a file, "#ROW: reason" otherwise.
std::string RowError(const LoopInput& input, const Status& error) {
  if (!input.in_memory && input.refused.ok()) {
    std::string text = PathText(input.file.path);
    text += ": ";
    text += error.message();
    return Utf8Text(text);
  }
  std::string text = "#";
  text += std::to_string(input.seq);
  text += ": ";
  text += error.message();
  return Utf8Text(text);
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
  EmbeddingShape embedding;  // dim() 0: no embedding
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
  run.precision = options.precision;
  ARROW_ASSIGN_OR_RAISE(impl->model, ResolveModel(run));
  EngineOptions engine_options;
  engine_options.threads = impl->threads;
  engine_options.max_batch = impl->batch;
  engine_options.cache_dir = options.model_cache_dir;
  engine_options.precision = options.precision;
  ARROW_ASSIGN_OR_RAISE(impl->engine, OpenEngine(options.engine, impl->model.engine_path(),
                                                 impl->model.spec, engine_options));
  const ModelSpec& spec = impl->model.spec;
  impl->geometry.width = spec.input_width;
  impl->geometry.height = spec.input_height;
  impl->geometry.preprocess = spec.preprocess;
  impl->geometry.max_pixels = options.max_pixels;
  impl->feature_dim = PooledFeatureLength(spec, options.pooling);
  ARROW_ASSIGN_OR_RAISE(impl->embedding,
                        EmbeddingShapeOf(spec, options.pooling, options.embedding));
  return std::unique_ptr<Featurizer>(new Featurizer(std::move(impl)));
}

const ModelSpec& Featurizer::spec() const { return impl_->model.spec; }
int64_t Featurizer::feature_dim() const { return impl_->feature_dim; }
int64_t Featurizer::embedding_dim() const { return impl_->embedding.dim(); }
int Featurizer::threads() const { return impl_->threads; }
int Featurizer::batch() const { return impl_->batch; }
std::string Featurizer::model_path() const { return impl_->model.path; }
std::string Featurizer::model_sha256() const { return impl_->model.sha256; }

std::shared_ptr<arrow::Schema> Featurizer::OutputSchema(bool embedding) {
  const auto list = arrow::list(arrow::field("element", arrow::float32(), false));
  if (embedding) {
    return arrow::schema({arrow::field("features", list), arrow::field("embedding", list),
                          arrow::field("error", arrow::utf8())});
  }
  return arrow::schema({arrow::field("features", list), arrow::field("error", arrow::utf8())});
}

Result<std::shared_ptr<arrow::RecordBatch>> Featurizer::Featurize(const arrow::Array& images,
                                                                  const FeaturizeControl& control,
                                                                  const Reducer* reducer) {
  ARROW_ASSIGN_OR_RAISE(InputArray inputs, InputArray::Of(images));
  const int64_t n = images.length();
  const int64_t model_dim = impl_->feature_dim;
  if (reducer != nullptr && reducer->input_dim() != model_dim) {
    return Status::Invalid("the reducer takes ", reducer->input_dim(),
                           " features, the model gives ", model_dim);
  }
  // Floats per output row: the model's, or the reducer's.
  const int64_t dim = reducer != nullptr ? reducer->output_dim() : model_dim;
  if (n * dim > std::numeric_limits<int32_t>::max()) {
    return Status::Invalid("at most ", std::numeric_limits<int32_t>::max() / dim,
                           " images of this model per call (list offsets are 32-bit)");
  }
  // Output: the features of the images that worked, packed in input order.
  ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::ResizableBuffer> values,
                        arrow::AllocateResizableBuffer(n * dim * sizeof(float)));
  float* out = reinterpret_cast<float*>(values->mutable_data());
  int64_t packed = 0;
  // With a reducer, the embedding is averaged from the unreduced rows batch by
  // batch, into a buffer of its own; without, from the output at the end.
  const int64_t c = impl_->embedding.dim();
  std::shared_ptr<arrow::Buffer> pooled;
  if (c > 0) {
    ARROW_ASSIGN_OR_RAISE(pooled, arrow::AllocateBuffer(n * c * sizeof(float)));
  }
  // The failed rows with their messages, in input order.
  std::vector<std::pair<int64_t, std::string>> failures;

  LoopConfig config;
  config.geometry = impl_->geometry;
  config.decode_threads = impl_->threads;
  config.batch = impl_->batch;
  config.pooling = impl_->options.pooling;
  config.input_count = n;
  config.cancel = control.cancel;
  int64_t next_row = 0;
  LoopCallbacks callbacks;
  callbacks.next_input = [&]() -> std::optional<LoopInput> {
    if (next_row >= n) return std::nullopt;
    return LoopInputOf(inputs.At(next_row++));
  };
  int64_t reserved = 0;  // rows handed to batches started, ahead of `packed`
  if (reducer == nullptr) {
    // The engine writes straight into the output.
    callbacks.features_out = [&](int64_t rows) {
      float* next = out + reserved * dim;
      reserved += rows;
      return next;
    };
  }
  callbacks.on_batch = [&](std::vector<LoopInput>& batch, const float* features, int64_t) {
    const auto rows = static_cast<int64_t>(batch.size());
    if (reducer != nullptr) {
      if (c > 0) {
        impl_->embedding.Pool(features, rows,
                              reinterpret_cast<float*>(pooled->mutable_data()) + packed * c);
      }
      reducer->Transform(features, rows, out + packed * dim);
    }
    packed += rows;
    return Status::OK();
  };
  callbacks.on_error = [&](const LoopInput& input, const std::string&, const Status& error) {
    failures.emplace_back(input.seq, RowError(input, error));
    return Status::OK();
  };
  callbacks.on_progress = [&](int64_t rows_done) {
    if (control.done) control.done->store(rows_done);
  };
  LoopStats stats;
  ARROW_RETURN_NOT_OK(RunDecodeInferLoop(impl_->engine.get(), config, callbacks, &stats));
  const int64_t rows_done = stats.featurized + stats.failed;
  if (control.done) control.done->store(rows_done);
  if (rows_done != n) return Status::UnknownError("featurize stopped after ", rows_done, " of ", n);

  std::vector<int32_t> offsets(n + 1, 0);
  arrow::TypedBufferBuilder<bool> valid;
  arrow::StringBuilder errors;
  ARROW_RETURN_NOT_OK(valid.Reserve(n));
  ARROW_RETURN_NOT_OK(errors.Reserve(n));
  auto failure = failures.begin();
  for (int64_t row = 0; row < n; ++row) {
    const bool ok = failure == failures.end() || failure->first != row;
    valid.UnsafeAppend(ok);
    if (ok) {
      errors.UnsafeAppendNull();
    } else {
      ARROW_RETURN_NOT_OK(errors.Append((failure++)->second));
    }
    offsets[row + 1] = offsets[row] + (ok ? static_cast<int32_t>(dim) : 0);
  }
  const int64_t null_count = static_cast<int64_t>(failures.size());

  ARROW_RETURN_NOT_OK(values->Resize(packed * dim * sizeof(float), /*shrink_to_fit=*/false));
  auto value_array = std::make_shared<arrow::FloatArray>(packed * dim, values);
  std::shared_ptr<arrow::Buffer> validity;
  ARROW_RETURN_NOT_OK(valid.Finish(&validity));
  const auto schema = OutputSchema(c > 0);
  auto features = std::make_shared<arrow::ListArray>(schema->field(0)->type(), n,
                                                     arrow::Buffer::FromVector(offsets),
                                                     value_array, validity, null_count);
  ARROW_ASSIGN_OR_RAISE(auto error_array, errors.Finish());
  if (c == 0) return arrow::RecordBatch::Make(schema, n, {features, error_array});
  // The rows that worked, averaged over their positions as --embedding does.
  if (reducer == nullptr) {
    impl_->embedding.Pool(out, packed, reinterpret_cast<float*>(pooled->mutable_data()));
  }
  for (int64_t row = 0; row < n; ++row) offsets[row + 1] = (offsets[row + 1] / dim) * c;
  auto embedding = std::make_shared<arrow::ListArray>(
      schema->field(1)->type(), n, arrow::Buffer::FromVector(std::move(offsets)),
      std::make_shared<arrow::FloatArray>(packed * c, pooled), validity, null_count);
  return arrow::RecordBatch::Make(schema, n, {features, embedding, error_array});
}

FeaturizerOptions FeaturizerOptionsOf(const RunOptions& run) {
  FeaturizerOptions options;
  options.model = run.model;
  options.model_spec = run.model_spec;
  options.model_dir = run.model_dir;
  options.engine = run.engine;
  options.precision = run.precision;
  options.pooling = run.pooling;
  options.embedding = run.embedding;
  options.threads = run.threads;
  options.batch = run.batch;
  options.max_pixels = run.max_pixels;
  return options;
}

}  // namespace imgfeat
