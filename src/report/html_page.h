// The report's HTML: one self-contained page (inline style and script, the
// data as embedded JSON, thumbnails as data URIs) that draws its figures in
// the browser, and allows no network access at all (its Content Security
// Policy permits only inline script and style and data: images).
#pragma once

#include <string>

namespace imgfeat::report {

// The page for `data_json` (the object report.cc assembles; docs/FORMAT.md).
std::string RenderHtmlPage(const std::string& title, const std::string& data_json);

}  // namespace imgfeat::report
