// Dimension reduction of feature vectors: none, sparse random projection
// (identical to scikit-learn's SparseRandomProjection) and PCA fitted in a
// few streaming passes (no d x d covariance). Fitted reducers are saved with
// the output and can be loaded to put new images in the same space.
//
// Thread-safety: a made or fitted Reducer is immutable; Transform may be
// called from several threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "imgfeat/status.h"

namespace imgfeat {

class Reducer {
 public:
  virtual ~Reducer() = default;
  virtual std::string kind() const = 0;  // "none", "srp" or "pca"
  virtual int64_t input_dim() const = 0;
  virtual int64_t output_dim() const = 0;
  // `in`: rows x input_dim(), `out`: rows x output_dim(), both row-major.
  virtual void Transform(const float* in, int64_t rows, float* out) const = 0;
  // The parameters and fitted statistics that _imgfeat.json records (JSON object).
  virtual std::string DescribeJson() const = 0;
};

std::unique_ptr<Reducer> MakeIdentityReducer(int64_t dim);

// scikit-learn's johnson_lindenstrauss_min_dim(n_samples, eps=eps).
Result<int64_t> JohnsonLindenstraussMinDim(int64_t n_samples, double eps);

struct SrpOptions {
  int64_t n_components = 0;
  int64_t n_features = 0;
  double density = 0;  // <= 0: 'auto', 1 / sqrt(n_features)
  uint32_t seed = 42;  // random_state
};

// The matrix SparseRandomProjection(n_components, density=..., random_state=seed)
// .fit(X).components_ holds for X with n_features columns: same non-zeros,
// signs and scale. Built from the seed alone, so every worker builds the same.
Result<std::unique_ptr<Reducer>> MakeSparseRandomProjection(const SrpOptions& options);

// CSR form of the SRP matrix, for tests and tools.
struct SparseMatrix {
  int64_t rows = 0, cols = 0;
  std::vector<int64_t> indptr;   // rows + 1
  std::vector<int32_t> indices;  // column of each non-zero
  std::vector<double> values;
};
Result<SparseMatrix> SparseRandomMatrix(const SrpOptions& options);

// A matrix read in row blocks, more than once: what a streaming fit needs.
class RowSource {
 public:
  virtual ~RowSource() = default;
  virtual int64_t rows() const = 0;
  virtual int64_t cols() const = 0;
  virtual Status Rewind() = 0;
  // Reads up to `max_rows` rows into `out`; returns how many (0 at the end).
  virtual Result<int64_t> Read(float* out, int64_t max_rows) = 0;
};

// Float32 rows appended to a file, then read back as a RowSource: where the
// features of a PCA run wait between passes. The file is removed on destruction.
class FeatureSpill : public RowSource {
 public:
  static Result<std::unique_ptr<FeatureSpill>> Create(const std::string& path, int64_t cols);
  virtual Status Append(const float* rows, int64_t n) = 0;
  virtual Status FinishWriting() = 0;
};

struct PcaOptions {
  int64_t n_components = 0;
  // Extra random directions of the range finder; < 0: as many as n_components.
  // On the flat trailing spectrum of real CNN features a fixed 10 leaves the
  // last components unconverged whatever the iterations; k extra directions
  // with 4 iterations match an exact PCA (docs/PARITY.md).
  int64_t oversampling = -1;
  int power_iterations = 4;  // passes that sharpen the range (each reads the data twice)
  uint32_t seed = 0;
  int64_t block_rows = 256;  // rows read at once
};

// Randomized PCA (Halko, Martinsson & Tropp) over the rows of `source`, with the
// mean removed, in 2 * power_iterations + 2 passes and O((rows + cols) * l)
// memory, l = n_components + oversampling. The reducer's DescribeJson includes explained_variance
// and explained_variance_ratio.
Result<std::unique_ptr<Reducer>> FitPca(RowSource* source, const PcaOptions& options);

// Fitted state, for tests and for --reducer-from.
struct PcaState {
  std::vector<float> mean;                 // cols
  std::vector<float> components;           // k x cols, row-major, unit rows
  std::vector<double> explained_variance;  // k
  std::vector<double> explained_variance_ratio;
  double total_variance = 0;
  int64_t n_samples = 0;
};
Result<PcaState> PcaStateOf(const Reducer& reducer);

// Saves a reducer to one file (Parquet; written under a temporary name, then
// renamed) and loads it back. An SRP reducer saves only its parameters.
Status SaveReducer(const Reducer& reducer, const std::string& path);
// The bytes SaveReducer writes, for a writer that makes them durable itself
// (DatasetWriter::Publish).
Result<std::string> ReducerFileBytes(const Reducer& reducer);
Result<std::unique_ptr<Reducer>> LoadReducer(const std::string& path);

}  // namespace imgfeat
