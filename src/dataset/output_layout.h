// The names of the files in an imgfeat output folder (docs/FORMAT.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace imgfeat::dataset {

inline constexpr std::string_view kTemporaryDir = "_temporary";
inline constexpr std::string_view kSuccessFile = "_SUCCESS";
inline constexpr std::string_view kManifestFile = "_imgfeat.json";
inline constexpr std::string_view kErrorsFile = "_errors.parquet";
inline constexpr std::string_view kReducerFile = "_reducer.parquet";
// Written by the run beside the table (pipeline/distortion_sample.h) and by `imgfeat report`.
inline constexpr std::string_view kDistortionFile = "_distortion.parquet";
inline constexpr std::string_view kReportHtmlFile = "_report.html";
inline constexpr std::string_view kReportPngFile = "_report.png";
// Written by `imgfeat neighbours` (imgfeat/neighbours.h).
inline constexpr std::string_view kNeighboursFile = "_neighbours.parquet";
inline constexpr std::string_view kDuplicatesFile = "_duplicates.parquet";
// Inside _temporary: the parameters of the first run, which a resume must match.
inline constexpr std::string_view kRunParamsFile = "run.json";
// "_temporary/run.json": where the run parameters live, relative to OUTPUT.
std::string RunParamsName();
// Suffix of every file being written; such files are never final.
inline constexpr std::string_view kTmpSuffix = ".tmp";

// "part-00042.parquet" for 42 (five digits at least, so names sort by number).
std::string PartFileName(int64_t number);
// 42 for "part-00042.parquet"; nothing for any other name.
std::optional<int64_t> ParsePartFileName(std::string_view name);
// Whether `name`, an entry of OUTPUT, is one imgfeat writes there.
bool IsOutputEntryName(std::string_view name);

}  // namespace imgfeat::dataset
