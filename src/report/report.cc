// WriteReport: scan the output (report/output_scan.h), compute the figures'
// data (map, k-NN, distortion), then write the page and the PNG, each under
// a temporary name first.
#include "imgfeat/report.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "dataset/durable_file.h"
#include "dataset/output_layout.h"
#include "imgfeat/neighbours.h"
#include "io/path_util.h"
#include "report/html_page.h"
#include "report/knn.h"
#include "report/leakage.h"
#include "report/map_figure.h"
#include "report/output_scan.h"
#include "report/thumbnails.h"

namespace imgfeat {
namespace {

using Json = nlohmann::ordered_json;
using report::ScannedOutput;

constexpr int kThumbnailSize = 64;
constexpr int kPngWidth = 960, kPngHeight = 600;
constexpr int kHistogramBins = 40;
constexpr size_t kPathsPerErrorGroup = 5;
constexpr double kDefaultEps = 0.1;
// Test/Train near-copies and near-duplicate groups shown with thumbnails.
constexpr size_t kLeakPairsShown = 8;
constexpr size_t kGroupsShown = 8, kImagesPerGroupShown = 6;

// The value at a path of keys, or null when any key is missing.
Json At(const Json& j, std::initializer_list<const char*> keys) {
  const Json* node = &j;
  for (const char* key : keys) {
    if (!node->is_object() || !node->contains(key)) return nullptr;
    node = &(*node)[key];
  }
  return *node;
}

Json RunSummaryJson(const Json& m) {
  if (!m.is_object()) return nullptr;
  std::string reduction =
      At(m, {"reducer", "kind"}).is_string() ? At(m, {"reducer", "kind"}).get<std::string>() : "?";
  if (At(m, {"reducer", "n_components"}).is_number()) {
    reduction += ", " + At(m, {"reducer", "n_components"}).dump() + " components";
  }
  if (At(m, {"parameters", "reduce", "eps"}).is_number()) {
    reduction += " (eps " + At(m, {"parameters", "reduce", "eps"}).dump() + ")";
  }
  std::string model = At(m, {"model", "name"}).is_string() ? At(m, {"model", "name"}) : "?";
  if (At(m, {"parameters", "pooling"}) == "avg") model += ", average pooling";
  return {{"input", At(m, {"parameters", "input"})},
          {"model", model},
          {"reduction", reduction},
          {"images_listed", At(m, {"counts", "images_listed"})},
          {"errors", At(m, {"counts", "errors"})},
          {"seconds", At(m, {"timings", "total_seconds"})},
          {"images_per_second", At(m, {"timings", "images_per_second"})},
          {"created", At(m, {"created"})},
          {"version", At(m, {"version"})}};
}

// Failures grouped by stage and reason (the path taken out of the reason).
Json ErrorGroups(const std::vector<report::ErrorRow>& errors) {
  struct Group {
    int64_t count = 0;
    std::vector<std::string> paths;
  };
  std::map<std::pair<std::string, std::string>, Group> groups;
  for (const auto& e : errors) {
    std::string reason = e.error;
    for (size_t at; !e.path.empty() && (at = reason.find(e.path)) != std::string::npos;) {
      reason.replace(at, e.path.size(), "FILE");
    }
    Group& g = groups[{e.stage, reason}];
    ++g.count;
    if (g.paths.size() < kPathsPerErrorGroup) g.paths.push_back(e.path);
  }
  std::vector<std::pair<std::pair<std::string, std::string>, Group>> sorted(groups.begin(),
                                                                            groups.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second.count > b.second.count; });
  Json out = Json::array();
  for (const auto& [key, g] : sorted) {
    out.push_back(
        {{"stage", key.first}, {"reason", key.second}, {"count", g.count}, {"paths", g.paths}});
  }
  return out;
}

Json DistortionJson(const ScannedOutput& scan, const Json& manifest, ReportSummary* summary) {
  if (!scan.has_distortion) return nullptr;
  Json meta = Json::parse(scan.distortion.metadata_json, nullptr, false);
  const double eps = At(meta, {"eps"}).is_number() ? At(meta, {"eps"}).get<double>() : kDefaultEps;
  const double low = std::sqrt(1 - eps), high = std::sqrt(1 + eps);
  std::vector<double> ratios;
  int64_t identical = 0, within = 0;
  const auto& in = scan.distortion.input_distance;
  const auto& out = scan.distortion.output_distance;
  for (size_t i = 0; i < in.size(); ++i) {
    if (!(in[i] > 0)) {
      ++identical;
      continue;
    }
    ratios.push_back(out[i] / in[i]);
    if (ratios.back() >= low && ratios.back() <= high) ++within;
  }
  Json j = {{"eps", eps},
            {"reducer", At(meta, {"reducer"})},
            {"seed", At(meta, {"seed"})},
            {"rows", At(meta, {"rows"})},
            {"input_dim", At(manifest, {"counts", "feature_dim"})},
            {"pairs", ratios.size()},
            {"identical", identical},
            {"within", ratios.empty() ? NAN : static_cast<double>(within) / ratios.size()},
            {"bound_low", low},
            {"bound_high", high}};
  summary->distortion_pairs = static_cast<int64_t>(ratios.size());
  summary->distortion_within = j["within"].is_number() ? j["within"].get<double>() : NAN;
  if (ratios.empty()) return j;
  auto [min_it, max_it] = std::minmax_element(ratios.begin(), ratios.end());
  double h_low = std::min(*min_it, low), h_high = std::max(*max_it, high);
  const double margin = 0.05 * (h_high - h_low);
  h_low -= margin, h_high += margin;
  std::vector<int64_t> counts(kHistogramBins, 0);
  for (double r : ratios) {
    const int bin = static_cast<int>((r - h_low) / (h_high - h_low) * kHistogramBins);
    ++counts[std::clamp(bin, 0, kHistogramBins - 1)];
  }
  const auto middle = ratios.begin() + ratios.size() / 2;
  std::nth_element(ratios.begin(), middle, ratios.end());
  // Of an even count, the mean of the two middle values (as NumPy and pandas).
  j["median"] =
      ratios.size() % 2 ? *middle : (*middle + *std::max_element(ratios.begin(), middle)) / 2;
  j["histogram"] = {{"low", h_low}, {"high", h_high}, {"counts", counts}};
  return j;
}

}  // namespace

Result<ReportSummary> WriteReport(const ReportOptions& options) {
  ReportSummary summary;
  summary.html = options.html.empty()
                     ? JoinPath(options.output, std::string(dataset::kReportHtmlFile))
                     : options.html;
  summary.png = options.png.empty() ? JoinPath(options.output, std::string(dataset::kReportPngFile))
                                    : options.png;
  {
    ARROW_ASSIGN_OR_RAISE(std::string html_abs, AbsolutePath(summary.html));
    ARROW_ASSIGN_OR_RAISE(std::string png_abs, AbsolutePath(summary.png));
    if (html_abs == png_abs) {
      // One would overwrite the other.
      return Status::Invalid("the page and the map would both be written to '", summary.html,
                             "': give --html and --png different files");
    }
  }
  ARROW_ASSIGN_OR_RAISE(ScannedOutput scan,
                        report::ScanOutput(options.output, options.max_rows, options.seed));
  const Json manifest = Json::parse(scan.manifest_json, nullptr, false);
  const int64_t n = static_cast<int64_t>(scan.row_index.size());
  summary.rows = scan.rows;
  summary.rows_analysed = n;

  // Labels: every row's, sorted; one colour each.
  std::map<std::string, int> class_of;
  for (const auto& [label, count] : scan.label_counts) class_of.emplace(label, class_of.size());
  const auto colors = report::Palette(class_of.size());
  Json labels = Json::array();
  for (const auto& [label, count] : scan.label_counts) {
    labels.push_back(
        {{"name", label}, {"count", count}, {"color", report::CssColor(colors[class_of[label]])}});
  }
  std::vector<int> classes(n);
  std::vector<report::Split> splits(n);
  for (int64_t i = 0; i < n; ++i) {
    classes[i] = class_of[scan.labels[i]];
    splits[i] = report::SplitOf(scan.paths[i]);
  }

  ARROW_ASSIGN_OR_RAISE(auto projection,
                        report::ProjectTo2d(scan.features.data(), n, scan.dim, options.seed));
  Json map = {{"x", Json::array()},
              {"y", Json::array()},
              {"c", classes},
              {"name", Json::array()},
              {"thumbs", Json::object()},
              {"explained", {projection.explained[0], projection.explained[1]}}};
  for (int64_t i = 0; i < n; ++i) {
    map["x"].push_back(projection.xy[2 * i]);
    map["y"].push_back(projection.xy[2 * i + 1]);
    map["name"].push_back(report::ShortName(scan.paths[i]));
  }
  // Thumbnails for evenly spaced rows of the (row-ordered) sample.
  const int64_t n_thumbs = std::min(n, options.max_thumbnails);
  int64_t shown = 0, missing = 0;
  for (int64_t t = 0; t < n_thumbs; ++t) {
    const int64_t i = t * n / n_thumbs;
    auto uri = report::ThumbnailDataUri(scan.paths[i], kThumbnailSize);
    if (uri.ok()) {
      map["thumbs"][std::to_string(i)] = *uri;
      ++shown;
    } else {
      ++missing;
    }
  }
  map["thumbs_shown"] = shown;
  map["thumbs_missing"] = missing;

  Json knn = nullptr, leakage = nullptr;
  summary.knn_accuracy = NAN;
  summary.knn_accuracy_without_leaks = NAN;
  if (n >= 2) {
    ARROW_ASSIGN_OR_RAISE(auto result, report::KnnAccuracy(scan.features.data(), n, scan.dim,
                                                           scan.labels, splits, options.k));
    knn = {{"method", result.method},    {"k", options.k},
           {"queries", result.queries},  {"references", result.references},
           {"correct", result.correct},  {"accuracy", result.accuracy},
           {"low", result.interval.low}, {"high", result.interval.high},
           {"classes", result.classes},  {"confusion", result.confusion}};
    summary.knn_method = result.method;
    summary.knn_queries = result.queries;
    summary.knn_accuracy = result.accuracy;
    summary.knn_low = result.interval.low;
    summary.knn_high = result.interval.high;
    if (result.method == "train/test") {
      ARROW_ASSIGN_OR_RAISE(auto figures, report::FindLeakage(scan, splits, result, options.k,
                                                              kDefaultDuplicateCosine));
      leakage =
          report::LeakageJson(scan, result, figures, options.k, kLeakPairsShown, kThumbnailSize);
      summary.test_with_near_copy = figures.leaked;
      if (figures.clean.queries > 0) summary.knn_accuracy_without_leaks = figures.clean.accuracy;
    }
  }
  ARROW_ASSIGN_OR_RAISE(Json duplicates,
                        report::DuplicateGroupsJson(options.output, kGroupsShown,
                                                    kImagesPerGroupShown, kThumbnailSize));
  scan.features = {};  // the largest buffer: free it before the page is built

  Json data = {{"output", options.output},
               {"rows", scan.rows},
               {"dim", scan.dim},
               {"analysed", n},
               {"sampled", n < scan.rows},
               {"seed", options.seed},
               {"run", RunSummaryJson(manifest)},
               {"labels", labels},
               {"errors_total", scan.errors.size()},
               {"error_groups", ErrorGroups(scan.errors)},
               {"map", map},
               {"knn", knn},
               {"leakage", leakage},
               {"duplicates", duplicates},
               {"distortion", DistortionJson(scan, manifest, &summary)}};
  std::string text = data.dump(-1, ' ', false, Json::error_handler_t::replace);
  // "<" as \u003c: the JSON can never close its <script> element.
  std::string safe;
  safe.reserve(text.size());
  for (char c : text) {
    if (c == '<') {
      safe.append("\\u003c");
    } else {
      safe.push_back(c);
    }
  }
  // Inside OUTPUT, files are staged in OUTPUT/_temporary (never a NAME.tmp in
  // OUTPUT itself, which --overwrite would take for a user's file).
  ARROW_ASSIGN_OR_RAISE(std::string output_abs, AbsolutePath(options.output));
  const std::string staging = JoinPath(output_abs, dataset::kTemporaryDir);
  bool made_staging = false;
  auto staged = [&](const std::string& final_path) -> Result<std::string> {
    ARROW_ASSIGN_OR_RAISE(std::string abs, AbsolutePath(final_path));
    if (DirName(abs) != output_abs) return abs + std::string(dataset::kTmpSuffix);
    if (!made_staging && !std::filesystem::exists(staging)) {
      ARROW_RETURN_NOT_OK(dataset::CreateDirDurably(staging));
      made_staging = true;
    }
    return JoinPath(staging, std::string(BaseName(abs)) + std::string(dataset::kTmpSuffix));
  };
  ARROW_ASSIGN_OR_RAISE(std::string html_tmp, staged(summary.html));
  ARROW_RETURN_NOT_OK(dataset::WriteFileAtomically(
      html_tmp, summary.html, report::RenderHtmlPage("imgfeat report: " + options.output, safe)));
  std::string legend = "imgfeat map of " + options.output + " (PCA, " + std::to_string(n) + " of " +
                       std::to_string(scan.rows) + " rows). Colours:";
  for (const auto& [label, index] : class_of) {
    legend.append(" ").append(report::CssColor(colors[index])).append(" ");
    legend.append(label.empty() ? std::string("(no label)") : label);
  }
  ARROW_ASSIGN_OR_RAISE(std::string png_tmp, staged(summary.png));
  ARROW_RETURN_NOT_OK(report::WriteMapPng(summary.png, projection.xy, classes, colors, kPngWidth,
                                          kPngHeight, legend, png_tmp));
  // Only a folder this report made, and only once empty (both files renamed).
  if (made_staging && ::rmdir(staging.c_str()) == 0) {
    ARROW_RETURN_NOT_OK(dataset::SyncDir(output_abs));
  }
  return summary;
}

}  // namespace imgfeat
