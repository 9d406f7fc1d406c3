#include <arrow/api.h>
#include <arrow/io/file.h>
#include <gtest/gtest.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/writer.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "imgfeat/shards.h"
#include "io/part_cached_file.h"
#include "testing/test_util.h"

namespace imgfeat {
namespace {

namespace fs = std::filesystem;

// A ustar archive written by hand, so that the tests control every byte.
class TarBuilder {
 public:
  void Add(const std::string& name, const std::string& data, char type = '0') {
    std::string header(512, '\0');
    header.replace(0, std::min<size_t>(name.size(), 100), name.substr(0, 100));
    std::snprintf(&header[100], 8, "%07o", 0644);
    std::snprintf(&header[124], 12, "%011o", static_cast<unsigned>(data.size()));
    header.replace(148, 8, "        ");
    header[156] = type;
    header.replace(257, 6, std::string("ustar\0", 6));
    header.replace(263, 2, "00");
    unsigned sum = 0;
    for (unsigned char c : header) sum += c;
    std::snprintf(&header[148], 8, "%06o", sum);
    bytes_ += header;
    bytes_ += data;
    bytes_.append((512 - data.size() % 512) % 512, '\0');
  }
  // A pax header giving the next member a long path.
  void AddPaxPath(const std::string& path) {
    std::string record = " path=" + path + "\n";
    size_t len = record.size() + 2;
    if (std::to_string(len).size() + record.size() != len) ++len;
    Add("PaxHeader", std::to_string(len) + record, 'x');
  }
  std::string Finish() const { return bytes_ + std::string(1024, '\0'); }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

class ShardReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("imgfeat_shard_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  ImageFile Write(const std::string& name, const std::string& bytes) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return ImageFile{path, 0, static_cast<int64_t>(bytes.size())};
  }

  std::vector<ShardSample> ReadAll(const ImageFile& f, InputFormat format,
                                   ShardOptions options = {}) {
    std::vector<ShardSample> out;
    auto reader = ShardReader::Open(f, format, options);
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    if (!reader.ok()) return out;
    while (true) {
      auto next = (*reader)->Next();
      EXPECT_TRUE(next.ok()) << next.status().ToString();
      if (!next.ok() || !next->has_value()) break;
      out.push_back(std::move(**next));
    }
    return out;
  }

  static std::string Bytes(const ShardSample& s) { return s.image ? s.image->ToString() : ""; }

  fs::path dir_;
};

TEST_F(ShardReaderTest, MembersSharingAKeyFormOneSample) {
  TarBuilder tar;
  tar.Add("a/000.jpg", "JPEG-0");
  tar.Add("a/000.cls", " 7\n");
  tar.Add("a/000.json", R"({"label": "Apple", "n": 3})");
  tar.Add("dir", "", '5');
  tar.Add("a/001.txt", "caption");
  tar.Add("a/001.PNG", "PNG-1");
  tar.Add("a/002.x.y.webp", "WEBP-2");
  ImageFile f = Write("s.tar", tar.Finish());
  auto samples = ReadAll(f, InputFormat::kWebDataset);
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[0].path, f.path + "#a/000");
  EXPECT_EQ(Bytes(samples[0]), "JPEG-0");
  EXPECT_EQ(samples[1].path, f.path + "#a/001");
  EXPECT_EQ(Bytes(samples[1]), "PNG-1");
  EXPECT_EQ(samples[2].path, f.path + "#a/002");
  // "x.y.webp" is not an image extension: the sample has no image.
  EXPECT_NE(samples[2].error.message().find("no image member"), std::string::npos)
      << samples[2].error.ToString();
  EXPECT_EQ(samples[2].image, nullptr);
  for (const auto& s : samples) EXPECT_FALSE(s.label.has_value());

  ShardOptions cls;
  cls.label_field = "cls";
  EXPECT_EQ(ReadAll(f, InputFormat::kWebDataset, cls)[0].label.value_or("?"), "7");
  ShardOptions json;
  json.label_field = "json.label";
  auto labelled = ReadAll(f, InputFormat::kWebDataset, json);
  EXPECT_EQ(labelled[0].label.value_or("?"), "Apple");
  EXPECT_FALSE(labelled[1].label.has_value());
  json.label_field = "json.n";
  EXPECT_EQ(ReadAll(f, InputFormat::kWebDataset, json)[0].label.value_or("?"), "3");
  ASSERT_OK_AND_ASSIGN(int64_t count, CountShardSamples(f, InputFormat::kWebDataset, {}));
  EXPECT_EQ(count, 3);
}

TEST_F(ShardReaderTest, SamplesAcrossManySmallPartsReadAhead) {
  TarBuilder tar;
  std::vector<std::string> images;
  for (int i = 0; i < 40; ++i) {
    images.push_back(std::string(1000 + 97 * i, static_cast<char>('a' + i % 26)));
    char key[16];
    std::snprintf(key, sizeof key, "%04d", i);
    tar.Add(std::string(key) + ".jpg", images.back());
  }
  ImageFile f = Write("many.tar", tar.Finish());
  for (int ahead : {0, 1, 3}) {
    ShardOptions options;
    options.part_bytes = 4096;  // members straddle the parts
    options.parts_ahead = ahead;
    auto samples = ReadAll(f, InputFormat::kWebDataset, options);
    ASSERT_EQ(samples.size(), images.size());
    for (size_t i = 0; i < images.size(); ++i) EXPECT_EQ(Bytes(samples[i]), images[i]);
  }
}

TEST_F(ShardReaderTest, PaxPathsAndGnuLongNames) {
  const std::string long_key(150, 'k');
  TarBuilder tar;
  tar.AddPaxPath("deep/" + long_key + ".jpg");
  tar.Add("ignored-short-name.jpg", "PAX");
  tar.Add("././@LongLink", "gnu/" + long_key + ".png" + std::string(1, '\0'), 'L');
  tar.Add("ignored.png", "GNU");
  ImageFile f = Write("long.tar", tar.Finish());
  auto samples = ReadAll(f, InputFormat::kWebDataset);
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(samples[0].path, f.path + "#deep/" + long_key);
  EXPECT_EQ(Bytes(samples[0]), "PAX");
  EXPECT_EQ(samples[1].path, f.path + "#gnu/" + long_key);
  EXPECT_EQ(Bytes(samples[1]), "GNU");
}

TEST_F(ShardReaderTest, ATruncatedShardKeepsTheSamplesBeforeTheCut) {
  TarBuilder tar;
  tar.Add("000.jpg", std::string(3000, 'x'));
  tar.Add("001.jpg", std::string(3000, 'y'));
  tar.Add("002.jpg", std::string(3000, 'z'));
  const std::string whole = tar.bytes();
  ImageFile f = Write("cut.tar", whole.substr(0, whole.size() - 2000));
  auto samples = ReadAll(f, InputFormat::kWebDataset);
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(Bytes(samples[0]), std::string(3000, 'x'));
  EXPECT_EQ(Bytes(samples[1]), std::string(3000, 'y'));
  EXPECT_EQ(samples[2].path, f.path + "#002");
  EXPECT_NE(samples[2].error.message().find("truncated tar: member '002.jpg'"), std::string::npos)
      << samples[2].error.ToString();
  ASSERT_OK_AND_ASSIGN(int64_t count, CountShardSamples(f, InputFormat::kWebDataset, {}));
  EXPECT_EQ(count, 3);
}

TEST_F(ShardReaderTest, AnEmptyArchiveHasNoSample) {
  ImageFile f = Write("empty.tar", TarBuilder().Finish());
  EXPECT_TRUE(ReadAll(f, InputFormat::kWebDataset).empty());
  ASSERT_OK_AND_ASSIGN(int64_t count, CountShardSamples(f, InputFormat::kWebDataset, {}));
  EXPECT_EQ(count, 0);
}

TEST_F(ShardReaderTest, ADamagedHeaderEndsTheShardWithOneError) {
  TarBuilder tar;
  tar.Add("000.jpg", "A");
  tar.Add("001.jpg", "B");
  std::string bytes = tar.Finish();
  bytes[1024 + 3] ^= 0x55;  // the second header's name
  ImageFile f = Write("damaged.tar", bytes);
  auto samples = ReadAll(f, InputFormat::kWebDataset);
  ASSERT_EQ(samples.size(), 2u);
  EXPECT_EQ(Bytes(samples[0]), "A");
  EXPECT_EQ(samples[1].path, f.path);
  EXPECT_NE(samples[1].error.message().find("header at byte 1024 fails its checksum"),
            std::string::npos)
      << samples[1].error.ToString();
}

TEST_F(ShardReaderTest, NotATarIsOneErrorNamingTheShard) {
  for (const std::string& bytes : {std::string("PAR1 not a tar at all"), std::string()}) {
    ImageFile f = Write("bad.tar", bytes);
    auto samples = ReadAll(f, InputFormat::kWebDataset);
    ASSERT_EQ(samples.size(), 1u);
    EXPECT_EQ(samples[0].path, f.path);
    EXPECT_NE(samples[0].error.message().find("not a tar file"), std::string::npos)
        << samples[0].error.ToString();
  }
}

std::shared_ptr<arrow::Table> ImageTable(bool hf, bool with_key) {
  arrow::BinaryBuilder bytes;
  arrow::StringBuilder keys, labels;
  for (int i = 0; i < 5; ++i) {
    if (i == 3) {
      EXPECT_TRUE(bytes.AppendNull().ok());
    } else {
      EXPECT_TRUE(bytes.Append("IMG" + std::to_string(i)).ok());
    }
    EXPECT_TRUE(keys.Append("k" + std::to_string(i)).ok());
    EXPECT_TRUE(labels.Append(i % 2 ? "odd" : "even").ok());
  }
  std::shared_ptr<arrow::Array> b, k, l;
  EXPECT_TRUE(bytes.Finish(&b).ok());
  EXPECT_TRUE(keys.Finish(&k).ok());
  EXPECT_TRUE(labels.Finish(&l).ok());
  std::vector<std::shared_ptr<arrow::Field>> fields;
  std::vector<std::shared_ptr<arrow::Array>> columns;
  if (hf) {
    auto image = arrow::StructArray::Make({b}, {arrow::field("bytes", arrow::binary())});
    EXPECT_TRUE(image.ok());
    fields.push_back(arrow::field("image", (*image)->type()));
    columns.push_back(*image);
  } else {
    fields.push_back(arrow::field("jpg", arrow::binary()));
    columns.push_back(b);
  }
  if (with_key) {
    fields.push_back(arrow::field("key", arrow::utf8()));
    columns.push_back(k);
  }
  // The label column first: the reader must find columns by name.
  fields.insert(fields.begin(), arrow::field("fruit", arrow::utf8()));
  columns.insert(columns.begin(), l);
  return arrow::Table::Make(arrow::schema(fields), columns);
}

ImageFile WriteParquet(const fs::path& path, const arrow::Table& table, int64_t rows_per_group) {
  auto out = arrow::io::FileOutputStream::Open(path.string());
  EXPECT_TRUE(out.ok());
  EXPECT_TRUE(
      parquet::arrow::WriteTable(table, arrow::default_memory_pool(), *out, rows_per_group).ok());
  EXPECT_TRUE((*out)->Close().ok());
  return ImageFile{path.string(), 0, static_cast<int64_t>(fs::file_size(path))};
}

TEST_F(ShardReaderTest, ParquetLayoutsOfHuggingFaceAndImg2dataset) {
  for (bool hf : {true, false}) {
    for (bool with_key : {true, false}) {
      ImageFile f = WriteParquet(dir_ / "p.parquet", *ImageTable(hf, with_key), 2);
      ShardOptions options;
      options.label_field = "fruit";
      auto samples = ReadAll(f, InputFormat::kParquet, options);
      ASSERT_EQ(samples.size(), 5u);
      for (int i = 0; i < 5; ++i) {
        const auto& s = samples[i];
        EXPECT_EQ(s.path, f.path + "#" + (with_key ? "k" : "") + std::to_string(i));
        EXPECT_EQ(s.label.value_or("?"), i % 2 ? "odd" : "even");
        if (i == 3) {
          EXPECT_NE(s.error.message().find("row 3: the image is null"), std::string::npos);
        } else {
          EXPECT_EQ(Bytes(s), "IMG" + std::to_string(i));
        }
      }
      ASSERT_OK_AND_ASSIGN(int64_t count, CountShardSamples(f, InputFormat::kParquet, {}));
      EXPECT_EQ(count, 5);
    }
  }
}

TEST_F(ShardReaderTest, ParquetWithoutAnImageColumnIsOneError) {
  auto table = ImageTable(false, true);
  ASSERT_OK_AND_ASSIGN(auto renamed, table->RenameColumns({"fruit", "blob", "key"}));
  ImageFile f = WriteParquet(dir_ / "p.parquet", *renamed, 10);
  auto samples = ReadAll(f, InputFormat::kParquet);
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0].path, f.path);
  EXPECT_NE(samples[0].error.message().find("no image column"), std::string::npos);
  ShardOptions named;
  named.image_column = "blob";
  EXPECT_EQ(ReadAll(f, InputFormat::kParquet, named).size(), 5u);
  named.image_column = "fruit";
  auto wrong = ReadAll(f, InputFormat::kParquet, named);
  ASSERT_EQ(wrong.size(), 1u);
  EXPECT_NE(wrong[0].error.message().find("not image bytes"), std::string::npos);
  ASSERT_OK_AND_ASSIGN(int64_t count, CountShardSamples(f, InputFormat::kParquet, {}));
  EXPECT_EQ(count, 1);  // the one error row its reading gives
  ImageFile not_parquet = Write("x.parquet", "PAR1 but nothing else");
  auto bad = ReadAll(not_parquet, InputFormat::kParquet);
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_NE(bad[0].error.message().find("not a Parquet file"), std::string::npos);
}

TEST_F(ShardReaderTest, ParquetSlicesGiveTheWholeFileOnceInOrder) {
  std::vector<std::shared_ptr<arrow::Table>> tables;
  for (int i = 0; i < 8; ++i) tables.push_back(ImageTable(/*hf=*/false, /*with_key=*/false));
  ASSERT_OK_AND_ASSIGN(auto table, arrow::ConcatenateTables(tables));
  ImageFile f = WriteParquet(dir_ / "big.parquet", *table, 3);  // 14 row groups of 40 rows
  const auto whole = ReadAll(f, InputFormat::kParquet);
  ASSERT_EQ(whole.size(), 40u);
  ASSERT_OK_AND_ASSIGN(auto one, SplitParquetShard(f, f.length));
  EXPECT_EQ(one.size(), 1u);  // not larger than a slice
  // Any size below a row group's: a slice per row group.
  ASSERT_OK_AND_ASSIGN(auto slices, SplitParquetShard(f, 1));
  EXPECT_EQ(slices.size(), 14u);
  std::vector<std::string> paths;
  int64_t counted = 0;
  for (const ShardSlice& slice : slices) {
    ShardOptions options;
    options.slice = slice;
    for (const auto& sample : ReadAll(f, InputFormat::kParquet, options)) {
      paths.push_back(sample.path);
    }
    ASSERT_OK_AND_ASSIGN(int64_t count, CountShardSamples(f, InputFormat::kParquet, options));
    counted += count;
  }
  ASSERT_EQ(paths.size(), whole.size());
  // The file's own row indexes as keys, in its order.
  for (size_t i = 0; i < paths.size(); ++i) EXPECT_EQ(paths[i], whole[i].path);
  EXPECT_EQ(counted, 40);
  // A file that is not Parquet is one error, from the first slice only.
  ImageFile bad = Write("bad.parquet", std::string(5000, 'x'));
  ASSERT_OK_AND_ASSIGN(auto bad_slices, SplitParquetShard(bad, 100));
  EXPECT_EQ(bad_slices.size(), 1u);
  ShardOptions later;
  later.slice = ShardSlice{2, 1};
  EXPECT_TRUE(ReadAll(bad, InputFormat::kParquet, later).empty());
  EXPECT_EQ(ReadAll(bad, InputFormat::kParquet).size(), 1u);
}

TEST_F(ShardReaderTest, AParquetFileInPartsCostsOneReadPerPart) {
  // Many row groups, each far smaller than a part: read through the cache,
  // the footer, the column chunks and the pages cost one read per part.
  std::vector<std::shared_ptr<arrow::Table>> tables;
  for (int i = 0; i < 40; ++i) tables.push_back(ImageTable(/*hf=*/true, true));
  ASSERT_OK_AND_ASSIGN(auto table, arrow::ConcatenateTables(tables));
  ImageFile f = WriteParquet(dir_ / "many-groups.parquet", *table, 3);
  const int64_t part = 1024;
  ASSERT_OK_AND_ASSIGN(auto raw, arrow::io::ReadableFile::Open(f.path));
  auto cached = std::make_shared<PartCachedFile>(raw, f.length, part, 2);
  parquet::ArrowReaderProperties props;
  props.set_pre_buffer(true);
  parquet::arrow::FileReaderBuilder builder;
  ASSERT_OK(builder.Open(cached));
  std::unique_ptr<parquet::arrow::FileReader> reader;
  ASSERT_OK(builder.properties(props)->Build(&reader));
  int64_t rows = 0;
  for (int g = 0; g < reader->num_row_groups(); ++g) {
    std::shared_ptr<arrow::Table> group;
    ASSERT_OK(reader->ReadRowGroup(g, &group));
    rows += group->num_rows();
  }
  EXPECT_EQ(rows, table->num_rows());
  EXPECT_GT(reader->num_row_groups(), 20);
  EXPECT_LE(cached->parts_read(), (f.length + part - 1) / part);
  // Reads across parts give the file's bytes.
  ASSERT_OK_AND_ASSIGN(auto whole, raw->ReadAt(0, f.length));
  for (int64_t at : {int64_t{0}, int64_t{1000}, f.length - 3000, int64_t{5}}) {
    ASSERT_OK_AND_ASSIGN(auto got, cached->ReadAt(at, 2500));
    EXPECT_TRUE(
        got->Equals(*arrow::SliceBuffer(whole, at, std::min<int64_t>(2500, f.length - at))));
  }
}

TEST(ShardFormatTest, ByNameUnlessForced) {
  EXPECT_EQ(ShardFormatOf(ImageFile{"/a/b.TAR", 0, 0}, InputFormat::kAuto),
            InputFormat::kWebDataset);
  EXPECT_EQ(ShardFormatOf(ImageFile{"s3://b/x.parquet", 0, 0}, InputFormat::kAuto),
            InputFormat::kParquet);
  EXPECT_EQ(ShardFormatOf(ImageFile{"/a/b.jpg", 0, 0}, InputFormat::kAuto), InputFormat::kFiles);
  EXPECT_EQ(ShardFormatOf(ImageFile{"/a/b.jpg", 0, 0}, InputFormat::kWebDataset),
            InputFormat::kWebDataset);
  EXPECT_EQ(ShardFormatOf(ImageFile{"/a/b.tar", 0, 0}, InputFormat::kFiles), InputFormat::kFiles);
}

}  // namespace
}  // namespace imgfeat
