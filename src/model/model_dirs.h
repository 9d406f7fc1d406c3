// Where model files are looked for, in order.
#pragma once

#include <string>
#include <vector>

#include "imgfeat/model.h"

namespace imgfeat::model {

// imgfeat's cache folder: $XDG_CACHE_HOME/imgfeat, or ~/.cache/imgfeat;
// empty when neither variable is set to an absolute path.
std::string CacheDir();

// CacheDir()/models; empty when CacheDir() is.
std::string ModelCacheDir();

// --model-dir, then $IMGFEAT_MODEL_DIR, then the cache; unset ones left out.
std::vector<std::string> ModelSearchDirs(const ModelSearch& search);

}  // namespace imgfeat::model
