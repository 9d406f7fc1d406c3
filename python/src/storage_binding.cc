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
int64_t WritePart(const std::string& uri, nb::handle schema_capsule, nb::handle array_capsule) {
  std::shared_ptr<arrow::Array> array = ImportArray(schema_capsule, array_capsule);
  Status status;
  nb::gil_scoped_release release;
  status = [&]() -> Status {
    ARROW_ASSIGN_OR_RAISE(auto batch, arrow::RecordBatch::FromStructArray(array));
    const auto& schema = dataset::FeatureSchema();
    if (batch->num_columns() != schema->num_fields()) {
      return Status::TypeError("a part needs the columns ", schema->ToString());
    }
    std::vector<std::shared_ptr<arrow::Array>> columns = batch->columns();
    for (int i = 0; i < 4; ++i) {
      if (!columns[i]->type()->Equals(*schema->field(i)->type())) {
        return Status::TypeError("column ", schema->field(i)->name(), " must be ",
                                 schema->field(i)->type()->ToString(), ", not ",
                                 columns[i]->type()->ToString());
      }
    }
    // The features as the output's list type (its item field is named and
    // not nullable), the same buffers.
    if (columns[4]->type_id() != arrow::Type::LIST) {
      return Status::TypeError("features must be a list<float32> column");
    }
    const auto& list = static_cast<const arrow::ListArray&>(*columns[4]);
    if (list.null_count() != 0 || list.values()->type_id() != arrow::Type::FLOAT) {
      return Status::TypeError("features must be a list<float32> column without nulls");
    }
    columns[4] = std::make_shared<arrow::ListArray>(schema->field(4)->type(), list.length(),
                                                    list.value_offsets(), list.values(), nullptr, 0,
                                                    list.offset());
    auto table = arrow::Table::Make(schema, columns, batch->num_rows());
    const int64_t feature_dim = list.length() > 0 ? list.value_length(0) : 1;
    ARROW_ASSIGN_OR_RAISE(
        auto format, dataset::MakePartFormat(DatasetOptions{}, std::max<int64_t>(1, feature_dim)));
    ARROW_ASSIGN_OR_RAISE(StoragePath target, ResolveStorage(uri));
    std::unique_ptr<dataset::ParquetFile> file;
    if (target.is_s3) {
      ARROW_ASSIGN_OR_RAISE(
          file, dataset::ParquetFile::CreateObject(target.fs, target.path, schema, format));
    } else {
      std::error_code ec;
      std::filesystem::create_directories(std::filesystem::path(target.path).parent_path(), ec);
      if (ec) return Status::IOError("cannot create the folder of '", uri, "': ", ec.message());
      ARROW_ASSIGN_OR_RAISE(file,
                            dataset::ParquetFile::Create(target.path + ".tmp", schema, format));
    }
    ARROW_RETURN_NOT_OK(file->WriteRowGroups(*table));
    return file->Commit(target.path);
  }();
  nb::gil_scoped_acquire acquire;  // the exception is raised with the GIL held
  ThrowIfError(status);
  return 0;
}

// Gives the file `from` the name `to` (both in one store): a durable rename
// on disk, a server-side copy then delete on S3 (the object at `to` is whole
// from the moment it exists).
void MoveFile(const std::string& from, const std::string& to) {
  nb::gil_scoped_release release;
  Status status = [&]() -> Status {
    ARROW_ASSIGN_OR_RAISE(StoragePath source, ResolveStorage(from));
    ARROW_ASSIGN_OR_RAISE(StoragePath target, ResolveStorage(to));
    if (!source.is_s3) {
      std::error_code ec;
      std::filesystem::create_directories(std::filesystem::path(target.path).parent_path(), ec);
      if (ec) return Status::IOError("cannot create the folder of '", to, "': ", ec.message());
      return dataset::CommitRename(source.path, target.path);
    }
    return source.fs->Move(source.path, target.path);
  }();
  nb::gil_scoped_acquire acquire;
  ThrowIfError(status);
}

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
std::vector<std::string> ListNames(const std::string& uri) {
  std::vector<std::string> names;
  nb::gil_scoped_release release;
  Status status = [&]() -> Status {
    ARROW_ASSIGN_OR_RAISE(StoragePath target, ResolveStorage(uri));
    arrow::fs::FileSelector selector;
    selector.base_dir = target.path;
    selector.allow_not_found = true;
    ARROW_ASSIGN_OR_RAISE(auto infos, target.fs->GetFileInfo(selector));
    for (const auto& info : infos) names.push_back(info.base_name());
    std::sort(names.begin(), names.end());
    return Status::OK();
  }();
  nb::gil_scoped_acquire acquire;
  ThrowIfError(status);
  return names;
}

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
  m.def("write_part", &WritePart, nb::arg("uri"), nb::arg("schema"), nb::arg("array"));
  m.def("move_file", &MoveFile, nb::arg("source"), nb::arg("target"));
  m.def("delete_tree", &DeleteTree, nb::arg("uri"));
  m.def("list_names", &ListNames, nb::arg("uri"));
  m.def("read_file", &ReadFile, nb::arg("uri"));
  m.def("part_name", [](int64_t number) { return dataset::PartFileName(number); });
}

}  // namespace imgfeat::python
