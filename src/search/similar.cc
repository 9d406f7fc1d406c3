// imgfeat similar (see imgfeat/similar.h).
#include "imgfeat/similar.h"

#include <arrow/api.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "dataset/output_folder.h"
#include "dataset/output_layout.h"
#include "imgfeat/featurizer.h"
#include "imgfeat/neighbours.h"
#include "imgfeat/reduce.h"
#include "reduce/blas.h"
#include "search/block_search.h"
#include "search/feature_blocks.h"

namespace imgfeat {
namespace {

using Json = nlohmann::json;

// A file removed when it goes out of scope: the spec of a run's own model
// (not a registered one) handed to the Featurizer as a file.
class TempFile {
 public:
  static Result<TempFile> Write(const std::string& contents) {
    std::string name = "/tmp/imgfeat-spec-XXXXXX";
    const int fd = ::mkstemp(name.data());
    if (fd < 0) return Status::IOError("cannot create a temporary file");
    ::close(fd);
    TempFile file(name);
    std::ofstream(name) << contents;
    return file;
  }
  TempFile(TempFile&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempFile(const TempFile&) = delete;
  ~TempFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  explicit TempFile(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

Result<Json> ReadManifest(const dataset::OutputFolder& folder) {
  ARROW_RETURN_NOT_OK(search::RequireCompleteOutput(folder));
  ARROW_ASSIGN_OR_RAISE(std::string text, folder.Read(dataset::kManifestFile));
  Json manifest = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (manifest.is_discarded() || !manifest.contains("model") || !manifest.contains("parameters")) {
    return Status::Invalid("'", folder.DisplayPath(dataset::kManifestFile),
                           "' is not an imgfeat manifest");
  }
  return manifest;
}

// The run's featurizer: its registered model by name, or its own file and spec.
Result<std::unique_ptr<Featurizer>> RunFeaturizer(const Json& manifest,
                                                  const SimilarOptions& options) {
  const Json& model = manifest["model"];
  FeaturizerOptions f;
  f.threads = options.threads;
  f.model_dir = options.model_dir;
  ARROW_ASSIGN_OR_RAISE(f.pooling, ParsePooling(manifest["parameters"].value("pooling", "none")));
  f.embedding = options.column == "embedding";
  const std::string name = model.value("name", "");
  std::optional<TempFile> spec;
  if (FindRegisteredModel(name).ok()) {
    f.model = name;
  } else {
    f.model = model.value("file", "");
    ARROW_ASSIGN_OR_RAISE(TempFile written, TempFile::Write(model["spec"].dump()));
    spec.emplace(std::move(written));
    f.model_spec = spec->path();
  }
  ARROW_ASSIGN_OR_RAISE(auto featurizer, Featurizer::Make(f));
  const std::string want = model.value("sha256", "");
  if (!want.empty() && featurizer->model_sha256() != want) {
    return Status::Invalid("the model found for '", name, "' (", featurizer->model_path(),
                           ", SHA-256 ", featurizer->model_sha256(),
                           ") is not the one the run used (SHA-256 ", want, ")");
  }
  return featurizer;
}

}  // namespace

Result<SimilarResult> FindSimilar(const std::string& output, const std::vector<std::string>& images,
                                  const SimilarOptions& options) {
  if (options.k < 1 || options.k > 1000) {
    return Status::Invalid("-k must be between 1 and 1000, not ", options.k);
  }
  ARROW_RETURN_NOT_OK(ValidateFeatureColumn(options.column));
  const bool embedding = options.column == "embedding";
  ARROW_RETURN_NOT_OK(reduce::LoadBlas().status());
  ARROW_ASSIGN_OR_RAISE(auto folder, dataset::OutputFolder::Open(output));
  ARROW_ASSIGN_OR_RAISE(Json manifest, ReadManifest(*folder));
  // The rows first: an output without the column is refused before the model loads.
  ARROW_ASSIGN_OR_RAISE(auto reader, search::FeatureBlockReader::Open(
                                         *folder, NeighboursOptions().block_bytes, options.column));
  ARROW_ASSIGN_OR_RAISE(auto featurizer, RunFeaturizer(manifest, options));

  // The queries through the run's network.
  arrow::StringBuilder paths;
  ARROW_RETURN_NOT_OK(paths.AppendValues(images));
  ARROW_ASSIGN_OR_RAISE(auto path_array, paths.Finish());
  ARROW_ASSIGN_OR_RAISE(auto batch, featurizer->Featurize(*path_array));
  const auto& features = static_cast<const arrow::ListArray&>(
      *batch->GetColumnByName(embedding ? "embedding" : "features"));
  const auto& errors = static_cast<const arrow::StringArray&>(*batch->GetColumnByName("error"));
  const auto& values = static_cast<const arrow::FloatArray&>(*features.values());
  SimilarResult result;
  std::vector<int64_t> kept;
  for (int64_t i = 0; i < features.length(); ++i) {
    if (features.IsNull(i)) {
      result.errors.emplace_back(i, std::string(errors.GetView(i)));
    } else {
      kept.push_back(i);
    }
  }
  const int64_t in_dim = embedding ? featurizer->embedding_dim() : featurizer->feature_dim();
  std::vector<float> raw(kept.size() * in_dim);
  for (size_t q = 0; q < kept.size(); ++q) {
    const float* row = values.raw_values() + features.value_offset(kept[q]);
    std::copy(row, row + in_dim, raw.begin() + static_cast<int64_t>(q) * in_dim);
  }

  // ...and through its reducer, when it had one (the embedding is not reduced).
  std::vector<float> queries = std::move(raw);
  int64_t dim = in_dim;
  ARROW_ASSIGN_OR_RAISE(auto names, folder->List());
  if (!embedding && std::find(names.begin(), names.end(), dataset::kReducerFile) != names.end()) {
    ARROW_ASSIGN_OR_RAISE(auto reducer, LoadReducer(folder->DisplayPath(dataset::kReducerFile)));
    if (reducer->input_dim() != in_dim) {
      return Status::Invalid("the run's reducer takes ", reducer->input_dim(),
                             " features; its model gives ", in_dim);
    }
    dim = reducer->output_dim();
    std::vector<float> reduced(kept.size() * dim);
    reducer->Transform(queries.data(), static_cast<int64_t>(kept.size()), reduced.data());
    queries = std::move(reduced);
  }

  if (reader->rows() > 0 && reader->dim() != dim) {
    return Status::Invalid("the output's rows have ", reader->dim(), " floats in '", options.column,
                           "'; the run's model and reducer give ", dim);
  }
  search::ScaleToUnit(queries.data(), static_cast<int64_t>(kept.size()), dim);
  const int k = static_cast<int>(std::min<int64_t>(options.k, reader->rows()));
  ARROW_ASSIGN_OR_RAISE(
      auto nearest, search::NearestRows(queries.data(), static_cast<int64_t>(kept.size()), *reader,
                                        std::max(k, 1)));
  for (size_t q = 0; q < kept.size(); ++q) {
    for (size_t r = 0; r < nearest[q].size(); ++r) {
      const search::Candidate& c = nearest[q][r];
      result.rows.push_back({kept[q], static_cast<int>(r + 1), reader->paths()[c.row],
                             reader->labels()[c.row], c.cosine});
    }
  }
  return result;
}

}  // namespace imgfeat
