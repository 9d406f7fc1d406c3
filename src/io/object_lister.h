// The listing of an object store prefix (see imgfeat/listing.h), and the file
// name filter both listers share.
#pragma once

#include <memory>
#include <string_view>

#include "imgfeat/listing.h"
#include "imgfeat/storage.h"

namespace imgfeat {

// Whether a file named `name` (no folder) is listed under `options`.
bool ListedName(const ListOptions& options, std::string_view name);
// Whether `extension` (no dot: "JPG") is one of the image extensions listed
// by default (jpg jpeg png webp bmp tif tiff gif), case-insensitively.
bool IsImageExtension(std::string_view extension);
// Whether `name` ends with `ext` (".tar"), case-insensitively.
bool HasExtension(std::string_view name, std::string_view ext);

// Lists every object under `root` (an S3 prefix, or one object) page by page,
// in key order; paths are s3:// URIs.
Result<std::unique_ptr<ImageLister>> OpenObjectLister(const StoragePath& root,
                                                      const ListOptions& options);

}  // namespace imgfeat
