// Size and speed of Parquet feature parts for each codec, float encoding and
// row-group size: the measurements behind the dataset stage's defaults.
//
//   dataset_write_bench FEATURES.f32 DIM ROWS WORK_DIR
//
// FEATURES.f32 holds real feature rows (bench/dataset_features.py); they are
// repeated to ROWS rows. Each configuration writes one part through the same
// code as imgfeat (including the flush to disk) and reads it back.
#include <arrow/api.h>
#include <arrow/io/file.h>
#include <parquet/arrow/reader.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "dataset/parquet_part.h"

namespace {

using imgfeat::FeatureRecord;
using imgfeat::Status;
using imgfeat::dataset::FeatureRowGroup;
using imgfeat::dataset::ParquetFile;
using imgfeat::dataset::PartFormat;
using Clock = std::chrono::steady_clock;

struct Config {
  const char* codec_name;
  arrow::Compression::type codec;
  int level;
  bool split;
  int64_t rows_per_row_group;
  bool statistics = false;
};

constexpr int kRepeats = 3;  // the machine is shared: the best of a few runs

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// CPU time of this thread: what the codec costs, whatever else the machine runs.
double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Timing {
  double write_s, write_cpu_s, read_cpu_s, file_mb;
};

arrow::Result<Timing> RunOnce(const std::vector<float>& sample, int64_t dim, int64_t rows,
                              const std::string& dir, const Config& config) {
  PartFormat format;
  format.codec = config.codec;
  format.compression_level = config.level;
  format.split_feature_bytes = config.split;
  format.feature_statistics = config.statistics;
  format.rows_per_row_group = config.rows_per_row_group;
  format.rows_per_part = rows;
  const int64_t sample_rows = static_cast<int64_t>(sample.size()) / dim;
  const std::string tmp = dir + "/bench.parquet.tmp", final_path = dir + "/bench.parquet";

  auto start = Clock::now();
  double cpu_start = ThreadCpuSeconds();
  ARROW_ASSIGN_OR_RAISE(auto file,
                        ParquetFile::Create(tmp, imgfeat::dataset::FeatureSchema(), format));
  ARROW_ASSIGN_OR_RAISE(auto group, FeatureRowGroup::Make(dim, config.rows_per_row_group));
  FeatureRecord record;
  record.label = "Apple Golden";
  record.file.length = 5000;
  for (int64_t i = 0; i < rows; ++i) {
    record.file.path = "/data/fruits-360/Training/Apple Golden 1/r_" + std::to_string(i) + ".jpg";
    record.file.modification_time_us = 1'700'000'000'000'000LL + i;
    ARROW_RETURN_NOT_OK(group.Add(record, sample.data() + (i % sample_rows) * dim));
    if (group.size() == config.rows_per_row_group) ARROW_RETURN_NOT_OK(group.WriteTo(*file));
  }
  if (group.size() > 0) ARROW_RETURN_NOT_OK(group.WriteTo(*file));
  ARROW_RETURN_NOT_OK(file->Commit(final_path));
  const double write_s = Seconds(start);
  const double write_cpu_s = ThreadCpuSeconds() - cpu_start;

  cpu_start = ThreadCpuSeconds();
  ARROW_ASSIGN_OR_RAISE(auto input, arrow::io::ReadableFile::Open(final_path));
  ARROW_ASSIGN_OR_RAISE(auto reader, parquet::arrow::OpenFile(input, arrow::default_memory_pool()));
  std::shared_ptr<arrow::Table> table;
  ARROW_RETURN_NOT_OK(reader->ReadTable(&table));
  const double read_cpu_s = ThreadCpuSeconds() - cpu_start;
  if (table->num_rows() != rows) return Status::Invalid("read back ", table->num_rows(), " rows");

  const double file_mb = static_cast<double>(std::filesystem::file_size(final_path)) / 1e6;
  std::filesystem::remove(final_path);
  return Timing{write_s, write_cpu_s, read_cpu_s, file_mb};
}

Status Run(const std::vector<float>& sample, int64_t dim, int64_t rows, const std::string& dir,
           const Config& config) {
  Timing best{1e30, 1e30, 1e30, 0};
  for (int i = 0; i < kRepeats; ++i) {
    ARROW_ASSIGN_OR_RAISE(Timing t, RunOnce(sample, dim, rows, dir, config));
    best = {std::min(best.write_s, t.write_s), std::min(best.write_cpu_s, t.write_cpu_s),
            std::min(best.read_cpu_s, t.read_cpu_s), t.file_mb};
  }
  const double raw_mb = static_cast<double>(rows * dim * 4) / 1e6;
  std::printf(
      "| %5lld | %-6s | %d | %-17s | %-3s | %4lld | %6.1f | %5.2fx | %5.0f | %5.0f | %5.0f |\n",
      static_cast<long long>(dim), config.codec_name, config.level,
      config.split ? "BYTE_STREAM_SPLIT" : "PLAIN", config.statistics ? "yes" : "no",
      static_cast<long long>(config.rows_per_row_group), best.file_mb, raw_mb / best.file_mb,
      raw_mb / best.write_cpu_s, raw_mb / best.write_s, raw_mb / best.read_cpu_s);
  std::fflush(stdout);
  return Status::OK();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: dataset_write_bench FEATURES.f32 DIM ROWS WORK_DIR\n");
    return 2;
  }
  const int64_t dim = std::atoll(argv[2]), rows = std::atoll(argv[3]);
  std::vector<float> sample(std::filesystem::file_size(argv[1]) / sizeof(float));
  std::ifstream(argv[1], std::ios::binary)
      .read(reinterpret_cast<char*>(sample.data()),
            static_cast<std::streamsize>(sample.size() * sizeof(float)));
  const int64_t group = imgfeat::dataset::DefaultRowsPerRowGroup(dim);

  using C = arrow::Compression;
  std::vector<Config> configs;
  for (bool split : {false, true}) {
    configs.push_back({"none", C::UNCOMPRESSED, 0, split, group});
    configs.push_back({"snappy", C::SNAPPY, 0, split, group});
    configs.push_back({"lz4", C::LZ4, 0, split, group});
    configs.push_back({"zstd", C::ZSTD, 1, split, group});
    configs.push_back({"zstd", C::ZSTD, 3, split, group});
  }
  configs.push_back({"zstd", C::ZSTD, 1, false, group, /*statistics=*/true});
  for (int64_t g : {group / 4, group * 4, group * 16}) {
    if (g >= 1) configs.push_back({"zstd", C::ZSTD, 1, false, g});
  }
  std::printf(
      "| dim | codec | level | float encoding | stats | rows/RG | file MB | ratio "
      "| write MB/s (CPU) | write MB/s (wall, with fsync) | read MB/s (CPU) |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const Config& config : configs) {
    Status st = Run(sample, dim, rows, argv[4], config);
    if (!st.ok()) {
      std::fprintf(stderr, "dataset_write_bench: %s\n", st.ToString().c_str());
      return 1;
    }
  }
  return 0;
}
