#include "search/feature_blocks.h"

#include <arrow/api.h>
#include <parquet/arrow/reader.h>

#include <algorithm>
#include <cmath>

#include "dataset/output_layout.h"
#include "search/block_search.h"

namespace imgfeat::search {
namespace {

Result<std::unique_ptr<parquet::arrow::FileReader>> OpenPart(const dataset::OutputFolder& folder,
                                                             const std::string& name) {
  ARROW_ASSIGN_OR_RAISE(auto input, folder.OpenInput(name));
  auto reader = parquet::arrow::OpenFile(input, arrow::default_memory_pool());
  if (!reader.ok()) {
    return Status::IOError("cannot read part '", folder.DisplayPath(name),
                           "': ", reader.status().message());
  }
  return std::move(*reader);
}

Result<int> ColumnOf(parquet::arrow::FileReader& reader, const std::string& name,
                     const std::string& where) {
  std::shared_ptr<arrow::Schema> schema;
  ARROW_RETURN_NOT_OK(reader.GetSchema(&schema));
  const int column = schema->GetFieldIndex(name);
  if (column < 0) return Status::Invalid("part '", where, "' has no column '", name, "'");
  return column;
}

}  // namespace

Status RequireCompleteOutput(const dataset::OutputFolder& folder) {
  ARROW_ASSIGN_OR_RAISE(auto names, folder.List());
  if (std::find(names.begin(), names.end(), dataset::kSuccessFile) == names.end()) {
    return Status::Invalid("'", folder.uri(),
                           "' is not a complete imgfeat output (no _SUCCESS): complete it with "
                           "imgfeat run --resume first");
  }
  return Status::OK();
}

Result<std::unique_ptr<FeatureBlockReader>> FeatureBlockReader::Open(
    const dataset::OutputFolder& folder, int64_t block_bytes, const std::string& column) {
  std::unique_ptr<FeatureBlockReader> out(new FeatureBlockReader(folder));
  out->column_ = column;
  auto names = std::make_shared<Names>();
  ARROW_ASSIGN_OR_RAISE(auto entries, folder.List());
  for (const std::string& name : entries) {
    if (dataset::ParsePartFileName(name)) out->parts_.push_back(name);
  }
  for (const std::string& name : out->parts_) {
    ARROW_ASSIGN_OR_RAISE(auto reader, OpenPart(folder, name));
    const std::string where = folder.DisplayPath(name);
    ARROW_ASSIGN_OR_RAISE(int path_column, ColumnOf(*reader, "path", where));
    ARROW_ASSIGN_OR_RAISE(int label_column, ColumnOf(*reader, "label", where));
    auto found = ColumnOf(*reader, column, where);
    if (!found.ok() && column == "embedding") {  // the one column a run may leave out
      return Status::Invalid(found.status().message(), " (the run did not have --embedding)");
    }
    ARROW_ASSIGN_OR_RAISE(int feature_column, std::move(found));
    out->groups_.push_back(reader->num_row_groups());
    std::shared_ptr<arrow::Table> table;
    ARROW_RETURN_NOT_OK(reader->ReadTable({path_column, label_column}, &table));
    for (int c = 0; c < 2; ++c) {
      auto& into = c == 0 ? names->paths : names->labels;
      for (const auto& chunk : table->column(c)->chunks()) {
        const auto& texts = static_cast<const arrow::StringArray&>(*chunk);
        for (int64_t i = 0; i < texts.length(); ++i) into.emplace_back(texts.GetView(i));
      }
    }
    // The feature length, from the first row of the first row group that
    // has one (every row is checked as read).
    for (int g = 0; out->dim_ == 0 && g < reader->num_row_groups(); ++g) {
      if (reader->parquet_reader()->metadata()->RowGroup(g)->num_rows() == 0) continue;
      std::shared_ptr<arrow::Table> group;
      ARROW_RETURN_NOT_OK(reader->ReadRowGroup(g, {feature_column}, &group));
      for (const auto& chunk : group->column(0)->chunks()) {
        if (chunk->length() == 0) continue;
        out->dim_ = static_cast<const arrow::ListArray&>(*chunk).value_length(0);
        break;
      }
    }
  }
  out->names_ = std::move(names);
  if (out->rows() > 0 && out->dim_ <= 0) return Status::Invalid("the rows have no features");
  const int64_t row_bytes = std::max<int64_t>(out->dim_, 1) * int64_t{sizeof(float)};
  out->block_rows_ = std::clamp<int64_t>(block_bytes / row_bytes, 1, kMaxBlockRows);
  return out;
}

std::unique_ptr<FeatureBlockReader> FeatureBlockReader::AnotherPass() const {
  std::unique_ptr<FeatureBlockReader> out(new FeatureBlockReader(folder_));
  out->column_ = column_;
  out->block_rows_ = block_rows_;
  out->dim_ = dim_;
  out->parts_ = parts_;
  out->groups_ = groups_;
  out->names_ = names_;
  return out;
}

void FeatureBlockReader::Rewind() {
  part_ = 0;
  group_ = 0;
  pending_.clear();
  pending_first_ = 0;
}

Status FeatureBlockReader::ReadRowGroup(size_t part, int group, std::vector<float>* unit) {
  if (open_part_ != part) {
    open_reader_.reset();
    ARROW_ASSIGN_OR_RAISE(open_reader_, OpenPart(folder_, parts_[part]));
    open_part_ = part;
  }
  parquet::arrow::FileReader* reader = open_reader_.get();
  const std::string where = folder_.DisplayPath(parts_[part]);
  ARROW_ASSIGN_OR_RAISE(int feature_column, ColumnOf(*reader, column_, where));
  std::shared_ptr<arrow::Table> table;
  ARROW_RETURN_NOT_OK(reader->ReadRowGroup(group, {feature_column}, &table));
  for (const auto& chunk : table->column(0)->chunks()) {
    const auto& lists = static_cast<const arrow::ListArray&>(*chunk);
    const auto& values = static_cast<const arrow::FloatArray&>(*lists.values());
    for (int64_t i = 0; i < lists.length(); ++i) {
      if (lists.IsNull(i) || lists.value_length(i) != dim_) {
        return Status::Invalid("part '", where, "' has a row of ", lists.value_length(i),
                               " features where the first had ", dim_);
      }
      const float* row = values.raw_values() + lists.value_offset(i);
      unit->insert(unit->end(), row, row + dim_);
      ScaleToUnit(unit->data() + unit->size() - dim_, 1, dim_);
    }
  }
  return Status::OK();
}

Result<bool> FeatureBlockReader::Next(FeatureBlock* block) {
  auto pending_rows = [&] {
    return static_cast<int64_t>(pending_.size()) / std::max<int64_t>(dim_, 1);
  };
  while (pending_rows() < block_rows_ && part_ < parts_.size()) {
    if (group_ >= groups_[part_]) {
      ++part_;
      group_ = 0;
      continue;
    }
    ARROW_RETURN_NOT_OK(ReadRowGroup(part_, group_++, &pending_));
  }
  const int64_t rows = std::min(pending_rows(), block_rows_);
  if (rows == 0) return false;
  block->first_row = pending_first_;
  block->rows = rows;
  const auto end = pending_.begin() + rows * dim_;
  block->unit.assign(pending_.begin(), end);
  pending_.erase(pending_.begin(), end);
  pending_first_ += rows;
  return true;
}

}  // namespace imgfeat::search
