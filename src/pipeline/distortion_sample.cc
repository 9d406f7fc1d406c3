#include "pipeline/distortion_sample.h"

#include <arrow/api.h>
#include <arrow/io/memory.h>
#include <parquet/arrow/writer.h>

#include <algorithm>
#include <cmath>

#include "dataset/durable_file.h"
#include "dataset/output_folder.h"
#include "imgfeat/path_text.h"
#include "imgfeat/storage.h"
#include "reduce/blas.h"
#include "reduce/legacy_random.h"
#include "reduce/sample_without_replacement.h"

namespace imgfeat {
namespace {

// Columns converted to double at a time: 128 rows x 4,096 columns, 4 MiB.
constexpr int64_t kGramColumns = 4096;

// The Gram matrix (n x n, upper triangle) of the rows with their mean
// removed, in double: distances come from it as G_ii + G_jj - 2 G_ij, in one
// BLAS pass instead of n^2 / 2 walks over rows that do not fit in a cache.
// Removing the mean first keeps the subtraction from cancelling digits.
std::vector<double> CenteredGram(const std::vector<float>& rows, int64_t n, int64_t dim) {
  std::vector<double> mean(static_cast<size_t>(dim), 0.0);
  for (int64_t r = 0; r < n; ++r) {
    for (int64_t c = 0; c < dim; ++c) mean[c] += rows[r * dim + c];
  }
  for (double& m : mean) m /= static_cast<double>(n);
  std::vector<double> gram(static_cast<size_t>(n * n), 0.0), block;
  for (int64_t c0 = 0; c0 < dim; c0 += kGramColumns) {
    const int64_t w = std::min(kGramColumns, dim - c0);
    block.resize(static_cast<size_t>(n * w));
    for (int64_t r = 0; r < n; ++r) {
      for (int64_t c = 0; c < w; ++c) block[r * w + c] = rows[r * dim + c0 + c] - mean[c0 + c];
    }
    IMGFEAT_BLAS(cblas_dsyrk)
    (CblasRowMajor, CblasUpper, CblasNoTrans, static_cast<blasint>(n), static_cast<blasint>(w), 1.0,
     block.data(), static_cast<blasint>(w), 1.0, gram.data(), static_cast<blasint>(n));
  }
  return gram;
}

double Distance(const std::vector<double>& gram, int64_t n, int64_t i, int64_t j) {
  return std::sqrt(std::max(0.0, gram[i * n + i] + gram[j * n + j] - 2 * gram[i * n + j]));
}

}  // namespace

Result<DistortionSample> DistortionSample::Make(int64_t expected_rows, int64_t max_rows,
                                                uint32_t seed, int64_t input_dim,
                                                int64_t output_dim) {
  ARROW_RETURN_NOT_OK(reduce::LoadBlas().status());
  DistortionSample sample;
  sample.input_dim_ = input_dim;
  sample.output_dim_ = output_dim;
  sample.max_rows_ = max_rows;
  if (expected_rows <= 0) {
    sample.reservoir_ = std::make_shared<reduce::LegacyRandomState>(seed);
    return sample;
  }
  const int64_t n = std::min(expected_rows, max_rows);
  if (n > 0) {
    reduce::LegacyRandomState rng(seed);
    ARROW_ASSIGN_OR_RAISE(sample.wanted_, reduce::SampleWithoutReplacement(
                                              expected_rows, n, reduce::SampleMethod::kAuto, &rng));
    std::sort(sample.wanted_.begin(), sample.wanted_.end());
  }
  return sample;
}

void DistortionSample::Offer(const std::vector<FeatureRecord>& records, const float* input,
                             const float* output) {
  for (size_t i = 0; i < records.size(); ++i, ++seen_) {
    const float* in = input + i * input_dim_;
    const float* out = output + i * output_dim_;
    if (reservoir_) {
      // Algorithm R: row `seen_` replaces a kept one with probability max_rows / (seen_ + 1).
      if (rows_kept() < max_rows_) {
        Keep(paths_.size(), records[i], in, out);
      } else if (const int64_t slot = reservoir_->RandInt(seen_ + 1); slot < max_rows_) {
        Keep(static_cast<size_t>(slot), records[i], in, out);
      }
      continue;
    }
    if (next_wanted_ >= wanted_.size() || wanted_[next_wanted_] != seen_) continue;
    ++next_wanted_;
    Keep(paths_.size(), records[i], in, out);
  }
}

void DistortionSample::Keep(size_t slot, const FeatureRecord& record, const float* input,
                            const float* output) {
  if (slot == paths_.size()) {
    paths_.push_back(record.file.path);
    input_.insert(input_.end(), input, input + input_dim_);
    output_.insert(output_.end(), output, output + output_dim_);
    return;
  }
  paths_[slot] = record.file.path;
  std::copy(input, input + input_dim_, input_.begin() + static_cast<int64_t>(slot) * input_dim_);
  std::copy(output, output + output_dim_,
            output_.begin() + static_cast<int64_t>(slot) * output_dim_);
}

DistortionSample::Pairs DistortionSample::ComputePairs() const {
  Pairs pairs;
  const int32_t n = static_cast<int32_t>(paths_.size());
  // No pair without two rows; BLAS also refuses a 0 x 0 Gram matrix.
  if (n < 2) return pairs;
  const std::vector<double> input_gram = CenteredGram(input_, n, input_dim_);
  const std::vector<double> output_gram = CenteredGram(output_, n, output_dim_);
  for (int32_t i = 0; i < n; ++i) {
    for (int32_t j = i + 1; j < n; ++j) {
      pairs.a.push_back(i);
      pairs.b.push_back(j);
      // Identical images are exactly 0 apart, whatever the rounding above.
      const bool same = std::equal(&input_[i * input_dim_], &input_[(i + 1) * input_dim_],
                                   &input_[j * input_dim_]);
      pairs.input_distance.push_back(same ? 0.0 : Distance(input_gram, n, i, j));
      pairs.output_distance.push_back(same ? 0.0 : Distance(output_gram, n, i, j));
    }
  }
  return pairs;
}

Status DistortionSample::Write(const std::string& tmp_path, const std::string& final_path,
                               const std::string& metadata_json) const {
  ARROW_ASSIGN_OR_RAISE(std::string bytes, ToParquet(metadata_json));
  return dataset::WriteFileAtomically(tmp_path, final_path, bytes);
}

Result<std::string> DistortionSample::ToParquet(const std::string& metadata_json) const {
  const Pairs pairs = ComputePairs();
  arrow::StringBuilder path_a, path_b;
  arrow::DoubleBuilder input_distance, output_distance;
  for (size_t p = 0; p < pairs.a.size(); ++p) {
    ARROW_RETURN_NOT_OK(path_a.Append(PathText(paths_[pairs.a[p]])));
    ARROW_RETURN_NOT_OK(path_b.Append(PathText(paths_[pairs.b[p]])));
  }
  ARROW_RETURN_NOT_OK(input_distance.AppendValues(pairs.input_distance));
  ARROW_RETURN_NOT_OK(output_distance.AppendValues(pairs.output_distance));
  std::shared_ptr<arrow::Array> columns[4];
  ARROW_RETURN_NOT_OK(path_a.Finish(&columns[0]));
  ARROW_RETURN_NOT_OK(path_b.Finish(&columns[1]));
  ARROW_RETURN_NOT_OK(input_distance.Finish(&columns[2]));
  ARROW_RETURN_NOT_OK(output_distance.Finish(&columns[3]));
  auto metadata = arrow::key_value_metadata({"imgfeat.distortion"}, {metadata_json});
  auto schema = arrow::schema(
      {arrow::field("path_a", arrow::utf8(), false), arrow::field("path_b", arrow::utf8(), false),
       arrow::field("input_distance", arrow::float64(), false),
       arrow::field("output_distance", arrow::float64(), false)},
      metadata);
  auto table = arrow::Table::Make(schema, {columns[0], columns[1], columns[2], columns[3]});
  // A few hundred KiB: built in memory, then committed whole by the caller.
  ARROW_ASSIGN_OR_RAISE(auto sink, arrow::io::BufferOutputStream::Create());
  auto props = parquet::WriterProperties::Builder().compression(arrow::Compression::ZSTD)->build();
  auto arrow_props = parquet::ArrowWriterProperties::Builder().store_schema()->build();
  ARROW_RETURN_NOT_OK(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), sink,
                                                 64 * 1024, props, arrow_props));
  ARROW_ASSIGN_OR_RAISE(auto buffer, sink->Finish());
  return buffer->ToString();
}

}  // namespace imgfeat
