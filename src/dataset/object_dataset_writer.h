// The output dataset on an object store (S3): the same files as on disk,
// with the guarantees S3 allows (see imgfeat/dataset.h, docs/S3.md).
#pragma once

#include <memory>
#include <string>

#include "dataset/parquet_part.h"
#include "imgfeat/dataset.h"
#include "imgfeat/storage.h"

namespace imgfeat::dataset {

// Raw feature bytes per part on an object store: parts stay under the 10 MiB
// at which Arrow switches from one PUT to a multipart upload, so that a
// killed run can leave no unfinished upload behind.
inline constexpr int64_t kObjectPartRawBytes = int64_t{8} << 20;

Result<std::unique_ptr<DatasetWriter>> OpenObjectDatasetWriter(const StoragePath& dir,
                                                               int64_t feature_dim,
                                                               const std::string& params_document,
                                                               const PartFormat& format,
                                                               const DatasetOptions& options);

// Writes `contents` as one object (one PUT), which appears only when whole.
Status PutObject(arrow::fs::FileSystem& fs, const std::string& path, std::string_view contents);

}  // namespace imgfeat::dataset
