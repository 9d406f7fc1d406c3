#include "report/knn.h"

#include <gtest/gtest.h>

#include "testing/test_util.h"

namespace imgfeat::report {
namespace {

TEST(SplitOfTest, NamesTheLastTrainOrTestFolderInAnyCase) {
  EXPECT_EQ(SplitOf("/data/Train/apple/1.jpg"), Split::kTrain);
  EXPECT_EQ(SplitOf("/data/TEST/apple/1.jpg"), Split::kTest);
  EXPECT_EQ(SplitOf("/data/training/x.jpg"), Split::kTrain);
  EXPECT_EQ(SplitOf("/train/data/Testing/x.jpg"), Split::kTest);
  EXPECT_EQ(SplitOf("/data/apple/train.jpg"), Split::kNone);  // a file, not a folder
  EXPECT_EQ(SplitOf("/data/trainset/x.jpg"), Split::kNone);
  EXPECT_EQ(SplitOf("x.jpg"), Split::kNone);
}

TEST(WilsonIntervalTest, MatchesThePublishedValues) {
  Interval i = WilsonInterval(8, 10);
  EXPECT_NEAR(i.low, 0.4901624715366418, 1e-12);
  EXPECT_NEAR(i.high, 0.9433178485456248, 1e-12);
  EXPECT_NEAR(WilsonInterval(0, 10).high, 0.2775327998628892, 1e-12);
  EXPECT_EQ(WilsonInterval(0, 10).low, 0.0);
  EXPECT_NEAR(WilsonInterval(10, 10).low, 0.7224672001371107, 1e-12);
  // The interval always holds the observed share, rounding included.
  for (int64_t n : {1, 3, 10, 662, 100000}) {
    EXPECT_EQ(WilsonInterval(n, n).high, 1.0) << n;
    EXPECT_EQ(WilsonInterval(0, n).low, 0.0) << n;
    for (int64_t s : {int64_t{0}, n / 3, n - 1, n}) {
      const double p = static_cast<double>(s) / static_cast<double>(n);
      EXPECT_LE(WilsonInterval(s, n).low, p);
      EXPECT_GE(WilsonInterval(s, n).high, p);
    }
  }
}

// Rows along two directions; lengths differ, which cosine distance ignores.
struct Data {
  std::vector<float> features;
  std::vector<std::string> labels;
  std::vector<Split> splits;
  void Add(float x, float y, const std::string& label, Split split = Split::kNone) {
    features.insert(features.end(), {x, y, 0.0f});
    labels.push_back(label);
    splits.push_back(split);
  }
  int64_t rows() const { return static_cast<int64_t>(labels.size()); }
};

TEST(KnnAccuracyTest, LeaveOneOutUsesDirectionsNotLengths) {
  Data d;
  for (int i = 1; i <= 4; ++i) d.Add(10.0f * i, 1.0f, "apple");  // near the x axis
  for (int i = 1; i <= 4; ++i) d.Add(1.0f, 0.1f * i, "apple");
  for (int i = 1; i <= 4; ++i) d.Add(0.1f * i, 5.0f, "lemon");  // near the y axis
  // Far from the apples in Euclidean distance, next to them in direction.
  d.Add(1000.0f, 10.0f, "lemon");
  ASSERT_OK_AND_ASSIGN(auto r, KnnAccuracy(d.features.data(), d.rows(), 3, d.labels, d.splits, 3));
  EXPECT_EQ(r.method, "leave-one-out");
  EXPECT_EQ(r.queries, 13);
  EXPECT_EQ(r.correct, 12);
  EXPECT_EQ(r.classes, (std::vector<std::string>{"apple", "lemon"}));
  EXPECT_EQ(r.confusion, (std::vector<int64_t>{8, 0, 1, 4}));
  EXPECT_DOUBLE_EQ(r.accuracy, 12.0 / 13);
  EXPECT_NEAR(r.interval.low, WilsonInterval(12, 13).low, 1e-15);
}

TEST(KnnAccuracyTest, TrainTestQueriesTheTestRowsAgainstTheTrainRows) {
  Data d;
  d.Add(1, 0, "a", Split::kTrain);
  d.Add(1, 0.1f, "a", Split::kTrain);
  d.Add(0, 1, "b", Split::kTrain);
  // Test rows are never references: without that, each would be the
  // other's nearest neighbour and be labelled "b".
  d.Add(1, 0.05f, "b", Split::kTest);
  d.Add(1, 0.06f, "b", Split::kTest);
  d.Add(0.1f, 1, "b", Split::kTest);
  ASSERT_OK_AND_ASSIGN(auto r, KnnAccuracy(d.features.data(), d.rows(), 3, d.labels, d.splits, 1));
  EXPECT_EQ(r.method, "train/test");
  EXPECT_EQ(r.queries, 3);
  EXPECT_EQ(r.references, 3);
  EXPECT_EQ(r.correct, 1);
  EXPECT_EQ(r.confusion, (std::vector<int64_t>{0, 0, 2, 1}));
}

TEST(KnnAccuracyTest, ATieGoesToTheFirstLabelInSortedOrder) {
  Data d;
  d.Add(1, 0, "zebra");
  d.Add(1, 0.2f, "zebra");
  d.Add(1, -0.2f, "apple");
  // Each zebra's two neighbours are the other zebra and the apple: the tie
  // goes to apple. The apple's are both zebras.
  ASSERT_OK_AND_ASSIGN(auto r, KnnAccuracy(d.features.data(), d.rows(), 3, d.labels, d.splits, 2));
  EXPECT_EQ(r.confusion, (std::vector<int64_t>{0, 1, 2, 0}));
}

TEST(KnnAccuracyTest, OnlyTrainRowsIsLeaveOneOut) {
  Data d;
  d.Add(1, 0, "a", Split::kTrain);
  d.Add(1, 0.1f, "a", Split::kTrain);
  d.Add(0, 1, "b", Split::kTrain);
  ASSERT_OK_AND_ASSIGN(auto r, KnnAccuracy(d.features.data(), d.rows(), 3, d.labels, d.splits, 1));
  EXPECT_EQ(r.method, "leave-one-out");
  EXPECT_EQ(r.queries, 3);
}

TEST(KnnAccuracyTest, RefusesFewerThanTwoRows) {
  Data d;
  d.Add(1, 0, "a");
  EXPECT_FALSE(KnnAccuracy(d.features.data(), 1, 3, d.labels, d.splits, 5).ok());
}

}  // namespace
}  // namespace imgfeat::report
