// Labels from paths (see imgfeat/listing.h).
#include <regex>

#include "imgfeat/listing.h"
#include "io/path_util.h"

namespace imgfeat {
namespace {

// ASCII letters, as the notebook's [a-zA-Z], plus every byte of a non-ASCII
// UTF-8 character, so that "Fraise été 3" keeps its accented letters (the
// notebook's expression would cut it to "Fraise ét").
bool IsLetterByte(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || static_cast<unsigned char>(c) >= 0x80;
}

// The parent folder's name up to its last letter, so that "Apple Golden 1" and
// "Apple Golden 2" share a label.
std::string DefaultLabel(std::string_view path) {
  std::string_view folder = BaseName(DirName(path));
  size_t end = folder.size();
  while (end > 0 && !IsLetterByte(folder[end - 1])) --end;
  return std::string(folder.substr(0, end));
}

}  // namespace

Result<Labeler> Labeler::Make(const std::string& regex) {
  Labeler labeler;
  if (regex.empty()) return labeler;
  try {
    labeler.regex_.emplace(regex, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return Status::Invalid("--label-regex '", regex, "' does not compile: ", e.what());
  }
  if (labeler.regex_->mark_count() < 1) {
    return Status::Invalid("--label-regex '", regex, "' has no capture group for the label");
  }
  return labeler;
}

std::string Labeler::LabelFor(std::string_view path) const {
  if (!regex_) return DefaultLabel(path);
  std::match_results<std::string_view::const_iterator> match;
  if (!std::regex_search(path.begin(), path.end(), match, *regex_) || !match[1].matched) {
    return std::string();
  }
  return match[1].str();
}

}  // namespace imgfeat
