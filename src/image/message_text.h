// Error text from a decoding library, made fit for imgfeat's one-line
// errors: it goes to stderr and into _errors.parquet's UTF-8 column, and a
// library may quote the broken file's bytes or break its message over lines
// (libtiff: "Tag InkNames:\n  Value 1 of ...").
#pragma once

#include <string>
#include <string_view>

namespace imgfeat::image {

// Printable ASCII on one line: each run of whitespace that holds a line
// break becomes one space, other bytes outside 0x20..0x7e become \xNN.
std::string PrintableOneLine(std::string_view text);

}  // namespace imgfeat::image
