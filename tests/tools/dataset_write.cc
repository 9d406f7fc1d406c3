// Writes an imgfeat output folder from rows given as files, so that Python
// readers can be checked against the exact input.
//
//   dataset_write OUTPUT --dim D --records ROWS.jsonl --features FEATURES.f32
//       [--errors ERRORS.jsonl] [--rows-per-part N] [--rows-per-row-group N]
//       [--compression C] [--overwrite | --resume] [--crash-after-rows N]
//
// ROWS.jsonl: one {"path", "label", "modification_time_us", "length"} a line.
// FEATURES.f32: D float32 per row, little-endian, row after row.
// ERRORS.jsonl: one {"path", "stage", "error"} a line.
// --crash-after-rows N: appends N rows, then dies by SIGKILL (no Finish).
// The manifest written is {"tool": "dataset_write"}.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "imgfeat/dataset.h"

namespace {

int Fail(const std::string& message) {
  std::cerr << "dataset_write: " << message << "\n";
  return 1;
}

std::vector<nlohmann::json> ReadJsonLines(const std::string& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Fail("usage: dataset_write OUTPUT --dim D --records F --features F ...");
  std::string output = argv[1], records_path, features_path, errors_path;
  int64_t dim = 0, crash_after = -1;
  imgfeat::DatasetOptions options;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (arg == "--dim")
      dim = std::atoll(value().c_str());
    else if (arg == "--records")
      records_path = value();
    else if (arg == "--features")
      features_path = value();
    else if (arg == "--errors")
      errors_path = value();
    else if (arg == "--rows-per-part")
      options.rows_per_part = std::atoll(value().c_str());
    else if (arg == "--rows-per-row-group")
      options.rows_per_row_group = std::atoll(value().c_str());
    else if (arg == "--compression")
      options.compression = value();
    else if (arg == "--overwrite")
      options.overwrite = true;
    else if (arg == "--resume")
      options.resume = true;
    else if (arg == "--crash-after-rows")
      crash_after = std::atoll(value().c_str());
    else
      return Fail("unknown argument " + arg);
  }

  std::vector<imgfeat::FeatureRecord> records;
  for (const auto& row : ReadJsonLines(records_path)) {
    imgfeat::FeatureRecord record;
    record.file.path = row.at("path");
    record.label = row.at("label");
    record.file.modification_time_us = row.at("modification_time_us");
    record.file.length = row.at("length");
    records.push_back(std::move(record));
  }
  std::vector<float> features(records.size() * static_cast<size_t>(dim));
  std::ifstream in(features_path, std::ios::binary);
  if (!in.read(reinterpret_cast<char*>(features.data()),
               static_cast<std::streamsize>(features.size() * sizeof(float)))) {
    return Fail("cannot read " + std::to_string(features.size()) + " floats from " + features_path);
  }

  auto opened = imgfeat::DatasetWriter::Open(output, dim, R"({"tool": "dataset_write"})", options);
  if (!opened.ok()) return Fail(opened.status().ToString());
  auto writer = std::move(*opened);
  if (writer->already_complete()) {
    std::cout << "already complete\n";
    return 0;
  }
  // Appends in batches of 7, as a pipeline would, skipping what is committed.
  std::vector<imgfeat::FeatureRecord> batch;
  std::vector<float> batch_features;
  int64_t appended = 0;
  auto flush = [&]() {
    auto st = writer->Append(batch, batch_features.data(), nullptr);
    batch.clear();
    batch_features.clear();
    return st;
  };
  for (size_t i = 0; i < records.size(); ++i) {
    if (writer->committed_paths().contains(records[i].file.path)) continue;
    if (crash_after >= 0 && appended == crash_after) {
      if (auto st = flush(); !st.ok()) return Fail(st.ToString());
      ::kill(::getpid(), SIGKILL);
    }
    batch.push_back(records[i]);
    batch_features.insert(batch_features.end(), features.begin() + i * dim,
                          features.begin() + (i + 1) * dim);
    ++appended;
    if (batch.size() == 7) {
      if (auto st = flush(); !st.ok()) return Fail(st.ToString());
    }
  }
  if (auto st = flush(); !st.ok()) return Fail(st.ToString());
  if (crash_after >= 0) ::kill(::getpid(), SIGKILL);
  if (!errors_path.empty()) {
    for (const auto& row : ReadJsonLines(errors_path)) {
      auto st = writer->AddError(row.at("path"), row.at("stage"), row.at("error"));
      if (!st.ok()) return Fail(st.ToString());
    }
  }
  // As a run's manifest: the parameters and length a resume of it compares.
  const std::string manifest =
      R"({"tool": "dataset_write", "parameters": {"tool": "dataset_write"}, )"
      R"("counts": {"output_dim": )" +
      std::to_string(dim) + "}}";
  if (auto st = writer->Finish(manifest); !st.ok()) {
    return Fail(st.ToString());
  }
  std::cout << "rows " << writer->rows_written() << " errors " << writer->errors_recorded() << "\n";
  return 0;
}
