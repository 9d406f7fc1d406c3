// SHA-256 of bytes in memory (files: imgfeat::Sha256File in imgfeat/model.h).
#pragma once

#include <cstddef>
#include <string>

#include "imgfeat/status.h"

namespace imgfeat::model {

// Lower-case hex.
Result<std::string> Sha256Bytes(const void* data, size_t size);

}  // namespace imgfeat::model
