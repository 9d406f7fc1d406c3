// WebDataset tar shards: consecutive members sharing a key (the member's path
// up to the first dot of its base name) form a sample; the member whose
// extension is an image extension is its image (see imgfeat/shards.h).
#include <deque>
#include <nlohmann/json.hpp>

#include "imgfeat/path_text.h"
#include "io/object_lister.h"
#include "io/path_util.h"
#include "io/shard_internal.h"
#include "io/tar_members.h"

namespace imgfeat {
namespace {

struct KeyAndExtension {
  std::string key;
  std::string extension;  // after the first dot of the base name; "" when none
};

KeyAndExtension SplitMember(std::string_view name) {
  const size_t slash = name.rfind('/');
  const size_t base = slash == std::string_view::npos ? 0 : slash + 1;
  const size_t dot = name.find('.', base);
  if (dot == std::string_view::npos) return {std::string(name), ""};
  return {std::string(name.substr(0, dot)), std::string(name.substr(dot + 1))};
}

std::string Trimmed(std::string_view text) {
  const char* space = " \t\r\n";
  const size_t a = text.find_first_not_of(space);
  if (a == std::string_view::npos) return std::string();
  const size_t b = text.find_last_not_of(space);
  return std::string(text.substr(a, b - a + 1));
}

std::string_view View(const arrow::Buffer& b) {
  return std::string_view(reinterpret_cast<const char*>(b.data()), static_cast<size_t>(b.size()));
}

// A field of a sample from one of its members: "cls", "txt" (any extension:
// the member's text) or "json.NAME" (a field of its .json member); with
// `bare_json`, a NAME without a member of that extension is a .json field too.
std::optional<std::string> FieldOf(const std::string& field, const std::string& ext,
                                   const arrow::Buffer& data, bool bare_json) {
  const bool json_field = field.starts_with("json.");
  if (ext == field && !json_field) return Utf8Text(Trimmed(View(data)));
  if (ext != "json" || (!json_field && !bare_json)) return std::nullopt;
  auto json = nlohmann::json::parse(View(data), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  auto it = json.find(json_field ? field.substr(5) : field);
  if (it == json.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return Utf8Text(it->get<std::string>());
  return it->dump();
}

class WebDatasetReader final : public ShardReader {
 public:
  WebDatasetReader(ImageFile shard, ShardOptions options,
                   std::shared_ptr<arrow::io::RandomAccessFile> file)
      : shard_(std::move(shard)),
        options_(std::move(options)),
        source_(std::move(file), shard_.length, options_.part_bytes, options_.parts_ahead),
        members_(&source_, options_.max_sample_bytes) {}

  Result<std::optional<ShardSample>> Next() override {
    while (out_.empty() && !ended_) Advance();
    if (out_.empty()) return std::optional<ShardSample>();
    ShardSample sample = std::move(out_.front());
    out_.pop_front();
    return std::optional<ShardSample>(std::move(sample));
  }

 private:
  struct Building {
    std::string key;
    std::shared_ptr<arrow::Buffer> image;
    std::string image_member;
    std::vector<std::string> others;  // extensions of the members that are not its image
    std::optional<std::string> label;
    Status error;
    std::vector<std::optional<std::string>> kept;
    std::vector<bool> kept_from_member;  // a member named by extension wins over a .json field
  };

  Building Start(std::string key, Status error) const {
    Building b{std::move(key), nullptr, "", {}, std::nullopt, std::move(error), {}, {}};
    b.kept.resize(options_.keep_columns.size());
    b.kept_from_member.resize(options_.keep_columns.size());
    return b;
  }

  // Reads one member: it joins the sample being built, or ends it.
  void Advance() {
    auto member = members_.Next();
    if (!member.ok()) {
      ended_ = true;
      const Status error = member.status();
      const std::string failed_key =
          members_.failed_member().empty() ? "" : SplitMember(members_.failed_member()).key;
      if (building_ && building_->key == failed_key) {
        building_->error = error;
      } else {
        Emit();
        building_ = Start(failed_key, error);
      }
      Emit();
      return;
    }
    if (!member->has_value()) {
      ended_ = true;
      Emit();
      return;
    }
    TarMember& m = **member;
    KeyAndExtension split = SplitMember(m.name);
    if (building_ && building_->key != split.key) Emit();
    if (!building_) building_ = Start(split.key, Status::OK());
    Building& b = *building_;
    if (IsImageExtension(split.extension) && b.image_member.empty()) {
      b.image_member = m.name;
      if (!m.data) {
        b.error =
            Status::Invalid("member '", m.name, "' is ", m.size, " bytes, above the limit of ",
                            options_.max_sample_bytes, " (--max-file-bytes)");
      }
      b.image = std::move(m.data);
      return;
    }
    b.others.push_back(split.extension);
    if (!m.data) return;
    if (!options_.label_field.empty() && !b.label) {
      b.label = FieldOf(options_.label_field, split.extension, *m.data, /*bare_json=*/false);
    }
    for (size_t i = 0; i < options_.keep_columns.size(); ++i) {
      if (b.kept_from_member[i]) continue;
      const std::string& name = options_.keep_columns[i];
      auto value = FieldOf(name, split.extension, *m.data, /*bare_json=*/true);
      if (!value) continue;
      b.kept_from_member[i] = split.extension == name;
      b.kept[i] = std::move(value);
    }
  }

  void Emit() {
    if (!building_) return;
    Building b = std::move(*building_);
    building_.reset();
    ShardSample sample;
    sample.path = b.key.empty() ? shard_.path : SamplePath(shard_.path, b.key);
    sample.label = std::move(b.label);
    sample.kept = std::move(b.kept);
    if (!b.error.ok()) {
      sample.error = b.error;
    } else if (!b.image) {
      std::string members;
      for (const std::string& ext : b.others) {
        members += members.empty() ? "." : ", .";
        members += ext.empty() ? std::string("(no extension)") : ext;
      }
      sample.error = Status::Invalid("no image member (jpg, jpeg, png, webp, bmp, tif, tiff, ",
                                     "gif) in sample '", Utf8Text(b.key), "', only ", members);
    } else {
      sample.image = std::move(b.image);
    }
    out_.push_back(std::move(sample));
  }

  ImageFile shard_;
  ShardOptions options_;
  PartSource source_;
  TarMembers members_;
  std::optional<Building> building_;
  std::deque<ShardSample> out_;
  bool ended_ = false;
};

}  // namespace

Result<std::unique_ptr<ShardReader>> OpenWebDatasetShard(const ImageFile& shard,
                                                         const ShardOptions& options) {
  ARROW_ASSIGN_OR_RAISE(auto file, OpenListedFile(shard));
  return std::unique_ptr<ShardReader>(
      std::make_unique<WebDatasetReader>(shard, options, std::move(file)));
}

Result<int64_t> CountWebDatasetSamples(const ImageFile& shard, const ShardOptions& options) {
  ARROW_ASSIGN_OR_RAISE(auto file, OpenListedFile(shard));
  // On disk the members are seeked past; an object store is read through.
  const bool local = shard.path.find("://") == std::string::npos;
  PartSource source(std::move(file), shard.length, local ? 64 * 1024 : options.part_bytes,
                    local ? 0 : options.parts_ahead);
  TarMembers members(&source, options.max_sample_bytes);
  int64_t samples = 0;
  std::string last_key;
  bool any = false;
  while (true) {
    auto member = members.Next(/*read_data=*/false);
    if (!member.ok()) return samples + 1;  // the damage is one error row
    if (!member->has_value()) break;
    std::string key = SplitMember((*member)->name).key;
    if (!any || key != last_key) ++samples;
    any = true;
    last_key = std::move(key);
  }
  return samples;
}

}  // namespace imgfeat
