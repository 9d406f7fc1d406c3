#include "model/keras_convert.h"

#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "imgfeat/engine.h"
#include "model/cache_file.h"
#include "model/keras_h5.h"
#include "model/mobilenet_v2_check.h"
#include "model/mobilenet_v2_graph.h"
#include "model/model_test_util.h"
#include "npy_io.h"
#include "testing/test_util.h"

namespace imgfeat::model {
namespace {

namespace fs = std::filesystem;

const std::string kSlimDir = "mobilenet_v2_1.0_224/tf_slim_npy/";
const std::string kReference = "mobilenet_v2_1.0_224/mobilenet_v2_1.0_224_no_top_nhwc.onnx";

WeightTensor Slim(const std::string& name) {
  auto array =
      tools::ReadNpy(testing::TestModelDir() + "/" + kSlimDir + name + ".npy").ValueOrDie();
  return {array.shape, array.data};
}

void AddBatchNorm(KerasWeights* w, const std::string& layer, const std::string& slim) {
  for (const char* part : {"gamma", "beta", "moving_mean", "moving_variance"}) {
    (*w)[layer][part] = Slim(slim + "_BatchNorm_" + part);
  }
}

// The TF-slim tensors under Keras' layer names (../shared/models/README.md).
KerasWeights SlimWeights() {
  KerasWeights w;
  w["Conv1"]["kernel"] = Slim("Conv_weights");
  AddBatchNorm(&w, "bn_Conv1", "Conv");
  w["Conv_1"]["kernel"] = Slim("Conv_1_weights");
  AddBatchNorm(&w, "Conv_1_bn", "Conv_1");
  for (int i = 0; i < 17; ++i) {
    const std::string slim = i == 0 ? "expanded_conv" : "expanded_conv_" + std::to_string(i);
    const std::string keras = i == 0 ? "expanded_conv" : "block_" + std::to_string(i);
    if (i > 0) {
      w[keras + "_expand"]["kernel"] = Slim(slim + "_expand_weights");
      AddBatchNorm(&w, keras + "_expand_BN", slim + "_expand");
    }
    w[keras + "_depthwise"]["depthwise_kernel"] = Slim(slim + "_depthwise_depthwise_weights");
    AddBatchNorm(&w, keras + "_depthwise_BN", slim + "_depthwise");
    w[keras + "_project"]["kernel"] = Slim(slim + "_project_weights");
    AddBatchNorm(&w, keras + "_project_BN", slim + "_project");
  }
  return w;
}

std::vector<float> CheckFeatures(const std::string& onnx_path) {
  ModelSpec spec = FindRegisteredModel(kDefaultModel).ValueOrDie();
  EngineOptions options;
  options.max_batch = 1;
  auto engine = OpenEngine(kDefaultEngine, onnx_path, spec, options).ValueOrDie();
  std::vector<float> input = CheckInput();
  std::vector<float> features(static_cast<size_t>(spec.feature_length()));
  EXPECT_OK(engine->Run(input.data(), 1, features.data()));
  return features;
}

class KerasConvertTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("imgfeat_keras_convert_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::vector<std::string> Files() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir_)) names.push_back(e.path().filename());
    return names;
  }
  fs::path dir_;
};

TEST_F(KerasConvertTest, SlimWeightsGiveTheReferenceModelsFeaturesExactly) {
  ASSERT_OK_AND_ASSIGN(OnnxGraph graph, BuildMobileNetV2Graph(SlimWeights(), 224));
  std::string path = (dir_ / "converted.onnx").string();
  std::ofstream(path, std::ios::binary) << SerializeOnnxModel(graph, kMobileNetV2Opset);

  std::vector<float> converted = CheckFeatures(path);
  std::vector<float> reference = CheckFeatures(testing::TestModelDir() + "/" + kReference);
  ASSERT_EQ(converted.size(), 62720u);
  float max_diff = 0;
  for (size_t i = 0; i < converted.size(); ++i) {
    max_diff = std::max(max_diff, std::fabs(converted[i] - reference[i]));
  }
  // Same folded weights bit for bit, same graph: the same features.
  EXPECT_EQ(max_diff, 0.0f);
  EXPECT_OK(CompareWithRecorded(converted));
  EXPECT_OK(CompareWithRecorded(reference));
}

TEST(MobileNetV2GraphTest, MissingOrMisshapenWeightsAreNamed) {
  KerasWeights weights = SlimWeights();
  weights.erase("block_5_project_BN");
  Status st = BuildMobileNetV2Graph(weights, 224).status();
  EXPECT_NE(st.message().find("no weights for layer 'block_5_project_BN'"), std::string::npos)
      << st.message();

  weights = SlimWeights();
  weights["Conv1"]["kernel"].shape = {3, 3, 4, 24};
  st = BuildMobileNetV2Graph(weights, 224).status();
  EXPECT_NE(st.message().find("layer 'Conv1' has a kernel of shape [3,3,4,24]"), std::string::npos)
      << st.message();

  weights = SlimWeights();
  weights["block_2_expand_BN"]["gamma"].shape = {7};
  st = BuildMobileNetV2Graph(weights, 224).status();
  EXPECT_NE(st.message().find("'block_2_expand_BN' has a gamma of shape [7]"), std::string::npos)
      << st.message();
}

TEST(MobileNetV2CheckTest, RecipeIsTheRecordedOneAndOtherFeaturesAreRefused) {
  EXPECT_OK(CheckInputRecipe());
  std::vector<float> input = CheckInput();
  EXPECT_EQ(input.size(), 224u * 224 * 3);
  EXPECT_EQ(*std::min_element(input.begin(), input.end()), -1.0f);
  EXPECT_EQ(*std::max_element(input.begin(), input.end()), 1.0f);

  std::vector<float> zeros(62720, 0.0f);
  Status st = CompareWithRecorded(zeros);
  ASSERT_TRUE(st.IsInvalid());
  EXPECT_NE(st.message().find("where the reference model gives"), std::string::npos);
  EXPECT_NE(st.message().find("tolerance 0.001"), std::string::npos) << st.message();
  EXPECT_FALSE(CompareWithRecorded(std::vector<float>(62720, NAN)).ok());
  EXPECT_FALSE(CompareWithRecorded(std::vector<float>(100, 0.0f)).ok());
}

// An HDF5 handle closed by its own function, for writing test files.
struct H5 {
  hid_t id;
  herr_t (*close)(hid_t);
  ~H5() { close(id); }
};

// Fixed-length, null-padded strings as wide as the longest (as h5py writes
// a NumPy bytes array): the longest fills its slot with no terminator.
void WriteStringsAttr(hid_t object, const char* name, const std::vector<std::string>& values) {
  size_t width = 1;
  for (const std::string& v : values) width = std::max(width, v.size());
  H5 type{H5Tcopy(H5T_C_S1), H5Tclose};
  H5Tset_size(type.id, width);
  H5Tset_strpad(type.id, H5T_STR_NULLPAD);
  hsize_t n = values.size();
  H5 space{H5Screate_simple(1, &n, nullptr), H5Sclose};
  std::vector<char> buffer(width * values.size(), '\0');
  for (size_t i = 0; i < values.size(); ++i) values[i].copy(buffer.data() + width * i, width);
  H5 attr{H5Acreate2(object, name, type.id, space.id, H5P_DEFAULT, H5P_DEFAULT), H5Aclose};
  H5Awrite(attr.id, type.id, buffer.data());
}

TEST_F(KerasConvertTest, ReadsKerasLegacyLayout) {
  std::string path = (dir_ / "w.h5").string();
  {
    H5 file{H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose};
    const std::string long_name(32, 'x');
    WriteStringsAttr(file.id, "layer_names", {"dense", long_name, "relu"});
    for (const std::string& layer : {std::string("dense"), long_name}) {
      H5 group{H5Gcreate2(file.id, layer.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose};
      WriteStringsAttr(group.id, "weight_names", {layer + "/kernel:0"});
      hsize_t dims[2] = {2, 3};
      H5 space{H5Screate_simple(2, dims, nullptr), H5Sclose};
      H5 lcpl{H5Pcreate(H5P_LINK_CREATE), H5Pclose};
      H5Pset_create_intermediate_group(lcpl.id, 1);
      H5 data{H5Dcreate2(group.id, (layer + "/kernel:0").c_str(), H5T_IEEE_F64LE, space.id, lcpl.id,
                         H5P_DEFAULT, H5P_DEFAULT),
              H5Dclose};
      const double values[6] = {1, 2, 3, 4, 5, 6.5};
      H5Dwrite(data.id, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values);
    }
    // A layer without weights: Keras writes an empty float array.
    H5 group{H5Gcreate2(file.id, "relu", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose};
    hsize_t zero = 0;
    H5 space{H5Screate_simple(1, &zero, nullptr), H5Sclose};
    H5 attr{
        H5Acreate2(group.id, "weight_names", H5T_IEEE_F64LE, space.id, H5P_DEFAULT, H5P_DEFAULT),
        H5Aclose};
  }
  ASSERT_OK_AND_ASSIGN(KerasWeights weights, ReadKerasLegacyWeights(path));
  ASSERT_EQ(weights.size(), 2u);
  const WeightTensor& kernel = weights.at(std::string(32, 'x')).at("kernel");
  EXPECT_EQ(kernel.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(kernel.values, (std::vector<float>{1, 2, 3, 4, 5, 6.5f}));
  EXPECT_EQ(weights.at("dense").at("kernel").values.size(), 6u);
}

TEST_F(KerasConvertTest, DamagedFileIsOneLineAndNothingIsWritten) {
  std::string h5 = (dir_ / "weights.h5").string();
  std::ofstream(h5) << "<html>not found</html>";
  std::string dest = (dir_ / "model.onnx").string();
  ModelSpec spec = FindRegisteredModel(kDefaultModel).ValueOrDie();
  Status st = ConvertKerasMobileNetV2(h5, "https://example.invalid/w.h5", spec, dest);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("'" + h5 + "' is not a readable HDF5 file"), std::string::npos)
      << st.message();
  EXPECT_EQ(st.message().find('\n'), std::string::npos);
  EXPECT_EQ(Files(), std::vector<std::string>{"weights.h5"});
}

TEST_F(KerasConvertTest, TempFileBesideIsRemovedUnlessCommitted) {
  std::string dest = (dir_ / "m.onnx").string();
  {
    ASSERT_OK_AND_ASSIGN(TempFileBeside temp, TempFileBeside::Create(dest, ".onnx"));
    EXPECT_EQ(temp.path().rfind(dest + ".part-", 0), 0u);
    EXPECT_OK(temp.Write("abc"));
  }
  EXPECT_TRUE(Files().empty());
  ASSERT_OK_AND_ASSIGN(TempFileBeside temp, TempFileBeside::Create(dest, ".onnx"));
  EXPECT_OK(temp.Write("abc"));
  EXPECT_OK(temp.Commit());
  EXPECT_EQ(Files(), std::vector<std::string>{"m.onnx"});
  EXPECT_EQ(Sha256SidecarText(std::string(64, 'a'), dest), std::string(64, 'a') + "  m.onnx\n");
  EXPECT_EQ(ReadSha256Sidecar(dest), "");
}

}  // namespace
}  // namespace imgfeat::model
