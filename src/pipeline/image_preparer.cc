#include "pipeline/image_preparer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

namespace imgfeat {
namespace {

// An open file, closed with this object.
class OpenFile {
 public:
  explicit OpenFile(const std::string& path)
      // Non-blocking: a FIFO put where a listed file was must not hang the
      // reader; it is refused below as not a regular file.
      : fd_(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK)) {}
  OpenFile(const OpenFile&) = delete;
  OpenFile& operator=(const OpenFile&) = delete;
  ~OpenFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

// Refuses a file above max_bytes before reading it, and one that is no
// longer the file that was listed (a listing without a modification time,
// as in single-file tools, is not compared).
Status CheckListedFile(const ImageFile& file, const struct stat& st, int64_t max_bytes) {
  if (!S_ISREG(st.st_mode)) return Status::IOError("not a regular file any more");
  if (st.st_size > max_bytes) {
    return Status::IOError("file of ", st.st_size, " bytes is larger than --max-file-bytes ",
                           max_bytes);
  }
  const int64_t mtime_us =
      static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000 + st.st_mtim.tv_nsec / 1000;
  if (file.modification_time_us != 0 &&
      (st.st_size != file.length || mtime_us != file.modification_time_us)) {
    return Status::IOError("changed since it was listed (", file.length, " bytes then, ",
                           st.st_size, " now)");
  }
  return Status::OK();
}

// Reads the `size` bytes an fstat gave; fewer if the file shrank meanwhile.
Status ReadOpenFile(int fd, int64_t size, std::vector<uint8_t>* bytes) {
  bytes->resize(static_cast<size_t>(size));
  size_t got = 0;
  while (got < bytes->size()) {
    ssize_t n = ::read(fd, bytes->data() + got, bytes->size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IOError("cannot read: ", std::strerror(errno));
    if (n == 0) break;  // the file shrank while being read
    got += static_cast<size_t>(n);
  }
  bytes->resize(got);
  return Status::OK();
}

}  // namespace

Status ReadWholeFile(const std::string& path, std::vector<uint8_t>* bytes) {
  OpenFile file(path);
  if (file.fd() < 0) return Status::IOError("cannot open: ", std::strerror(errno));
  struct stat st;
  if (::fstat(file.fd(), &st) != 0) return Status::IOError("cannot stat: ", std::strerror(errno));
  return ReadOpenFile(file.fd(), st.st_size, bytes);
}

Status ReadListedFile(const ImageFile& file, int64_t max_bytes, std::vector<uint8_t>* bytes) {
  {
    // One open and one fstat: the checks and the read see the same file.
    OpenFile opened(file.path);
    if (opened.fd() < 0) return Status::IOError("cannot open: ", std::strerror(errno));
    struct stat st;
    if (::fstat(opened.fd(), &st) != 0) {
      return Status::IOError("cannot stat: ", std::strerror(errno));
    }
    ARROW_RETURN_NOT_OK(CheckListedFile(file, st, max_bytes));
    ARROW_RETURN_NOT_OK(ReadOpenFile(opened.fd(), st.st_size, bytes));
  }
  if (file.modification_time_us != 0 && static_cast<int64_t>(bytes->size()) != file.length) {
    return Status::IOError("changed while it was read (", file.length, " bytes when listed, ",
                           bytes->size(), " read)");
  }
  return Status::OK();
}

Status ImagePreparer::Prepare(const ImageFile& file, float* out, std::string* stage) {
  *stage = "read";
  ARROW_RETURN_NOT_OK(ReadListedFile(file, geometry_.max_file_bytes, &bytes_));
  *stage = "decode";
  return PrepareBytes(bytes_, out);
}

Status ImagePreparer::PrepareBytes(std::span<const uint8_t> bytes, float* out) {
  // Every size is bounded before it is allocated; this is the last line, so
  // that one image never ends a run (std::bad_alloc would end the process).
  try {
    return DecodeResizePreprocess(bytes, out);
  } catch (const std::bad_alloc&) {
    return Status::OutOfMemory("not enough memory for this image");
  }
}

Status ImagePreparer::DecodeResizePreprocess(std::span<const uint8_t> bytes, float* out) {
  DecodeOptions options;
  options.max_pixels = geometry_.max_pixels;
  // Decoders refuse from the header an image whose resize would not fit.
  options.resize_width = geometry_.width;
  options.resize_height = geometry_.height;
  ARROW_ASSIGN_OR_RAISE(RgbImage decoded, DecodeRgb(bytes, options));
  const RgbImage* ready = &decoded;
  if (decoded.width != geometry_.width || decoded.height != geometry_.height) {
    ResizeBicubic(decoded, geometry_.width, geometry_.height, &resized_);
    ready = &resized_;
  }
  Preprocess(*ready, geometry_.preprocess, out);
  return Status::OK();
}

}  // namespace imgfeat
