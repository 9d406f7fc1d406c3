// FeatureSpill: raw float32 rows in a local file, written once, read many times.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "imgfeat/reduce.h"

namespace imgfeat {
namespace {

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

class FileFeatureSpill final : public FeatureSpill {
 public:
  FileFeatureSpill(std::string path, int64_t cols, FilePtr writer)
      : path_(std::move(path)), cols_(cols), writer_(std::move(writer)) {}
  ~FileFeatureSpill() override {
    writer_.reset();
    reader_.reset();
    std::remove(path_.c_str());
  }

  int64_t rows() const override { return rows_; }
  int64_t cols() const override { return cols_; }

  Status Append(const float* rows, int64_t n) override {
    if (!writer_) return Status::Invalid(path_, ": spill appended to after FinishWriting");
    const auto count = static_cast<size_t>(n * cols_);
    if (std::fwrite(rows, sizeof(float), count, writer_.get()) != count) {
      return Status::IOError(path_, ": cannot write spill: ", std::strerror(errno));
    }
    rows_ += n;
    return Status::OK();
  }

  Status FinishWriting() override {
    if (!writer_) return Status::OK();
    const bool failed = std::fflush(writer_.get()) != 0;
    const int error = errno;
    writer_.reset();
    if (failed) return Status::IOError(path_, ": cannot write spill: ", std::strerror(error));
    return Rewind();
  }

  Status Rewind() override {
    if (writer_) return Status::Invalid(path_, ": spill read before FinishWriting");
    if (!reader_) {
      reader_.reset(std::fopen(path_.c_str(), "rb"));
      if (!reader_) {
        return Status::IOError(path_, ": cannot open spill: ", std::strerror(errno));
      }
    } else if (std::fseek(reader_.get(), 0, SEEK_SET) != 0) {
      return Status::IOError(path_, ": cannot rewind spill: ", std::strerror(errno));
    }
    next_row_ = 0;
    return Status::OK();
  }

  Result<int64_t> Read(float* out, int64_t max_rows) override {
    if (!reader_) ARROW_RETURN_NOT_OK(Rewind());
    const int64_t n = std::min(max_rows, rows_ - next_row_);
    if (n <= 0) return 0;
    const auto count = static_cast<size_t>(n * cols_);
    if (std::fread(out, sizeof(float), count, reader_.get()) != count) {
      return Status::IOError(path_, ": spill shorter than the ", rows_, " rows written");
    }
    next_row_ += n;
    return n;
  }

 private:
  std::string path_;
  int64_t cols_;
  FilePtr writer_;
  FilePtr reader_;
  int64_t rows_ = 0;
  int64_t next_row_ = 0;
};

}  // namespace

Result<std::unique_ptr<FeatureSpill>> FeatureSpill::Create(const std::string& path, int64_t cols) {
  if (cols <= 0) return Status::Invalid(path, ": spill needs cols > 0, got ", cols);
  FilePtr writer(std::fopen(path.c_str(), "wb"));
  if (!writer) return Status::IOError(path, ": cannot create spill: ", std::strerror(errno));
  return std::unique_ptr<FeatureSpill>(new FileFeatureSpill(path, cols, std::move(writer)));
}

}  // namespace imgfeat
