// The decisions a run makes before it touches the output: which model file
// and spec, how many images, which reducer. Each fails with one clear message.
#pragma once

#include <memory>
#include <string>

#include "imgfeat/model.h"
#include "imgfeat/pipeline.h"
#include "imgfeat/quantize.h"
#include "imgfeat/reduce.h"

namespace imgfeat {

struct ResolvedModel {
  ModelSpec spec;
  std::string path;  // the f32 model's file
  std::string sha256;
  QuantizedModel quantized;  // --precision int8's model; empty otherwise
  // The file the engine loads.
  const std::string& engine_path() const { return quantized.xml.empty() ? path : quantized.xml; }
};

Result<ResolvedModel> ResolveModel(const RunOptions& options);

// Counts the images the listing yields (a cheap walk that reads no pixels).
// Fails when INPUT does not exist or holds no image.
// Whether the run needs the number of images before it starts (SRP's
// automatic components, PCA's bound); without, an S3 input is listed once.
bool NeedsImageCount(const RunOptions& options);
// The number of images under INPUT; 1 when !NeedsImageCount and there is at
// least one. Fails when there is none.
Result<int64_t> CountImages(const RunOptions& options);

// The reducer a run applies: loaded from --reducer-from (or, on resume, from
// the output's saved one), or made from the options. PCA is fitted later and
// returns nullptr here.
Result<std::unique_ptr<Reducer>> MakeReducer(const RunOptions& options, int64_t feature_dim,
                                             int64_t n_images, const std::string& saved_path);

// The number of components a run will produce (auto resolved).
Result<int64_t> ResolveComponents(const RunOptions& options, int64_t feature_dim, int64_t n_images);

}  // namespace imgfeat
