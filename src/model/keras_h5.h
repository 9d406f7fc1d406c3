// Reading Keras' legacy HDF5 weight files (the layout of the files Keras
// Applications publishes, e.g. MobileNetV2's *_no_top.h5): the root's
// `layer_names` attribute, one group per layer with a `weight_names`
// attribute, and one float dataset per weight name under that group.
//
// Thread-safety: reads are serialized internally (Debian's libhdf5 is built
// without its thread-safe option).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "imgfeat/status.h"

namespace imgfeat::model {

struct WeightTensor {
  std::vector<int64_t> shape;
  std::vector<float> values;  // row-major, as stored
};

// Layer name -> short weight name -> tensor. The short name is the weight
// name's last path part without Keras 2's ":0" suffix: "Conv1/kernel:0" ->
// "kernel", "bn_Conv1/moving_mean:0" -> "moving_mean".
using KerasWeights = std::map<std::string, std::map<std::string, WeightTensor>>;

// Every layer's weights in `path`; layers without weights are left out.
// Errors are one line naming the file and what is wrong with it.
Result<KerasWeights> ReadKerasLegacyWeights(const std::string& path);

}  // namespace imgfeat::model
