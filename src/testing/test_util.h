// GoogleTest helpers for imgfeat's Status/Result (Arrow's own live in
// libarrow_testing, which the pyarrow wheel does not ship).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "imgfeat/status.h"

#define IMGFEAT_CONCAT_INNER(a, b) a##b
#define IMGFEAT_CONCAT(a, b) IMGFEAT_CONCAT_INNER(a, b)

#define ASSERT_OK(expr)                                       \
  do {                                                        \
    ::arrow::Status _st = ::arrow::ToStatus(expr);            \
    ASSERT_TRUE(_st.ok()) << #expr << ": " << _st.ToString(); \
  } while (false)

#define EXPECT_OK(expr)                                       \
  do {                                                        \
    ::arrow::Status _st = ::arrow::ToStatus(expr);            \
    EXPECT_TRUE(_st.ok()) << #expr << ": " << _st.ToString(); \
  } while (false)

#define ASSERT_OK_AND_ASSIGN_IMPL(result, lhs, rexpr)                       \
  auto result = (rexpr);                                                    \
  ASSERT_TRUE(result.ok()) << #rexpr << ": " << result.status().ToString(); \
  lhs = std::move(result).ValueUnsafe();

#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  ASSERT_OK_AND_ASSIGN_IMPL(IMGFEAT_CONCAT(_result_, __COUNTER__), lhs, rexpr)

namespace imgfeat::testing {

// Folder of the source tree (set by ctest), and of the shared data beside it.
inline std::string SourceDir() {
  const char* dir = std::getenv("IMGFEAT_SOURCE_DIR");
  return dir ? dir : ".";
}

}  // namespace imgfeat::testing
