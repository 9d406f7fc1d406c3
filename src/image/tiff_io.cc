// libtiff's client I/O over a span, so that no file is read twice.
#include "image/tiff_io.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "image/message_text.h"

namespace imgfeat::image {

struct TiffFile::Source {
  std::span<const uint8_t> bytes;
  toff_t offset = 0;
  char message[160] = {};
};

namespace {

using Source = TiffFile::Source;

tsize_t ReadProc(thandle_t handle, tdata_t out, tsize_t size) {
  auto* file = static_cast<Source*>(handle);
  if (file->offset >= file->bytes.size()) return 0;
  size_t n = std::min<size_t>(static_cast<size_t>(size), file->bytes.size() - file->offset);
  std::memcpy(out, file->bytes.data() + file->offset, n);
  file->offset += n;
  return static_cast<tsize_t>(n);
}

tsize_t WriteProc(thandle_t, tdata_t, tsize_t) { return 0; }

toff_t SeekProc(thandle_t handle, toff_t offset, int whence) {
  auto* file = static_cast<Source*>(handle);
  if (whence == SEEK_CUR) offset += file->offset;
  if (whence == SEEK_END) offset += file->bytes.size();
  file->offset = offset;
  return offset;
}

int CloseProc(thandle_t) { return 0; }
toff_t SizeProc(thandle_t handle) { return static_cast<Source*>(handle)->bytes.size(); }
int MapProc(thandle_t, tdata_t*, toff_t*) { return 0; }
void UnmapProc(thandle_t, tdata_t, toff_t) {}

int OnTiffError(TIFF*, void* user_data, const char*, const char* format, va_list args) {
  auto* file = static_cast<Source*>(user_data);
  if (file->message[0] == '\0') std::vsnprintf(file->message, sizeof(file->message), format, args);
  return 1;
}

int OnTiffWarning(TIFF*, void*, const char*, const char*, va_list) { return 1; }

struct OptionsDeleter {
  void operator()(TIFFOpenOptions* options) const { TIFFOpenOptionsFree(options); }
};

}  // namespace

TiffFile::TiffFile() = default;
TiffFile::TiffFile(TiffFile&&) noexcept = default;
TiffFile& TiffFile::operator=(TiffFile&&) noexcept = default;
TiffFile::~TiffFile() = default;

Result<TiffFile> TiffFile::Open(std::span<const uint8_t> bytes) {
  TiffFile file;
  file.source_ = std::make_unique<Source>();
  file.source_->bytes = bytes;
  std::unique_ptr<TIFFOpenOptions, OptionsDeleter> options(TIFFOpenOptionsAlloc());
  if (!options) return Status::OutOfMemory("cannot allocate TIFF options");
  TIFFOpenOptionsSetErrorHandlerExtR(options.get(), OnTiffError, file.source_.get());
  TIFFOpenOptionsSetWarningHandlerExtR(options.get(), OnTiffWarning, file.source_.get());
  file.tiff_.reset(TIFFClientOpenExt("memory", "rm", file.source_.get(), ReadProc, WriteProc,
                                     SeekProc, CloseProc, SizeProc, MapProc, UnmapProc,
                                     options.get()));
  if (!file.tiff_) return Status::Invalid("bad TIFF: ", file.Error("cannot read the header"));
  return file;
}

std::string TiffFile::Error(const char* fallback) const {
  return PrintableOneLine(source_->message[0] != '\0' ? source_->message : fallback);
}

}  // namespace imgfeat::image
