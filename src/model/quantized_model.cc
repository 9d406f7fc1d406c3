// Finding a quantized model (imgfeat/quantize.h) and its quantized.json.
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "imgfeat/quantize.h"
#include "model/model_dirs.h"
#include "model/quantized_record.h"
#include "model/sha256.h"

namespace imgfeat {
namespace model {

std::string QuantizedRecordJson(const QuantizedRecord& r) {
  nlohmann::json j = {{"precision", r.precision},
                      {"source", {{"name", r.source_name}, {"sha256", r.source_sha256}}},
                      {"files", {{kQuantizedXml, r.xml_sha256}, {kQuantizedBin, r.bin_sha256}}},
                      {"calibration",
                       {{"input", r.calibration_input},
                        {"images", r.calibration_images},
                        {"skipped", r.calibration_skipped}}},
                      {"quantizer", r.quantizer},
                      {"created", r.created}};
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Result<QuantizedRecord> ParseQuantizedRecord(const std::string& text) {
  try {
    nlohmann::json j = nlohmann::json::parse(text);
    QuantizedRecord r;
    r.precision = j.at("precision").get<std::string>();
    r.source_name = j.at("source").at("name").get<std::string>();
    r.source_sha256 = j.at("source").at("sha256").get<std::string>();
    r.xml_sha256 = j.at("files").at(kQuantizedXml).get<std::string>();
    r.bin_sha256 = j.at("files").at(kQuantizedBin).get<std::string>();
    r.calibration_input = j.at("calibration").at("input").get<std::string>();
    r.calibration_images = j.at("calibration").at("images").get<int64_t>();
    r.calibration_skipped = j.at("calibration").at("skipped").get<int64_t>();
    r.quantizer = j.at("quantizer").get<std::string>();
    r.created = j.at("created").get<std::string>();
    return r;
  } catch (const nlohmann::json::exception& e) {
    return Status::Invalid("not a quantized model's record (", e.what(), ")");
  }
}

Result<std::string> QuantizedSha256(const QuantizedRecord& record) {
  const std::string text = std::string(kQuantizedXml) + " " + record.xml_sha256 + "\n" +
                           kQuantizedBin + " " + record.bin_sha256 + "\n";
  return Sha256Bytes(text.data(), text.size());
}

}  // namespace model

namespace {

namespace fs = std::filesystem;

Result<std::string> ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("cannot read ", path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The folder's files match its record, and the record the f32 model.
Result<QuantizedModel> CheckQuantizedDir(const fs::path& dir, const std::string& source_sha256) {
  ARROW_ASSIGN_OR_RAISE(std::string text, ReadText(dir / model::kQuantizedRecordFile));
  ARROW_ASSIGN_OR_RAISE(model::QuantizedRecord record, model::ParseQuantizedRecord(text));
  if (record.precision != "int8" || record.source_sha256 != source_sha256) {
    return Status::Invalid("its record is of another model (sha256 ", record.source_sha256, ")");
  }
  for (const auto& [name, expected] : {std::pair{model::kQuantizedXml, record.xml_sha256},
                                       std::pair{model::kQuantizedBin, record.bin_sha256}}) {
    Result<std::string> actual = Sha256File((dir / name).string());
    if (!actual.ok()) return Status::IOError(name, " is missing or unreadable");
    if (*actual != expected) return Status::Invalid(name, " does not match its record (damaged)");
  }
  QuantizedModel found;
  found.dir = dir.string();
  found.xml = (dir / model::kQuantizedXml).string();
  ARROW_ASSIGN_OR_RAISE(found.sha256, model::QuantizedSha256(record));
  found.calibration_images = record.calibration_images;
  return found;
}

}  // namespace

std::string QuantizedModelDir(const std::string& source_sha256) {
  return "int8/" + source_sha256.substr(0, 16);
}

Result<QuantizedModel> FindQuantizedModel(const std::string& model_name,
                                          const std::string& source_sha256,
                                          const ModelSearch& search) {
  std::string searched;
  for (const std::string& base : model::ModelSearchDirs(search)) {
    const fs::path dir = fs::path(base) / QuantizedModelDir(source_sha256);
    searched += (searched.empty() ? "" : ", ") + base;
    std::error_code ec;
    if (!fs::exists(dir / model::kQuantizedRecordFile, ec)) continue;
    Result<QuantizedModel> found = CheckQuantizedDir(dir, source_sha256);
    if (!found.ok()) {
      return Status::Invalid("--precision int8: the quantized model ", dir.string(),
                             " is unusable: ", found.status().message(),
                             "; make it again with 'imgfeat models quantize'");
    }
    return found;
  }
  return Status::IOError("--precision int8: no quantized model of '", model_name, "' in ",
                         searched.empty() ? "(no model folder set)" : searched,
                         "; make one with 'imgfeat models quantize ", model_name,
                         " --calibration IMAGES'");
}

}  // namespace imgfeat
