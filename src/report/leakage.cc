#include "report/leakage.h"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <parquet/arrow/reader.h>

#include <algorithm>
#include <filesystem>
#include <map>

#include "dataset/output_layout.h"
#include "io/path_util.h"
#include "report/thumbnails.h"

namespace imgfeat::report {
namespace {

using Json = nlohmann::ordered_json;

Json Thumbnail(const std::string& path, int size) {
  auto uri = ThumbnailDataUri(path, size);
  return uri.ok() ? Json(*uri) : Json(nullptr);
}

}  // namespace

Result<LeakageFigures> FindLeakage(const ScannedOutput& scan, const std::vector<Split>& splits,
                                   const KnnResult& knn, int k, double threshold) {
  LeakageFigures f;
  f.threshold = threshold;
  f.test_rows = static_cast<int64_t>(knn.query_rows.size());
  std::vector<Split> kept = splits;
  for (size_t q = 0; q < knn.query_rows.size(); ++q) {
    if (knn.nearest_cosines[q] >= threshold) {
      ++f.leaked;
      kept[knn.query_rows[q]] = Split::kNone;  // neither a query nor a reference
    }
  }
  if (f.leaked < f.test_rows) {
    const int64_t n = static_cast<int64_t>(scan.row_index.size());
    ARROW_ASSIGN_OR_RAISE(f.clean,
                          KnnAccuracy(scan.features.data(), n, scan.dim, scan.labels, kept, k));
  }
  return f;
}

Json LeakageJson(const ScannedOutput& scan, const KnnResult& knn, const LeakageFigures& f, int k,
                 size_t pairs, int thumbnail_size) {
  Json out = {{"threshold", f.threshold}, {"test", f.test_rows}, {"leaked", f.leaked}, {"k", k}};
  if (f.clean.queries > 0) {
    out["clean"] = {{"queries", f.clean.queries},
                    {"correct", f.clean.correct},
                    {"accuracy", f.clean.accuracy},
                    {"low", f.clean.interval.low},
                    {"high", f.clean.interval.high}};
  } else {
    out["clean"] = nullptr;
  }
  std::vector<size_t> leaked;
  for (size_t q = 0; q < knn.query_rows.size(); ++q) {
    if (knn.nearest_cosines[q] >= f.threshold) leaked.push_back(q);
  }
  std::sort(leaked.begin(), leaked.end(), [&](size_t a, size_t b) {
    return knn.nearest_cosines[a] > knn.nearest_cosines[b] ||
           (knn.nearest_cosines[a] == knn.nearest_cosines[b] && a < b);
  });
  out["pairs"] = Json::array();
  for (size_t i = 0; i < std::min(pairs, leaked.size()); ++i) {
    const size_t q = leaked[i];
    const std::string& test = scan.paths[knn.query_rows[q]];
    const std::string& train = scan.paths[knn.nearest_rows[q]];
    out["pairs"].push_back({{"test", ShortName(test)},
                            {"train", ShortName(train)},
                            {"cosine", knn.nearest_cosines[q]},
                            {"test_thumb", Thumbnail(test, thumbnail_size)},
                            {"train_thumb", Thumbnail(train, thumbnail_size)}});
  }
  return out;
}

Result<Json> DuplicateGroupsJson(const std::string& output, size_t groups, size_t per_group,
                                 int thumbnail_size) {
  const std::string file = JoinPath(output, std::string(dataset::kDuplicatesFile));
  if (!std::filesystem::exists(file)) return Json(nullptr);
  ARROW_ASSIGN_OR_RAISE(auto input, arrow::io::ReadableFile::Open(file));
  ARROW_ASSIGN_OR_RAISE(auto reader, parquet::arrow::OpenFile(input, arrow::default_memory_pool()));
  std::shared_ptr<arrow::Table> table;
  ARROW_RETURN_NOT_OK(reader->ReadTable(&table));
  ARROW_ASSIGN_OR_RAISE(table, table->CombineChunks());
  const int path_column = table->schema()->GetFieldIndex("path");
  const int group_column = table->schema()->GetFieldIndex("group");
  if (path_column < 0 || group_column < 0 || table->num_rows() == 0) {
    return Json{{"rows", 0}, {"groups", 0}, {"shown", Json::array()}};
  }
  const auto& paths = static_cast<const arrow::StringArray&>(*table->column(path_column)->chunk(0));
  const auto& ids = static_cast<const arrow::Int64Array&>(*table->column(group_column)->chunk(0));
  std::map<int64_t, std::vector<std::string>> members;
  for (int64_t i = 0; i < table->num_rows(); ++i) {
    members[ids.Value(i)].emplace_back(paths.GetView(i));
  }
  std::vector<const std::pair<const int64_t, std::vector<std::string>>*> order;
  for (const auto& entry : members) order.push_back(&entry);
  std::stable_sort(order.begin(), order.end(),
                   [](auto* a, auto* b) { return a->second.size() > b->second.size(); });
  Json out = {{"rows", table->num_rows()}, {"groups", members.size()}, {"threshold", nullptr}};
  if (auto meta = table->schema()->metadata()) {
    auto value = meta->Get("imgfeat.duplicate_cosine");
    if (value.ok()) out["threshold"] = std::strtod(value->c_str(), nullptr);
  }
  out["shown"] = Json::array();
  for (size_t g = 0; g < std::min(groups, order.size()); ++g) {
    Json items = Json::array();
    const auto& group = order[g]->second;
    for (size_t i = 0; i < std::min(per_group, group.size()); ++i) {
      items.push_back(
          {{"name", ShortName(group[i])}, {"thumb", Thumbnail(group[i], thumbnail_size)}});
    }
    out["shown"].push_back({{"group", order[g]->first}, {"size", group.size()}, {"items", items}});
  }
  return out;
}

}  // namespace imgfeat::report
