// An output's rows read block by block, for comparisons of every row with
// every other: all paths and labels at once (they name the neighbours), the features a
// block of rows at a time, each row scaled to unit length so that a dot
// product is a cosine. A pass reads the parts in order, one row group at a
// time; Rewind starts another. Used by one thread.
#pragma once

#include <parquet/arrow/reader.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dataset/output_folder.h"
#include "imgfeat/status.h"

namespace imgfeat::search {

struct FeatureBlock {
  int64_t first_row = 0;  // the output's row number of the block's first row
  int64_t rows = 0;
  std::vector<float> unit;  // rows x dim, row-major; a zero row stays zero
};

// Fails unless `folder` is a complete imgfeat output (its _SUCCESS written).
Status RequireCompleteOutput(const dataset::OutputFolder& folder);

class FeatureBlockReader {
 public:
  // Reads every part's paths and labels and the feature length. A block is
  // at most about `block_bytes` of features and at most kMaxBlockRows rows,
  // so that the scores of two blocks stay at 64 MiB however short the rows.
  static constexpr int64_t kMaxBlockRows = 4096;
  // `column`: the list<float> column read ("features", or "embedding").
  static Result<std::unique_ptr<FeatureBlockReader>> Open(const dataset::OutputFolder& folder,
                                                          int64_t block_bytes,
                                                          const std::string& column = "features");
  // A second reader of the same rows, for a pass of its own (the paths and
  // labels are shared, not read again).
  std::unique_ptr<FeatureBlockReader> AnotherPass() const;

  int64_t rows() const { return static_cast<int64_t>(names_->paths.size()); }
  int64_t dim() const { return dim_; }
  int64_t block_rows() const { return block_rows_; }
  // The rows' paths, as the parts hold them (their text, imgfeat/path_text.h).
  const std::vector<std::string>& paths() const { return names_->paths; }
  const std::vector<std::string>& labels() const { return names_->labels; }

  void Rewind();
  // The next block of at most block_rows() rows; false when the pass is over.
  Result<bool> Next(FeatureBlock* block);

 private:
  struct Names {
    std::vector<std::string> paths, labels;
  };
  explicit FeatureBlockReader(const dataset::OutputFolder& folder) : folder_(folder) {}
  Status ReadRowGroup(size_t part, int group, std::vector<float>* unit);

  const dataset::OutputFolder& folder_;
  std::string column_ = "features";
  int64_t block_rows_ = 1;
  int64_t dim_ = 0;
  std::vector<std::string> parts_;
  std::vector<int> groups_;  // row groups per part
  std::shared_ptr<const Names> names_;
  // Where the pass stands.
  size_t part_ = 0;
  int group_ = 0;
  // The part being read (one open and one footer read per part and pass).
  size_t open_part_ = SIZE_MAX;
  std::unique_ptr<parquet::arrow::FileReader> open_reader_;
  std::vector<float> pending_;  // rows read but not yet handed out
  int64_t pending_first_ = 0;
};

}  // namespace imgfeat::search
