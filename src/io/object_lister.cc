// A streamed, paginated listing of an S3 prefix (see io/object_lister.h).
//
// One ListObjectsV2 page (1,000 keys) is held, and the next one requested
// while it is consumed, so the first images are featurized while the rest of
// a large prefix is still to be listed, and memory does not grow with the
// prefix however slow the consumer (io/s3_list_pages.h). Keys come in S3's
// order (UTF-8 byte order of the whole key).
#include "io/object_lister.h"

#include <arrow/filesystem/filesystem.h>

#include <chrono>
#include <deque>
#include <future>

#include "io/path_util.h"
#include "io/s3_list_pages.h"
#include "io/storage_internal.h"

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
      : root_(std::move(root)),
        bucket_(root_.path.substr(0, root_.path.find('/'))),
        options_(std::move(options)) {}
  ~S3ImageLister() override {
    if (next_.valid()) next_.wait();  // the request in flight uses pages_
  }

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
    ARROW_ASSIGN_OR_RAISE(pages_, S3PageLister::Make(root_, StorageMaxAttempts()));
    RequestPage();
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
        S3Object object = std::move(page_.front());
        page_.pop_front();
        // Folder markers ("a/") and names the options leave out are passed over.
        if (object.key.empty() || object.key.back() == '/' ||
            !ListedName(options_, BaseName(object.key))) {
          continue;
        }
        ImageFile f;
        f.path = "s3://" + bucket_ + "/" + object.key;
        f.length = object.size;
        f.modification_time_us = object.modification_time_us;
        return std::optional<ImageFile>(std::move(f));
      }
      if (!next_.valid()) return std::optional<ImageFile>();
      Result<S3Page> page = next_.get();
      if (!page.ok())
        return Status::IOError("listing '", root_.uri, "': ", page.status().message());
      const bool last = page->next_token.empty();
      page_.assign(std::make_move_iterator(page->objects.begin()),
                   std::make_move_iterator(page->objects.end()));
      if (!last) RequestPage();  // the next page while this one is consumed
    }
  }

  std::vector<std::pair<std::string, std::string>> Skipped() const override { return {}; }

 private:
  void RequestPage() {
    next_ = std::async(std::launch::async, [lister = pages_.get()] { return lister->NextPage(); });
  }

  StoragePath root_;
  std::string bucket_;
  ListOptions options_;
  std::optional<ImageFile> single_file_;
  std::unique_ptr<S3PageLister> pages_;
  std::future<Result<S3Page>> next_;  // at most one page requested ahead
  std::deque<S3Object> page_;
};

}  // namespace

Result<std::unique_ptr<ImageLister>> OpenObjectLister(const StoragePath& root,
                                                      const ListOptions& options) {
  auto lister = std::make_unique<S3ImageLister>(root, options);
  ARROW_RETURN_NOT_OK(lister->Start());
  return std::unique_ptr<ImageLister>(std::move(lister));
}

}  // namespace imgfeat
