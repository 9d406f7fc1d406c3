// The smallest use of imgfeat's library: the features of one image.
//
//   build/examples/featurize_one photo.jpg
//
// The same stages `imgfeat run` chains for whole folders, written out by hand.
#include <cstdio>
#include <vector>

#include "imgfeat/engine.h"
#include "imgfeat/image.h"
#include "imgfeat/model.h"
#include "imgfeat/storage.h"

using namespace imgfeat;

static Status Featurize(const char* path) {
  // 1. The model: its spec says what it expects; its file is looked up in
  //    --model-dir, $IMGFEAT_MODEL_DIR or the cache (and fetched if missing).
  ARROW_ASSIGN_OR_RAISE(ModelSpec spec, FindRegisteredModel(kDefaultModel));
  ARROW_ASSIGN_OR_RAISE(std::string model_file, ResolveModelFile(spec, ModelSearch{}));
  ARROW_ASSIGN_OR_RAISE(auto engine, OpenEngine(kDefaultEngine, model_file, spec, EngineOptions{}));

  // 2. Pixels exactly as Pillow's Image.open(path).convert("RGB").resize((224, 224)).
  ARROW_ASSIGN_OR_RAISE(std::string file, ReadStorageFile(path));  // a path or an s3:// URI
  const std::vector<uint8_t> bytes(file.begin(), file.end());
  ARROW_ASSIGN_OR_RAISE(RgbImage image, DecodeRgb(bytes));
  RgbImage resized;
  ResizeBicubic(image, spec.input_width, spec.input_height, &resized);

  // 3. The model's preprocessing (x / 127.5 - 1 for MobileNetV2), then the network.
  std::vector<float> input(static_cast<size_t>(spec.input_width) * spec.input_height * 3);
  Preprocess(resized, spec.preprocess, input.data());
  std::vector<float> features(spec.feature_length());
  ARROW_RETURN_NOT_OK(engine->Run(input.data(), 1, features.data()));

  std::printf("%s: %dx%d -> %zu features, first ones:", path, image.width, image.height,
              features.size());
  for (int i = 0; i < 5; ++i) std::printf(" %.4f", features[i]);
  std::printf("\n");
  return Status::OK();
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: featurize_one IMAGE\n");
    return 2;
  }
  Status st = Featurize(argv[1]);
  if (!st.ok()) {
    std::fprintf(stderr, "featurize_one: %s\n", st.message().c_str());
    return 1;
  }
  return 0;
}
