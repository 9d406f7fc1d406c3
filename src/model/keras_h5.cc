#include "model/keras_h5.h"

#include <hdf5.h>

#include <cstring>
#include <mutex>
#include <utility>

namespace imgfeat::model {
namespace {

// An HDF5 identifier with the close function of its kind.
class H5Id {
 public:
  using Closer = herr_t (*)(hid_t);
  H5Id(hid_t id, Closer close) : id_(id), close_(close) {}
  H5Id(const H5Id&) = delete;
  H5Id& operator=(const H5Id&) = delete;
  ~H5Id() {
    if (id_ >= 0) close_(id_);
  }
  bool ok() const { return id_ >= 0; }
  hid_t get() const { return id_; }

 private:
  hid_t id_;
  Closer close_;
};

// A single weight is at most this many floats (MobileNetV2's largest has
// 409,600); more means a damaged or hostile file, not a bigger model.
constexpr int64_t kMaxWeightElements = int64_t{1} << 26;

class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {}

  Result<KerasWeights> Read() {
    H5Id file(H5Fopen(path_.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    if (!file.ok()) return Fail("is not a readable HDF5 file (damaged or incomplete?)");
    // A whole saved model keeps its weights under "model_weights".
    hid_t root = file.get();
    H5Id nested(H5Lexists(root, "model_weights", H5P_DEFAULT) > 0
                    ? H5Gopen2(root, "model_weights", H5P_DEFAULT)
                    : H5I_INVALID_HID,
                H5Gclose);
    if (nested.ok()) root = nested.get();

    ARROW_ASSIGN_OR_RAISE(std::vector<std::string> layers, StringListAttr(root, "layer_names"));
    if (layers.empty()) return Fail("has no layer_names: not a Keras weights file");
    KerasWeights weights;
    for (const std::string& layer : layers) {
      H5Id group(H5Gopen2(root, layer.c_str(), H5P_DEFAULT), H5Gclose);
      if (!group.ok()) return Fail("lists layer '" + layer + "' but has no group for it");
      ARROW_ASSIGN_OR_RAISE(std::vector<std::string> names,
                            StringListAttr(group.get(), "weight_names"));
      for (const std::string& name : names) {
        ARROW_ASSIGN_OR_RAISE(WeightTensor tensor, ReadDataset(group.get(), layer, name));
        std::string short_name = ShortName(name);
        if (!weights[layer].emplace(short_name, std::move(tensor)).second) {
          return Fail("layer '" + layer + "' has two weights named '" + short_name + "'");
        }
      }
    }
    return weights;
  }

 private:
  Status Fail(const std::string& reason) const {
    return Status::IOError("Keras weights file '", path_, "' ", reason);
  }

  static std::string ShortName(const std::string& name) {
    std::string part = name.substr(name.rfind('/') + 1);
    size_t colon = part.rfind(':');
    return colon == std::string::npos ? part : part.substr(0, colon);
  }

  // A list of strings stored as an attribute; Keras splits long lists into
  // NAME0, NAME1, ... attributes.
  Result<std::vector<std::string>> StringListAttr(hid_t object, const std::string& name) {
    if (H5Aexists(object, name.c_str()) > 0) return ReadStrings(object, name);
    std::vector<std::string> all;
    for (int chunk = 0;; ++chunk) {
      std::string chunk_name = name + std::to_string(chunk);
      if (H5Aexists(object, chunk_name.c_str()) <= 0) break;
      ARROW_ASSIGN_OR_RAISE(std::vector<std::string> part, ReadStrings(object, chunk_name));
      all.insert(all.end(), part.begin(), part.end());
    }
    if (all.empty()) return Fail("has no '" + name + "' attribute: not a Keras weights file");
    return all;
  }

  Result<std::vector<std::string>> ReadStrings(hid_t object, const std::string& name) {
    H5Id attr(H5Aopen(object, name.c_str(), H5P_DEFAULT), H5Aclose);
    if (!attr.ok()) return Fail("has an unreadable '" + name + "' attribute");
    H5Id type(H5Aget_type(attr.get()), H5Tclose);
    H5Id space(H5Aget_space(attr.get()), H5Sclose);
    if (!type.ok() || !space.ok()) return Fail("has an unreadable '" + name + "' attribute");
    hssize_t count = H5Sget_simple_extent_npoints(space.get());
    if (count < 0 || count > (1 << 20)) return Fail("has a damaged '" + name + "' attribute");
    std::vector<std::string> out;
    // Keras writes a layer without weights as an empty (float) array.
    if (count == 0) return out;
    if (H5Tget_class(type.get()) != H5T_STRING) {
      return Fail("has a '" + name + "' attribute that is not a list of strings");
    }
    if (H5Tis_variable_str(type.get()) > 0) {
      std::vector<char*> texts(static_cast<size_t>(count), nullptr);
      if (H5Aread(attr.get(), type.get(), texts.data()) < 0) {
        return Fail("has an unreadable '" + name + "' attribute");
      }
      for (char* text : texts) out.emplace_back(text ? text : "");
      H5Dvlen_reclaim(type.get(), space.get(), H5P_DEFAULT, texts.data());
      return out;
    }
    // Fixed-length strings are read with their own type, so that no padding
    // conversion cuts a name that fills its whole width.
    size_t width = H5Tget_size(type.get());
    if (width == 0 || width > 4096) return Fail("has a damaged '" + name + "' attribute");
    std::vector<char> buffer(width * static_cast<size_t>(count));
    if (H5Aread(attr.get(), type.get(), buffer.data()) < 0) {
      return Fail("has an unreadable '" + name + "' attribute");
    }
    for (hssize_t i = 0; i < count; ++i) {
      const char* text = buffer.data() + static_cast<size_t>(i) * width;
      out.emplace_back(text, strnlen(text, width));
    }
    return out;
  }

  Result<WeightTensor> ReadDataset(hid_t group, const std::string& layer, const std::string& name) {
    std::string where = "weight '" + layer + "/" + name + "'";
    H5Id dataset(H5Dopen2(group, name.c_str(), H5P_DEFAULT), H5Dclose);
    if (!dataset.ok()) return Fail("lists " + where + " but does not hold it");
    H5Id type(H5Dget_type(dataset.get()), H5Tclose);
    H5Id space(H5Dget_space(dataset.get()), H5Sclose);
    if (!type.ok() || !space.ok() || H5Tget_class(type.get()) != H5T_FLOAT) {
      return Fail("has a " + where + " that is not floating point");
    }
    int rank = H5Sget_simple_extent_ndims(space.get());
    if (rank < 0 || rank > 8) return Fail("has a " + where + " of unexpected rank");
    std::vector<hsize_t> dims(static_cast<size_t>(rank));
    H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
    WeightTensor tensor;
    int64_t elements = 1;
    for (hsize_t d : dims) {
      if (d > static_cast<hsize_t>(kMaxWeightElements)) return Fail("has an oversized " + where);
      tensor.shape.push_back(static_cast<int64_t>(d));
      elements *= static_cast<int64_t>(d);
      if (elements > kMaxWeightElements) return Fail("has an oversized " + where);
    }
    tensor.values.resize(static_cast<size_t>(elements));
    if (elements > 0 && H5Dread(dataset.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT,
                                tensor.values.data()) < 0) {
      return Fail("has an unreadable " + where + " (damaged file?)");
    }
    return tensor;
  }

  std::string path_;
};

std::mutex& Hdf5Mutex() {
  static std::mutex mutex;
  return mutex;
}

}  // namespace

Result<KerasWeights> ReadKerasLegacyWeights(const std::string& path) {
  std::lock_guard<std::mutex> lock(Hdf5Mutex());
  // The reasons go into imgfeat's own one-line errors, not HDF5's stack dumps.
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  return Reader(path).Read();
}

}  // namespace imgfeat::model
