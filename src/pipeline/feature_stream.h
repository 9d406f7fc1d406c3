// A run's images to features: the listing fed through the decode-infer loop
// (pipeline/decode_infer_loop.h), shards opened into their samples, the paths
// of an interrupted run left out, labels given, and the entries the listing
// could not follow reported.
//
// Images come out in listing order, in batches, whatever order the decode
// threads finish in; at most InFlightImages() are held at once, so memory
// does not depend on the number of images.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_set>
#include <vector>

#include "imgfeat/dataset.h"
#include "imgfeat/engine.h"
#include "imgfeat/listing.h"
#include "imgfeat/pipeline.h"
#include "imgfeat/shards.h"
#include "io/object_fetcher.h"
#include "pipeline/decode_infer_loop.h"
#include "pipeline/image_preparer.h"

namespace imgfeat {

struct StreamConfig {
  InputGeometry geometry;
  int decode_threads = 1;
  int batch = 8;
  Pooling pooling = Pooling::kNone;
  const Labeler* labeler = nullptr;
  // Which listed files are shards, and how shards are read.
  InputFormat format = InputFormat::kAuto;
  ShardOptions shards;
  // Paths to leave out (already in the output of an interrupted run).
  const std::unordered_set<std::string>* skip = nullptr;
  // Reads the images ahead of the decoders (object stores); null: each decode
  // thread reads its file from disk.
  ObjectFetcher* fetcher = nullptr;
  // Checked before each batch: true stops the stream with Status::Cancelled.
  const std::atomic<bool>* cancel = nullptr;
};

struct StreamCallbacks {
  // Features of `records.size()` images, row-major, `dim` floats each.
  std::function<Status(const std::vector<FeatureRecord>& records, const float* features,
                       int64_t dim)>
      on_batch;
  std::function<Status(const ImageFile& file, const std::string& stage, const Status& error)>
      on_error;
  std::function<void(int64_t images_done)> on_progress;
};

struct StreamStats {
  int64_t listed = 0;
  int64_t skipped = 0;
  int64_t featurized = 0;
  int64_t failed = 0;
  double inference_seconds = 0;
  double wall_seconds = 0;
};

Status StreamFeatures(ImageLister* lister, InferenceEngine* engine, const StreamConfig& config,
                      const StreamCallbacks& callbacks, StreamStats* stats);

}  // namespace imgfeat
