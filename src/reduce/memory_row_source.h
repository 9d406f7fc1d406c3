// A RowSource over rows already in memory (tests, tools, small inputs).
#pragma once

#include <algorithm>
#include <cstdint>

#include "imgfeat/reduce.h"

namespace imgfeat::reduce {

class MemoryRowSource final : public RowSource {
 public:
  // `data` (rows x cols, row-major) must outlive the source.
  MemoryRowSource(const float* data, int64_t rows, int64_t cols)
      : data_(data), rows_(rows), cols_(cols) {}
  int64_t rows() const override { return rows_; }
  int64_t cols() const override { return cols_; }
  Status Rewind() override {
    next_ = 0;
    return Status::OK();
  }
  Result<int64_t> Read(float* out, int64_t max_rows) override {
    const int64_t n = std::min(max_rows, rows_ - next_);
    if (n <= 0) return 0;
    std::copy(data_ + next_ * cols_, data_ + (next_ + n) * cols_, out);
    next_ += n;
    return n;
  }

 private:
  const float* data_;
  int64_t rows_, cols_;
  int64_t next_ = 0;
};

}  // namespace imgfeat::reduce
