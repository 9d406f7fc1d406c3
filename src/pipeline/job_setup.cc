#include "pipeline/job_setup.h"

#include <sys/stat.h>

#include <filesystem>

#include "imgfeat/listing.h"
#include "imgfeat/shards.h"
#include "imgfeat/storage.h"
#include "io/path_util.h"
#include "model/model_dirs.h"

namespace imgfeat {
namespace {

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Model files on S3 are copied to the model cache once: the engine reads files.
Result<std::string> LocalFile(const std::string& path) {
  if (!IsS3Uri(path)) return path;
  std::string cache = model::ModelCacheDir();
  if (cache.empty()) cache = "/tmp/imgfeat-models";
  auto local = CopyToLocal(path, JoinPath(cache, "s3"));
  if (!local.ok()) return Status::IOError("model ", path, ": ", local.status().message());
  return local;
}

}  // namespace

Result<ResolvedModel> ResolveModel(const RunOptions& options) {
  ResolvedModel model;
  const bool is_path =
      options.model.ends_with(".onnx") || options.model.find('/') != std::string::npos;
  if (!options.model_spec.empty()) {
    ARROW_ASSIGN_OR_RAISE(std::string spec_file, LocalFile(options.model_spec));
    ARROW_ASSIGN_OR_RAISE(model.spec, ReadModelSpecFile(spec_file));
  } else if (is_path) {
    return Status::Invalid("--model ", options.model,
                           " is a file: give its --model-spec (see docs/FORMAT.md)");
  } else {
    ARROW_ASSIGN_OR_RAISE(model.spec, FindRegisteredModel(options.model));
  }
  if (is_path) {
    ARROW_ASSIGN_OR_RAISE(model.path, LocalFile(options.model));
    if (!FileExists(model.path)) {
      return Status::IOError("model file ", options.model, " does not exist");
    }
  } else {
    ModelSearch search;
    search.model_dir = options.model_dir;
    if (IsS3Uri(options.model_dir)) {
      ARROW_ASSIGN_OR_RAISE(std::string local,
                            LocalFile(JoinUri(options.model_dir, model.spec.file_name)));
      search.model_dir = std::filesystem::path(local).parent_path().string();
    }
    ARROW_ASSIGN_OR_RAISE(model.path, ResolveModelFile(model.spec, search));
  }
  ARROW_ASSIGN_OR_RAISE(model.sha256, Sha256File(model.path));
  if (!model.spec.sha256.empty() && model.spec.sha256 != model.sha256) {
    return Status::Invalid("model file ", model.path, " is corrupt: sha256 ", model.sha256,
                           ", expected ", model.spec.sha256);
  }
  if (options.precision == "int8") {
    if (IsS3Uri(options.model_dir)) {
      return Status::Invalid(
          "--precision int8 finds its quantized model in a local --model-dir, "
          "$IMGFEAT_MODEL_DIR or the cache, not in ",
          options.model_dir);
    }
    ARROW_ASSIGN_OR_RAISE(model.quantized, FindQuantizedModel(model.spec.name, model.sha256,
                                                              {.model_dir = options.model_dir}));
  }
  return model;
}

bool NeedsImageCount(const RunOptions& options) {
  // Listing a local folder costs little and gives the progress bar its total.
  // On S3 it costs a request per 1,000 objects and the time to make them, so
  // it is made only when the number of images decides the output.
  if (!IsS3Uri(options.input)) return true;
  if (!options.reducer_from.empty()) return false;
  return options.reduce == ReduceKind::kPca ||
         (options.reduce == ReduceKind::kSrp && options.components <= 0);
}

Result<int64_t> CountImages(const RunOptions& options) {
  ARROW_ASSIGN_OR_RAISE(auto lister, ImageLister::Open(options.input, options.list));
  const int64_t stop_after = NeedsImageCount(options) ? -1 : 1;
  int64_t n = 0;
  while (stop_after < 0 || n < stop_after) {
    ARROW_ASSIGN_OR_RAISE(auto next, lister->Next());
    if (!next) break;
    const InputFormat format = ShardFormatOf(*next, options.list.format);
    if (format == InputFormat::kFiles || stop_after > 0) {
      ++n;
      continue;
    }
    ARROW_ASSIGN_OR_RAISE(int64_t samples, CountShardSamples(*next, format, options.shards));
    n += samples;
  }
  if (n == 0) {
    return Status::Invalid("input ", options.input, " holds no image",
                           options.list.glob.empty()
                               ? std::string(" (.jpg .jpeg .png .webp .bmp .tif .tiff .gif, "
                                             "or shards: .tar .parquet)")
                               : " matching --glob " + options.list.glob);
  }
  return n;
}

Result<int64_t> ResolveComponents(const RunOptions& options, int64_t feature_dim,
                                  int64_t n_images) {
  int64_t k = options.components;
  if (options.reduce == ReduceKind::kNone) return feature_dim;
  if (options.reduce == ReduceKind::kPca) {
    if (k <= 0) return Status::Invalid("--reduce pca needs --components K");
    if (k > feature_dim || k > n_images) {
      return Status::Invalid("--components ", k, " is more than PCA can give for ", n_images,
                             " images of ", feature_dim, " features");
    }
    return k;
  }
  if (k <= 0) {
    if (n_images < 2) {
      // The bound of one image is 0 components: say what to do instead.
      return Status::Invalid("--components auto needs at least 2 images (the Johnson-",
                             "Lindenstrauss bound of ", n_images,
                             " is 0): give --components N or --reduce none");
    }
    ARROW_ASSIGN_OR_RAISE(k, JohnsonLindenstraussMinDim(n_images, options.eps));
    if (k > feature_dim) {
      return Status::Invalid("--components auto: eps=", options.eps, " and ", n_images,
                             " images give ", k, " components, more than the ", feature_dim,
                             " features; give --components N or a larger --eps");
    }
  }
  return k;
}

Result<std::unique_ptr<Reducer>> MakeReducer(const RunOptions& options, int64_t feature_dim,
                                             int64_t n_images, const std::string& saved_path) {
  std::string from = options.reducer_from;
  bool saved_exists = false;
  if (from.empty() && options.resume && options.reduce == ReduceKind::kPca) {
    ARROW_ASSIGN_OR_RAISE(saved_exists, StorageFileExists(saved_path));
  }
  if (saved_exists) {
    from = saved_path;  // the fit finished before the interruption: reuse it
  }
  if (!from.empty()) {
    ARROW_ASSIGN_OR_RAISE(auto reducer, LoadReducer(from));
    if (reducer->input_dim() != feature_dim) {
      return Status::Invalid("reducer ", from, " takes ", reducer->input_dim(),
                             " features but this model and pooling give ", feature_dim);
    }
    return reducer;
  }
  switch (options.reduce) {
    case ReduceKind::kNone:
      return MakeIdentityReducer(feature_dim);
    case ReduceKind::kPca:
      return std::unique_ptr<Reducer>();
    case ReduceKind::kSrp: {
      SrpOptions srp;
      ARROW_ASSIGN_OR_RAISE(srp.n_components, ResolveComponents(options, feature_dim, n_images));
      srp.n_features = feature_dim;
      srp.density = options.density;
      srp.seed = options.seed;
      return MakeSparseRandomProjection(srp);
    }
  }
  return Status::Invalid("unknown reducer");
}

}  // namespace imgfeat
