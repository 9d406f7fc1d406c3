// Opens the crash-safe Parquet output (see imgfeat/dataset.h, docs/FORMAT.md)
// on any storage: the writer (parted_dataset_writer.h) and its folder
// (output_folder.h) are the same for disk and S3.
//
// Invariant: every name directly under OUTPUT is complete, _SUCCESS comes
// last, and a crash leaves whole parts plus work files that a resume
// discards.
#include <algorithm>

#include "dataset/output_folder.h"
#include "dataset/parquet_part.h"
#include "dataset/parted_dataset_writer.h"
#include "dataset/run_params.h"
#include "imgfeat/dataset.h"

namespace imgfeat {

using namespace dataset;  // NOLINT: this file implements the dataset stage

Result<std::unique_ptr<DatasetWriter>> DatasetWriter::Open(const std::string& dir,
                                                           int64_t feature_dim,
                                                           const std::string& run_params_json,
                                                           const DatasetOptions& options) {
  if (options.overwrite && options.resume) {
    return Status::Invalid("overwrite and resume cannot be combined");
  }
  ARROW_ASSIGN_OR_RAISE(std::string params_document,
                        MakeRunParamsDocument(run_params_json, feature_dim));
  if (options.embedding_dim < 0) return Status::Invalid("embedding length must not be negative");
  ARROW_ASSIGN_OR_RAISE(auto folder, OutputFolder::Open(dir));
  // Parts and row groups are sized by the floats of a whole row.
  const int64_t row_floats = feature_dim + options.embedding_dim;
  DatasetOptions part_options = options;
  if (folder->is_s3() && part_options.rows_per_part == 0 && feature_dim > 0) {
    part_options.rows_per_part = ObjectStoreRowsPerPart(row_floats);
  }
  ARROW_ASSIGN_OR_RAISE(PartFormat format, MakePartFormat(part_options, row_floats));
  ARROW_ASSIGN_OR_RAISE(std::vector<std::string> entries, folder->List());
  const char* what = folder->is_s3() ? "prefix" : "folder";
  ARROW_ASSIGN_OR_RAISE(auto row_group,
                        FeatureRowGroup::Make(feature_dim, format.rows_per_row_group,
                                              options.kept_columns, options.embedding_dim));
  auto writer = std::make_unique<PartedDatasetWriter>(std::move(folder), feature_dim, format,
                                                      std::move(row_group));
  if (entries.empty()) {
    ARROW_RETURN_NOT_OK(writer->OpenFresh(params_document));
  } else if (options.resume) {
    ARROW_RETURN_NOT_OK(writer->OpenResumed(entries, params_document));
  } else if (options.overwrite) {
    ARROW_RETURN_NOT_OK(writer->RemoveOldOutput(entries));
    ARROW_RETURN_NOT_OK(writer->OpenFresh(params_document));
  } else {
    return Status::Invalid("OUTPUT '", dir, "' already exists and is not empty: choose another ",
                           what, ", or --overwrite it, or --resume the interrupted run in it");
  }
  return writer;
}

}  // namespace imgfeat
