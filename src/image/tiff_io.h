// libtiff reading TIFF bytes held in memory, with its messages kept instead
// of printed: the first error names what is wrong with the file.
#pragma once

#include <tiffio.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "imgfeat/status.h"

namespace imgfeat::image {

class TiffFile {
 public:
  // Opens the first directory (page) of `bytes`, which must outlive this.
  static Result<TiffFile> Open(std::span<const uint8_t> bytes);
  TiffFile(TiffFile&&) noexcept;
  TiffFile& operator=(TiffFile&&) noexcept;
  ~TiffFile();

  TIFF* get() const { return tiff_.get(); }
  // The first error libtiff reported, or `fallback` when it reported none.
  std::string Error(const char* fallback) const;

  struct Source;  // the bytes and libtiff's first message, defined in tiff_io.cc

 private:
  TiffFile();
  struct Closer {
    void operator()(TIFF* tiff) const { TIFFClose(tiff); }
  };
  std::unique_ptr<Source> source_;
  std::unique_ptr<TIFF, Closer> tiff_;
};

}  // namespace imgfeat::image
