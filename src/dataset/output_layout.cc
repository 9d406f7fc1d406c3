#include "dataset/output_layout.h"

#include <cstdio>

namespace imgfeat::dataset {
namespace {
constexpr std::string_view kPartPrefix = "part-";
constexpr std::string_view kPartSuffix = ".parquet";
}  // namespace

std::string PartFileName(int64_t number) {
  char digits[32];
  std::snprintf(digits, sizeof(digits), "%05lld", static_cast<long long>(number));
  return std::string(kPartPrefix) + digits + std::string(kPartSuffix);
}

std::optional<int64_t> ParsePartFileName(std::string_view name) {
  if (!name.starts_with(kPartPrefix) || !name.ends_with(kPartSuffix)) return std::nullopt;
  std::string_view digits =
      name.substr(kPartPrefix.size(), name.size() - kPartPrefix.size() - kPartSuffix.size());
  if (digits.size() < 5 || digits.size() > 18) return std::nullopt;
  int64_t number = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    number = number * 10 + (c - '0');
  }
  // Only the canonical spelling, so that a name maps to one number and back.
  if (PartFileName(number) != name) return std::nullopt;
  return number;
}

bool IsOutputEntryName(std::string_view name) {
  // What an interrupted imgfeat before 2026-12 may have left: these three
  // were staged as NAME.tmp in OUTPUT itself (now in _temporary/).
  if (name.ends_with(kTmpSuffix)) {
    name.remove_suffix(kTmpSuffix.size());
    return name == kReducerFile || name == kReportHtmlFile || name == kReportPngFile;
  }
  return name == kTemporaryDir || name == kSuccessFile || name == kManifestFile ||
         name == kErrorsFile || name == kReducerFile || name == kDistortionFile ||
         name == kReportHtmlFile || name == kReportPngFile || name == kNeighboursFile ||
         name == kDuplicatesFile || ParsePartFileName(name).has_value();
}

std::string RunParamsName() {
  return std::string(kTemporaryDir) + "/" + std::string(kRunParamsFile);
}

}  // namespace imgfeat::dataset
