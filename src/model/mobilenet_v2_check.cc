#include "model/mobilenet_v2_check.h"

#include <cmath>
#include <cstdio>

#include "model/sha256.h"

namespace imgfeat::model {
namespace {

struct RecordedFeature {
  int64_t index;
  float value;
};

// kRecordedInputSha256, kRecordedFeatureLength, kRecordedMean,
// kRecordedMeanSquare, kRecordedSamples.
#include "model/mobilenet_v2_check_values.inc"

}  // namespace

std::vector<float> CheckInput() {
  const int n = kCheckImageSize;
  std::vector<float> input(static_cast<size_t>(n) * n * 3);
  size_t i = 0;
  for (int h = 0; h < n; ++h) {
    for (int w = 0; w < n; ++w) {
      for (int c = 0; c < 3; ++c) {
        const int level = (h * 3 + w * 5 + c * 40 + (h * w) / 16) % 256;
        input[i++] = static_cast<float>(level) / 127.5f - 1.0f;
      }
    }
  }
  return input;
}

Status CheckInputRecipe() {
  std::vector<float> input = CheckInput();
  ARROW_ASSIGN_OR_RAISE(std::string sum, Sha256Bytes(input.data(), input.size() * sizeof(float)));
  if (sum != kRecordedInputSha256) {
    return Status::Invalid("the synthetic check input no longer matches the recorded one (sha256 ",
                           sum, ", recorded ", kRecordedInputSha256, ")");
  }
  return Status::OK();
}

Status CompareWithRecorded(const std::vector<float>& features) {
  if (static_cast<int64_t>(features.size()) != kRecordedFeatureLength) {
    return Status::Invalid("the converted model gives ", features.size(), " features, not ",
                           kRecordedFeatureLength);
  }
  double worst = 0;
  int64_t worst_index = 0;
  double worst_expected = 0;
  double worst_got = 0;
  auto note = [&](double got, double expected, int64_t index) {
    double diff = std::fabs(got - expected);
    if (!(diff <= worst)) {  // NaN counts as the worst
      worst = std::isnan(diff) ? INFINITY : diff;
      worst_index = index;
      worst_expected = expected;
      worst_got = got;
    }
  };
  for (const RecordedFeature& sample : kRecordedSamples) {
    note(features[static_cast<size_t>(sample.index)], sample.value, sample.index);
  }
  double mean = 0;
  double mean_square = 0;
  for (float v : features) {
    mean += v;
    mean_square += double{v} * v;
  }
  mean /= static_cast<double>(features.size());
  mean_square /= static_cast<double>(features.size());
  note(mean, kRecordedMean, -1);
  note(mean_square, kRecordedMeanSquare, -2);
  if (worst <= kCheckTolerance) return Status::OK();
  const std::string where = worst_index == -1   ? "the mean feature"
                            : worst_index == -2 ? "the mean squared feature"
                                                : "feature " + std::to_string(worst_index);
  char text[160];
  std::snprintf(text, sizeof text, "%s is %.6g where the reference model gives %.6g (tolerance %g)",
                where.c_str(), worst_got, worst_expected, kCheckTolerance);
  return Status::Invalid(text);
}

}  // namespace imgfeat::model
