// quantized.json, the record kept with a quantized model (imgfeat/quantize.h).
#pragma once

#include <cstdint>
#include <string>

#include "imgfeat/status.h"

namespace imgfeat::model {

inline constexpr const char* kQuantizedRecordFile = "quantized.json";
inline constexpr const char* kQuantizedXml = "model.xml";
inline constexpr const char* kQuantizedBin = "model.bin";

struct QuantizedRecord {
  std::string precision = "int8";
  std::string source_name;    // the f32 model's name
  std::string source_sha256;  // the f32 file's
  std::string xml_sha256;
  std::string bin_sha256;
  std::string calibration_input;  // what was listed, as text
  int64_t calibration_images = 0;
  int64_t calibration_skipped = 0;  // listed images that could not be read
  std::string quantizer;            // "nncf 2.19.0, openvino 2025.4.1"
  std::string created;              // UTC, ISO 8601
};

std::string QuantizedRecordJson(const QuantizedRecord& record);
Result<QuantizedRecord> ParseQuantizedRecord(const std::string& text);

// One checksum for the model's two files.
Result<std::string> QuantizedSha256(const QuantizedRecord& record);

}  // namespace imgfeat::model
