#include "dataset/output_layout.h"

#include <gtest/gtest.h>

namespace imgfeat::dataset {
namespace {

TEST(OutputLayoutTest, LeftoverTemporariesOfImgfeatsFilesAreItsOwn) {
  EXPECT_TRUE(IsOutputEntryName("_reducer.parquet.tmp"));
  EXPECT_TRUE(IsOutputEntryName("_report.html.tmp"));
  EXPECT_TRUE(IsOutputEntryName("_report.png.tmp"));
  EXPECT_FALSE(IsOutputEntryName("notes.txt.tmp"));
  EXPECT_FALSE(IsOutputEntryName("_imgfeat.json.tmp"));  // never staged in OUTPUT
  EXPECT_FALSE(IsOutputEntryName("_reducer.parquet.tmp.tmp"));
}

TEST(OutputLayoutTest, PartNamesRoundTripAndSortByNumber) {
  EXPECT_EQ(PartFileName(0), "part-00000.parquet");
  EXPECT_EQ(PartFileName(123456), "part-123456.parquet");
  EXPECT_EQ(ParsePartFileName("part-00042.parquet"), 42);
  EXPECT_EQ(ParsePartFileName("part-123456.parquet"), 123456);
  EXPECT_LT(PartFileName(9), PartFileName(10));
}

TEST(OutputLayoutTest, OtherNamesAreNotParts) {
  for (const char* name :
       {"part-0001.parquet", "part-000001.parquet", "part-00001.parquet.tmp", "part-0000a.parquet",
        "part-00000-c000.snappy.parquet", "xpart-00000.parquet", "part-.parquet"}) {
    EXPECT_FALSE(ParsePartFileName(name).has_value()) << name;
  }
}

TEST(OutputLayoutTest, KnowsWhatImgfeatWrites) {
  for (const char* name :
       {"_temporary", "_SUCCESS", "_imgfeat.json", "_errors.parquet", "_reducer.parquet",
        "_distortion.parquet", "_report.html", "_report.png", "part-00003.parquet"}) {
    EXPECT_TRUE(IsOutputEntryName(name)) << name;
  }
  for (const char* name : {"notes.txt", "_SUCCESS.tmp", ".hidden", "part-3.parquet", "data"}) {
    EXPECT_FALSE(IsOutputEntryName(name)) << name;
  }
}

}  // namespace
}  // namespace imgfeat::dataset
