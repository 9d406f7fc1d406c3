// int8 models: OpenVINO's post-training quantization of an f32 model by NNCF,
// calibrated on images the user names and prepared exactly as a run prepares
// them ('imgfeat models quantize'), then kept beside the model files and found
// again by the f32 model's checksum (--precision int8).
//
// A quantized model is a folder int8/<first 16 hex digits of the f32 file's
// sha256>/ under a model folder, holding model.xml and model.bin (OpenVINO's
// IR) and quantized.json, which records the f32 file's sha256, each file's
// sha256, the calibration and the quantizer's versions. It appears under its
// final name only when complete.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "imgfeat/model.h"
#include "imgfeat/status.h"

namespace imgfeat {

struct QuantizedModel {
  std::string dir;  // the int8/<id> folder
  std::string xml;  // what the engine loads (model.bin beside it)
  // Of its two files together: the run's parameters record it, so that
  // --resume with another quantization of the same model is refused.
  std::string sha256;
  int64_t calibration_images = 0;
};

// The folder name of `source_sha256`'s quantized model, relative to a model folder.
std::string QuantizedModelDir(const std::string& source_sha256);

// The quantized model of the f32 file whose sha256 is `source_sha256`, found in
// `search`'s folders (--model-dir, $IMGFEAT_MODEL_DIR, the cache) and checked
// against its quantized.json. Fails with one line that says how to make it.
Result<QuantizedModel> FindQuantizedModel(const std::string& model_name,
                                          const std::string& source_sha256,
                                          const ModelSearch& search);

// The most calibration images QuantizeModel takes: each waits on disk for
// NNCF as the network's input floats (600 KB for 224 x 224 x 3).
inline constexpr int64_t kMaxCalibrationImages = 5000;

struct QuantizeOptions {
  std::string model = kDefaultModel;  // a registered name, or an .onnx file with model_spec
  std::string model_spec;
  std::string model_dir;    // searched first for the f32 model; the quantized one goes here too
  std::string calibration;  // a folder, file or s3:// prefix of images
  int64_t images = 300;     // calibration images, spread evenly over the listing
  // The Python with NNCF that quantizes (pip install 'imgfeat[quantize]');
  // empty: $IMGFEAT_PYTHON, else python3 on the PATH.
  std::string python;
};

// Prepares the calibration images, runs NNCF in a Python process of its own
// and stores the result in --model-dir, or else in the model cache. `say`
// gets one line per step (and per calibration image that could not be read).
Result<QuantizedModel> QuantizeModel(const QuantizeOptions& options,
                                     const std::function<void(const std::string&)>& say);

}  // namespace imgfeat
