// A lazy, sorted, recursive walk of a folder tree (see imgfeat/listing.h).
//
// The walk keeps one sorted entry list per open folder on a stack, so memory
// grows with the depth and width of the tree, never with its total size.
#include <dirent.h>
#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <utility>

#include "imgfeat/listing.h"
#include "imgfeat/path_text.h"
#include "imgfeat/storage.h"
#include "io/object_lister.h"
#include "io/path_util.h"

namespace imgfeat {
namespace {

const char* NotRegularReason(mode_t mode) {
  if (S_ISFIFO(mode)) return "a FIFO, not a regular file";
  if (S_ISSOCK(mode)) return "a socket, not a regular file";
  if (S_ISCHR(mode)) return "a character device, not a regular file";
  if (S_ISBLK(mode)) return "a block device, not a regular file";
  if (S_ISLNK(mode)) return "a symbolic link, not followed";
  return "not a regular file";
}

bool HasImageExtension(std::string_view name) {
  const size_t dot = name.rfind('.');
  return dot != std::string_view::npos && dot > 0 && IsImageExtension(name.substr(dot + 1));
}

struct DirFrame {
  std::string path;
  std::vector<std::string> names;  // sorted, consumed from the front
  size_t next = 0;
  std::pair<dev_t, ino_t> id;
};

class FsImageLister final : public ImageLister {
 public:
  FsImageLister(ListOptions options) : options_(std::move(options)) {}

  Status Start(const std::string& root) {
    ARROW_ASSIGN_OR_RAISE(std::string abs, AbsolutePath(root));
    struct stat st;
    if (::stat(abs.c_str(), &st) != 0) {
      return Status::IOError("input '", root, "': ", std::strerror(errno));
    }
    if (S_ISREG(st.st_mode)) {
      single_file_ = MakeFile(abs, st);
      return Status::OK();
    }
    if (!S_ISDIR(st.st_mode)) {
      return Status::Invalid("input '", root, "' is neither a folder nor a file");
    }
    return PushDir(abs, st, /*is_root=*/true);
  }

  Result<std::optional<ImageFile>> Next() override {
    if (single_file_) {
      std::optional<ImageFile> f = std::move(single_file_);
      single_file_.reset();
      return f;
    }
    while (!stack_.empty()) {
      DirFrame& top = stack_.back();
      if (top.next == top.names.size()) {
        active_.erase(top.id);
        stack_.pop_back();
        continue;
      }
      std::string path = JoinPath(top.path, top.names[top.next++]);
      struct stat st;
      int rc = options_.follow_symlinks ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st);
      if (rc != 0) {
        skipped_.emplace_back(path, std::strerror(errno));
        continue;
      }
      if (S_ISDIR(st.st_mode)) {
        ARROW_RETURN_NOT_OK(PushDir(path, st, /*is_root=*/false));
        continue;
      }
      if (!Matches(BaseName(path))) continue;
      if (!S_ISREG(st.st_mode)) {
        // Named like an image but not one: reported, never opened (a FIFO
        // would block the reader forever).
        skipped_.emplace_back(path, NotRegularReason(st.st_mode));
        continue;
      }
      return std::optional<ImageFile>(MakeFile(path, st));
    }
    return std::optional<ImageFile>();
  }

  std::vector<std::pair<std::string, std::string>> Skipped() const override { return skipped_; }

 private:
  static ImageFile MakeFile(const std::string& path, const struct stat& st) {
    ImageFile f;
    f.path = path;
    f.length = st.st_size;
    f.modification_time_us =
        static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000 + st.st_mtim.tv_nsec / 1000;
    return f;
  }

  bool Matches(std::string_view name) const { return ListedName(options_, name); }

  Status PushDir(const std::string& path, const struct stat& st, bool is_root) {
    std::pair<dev_t, ino_t> id{st.st_dev, st.st_ino};
    if (active_.count(id)) {  // a link back to a folder being walked: a cycle
      skipped_.emplace_back(path, "symbolic link cycle");
      return Status::OK();
    }
    DIR* dir = ::opendir(path.c_str());
    if (dir == nullptr) {
      if (is_root) return Status::IOError("input '", path, "': ", std::strerror(errno));
      skipped_.emplace_back(path, std::strerror(errno));
      return Status::OK();
    }
    std::unique_ptr<DIR, int (*)(DIR*)> closer(dir, ::closedir);
    DirFrame frame{path, {}, 0, id};
    while (struct dirent* e = ::readdir(dir)) {
      std::string_view name = e->d_name;
      if (name == "." || name == "..") continue;
      frame.names.emplace_back(name);
    }
    std::sort(frame.names.begin(), frame.names.end());
    active_.insert(id);
    stack_.push_back(std::move(frame));
    return Status::OK();
  }

  ListOptions options_;
  std::vector<DirFrame> stack_;
  std::set<std::pair<dev_t, ino_t>> active_;
  std::optional<ImageFile> single_file_;
  std::vector<std::pair<std::string, std::string>> skipped_;
};

}  // namespace

bool IsImageExtension(std::string_view extension) {
  for (std::string_view e : {"jpg", "jpeg", "png", "webp", "bmp", "tif", "tiff", "gif"}) {
    if (EqualsIgnoreAsciiCase(extension, e)) return true;
  }
  return false;
}

bool HasExtension(std::string_view name, std::string_view ext) {
  return name.size() > ext.size() &&
         EqualsIgnoreAsciiCase(name.substr(name.size() - ext.size()), ext);
}

bool ListedName(const ListOptions& options, std::string_view name) {
  if (!options.glob.empty())
    return ::fnmatch(options.glob.c_str(), std::string(name).c_str(), 0) == 0;
  switch (options.format) {
    case InputFormat::kFiles:
      return HasImageExtension(name);
    case InputFormat::kWebDataset:
      return HasExtension(name, ".tar");
    case InputFormat::kParquet:
      return HasExtension(name, ".parquet");
    case InputFormat::kAuto:
      break;
  }
  return HasImageExtension(name) || HasExtension(name, ".tar") || HasExtension(name, ".parquet");
}

Result<InputFormat> ParseInputFormat(std::string_view name) {
  for (InputFormat f :
       {InputFormat::kAuto, InputFormat::kFiles, InputFormat::kWebDataset, InputFormat::kParquet}) {
    if (name == InputFormatName(f)) return f;
  }
  return Status::Invalid("--input-format '", name,
                         "' is not one of auto, files, webdataset, parquet");
}

const char* InputFormatName(InputFormat format) {
  switch (format) {
    case InputFormat::kAuto:
      return "auto";
    case InputFormat::kFiles:
      return "files";
    case InputFormat::kWebDataset:
      return "webdataset";
    case InputFormat::kParquet:
      return "parquet";
  }
  return "auto";
}

Result<std::unique_ptr<ImageLister>> ImageLister::Open(const std::string& root,
                                                       const ListOptions& options) {
  if (IsS3Uri(root)) {
    ARROW_ASSIGN_OR_RAISE(StoragePath where, ResolveStorage(root));
    return OpenObjectLister(where, options);
  }
  auto lister = std::make_unique<FsImageLister>(options);
  // A local path, or its text form (a file:// URI, imgfeat/path_text.h).
  ARROW_ASSIGN_OR_RAISE(std::string local, PathFromText(root));
  ARROW_RETURN_NOT_OK(lister->Start(local));
  return std::unique_ptr<ImageLister>(std::move(lister));
}

}  // namespace imgfeat
