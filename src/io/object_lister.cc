// A streamed, paginated listing of an S3 prefix (see io/object_lister.h).
//
// Arrow's file info generator yields the ListObjectsV2 pages as they arrive,
// so the first images are featurized while the rest of a large prefix is still
// being listed. Keys come in S3's order (UTF-8 byte order of the whole key).
#include "io/object_lister.h"

#include <arrow/filesystem/filesystem.h>
#include <arrow/util/async_generator.h>

#include <chrono>
#include <deque>

#include "io/path_util.h"

namespace imgfeat {
namespace {

ImageFile MakeFile(const std::string& uri, const arrow::fs::FileInfo& info) {
  ImageFile f;
  f.path = uri;
  f.length = info.size();
  f.modification_time_us =
      std::chrono::duration_cast<std::chrono::microseconds>(info.mtime().time_since_epoch())
          .count();
  return f;
}

class S3ImageLister final : public ImageLister {
 public:
  S3ImageLister(StoragePath root, ListOptions options)
      : root_(std::move(root)), options_(std::move(options)) {}

  Status Start() {
    auto info = root_.fs->GetFileInfo(root_.path);
    if (!info.ok()) return Status::IOError("input '", root_.uri, "': ", info.status().message());
    if (info->type() == arrow::fs::FileType::File) {
      single_file_ = MakeFile(root_.uri, *info);
      return Status::OK();
    }
    if (info->type() == arrow::fs::FileType::NotFound) {
      const std::string bucket = root_.path.substr(0, root_.path.find('/'));
      auto bucket_info = root_.fs->GetFileInfo(bucket);
      if (bucket_info.ok() && bucket_info->type() == arrow::fs::FileType::NotFound) {
        return Status::IOError("input '", root_.uri, "': bucket '", bucket, "' does not exist");
      }
      if (!bucket_info.ok()) {
        return Status::IOError("input '", root_.uri, "': ", bucket_info.status().message());
      }
      return Status::IOError("input '", root_.uri, "': no such object or prefix");
    }
    arrow::fs::FileSelector selector;
    selector.base_dir = root_.path;
    selector.recursive = true;
    pages_ = root_.fs->GetFileInfoGenerator(selector);
    return Status::OK();
  }

  Result<std::optional<ImageFile>> Next() override {
    if (single_file_) {
      std::optional<ImageFile> f = std::move(single_file_);
      single_file_.reset();
      return f;
    }
    while (true) {
      while (!page_.empty()) {
        arrow::fs::FileInfo info = std::move(page_.front());
        page_.pop_front();
        if (info.type() != arrow::fs::FileType::File || !ListedName(options_, info.base_name())) {
          continue;
        }
        return std::optional<ImageFile>(MakeFile("s3://" + info.path(), info));
      }
      if (!pages_ || done_) return std::optional<ImageFile>();
      auto page = pages_().result();
      if (!page.ok()) {
        done_ = true;
        return Status::IOError("listing '", root_.uri, "': ", page.status().message());
      }
      if (arrow::IsIterationEnd(*page)) {
        done_ = true;
        continue;
      }
      page_.assign(std::make_move_iterator(page->begin()), std::make_move_iterator(page->end()));
    }
  }

  std::vector<std::pair<std::string, std::string>> Skipped() const override { return {}; }

 private:
  StoragePath root_;
  ListOptions options_;
  std::optional<ImageFile> single_file_;
  arrow::fs::FileInfoGenerator pages_;
  std::deque<arrow::fs::FileInfo> page_;
  bool done_ = false;
};

}  // namespace

Result<std::unique_ptr<ImageLister>> OpenObjectLister(const StoragePath& root,
                                                      const ListOptions& options) {
  auto lister = std::make_unique<S3ImageLister>(root, options);
  ARROW_RETURN_NOT_OK(lister->Start());
  return std::unique_ptr<ImageLister>(std::move(lister));
}

}  // namespace imgfeat
