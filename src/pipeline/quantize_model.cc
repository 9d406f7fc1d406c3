// 'imgfeat models quantize': the calibration images prepared as a run prepares
// them, NNCF's post-training quantization in a Python process of its own
// (python/imgfeat/_quantize.py), and the result kept under its final name only
// when complete (imgfeat/quantize.h).
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "imgfeat/listing.h"
#include "imgfeat/quantize.h"
#include "imgfeat/storage.h"
#include "io/path_util.h"
#include "model/model_dirs.h"
#include "model/quantized_record.h"
#include "pipeline/child_process.h"
#include "pipeline/image_preparer.h"
#include "pipeline/job_setup.h"
#include "pipeline/manifest.h"

namespace imgfeat {
namespace {

namespace fs = std::filesystem;

// A folder removed with what is in it, unless it was renamed into place.
class TempDir {
 public:
  explicit TempDir(fs::path path) : path_(std::move(path)) {}
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    if (!committed_) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  // Replaces `final_path` (an older quantization of the same model) whole.
  Status CommitAs(const fs::path& final_path) {
    std::error_code ec;
    const fs::path old = final_path.string() + ".old-" + std::to_string(::getpid());
    const bool had_old = fs::exists(final_path, ec);
    if (had_old) fs::rename(final_path, old, ec);
    if (!ec) fs::rename(path_, final_path, ec);
    if (ec)
      return Status::IOError("cannot move the model into ", final_path.string(), ": ",
                             ec.message());
    committed_ = true;
    if (had_old) fs::remove_all(old, ec);
    return Status::OK();
  }

 private:
  fs::path path_;
  bool committed_ = false;
};

// NumPy's .npy format (version 1.0) for float32 rows of a fixed shape, the
// row count written last: the header has room for it.
class NpyFloatWriter {
 public:
  static constexpr size_t kHeaderBytes = 128;

  Status Open(const fs::path& path, const std::string& row_shape) {
    row_shape_ = row_shape;
    out_.open(path, std::ios::binary | std::ios::trunc);
    if (!out_) return Status::IOError("cannot write ", path.string());
    return WriteHeader();
  }
  Status Append(const float* values, size_t count) {
    out_.write(reinterpret_cast<const char*>(values), static_cast<std::streamsize>(count * 4));
    if (!out_) return Status::IOError("cannot write the calibration inputs");
    ++rows_;
    return Status::OK();
  }
  Status Close() {
    out_.seekp(0);
    ARROW_RETURN_NOT_OK(WriteHeader());
    out_.close();
    return out_ ? Status::OK() : Status::IOError("cannot write the calibration inputs");
  }
  int64_t rows() const { return rows_; }

 private:
  Status WriteHeader() {
    std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                       std::to_string(rows_) + ", " + row_shape_ + "), }";
    const size_t prefix = 10;  // magic, version, header length
    if (prefix + dict.size() + 1 > kHeaderBytes) return Status::Invalid("npy header too long");
    dict.append(kHeaderBytes - prefix - dict.size() - 1, ' ');
    dict.push_back('\n');
    const uint16_t length = static_cast<uint16_t>(dict.size());
    const char magic[8] = {'\x93', 'N', 'U', 'M', 'P', 'Y', 1, 0};
    out_.write(magic, 8);
    const char length_le[2] = {static_cast<char>(length & 0xff), static_cast<char>(length >> 8)};
    out_.write(length_le, 2);
    out_ << dict;
    return out_ ? Status::OK() : Status::IOError("cannot write the calibration inputs");
  }

  std::ofstream out_;
  std::string row_shape_;
  int64_t rows_ = 0;
};

// `count` of the listing's images, spread evenly over it (a listing is sorted
// by folder, so its first images are often of one class only).
Result<std::vector<ImageFile>> PickCalibrationImages(const std::string& input, int64_t count) {
  ListOptions list;
  list.format = InputFormat::kFiles;
  ARROW_ASSIGN_OR_RAISE(auto lister, ImageLister::Open(input, list));
  std::vector<ImageFile> all;
  while (true) {
    ARROW_ASSIGN_OR_RAISE(auto next, lister->Next());
    if (!next) break;
    all.push_back(std::move(*next));
  }
  if (all.empty()) return Status::Invalid("--calibration ", input, " holds no image");
  if (static_cast<int64_t>(all.size()) <= count) return all;
  std::vector<ImageFile> picked;
  for (int64_t i = 0; i < count; ++i) {
    picked.push_back(all[static_cast<size_t>(i * static_cast<int64_t>(all.size()) / count)]);
  }
  return picked;
}

Status PrepareOne(ImagePreparer* preparer, const ImageFile& file, float* out) {
  if (!IsS3Uri(file.path)) {
    std::string stage;
    return preparer->Prepare(file, out, &stage);
  }
  ARROW_ASSIGN_OR_RAISE(std::string bytes, ReadStorageFile(file.path));
  return preparer->PrepareBytes({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()},
                                out);
}

// The Python that runs NNCF, and where it finds the imgfeat package: a source
// build's python/ folder beside the program, or the Python it is installed in.
std::vector<std::pair<std::string, std::string>> PythonEnvironment() {
  std::error_code ec;
  const fs::path program = fs::read_symlink("/proc/self/exe", ec);
  const fs::path package = program.parent_path() / "python";
  if (ec || !fs::exists(package / "imgfeat" / "_quantize.py", ec)) return {};
  const char* old = std::getenv("PYTHONPATH");
  std::string path = package.string();
  if (old && old[0]) path.append(":").append(old);
  return {{"PYTHONPATH", path}};
}

std::string PythonProgram(const QuantizeOptions& options) {
  if (!options.python.empty()) return options.python;
  const char* env = std::getenv("IMGFEAT_PYTHON");
  return env && env[0] ? env : "python3";
}

Result<fs::path> QuantizedBase(const QuantizeOptions& options) {
  if (!options.model_dir.empty() && !IsS3Uri(options.model_dir)) return fs::path(options.model_dir);
  const std::string cache = model::ModelCacheDir();
  if (cache.empty()) {
    return Status::Invalid("no model cache folder (HOME unset): give --model-dir DIR");
  }
  return fs::path(cache);
}

}  // namespace

Result<QuantizedModel> QuantizeModel(const QuantizeOptions& options,
                                     const std::function<void(const std::string&)>& say) {
  if (options.calibration.empty()) return Status::Invalid("--calibration IMAGES is required");
  if (options.images < 1 || options.images > kMaxCalibrationImages) {
    return Status::Invalid("--images must be from 1 to ", kMaxCalibrationImages);
  }
  RunOptions run;
  run.model = options.model;
  run.model_spec = options.model_spec;
  run.model_dir = options.model_dir;
  ARROW_ASSIGN_OR_RAISE(ResolvedModel model, ResolveModel(run));
  ARROW_ASSIGN_OR_RAISE(fs::path base, QuantizedBase(options));
  const fs::path final_dir = base / QuantizedModelDir(model.sha256);
  std::error_code ec;
  fs::create_directories(final_dir.parent_path(), ec);
  if (ec)
    return Status::IOError("cannot create ", final_dir.parent_path().string(), ": ", ec.message());
  // A hidden name beside the final one: the rename into place stays on one file system.
  char temp_name[64];
  std::snprintf(temp_name, sizeof temp_name, ".%s.part-%d", final_dir.filename().c_str(),
                static_cast<int>(::getpid()));
  TempDir temp(final_dir.parent_path() / temp_name);
  fs::remove_all(temp.path(), ec);
  fs::create_directory(temp.path(), ec);
  if (ec) return Status::IOError("cannot create ", temp.path().string(), ": ", ec.message());

  ARROW_ASSIGN_OR_RAISE(std::vector<ImageFile> files,
                        PickCalibrationImages(options.calibration, options.images));
  const ModelSpec& spec = model.spec;
  InputGeometry geometry;
  geometry.width = spec.input_width;
  geometry.height = spec.input_height;
  geometry.preprocess = spec.preprocess;
  ImagePreparer preparer(geometry);
  std::vector<float> input(geometry.floats());
  NpyFloatWriter npy;
  const fs::path npy_path = temp.path() / "calibration.npy";
  ARROW_RETURN_NOT_OK(npy.Open(npy_path, std::to_string(spec.input_height) + ", " +
                                             std::to_string(spec.input_width) + ", 3"));
  say("preparing " + std::to_string(files.size()) + " calibration images from " +
      options.calibration);
  int64_t skipped = 0;
  for (const ImageFile& file : files) {
    Status prepared = PrepareOne(&preparer, file, input.data());
    if (!prepared.ok()) {
      say("skipped " + file.path + ": " + prepared.message());
      ++skipped;
      continue;
    }
    ARROW_RETURN_NOT_OK(npy.Append(input.data(), input.size()));
  }
  ARROW_RETURN_NOT_OK(npy.Close());
  if (npy.rows() == 0)
    return Status::Invalid("no calibration image of ", options.calibration, " could be read");

  const std::string python = PythonProgram(options);
  say("quantizing " + spec.name + " with NNCF (" + python + ")");
  const std::vector<std::string> argv = {python,
                                         "-m",
                                         "imgfeat._quantize",
                                         "--model",
                                         model.path,
                                         "--inputs",
                                         npy_path.string(),
                                         "--layout",
                                         spec.input_layout == TensorLayout::kNCHW ? "NCHW" : "NHWC",
                                         "--out",
                                         (temp.path() / model::kQuantizedXml).string()};
  ARROW_ASSIGN_OR_RAISE(int exit_status, RunChildProcess(argv, PythonEnvironment()));
  if (exit_status != 0) {
    return Status::ExecutionError("quantizing failed (", python,
                                  " -m imgfeat._quantize exited with ", exit_status,
                                  "; see above)");
  }
  fs::remove(npy_path, ec);

  model::QuantizedRecord record;
  record.source_name = spec.name;
  record.source_sha256 = model.sha256;
  ARROW_ASSIGN_OR_RAISE(record.xml_sha256,
                        Sha256File((temp.path() / model::kQuantizedXml).string()));
  ARROW_ASSIGN_OR_RAISE(record.bin_sha256,
                        Sha256File((temp.path() / model::kQuantizedBin).string()));
  record.calibration_input = options.calibration;
  record.calibration_images = npy.rows();
  record.calibration_skipped = skipped;
  ARROW_ASSIGN_OR_RAISE(std::string quantizer,
                        ReadStorageFile((temp.path() / "quantizer.txt").string()));
  while (!quantizer.empty() && (quantizer.back() == '\n' || quantizer.back() == ' '))
    quantizer.pop_back();
  fs::remove(temp.path() / "quantizer.txt", ec);
  record.quantizer = quantizer;
  record.created = NowUtc();
  {
    std::ofstream out(temp.path() / model::kQuantizedRecordFile, std::ios::binary);
    out << model::QuantizedRecordJson(record);
    out.close();
    if (!out) return Status::IOError("cannot write ", model::kQuantizedRecordFile);
  }
  ARROW_RETURN_NOT_OK(temp.CommitAs(final_dir));
  return FindQuantizedModel(spec.name, model.sha256, {.model_dir = base.string()});
}

}  // namespace imgfeat
