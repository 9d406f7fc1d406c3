// imgfeat_model: the model stage from the command line, for the pytest suites.
//
//   imgfeat_model resolve (--model NAME | --spec FILE) [--model-dir DIR]
//                 [--url URL] [--url-format onnx|keras_mobilenet_v2_h5]
//                 [--sha256 HEX] [--no-download]
//       prints the model file's path (found, or downloaded into the cache)
//   imgfeat_model show (--model NAME | --spec FILE)    prints the spec as JSON
//   imgfeat_model sha256 FILE
//   imgfeat_model convert KERAS_H5 OUT.onnx   MobileNetV2 from Keras' weights,
//       unchecked (the CLI checks it before it caches it)
#include <cstdio>
#include <cstring>
#include <string>

#include "imgfeat/model.h"
#include "model/keras_convert.h"

namespace {

using imgfeat::ModelSpec;
using imgfeat::Result;
using imgfeat::Status;

int Fail(const Status& status) {
  std::fprintf(stderr, "imgfeat_model: %s\n", status.message().c_str());
  return 1;
}

int Usage() {
  std::fprintf(stderr,
               "usage: imgfeat_model resolve|show (--model NAME | --spec FILE) [--model-dir DIR]"
               " [--url URL] [--url-format F] [--sha256 HEX] [--no-download]\n"
               "       imgfeat_model sha256 FILE\n"
               "       imgfeat_model convert KERAS_H5 OUT.onnx\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return Usage();
  std::string command = argv[1];
  if (command == "convert" && argc == 4) {
    // The ONNX made from Keras' weights, written without the feature check.
    Result<std::string> bytes = imgfeat::model::KerasMobileNetV2Onnx(argv[2], argv[2]);
    if (!bytes.ok()) return Fail(bytes.status());
    std::FILE* out = std::fopen(argv[3], "wb");
    if (!out) return Fail(imgfeat::Status::IOError("cannot write ", argv[3]));
    std::fwrite(bytes->data(), 1, bytes->size(), out);
    std::fclose(out);
    return 0;
  }
  if (command == "sha256") {
    Result<std::string> sum = imgfeat::Sha256File(argv[2]);
    if (!sum.ok()) return Fail(sum.status());
    std::printf("%s\n", sum->c_str());
    return 0;
  }
  std::string model = imgfeat::kDefaultModel, spec_file, url, sha256;
  std::string url_format;
  bool set_url = false, set_sha = false;
  imgfeat::ModelSearch search;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    bool has_value = i + 1 < argc;
    if (arg == "--no-download") {
      search.allow_download = false;
    } else if (arg == "--model" && has_value) {
      model = argv[++i];
    } else if (arg == "--spec" && has_value) {
      spec_file = argv[++i];
    } else if (arg == "--model-dir" && has_value) {
      search.model_dir = argv[++i];
    } else if (arg == "--url" && has_value) {
      url = argv[++i];
      set_url = true;
    } else if (arg == "--url-format" && has_value) {
      url_format = argv[++i];
    } else if (arg == "--sha256" && has_value) {
      sha256 = argv[++i];
      set_sha = true;
    } else {
      return Usage();
    }
  }
  Result<ModelSpec> spec = spec_file.empty() ? imgfeat::FindRegisteredModel(model)
                                             : imgfeat::ReadModelSpecFile(spec_file);
  if (!spec.ok()) return Fail(spec.status());
  if (set_url) spec->url = url;
  if (set_sha) spec->sha256 = sha256;
  if (!url_format.empty()) {
    spec->url_format =
        url_format == "onnx" ? imgfeat::UrlFormat::kOnnx : imgfeat::UrlFormat::kKerasMobileNetV2H5;
  }

  if (command == "show") {
    std::printf("%s\n", imgfeat::ModelSpecToJson(*spec).c_str());
    return 0;
  }
  if (command != "resolve") return Usage();
  Result<std::string> path = imgfeat::ResolveModelFile(*spec, search);
  if (!path.ok()) return Fail(path.status());
  std::printf("%s\n", path->c_str());
  return 0;
}
