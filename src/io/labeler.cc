// Labels from paths (see imgfeat/listing.h).
#include <re2/re2.h>

#include "imgfeat/listing.h"
#include "imgfeat/path_text.h"
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
  // Latin-1: the path is matched byte by byte (a path need not be UTF-8),
  // as std::regex did; a UTF-8 literal in the expression matches its bytes.
  RE2::Options options(RE2::Latin1);
  options.set_log_errors(false);
  auto compiled = std::make_shared<const RE2>(regex, options);
  if (!compiled->ok()) {
    return Status::Invalid("--label-regex '", regex, "' does not compile: ", compiled->error());
  }
  labeler.regex_ = std::move(compiled);
  if (labeler.regex_->NumberOfCapturingGroups() < 1) {
    return Status::Invalid("--label-regex '", regex, "' has no capture group for the label");
  }
  return labeler;
}

std::string Labeler::LabelFor(std::string_view path) const {
  // A label is text: bytes of a name that are not UTF-8 become \xNN.
  if (!regex_) return Utf8Text(DefaultLabel(path));
  re2::StringPiece label;
  if (!RE2::PartialMatch(re2::StringPiece(path.data(), path.size()), *regex_, &label) ||
      label.data() == nullptr) {
    return std::string();
  }
  return Utf8Text(std::string_view(label.data(), label.size()));
}

}  // namespace imgfeat
