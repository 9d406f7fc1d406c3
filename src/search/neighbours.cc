// imgfeat neighbours (see imgfeat/neighbours.h).
#include "imgfeat/neighbours.h"

#include <arrow/api.h>

#include <chrono>
#include <cstdio>
#include <numeric>

#include "dataset/output_folder.h"
#include "dataset/output_layout.h"
#include "dataset/parquet_part.h"
#include "reduce/blas.h"
#include "search/approximate.h"
#include "search/block_search.h"
#include "search/feature_blocks.h"
#include "search/top_k.h"

namespace imgfeat {
namespace {

const std::shared_ptr<arrow::Schema>& NeighbourSchema() {
  static const auto schema = arrow::schema({
      arrow::field("path", arrow::utf8(), false),
      arrow::field("neighbour", arrow::utf8(), false),
      arrow::field("cosine", arrow::float32(), false),
      arrow::field("rank", arrow::int32(), false),
  });
  return schema;
}

// The threshold travels with the groups (the report reads it).
std::shared_ptr<arrow::Schema> DuplicateSchema(double duplicate_cosine, const std::string& column) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.17g", duplicate_cosine);
  return arrow::schema(
      {arrow::field("path", arrow::utf8(), false), arrow::field("group", arrow::int64(), false)},
      arrow::key_value_metadata({"imgfeat.duplicate_cosine", "imgfeat.column"}, {text, column}));
}

dataset::PartFormat SmallFileFormat() {
  dataset::PartFormat format;
  format.rows_per_row_group = 1 << 16;
  format.rows_per_part = INT64_MAX;
  return format;
}

// Union-find over rows, for the groups of near-duplicates.
class Components {
 public:
  explicit Components(int64_t n) : parent_(static_cast<size_t>(n)) {
    std::iota(parent_.begin(), parent_.end(), int64_t{0});
  }
  int64_t Find(int64_t x) {
    while (parent_[x] != x) x = parent_[x] = parent_[parent_[x]];
    return x;
  }
  // The smaller row becomes the root: a group is named by its first row.
  void Join(int64_t a, int64_t b) {
    a = Find(a);
    b = Find(b);
    if (a != b) parent_[std::max(a, b)] = std::min(a, b);
  }

 private:
  std::vector<int64_t> parent_;
};

Status WriteNeighbourRows(const std::vector<std::string>& paths, int64_t first_row,
                          const std::vector<std::vector<search::Candidate>>& nearest,
                          dataset::ParquetFile& file) {
  arrow::StringBuilder path, neighbour;
  arrow::FloatBuilder cosine;
  arrow::Int32Builder rank;
  for (size_t i = 0; i < nearest.size(); ++i) {
    for (size_t r = 0; r < nearest[i].size(); ++r) {
      ARROW_RETURN_NOT_OK(path.Append(paths[first_row + i]));
      ARROW_RETURN_NOT_OK(neighbour.Append(paths[nearest[i][r].row]));
      ARROW_RETURN_NOT_OK(cosine.Append(nearest[i][r].cosine));
      ARROW_RETURN_NOT_OK(rank.Append(static_cast<int32_t>(r + 1)));
    }
  }
  std::vector<std::shared_ptr<arrow::Array>> columns(4);
  ARROW_RETURN_NOT_OK(path.Finish(&columns[0]));
  ARROW_RETURN_NOT_OK(neighbour.Finish(&columns[1]));
  ARROW_RETURN_NOT_OK(cosine.Finish(&columns[2]));
  ARROW_RETURN_NOT_OK(rank.Finish(&columns[3]));
  return file.WriteRowGroups(*arrow::Table::Make(NeighbourSchema(), columns));
}

Result<int64_t> WriteDuplicateRows(const std::vector<std::string>& paths, Components& components,
                                   const std::vector<bool>& duplicated,
                                   const std::shared_ptr<arrow::Schema>& schema,
                                   dataset::ParquetFile& file, int64_t* groups) {
  // Groups numbered from 0 in the order of their first row.
  std::vector<int64_t> number(paths.size(), -1);
  arrow::StringBuilder path;
  arrow::Int64Builder group;
  int64_t rows = 0;
  for (size_t i = 0; i < paths.size(); ++i) {
    if (!duplicated[i]) continue;
    const int64_t root = components.Find(static_cast<int64_t>(i));
    if (number[root] < 0) number[root] = (*groups)++;
    ARROW_RETURN_NOT_OK(path.Append(paths[i]));
    ARROW_RETURN_NOT_OK(group.Append(number[root]));
    ++rows;
  }
  std::vector<std::shared_ptr<arrow::Array>> columns(2);
  ARROW_RETURN_NOT_OK(path.Finish(&columns[0]));
  ARROW_RETURN_NOT_OK(group.Finish(&columns[1]));
  ARROW_RETURN_NOT_OK(file.WriteRowGroups(*arrow::Table::Make(schema, columns)));
  return rows;
}

}  // namespace

Result<NeighbourMethod> ParseNeighbourMethod(const std::string& name) {
  if (name == "auto") return NeighbourMethod::kAuto;
  if (name == "exact") return NeighbourMethod::kExact;
  if (name == "approximate") return NeighbourMethod::kApproximate;
  return Status::Invalid("--method must be auto, exact or approximate, not '", name, "'");
}

const char* NeighbourMethodName(NeighbourMethod method) {
  switch (method) {
    case NeighbourMethod::kAuto:
      return "auto";
    case NeighbourMethod::kExact:
      return "exact";
    case NeighbourMethod::kApproximate:
      return "approximate";
  }
  return "?";
}

Status ValidateFeatureColumn(const std::string& column) {
  if (column == "features" || column == "embedding") return Status::OK();
  return Status::Invalid("--column must be features or embedding, not '", column, "'");
}

Status ValidateNeighboursOptions(const NeighboursOptions& options) {
  if (options.k < 1 || options.k > 1000) {
    return Status::Invalid("-k must be between 1 and 1000, not ", options.k);
  }
  if (!(options.duplicate_cosine >= -1 && options.duplicate_cosine <= 1)) {
    return Status::Invalid("--duplicate-cosine must be between -1 and 1, not ",
                           options.duplicate_cosine);
  }
  if (options.block_bytes <= 0) return Status::Invalid("the block size must be positive");
  ARROW_RETURN_NOT_OK(ValidateFeatureColumn(options.column));
  return Status::OK();
}

Result<NeighboursSummary> WriteNeighbours(const std::string& output,
                                          const NeighboursOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  ARROW_RETURN_NOT_OK(ValidateNeighboursOptions(options));
  ARROW_RETURN_NOT_OK(reduce::LoadBlas().status());
  ARROW_ASSIGN_OR_RAISE(auto folder, dataset::OutputFolder::Open(output));
  ARROW_RETURN_NOT_OK(search::RequireCompleteOutput(*folder));
  ARROW_ASSIGN_OR_RAISE(
      auto queries, search::FeatureBlockReader::Open(*folder, options.block_bytes, options.column));
  const std::vector<std::string>& paths = queries->paths();
  const int64_t n = queries->rows();

  NeighboursSummary summary;
  summary.rows = n;
  summary.dim = queries->dim();
  ARROW_RETURN_NOT_OK(folder->durability().Claim());
  const dataset::PartFormat format = SmallFileFormat();
  ARROW_ASSIGN_OR_RAISE(
      auto neighbours_file,
      folder->durability().CreateParquet(dataset::kNeighboursFile, NeighbourSchema(), format));
  Components components(n);
  std::vector<bool> duplicated(static_cast<size_t>(n), false);
  const int k = static_cast<int>(std::min<int64_t>(options.k, std::max<int64_t>(n - 1, 0)));
  // The near-duplicates and the file, from the nearest rows of each block.
  auto emit = [&](int64_t first_row,
                  const std::vector<std::vector<search::Candidate>>& nearest) -> Status {
    ++summary.blocks;
    for (size_t i = 0; i < nearest.size(); ++i) {
      const int64_t row = first_row + static_cast<int64_t>(i);
      for (const search::Candidate& c : nearest[i]) {
        if (c.cosine < options.duplicate_cosine) break;  // best first
        components.Join(row, c.row);
        duplicated[row] = duplicated[c.row] = true;
      }
      summary.neighbour_rows += static_cast<int64_t>(nearest[i].size());
    }
    return WriteNeighbourRows(paths, first_row, nearest, *neighbours_file);
  };
  summary.method =
      options.method == NeighbourMethod::kAuto
          ? (n <= kExactMaxRows ? NeighbourMethod::kExact : NeighbourMethod::kApproximate)
          : options.method;
  if (k > 0 && summary.method == NeighbourMethod::kApproximate) {
    search::ApproximateOptions approximate;
    approximate.k = k;
    ARROW_RETURN_NOT_OK(search::ApproximateNeighbours(*queries, approximate, emit));
  }
  // Exact: each block of query rows against a second pass over every block.
  std::unique_ptr<search::FeatureBlockReader> others;
  if (summary.method == NeighbourMethod::kExact) others = queries->AnotherPass();
  search::FeatureBlock query;
  while (k > 0 && summary.method == NeighbourMethod::kExact) {
    ARROW_ASSIGN_OR_RAISE(bool more, queries->Next(&query));
    if (!more) break;
    ARROW_ASSIGN_OR_RAISE(auto nearest, search::NearestRows(query.unit.data(), query.rows, *others,
                                                            k, query.first_row));
    ARROW_RETURN_NOT_OK(emit(query.first_row, nearest));
  }
  const auto duplicate_schema = DuplicateSchema(options.duplicate_cosine, options.column);
  ARROW_ASSIGN_OR_RAISE(
      auto duplicates_file,
      folder->durability().CreateParquet(dataset::kDuplicatesFile, duplicate_schema, format));
  ARROW_ASSIGN_OR_RAISE(summary.duplicate_rows,
                        WriteDuplicateRows(paths, components, duplicated, duplicate_schema,
                                           *duplicates_file, &summary.duplicate_groups));
  ARROW_RETURN_NOT_OK(neighbours_file->Commit(folder->FinalPath(dataset::kNeighboursFile)));
  ARROW_RETURN_NOT_OK(duplicates_file->Commit(folder->FinalPath(dataset::kDuplicatesFile)));
  ARROW_RETURN_NOT_OK(folder->Remove(dataset::kTemporaryDir));
  ARROW_RETURN_NOT_OK(folder->durability().SyncEntries());
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace imgfeat
