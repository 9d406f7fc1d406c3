// imgfeat's one error model: arrow::Status and arrow::Result<T>.
//
// Arrow is linked for Parquet anyway, so its Status/Result and return-on-error
// macros (ARROW_RETURN_NOT_OK, ARROW_ASSIGN_OR_RAISE) are used everywhere
// instead of a third error type. Exceptions thrown by libraries are caught at
// the boundary where they are called and turned into a Status.
#pragma once

#include <arrow/result.h>
#include <arrow/status.h>

namespace imgfeat {

using Status = arrow::Status;
template <typename T>
using Result = arrow::Result<T>;

}  // namespace imgfeat
