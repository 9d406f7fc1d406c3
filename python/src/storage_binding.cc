// imgfeat._imgfeat pieces of a distributed run's executors (imgfeat.spark):
// reading images (files, or s3:// objects fetched many at once as a run
// fetches them), writing part files formatted as a run's, and the few file
// operations the driver's commit needs (rename, delete, list) on local
// folders and S3 alike, through the library's storage layer.
#include <arrow/api.h>
#include <arrow/filesystem/filesystem.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <algorithm>
#include <filesystem>

#include "binding_util.h"
#include "dataset/durable_file.h"
#include "dataset/output_layout.h"
#include "dataset/parquet_part.h"
#include "imgfeat/storage.h"
#include "io/object_fetcher.h"
#include "pipeline/image_preparer.h"

namespace imgfeat::python {
namespace {

// Bytes of images being fetched from an object store at once, as a run.
constexpr int64_t kFetchAheadBytes = int64_t{128} << 20;

// An object refused from its size before it is fetched, in the words of a run.
Status CheckObjectSize(int64_t size, int64_t max_file_bytes) {
  if (size > max_file_bytes) {
    return Status::IOError("file of ", size, " bytes is larger than --max-file-bytes ",
                           max_file_bytes);
  }
  return Status::OK();
}

// The bytes of every image (files or s3:// objects, fetched many at once when
// their `lengths` are known as listed, one by one when a length is < 0), as a
// binary array with nulls where the read failed, and the read errors (the
// messages a run writes to _errors.parquet, stage "read"). Files are read by
// a run's read stage: with their listed length and `modification_times`
// (microseconds; < 0 or none: unknown), a file changed since the listing is
// refused as a run refuses it.
nb::tuple ReadImages(const std::vector<std::string>& paths, const std::vector<int64_t>& lengths,
                     int64_t max_file_bytes, const std::vector<int64_t>& modification_times) {
  if (lengths.size() != paths.size()) throw nb::value_error("one length per path");
  if (!modification_times.empty() && modification_times.size() != paths.size()) {
    throw nb::value_error("one modification time per path");
  }
  // A file as listed; without both its length and modification time, one
  // that is not compared with the listing.
  auto listed_file = [&](size_t i) {
    const int64_t time = modification_times.empty() ? -1 : modification_times[i];
    if (time < 0 || lengths[i] < 0) return ImageFile{paths[i], 0, 0};
    return ImageFile{paths[i], time, lengths[i]};
  };
  std::vector<std::optional<std::string>> errors(paths.size());
  std::shared_ptr<arrow::Array> array;
  Status status;
  {
    nb::gil_scoped_release release;
    status = [&]() -> Status {
      arrow::BinaryBuilder builder;
      std::vector<uint8_t> bytes;
      std::unique_ptr<ObjectFetcher> fetcher;
      std::vector<PendingObject> pending(paths.size());
      std::vector<Status> checked(paths.size());
      for (size_t i = 0; i < paths.size(); ++i) {
        if (!IsS3Uri(paths[i]) || lengths[i] < 0) continue;
        checked[i] = CheckObjectSize(lengths[i], max_file_bytes);
        if (!checked[i].ok()) continue;
        if (!fetcher) {
          ARROW_ASSIGN_OR_RAISE(StoragePath first, ResolveStorage(paths[i]));
          fetcher = std::make_unique<ObjectFetcher>(first.fs, kFetchAheadBytes);
        }
        pending[i] = fetcher->Start(ImageFile{paths[i], 0, lengths[i]});
      }
      for (size_t i = 0; i < paths.size(); ++i) {
        Status read = checked[i];
        if (!read.ok()) {
          // refused before fetching
        } else if (!IsS3Uri(paths[i])) {
          read = ReadListedFile(listed_file(i), max_file_bytes, &bytes);
        } else if (lengths[i] >= 0) {
          read = fetcher->Finish(ImageFile{paths[i], 0, lengths[i]}, &pending[i], &bytes);
        } else {
          auto whole = ReadStorageFile(paths[i]);
          read = whole.status();
          if (whole.ok()) bytes.assign(whole->begin(), whole->end());
        }
        if (read.ok()) read = CheckObjectSize(static_cast<int64_t>(bytes.size()), max_file_bytes);
        if (read.ok()) {
          ARROW_RETURN_NOT_OK(builder.Append(bytes.data(), static_cast<int64_t>(bytes.size())));
        } else {
          errors[i] = read.message();
          ARROW_RETURN_NOT_OK(builder.AppendNull());
        }
      }
      ARROW_RETURN_NOT_OK(builder.Finish(&array));
      return Status::OK();
    }();
  }
  ThrowIfError(status);
  auto batch = arrow::RecordBatch::Make(arrow::schema({arrow::field("content", arrow::binary())}),
                                        array->length(), {array});
  return nb::make_tuple(ExportBatch(batch), errors);
}

// Writes a batch of the output's schema (path, label, modification_time,
// length, features) as one complete Parquet file at `uri`, formatted as a
// run's parts: it appears under `uri` only whole.

// Removes a folder or prefix that imgfeat made (a distributed run's attempts).
void DeleteTree(const std::string& uri) {
  nb::gil_scoped_release release;
  Status status = [&]() -> Status {
    ARROW_ASSIGN_OR_RAISE(StoragePath target, ResolveStorage(uri));
    if (!target.is_s3) return dataset::RemoveTree(target.path);
    return target.fs->DeleteDirContents(target.path, /*missing_dir_ok=*/true);
  }();
  nb::gil_scoped_acquire acquire;
  ThrowIfError(status);
}

// The file names directly under a folder or prefix (none when it is missing).
nb::bytes ReadFile(const std::string& uri) {
  Result<std::string> data;
  {
    nb::gil_scoped_release release;
    data = ReadStorageFile(uri);
  }
  ThrowIfError(data.status());
  return nb::bytes(data->data(), data->size());
}
}  // namespace

void BindStorage(nb::module_& m) {
  m.def("read_images", &ReadImages, nb::arg("paths"), nb::arg("lengths"), nb::arg("max_file_bytes"),
        nb::arg("modification_times") = std::vector<int64_t>{});
  m.def("delete_tree", &DeleteTree, nb::arg("uri"));
  m.def("read_file", &ReadFile, nb::arg("uri"));
  // At the interpreter's exit only: S3 cannot be used again in the process.
  m.def("_shutdown_storage", [] {
    nb::gil_scoped_release release;
    ShutdownStorage();
  });
}

}  // namespace imgfeat::python
