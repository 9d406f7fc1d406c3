#include <arrow/api.h>
#include <arrow/io/file.h>
#include <gtest/gtest.h>
#include <parquet/arrow/reader.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "dataset/parquet_part.h"
#include "imgfeat/dataset.h"
#include "imgfeat/path_text.h"
#include "testing/test_util.h"

namespace fs = std::filesystem;

namespace imgfeat {
namespace {

constexpr int64_t kDim = 6;
constexpr const char* kParams = R"({"model": {"name": "m", "sha256": "aa"}, "reducer": "none"})";

// Row i: path /in/<label>/i.jpg, features i*10 + 0..kDim-1.
std::vector<FeatureRecord> Records(int begin, int end) {
  std::vector<FeatureRecord> out;
  for (int i = begin; i < end; ++i) {
    FeatureRecord r;
    r.label = i % 2 ? "Apple" : "Cherry";
    r.file.path = "/in/" + r.label + "/";
    // Every third name in Latin-1, as old archives hold them: not UTF-8.
    if (i % 3 == 0) r.file.path += "caf\xe9";
    r.file.path += std::to_string(i) + ".jpg";
    r.file.modification_time_us = 1'700'000'000'000'000LL + i;
    r.file.length = 1000 + i;
    out.push_back(r);
  }
  return out;
}

std::vector<float> Features(int begin, int end) {
  std::vector<float> out;
  for (int i = begin; i < end; ++i) {
    for (int j = 0; j < kDim; ++j) out.push_back(static_cast<float>(i * 10 + j) + 0.25f);
  }
  return out;
}

// _imgfeat.json as a run writes it: its parameters and output length are
// what a resume of the complete output compares.
std::string Manifest(const std::string& params = kParams) {
  return std::string(R"({"version": 1, "counts": {"output_dim": )") + std::to_string(kDim) +
         R"(}, "parameters": )" + params + "}";
}

Status AppendRows(DatasetWriter& writer, int begin, int end) {
  return writer.Append(Records(begin, end), Features(begin, end).data(), nullptr);
}

std::set<std::string> Entries(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& entry : fs::directory_iterator(dir)) out.insert(entry.path().filename());
  return out;
}

std::unique_ptr<parquet::arrow::FileReader> OpenParquet(const fs::path& path) {
  auto input = arrow::io::ReadableFile::Open(path.string()).ValueOrDie();
  return parquet::arrow::OpenFile(input, arrow::default_memory_pool()).ValueOrDie();
}

std::shared_ptr<arrow::Table> ReadParquet(const fs::path& path) {
  std::shared_ptr<arrow::Table> table;
  auto reader = OpenParquet(path);
  EXPECT_TRUE(reader->ReadTable(&table).ok());
  return table;
}

// Checks that `table` holds rows [begin, end) exactly as Records/Features made them.
void ExpectRows(const arrow::Table& table, int begin, int end) {
  ASSERT_EQ(table.num_rows(), end - begin);
  auto combined = table.CombineChunksToBatch().ValueOrDie();
  const auto& path = static_cast<const arrow::StringArray&>(*combined->column(0));
  const auto& label = static_cast<const arrow::StringArray&>(*combined->column(1));
  const auto& time = static_cast<const arrow::TimestampArray&>(*combined->column(2));
  const auto& length = static_cast<const arrow::Int64Array&>(*combined->column(3));
  const auto& features = static_cast<const arrow::ListArray&>(*combined->column(4));
  const auto& values = static_cast<const arrow::FloatArray&>(*features.values());
  auto records = Records(begin, end);
  auto expected = Features(begin, end);
  for (int i = 0; i < end - begin; ++i) {
    // The column holds the path's text: a file:// URI for a Latin-1 name.
    EXPECT_EQ(path.GetView(i), PathText(records[i].file.path));
    EXPECT_EQ(path.GetView(i).starts_with("file://"), (begin + i) % 3 == 0);
    EXPECT_EQ(label.GetView(i), records[i].label);
    EXPECT_EQ(time.Value(i), records[i].file.modification_time_us);
    EXPECT_EQ(length.Value(i), records[i].file.length);
    ASSERT_EQ(features.value_length(i), kDim);
    for (int j = 0; j < kDim; ++j) {
      EXPECT_EQ(values.Value(features.value_offset(i) + j), expected[i * kDim + j]);
    }
  }
}

class DatasetWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("imgfeat_dataset_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
    out_ = root_ / "out";
    options_.rows_per_part = 5;
    options_.rows_per_row_group = 2;
  }
  void TearDown() override { fs::remove_all(root_); }

  Result<std::unique_ptr<DatasetWriter>> Open(const DatasetOptions& options,
                                              const std::string& params = kParams) {
    return DatasetWriter::Open(out_.string(), kDim, params, options);
  }
  // A complete output with rows [0, rows).
  void WriteComplete(int rows) {
    ASSERT_OK_AND_ASSIGN(auto writer, Open(options_));
    ASSERT_OK(AppendRows(*writer, 0, rows));
    ASSERT_OK(writer->Finish(Manifest()));
  }
  std::string ReadText(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  fs::path root_, out_;
  DatasetOptions options_;
};

TEST_F(DatasetWriterTest, WritesPartsRowGroupsAndTheFinalFiles) {
  ASSERT_OK_AND_ASSIGN(auto writer, Open(options_));
  EXPECT_EQ(writer->work_dir(), (out_ / "_temporary").string());
  EXPECT_TRUE(fs::is_directory(writer->work_dir()));
  for (int begin = 0; begin < 12; begin += 3) ASSERT_OK(AppendRows(*writer, begin, begin + 3));
  EXPECT_EQ(writer->rows_written(), 12);
  const std::string manifest = R"({"version": 1, "counts": {"rows": 12}})";
  ASSERT_OK(writer->Finish(manifest));

  EXPECT_EQ(Entries(out_),
            (std::set<std::string>{"part-00000.parquet", "part-00001.parquet", "part-00002.parquet",
                                   "_errors.parquet", "_imgfeat.json", "_SUCCESS"}));
  EXPECT_EQ(ReadText(out_ / "_imgfeat.json"), manifest);
  EXPECT_EQ(fs::file_size(out_ / "_SUCCESS"), 0u);
  const int first_row[] = {0, 5, 10, 12};
  for (int part = 0; part < 3; ++part) {
    auto file = out_ / ("part-0000" + std::to_string(part) + ".parquet");
    auto reader = OpenParquet(file);
    // 5 rows per part in row groups of at most 2.
    const int rows = first_row[part + 1] - first_row[part];
    EXPECT_EQ(reader->num_row_groups(), (rows + 1) / 2) << file;
    auto table = ReadParquet(file);
    EXPECT_TRUE(table->schema()->Equals(*dataset::FeatureSchema())) << table->schema()->ToString();
    ExpectRows(*table, first_row[part], first_row[part + 1]);
  }
  auto errors = ReadParquet(out_ / "_errors.parquet");
  EXPECT_EQ(errors->num_rows(), 0);
  EXPECT_TRUE(errors->schema()->Equals(*dataset::ErrorSchema()));
}

TEST_F(DatasetWriterTest, NothingAppearsUnderAFinalNameBeforeItIsComplete) {
  ASSERT_OK_AND_ASSIGN(auto writer, Open(options_));
  ASSERT_OK(AppendRows(*writer, 0, 3));  // one row group written, part not full
  EXPECT_EQ(Entries(out_), std::set<std::string>{"_temporary"});
  EXPECT_TRUE(Entries(out_ / "_temporary").contains("part-00000.parquet.tmp"));
  EXPECT_GT(fs::file_size(out_ / "_temporary" / "part-00000.parquet.tmp"), 0u);

  ASSERT_OK(AppendRows(*writer, 3, 5));  // the part is full: committed
  EXPECT_EQ(Entries(out_), (std::set<std::string>{"_temporary", "part-00000.parquet"}));
  EXPECT_FALSE(Entries(out_ / "_temporary").contains("part-00000.parquet.tmp"));
  ExpectRows(*ReadParquet(out_ / "part-00000.parquet"), 0, 5);

  ASSERT_OK(writer->AddError("/in/bad.jpg", "decode", "not a JPEG"));
  EXPECT_EQ(Entries(out_), (std::set<std::string>{"_temporary", "part-00000.parquet"}));
  ASSERT_OK(writer->Finish("{}"));
  EXPECT_FALSE(fs::exists(out_ / "_temporary"));
}

TEST_F(DatasetWriterTest, ErrorsAreWrittenWithTheirStage) {
  ASSERT_OK_AND_ASSIGN(auto writer, Open(options_));
  ASSERT_OK(AppendRows(*writer, 0, 1));
  ASSERT_OK(writer->AddError("/in/a.jpg", "decode", "truncated JPEG"));
  ASSERT_OK(writer->AddError("/in/b.png", "read", "permission denied"));
  EXPECT_EQ(writer->errors_recorded(), 2);
  ASSERT_OK(writer->Finish("{}"));
  auto errors = ReadParquet(out_ / "_errors.parquet")->CombineChunksToBatch().ValueOrDie();
  ASSERT_EQ(errors->num_rows(), 2);
  auto path = std::static_pointer_cast<arrow::StringArray>(errors->column(0));
  auto stage = std::static_pointer_cast<arrow::StringArray>(errors->column(1));
  auto error = std::static_pointer_cast<arrow::StringArray>(errors->column(2));
  EXPECT_EQ(path->GetView(0), "/in/a.jpg");
  EXPECT_EQ(path->GetView(1), "/in/b.png");
  EXPECT_EQ(stage->GetView(0), "decode");
  EXPECT_EQ(stage->GetView(1), "read");
  EXPECT_EQ(error->GetView(0), "truncated JPEG");
  EXPECT_EQ(error->GetView(1), "permission denied");
}

TEST_F(DatasetWriterTest, AnOutputWithoutRowsStillHasTheSchema) {
  ASSERT_OK_AND_ASSIGN(auto writer, Open(options_));
  ASSERT_OK(writer->Finish("{}"));
  auto table = ReadParquet(out_ / "part-00000.parquet");
  EXPECT_EQ(table->num_rows(), 0);
  EXPECT_TRUE(table->schema()->Equals(*dataset::FeatureSchema()));
}

TEST_F(DatasetWriterTest, RefusesAnExistingNonEmptyOutput) {
  fs::create_directories(out_);
  std::ofstream(out_ / "notes.txt") << "mine";
  auto writer = Open(options_);
  ASSERT_FALSE(writer.ok());
  EXPECT_NE(writer.status().message().find("already exists and is not empty"), std::string::npos)
      << writer.status().ToString();
  EXPECT_EQ(Entries(out_), std::set<std::string>{"notes.txt"});
}

TEST_F(DatasetWriterTest, AcceptsAnExistingEmptyOutput) {
  fs::create_directories(out_);
  ASSERT_OK_AND_ASSIGN(auto writer, Open(options_));
  ASSERT_OK(AppendRows(*writer, 0, 1));
  ASSERT_OK(writer->Finish("{}"));
  EXPECT_TRUE(fs::exists(out_ / "_SUCCESS"));
}

TEST_F(DatasetWriterTest, OverwriteReplacesAnEarlierOutput) {
  WriteComplete(12);
  DatasetOptions options = options_;
  options.overwrite = true;
  ASSERT_OK_AND_ASSIGN(auto writer, Open(options));
  EXPECT_FALSE(fs::exists(out_ / "_SUCCESS"));
  EXPECT_FALSE(fs::exists(out_ / "part-00002.parquet"));
  ASSERT_OK(AppendRows(*writer, 0, 2));
  ASSERT_OK(writer->Finish("{}"));
  EXPECT_EQ(Entries(out_), (std::set<std::string>{"part-00000.parquet", "_errors.parquet",
                                                  "_imgfeat.json", "_SUCCESS"}));
  ExpectRows(*ReadParquet(out_ / "part-00000.parquet"), 0, 2);
}

TEST_F(DatasetWriterTest, OverwriteNeverDeletesAForeignFolder) {
  fs::create_directories(out_);
  std::ofstream(out_ / "part-00000.parquet") << "x";
  std::ofstream(out_ / "thesis.docx") << "years of work";
  DatasetOptions options = options_;
  options.overwrite = true;
  auto writer = Open(options);
  ASSERT_FALSE(writer.ok());
  EXPECT_NE(writer.status().message().find("thesis.docx"), std::string::npos)
      << writer.status().ToString();
  EXPECT_EQ(Entries(out_), (std::set<std::string>{"part-00000.parquet", "thesis.docx"}));
}

// The child process writes two full parts and half of a third, records an
// error, then dies by SIGKILL: no destructor, no Finish, like a real crash.
void WriteThenCrash(const fs::path& out, const DatasetOptions& options) {
  auto writer = DatasetWriter::Open(out.string(), kDim, kParams, options).ValueOrDie();
  if (!AppendRows(*writer, 0, 12).ok()) std::_Exit(3);
  if (!writer->AddError("/in/bad.jpg", "decode", "not a JPEG").ok()) std::_Exit(4);
  ::kill(::getpid(), SIGKILL);
  std::_Exit(5);
}

void CrashInChild(const fs::path& out, const DatasetOptions& options) {
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) WriteThenCrash(out, options);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "child status " << status;
}

TEST_F(DatasetWriterTest, ResumeAfterACrashKeepsCommittedPartsAndContinuesNumbering) {
  CrashInChild(out_, options_);
  // Only complete parts under final names; the half part and no end files.
  EXPECT_EQ(Entries(out_),
            (std::set<std::string>{"_temporary", "part-00000.parquet", "part-00001.parquet"}));
  EXPECT_TRUE(Entries(out_ / "_temporary").contains("part-00002.parquet.tmp"));
  std::ofstream(out_ / "_temporary" / "reducer_state.bin") << "another stage's work file";

  DatasetOptions options = options_;
  options.resume = true;
  ASSERT_OK_AND_ASSIGN(auto writer, Open(options));
  EXPECT_FALSE(writer->already_complete());
  std::unordered_set<std::string> expected;
  for (const auto& record : Records(0, 10)) expected.insert(record.file.path);
  EXPECT_EQ(writer->committed_paths(), expected);
  EXPECT_EQ(writer->rows_written(), 10);
  EXPECT_FALSE(fs::exists(out_ / "_temporary" / "part-00002.parquet.tmp"));
  EXPECT_TRUE(fs::exists(out_ / "_temporary" / "reducer_state.bin"));

  ASSERT_OK(AppendRows(*writer, 10, 12));
  ASSERT_OK(writer->AddError("/in/bad.jpg", "decode", "not a JPEG"));
  EXPECT_EQ(writer->rows_written(), 12);
  ASSERT_OK(writer->Finish("{}"));
  EXPECT_EQ(Entries(out_),
            (std::set<std::string>{"part-00000.parquet", "part-00001.parquet", "part-00002.parquet",
                                   "_errors.parquet", "_imgfeat.json", "_SUCCESS"}));
  ExpectRows(*ReadParquet(out_ / "part-00000.parquet"), 0, 5);
  ExpectRows(*ReadParquet(out_ / "part-00001.parquet"), 5, 10);
  ExpectRows(*ReadParquet(out_ / "part-00002.parquet"), 10, 12);
  EXPECT_EQ(ReadParquet(out_ / "_errors.parquet")->num_rows(), 1);
}

TEST_F(DatasetWriterTest, ResumeRefusesOtherRunParametersNamingTheKey) {
  CrashInChild(out_, options_);
  DatasetOptions options = options_;
  options.resume = true;
  auto other_model =
      Open(options, R"({"model": {"name": "m", "sha256": "bb"}, "reducer": "none"})");
  ASSERT_FALSE(other_model.ok());
  EXPECT_NE(other_model.status().message().find("'model.sha256'"), std::string::npos)
      << other_model.status().ToString();
  auto other_dim = DatasetWriter::Open(out_.string(), kDim + 1, kParams, options);
  ASSERT_FALSE(other_dim.ok());
  EXPECT_NE(other_dim.status().message().find("'feature_dim'"), std::string::npos);
  // Nothing was touched: the same parameters still resume.
  ASSERT_OK_AND_ASSIGN(auto writer, Open(options));
  EXPECT_EQ(writer->committed_paths().size(), 10u);
}

TEST_F(DatasetWriterTest, AWriterDroppedWithoutFinishLeavesAResumableOutput) {
  {
    ASSERT_OK_AND_ASSIGN(auto writer, Open(options_));
    ASSERT_OK(AppendRows(*writer, 0, 7));
  }
  EXPECT_FALSE(fs::exists(out_ / "_temporary" / "part-00001.parquet.tmp"));
  DatasetOptions options = options_;
  options.resume = true;
  ASSERT_OK_AND_ASSIGN(auto writer, Open(options));
  EXPECT_EQ(writer->committed_paths().size(), 5u);
  ASSERT_OK(AppendRows(*writer, 5, 7));
  ASSERT_OK(writer->Finish("{}"));
  ExpectRows(*ReadParquet(out_ / "part-00001.parquet"), 5, 7);
}

TEST_F(DatasetWriterTest, ResumeOfACompleteOutputHasNothingToDo) {
  WriteComplete(3);
  auto before = Entries(out_);
  DatasetOptions options = options_;
  options.resume = true;
  ASSERT_OK_AND_ASSIGN(auto writer, Open(options));
  EXPECT_TRUE(writer->already_complete());
  EXPECT_FALSE(AppendRows(*writer, 3, 4).ok());
  ASSERT_OK(writer->Finish(R"({"version": 2})"));
  EXPECT_EQ(Entries(out_), before);
  EXPECT_EQ(ReadText(out_ / "_imgfeat.json"), Manifest());
}

TEST_F(DatasetWriterTest, ResumeOfACompleteOutputRefusesOtherParameters) {
  WriteComplete(3);
  auto before = Entries(out_);
  DatasetOptions options = options_;
  options.resume = true;
  auto other = Open(options, R"({"model": {"name": "m", "sha256": "bb"}, "reducer": "none"})");
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("is complete, with other parameters: 'model.sha256' "
                                          "differs (stored \"aa\", now \"bb\")"),
            std::string::npos)
      << other.status();
  auto longer = DatasetWriter::Open(out_.string(), kDim + 1, kParams, options);
  ASSERT_FALSE(longer.ok());
  EXPECT_NE(longer.status().message().find("'feature_dim' differs"), std::string::npos)
      << longer.status();
  // A manifest without the parameters cannot be checked: refused, not taken as done.
  std::ofstream(out_ / "_imgfeat.json") << R"({"version": 1})";
  auto unchecked = Open(options);
  ASSERT_FALSE(unchecked.ok());
  EXPECT_NE(unchecked.status().message().find("has no parameters"), std::string::npos)
      << unchecked.status();
  EXPECT_EQ(Entries(out_), before);
}

TEST_F(DatasetWriterTest, AnEmbeddingColumnFollowsTheFeatures) {
  DatasetOptions options = options_;
  options.embedding_dim = 2;
  options.kept_columns = {"url"};
  ASSERT_OK_AND_ASSIGN(auto writer, Open(options));
  auto records = Records(0, 3);
  records[1].kept = {"http://x/1"};
  const std::vector<float> embedding = {1, 2, 3, 4, 5, 6};
  EXPECT_FALSE(writer->Append(records, Features(0, 3).data(), nullptr).ok());
  ASSERT_OK(writer->Append(records, Features(0, 3).data(), embedding.data()));
  ASSERT_OK(writer->Finish(Manifest()));
  auto table = ReadParquet(out_ / "part-00000.parquet");
  EXPECT_EQ(table->schema()->ToString(),
            dataset::FeatureSchemaWith({"url"}, /*embedding=*/true)->ToString());
  ASSERT_EQ(table->schema()->field(5)->name(), "embedding");
  auto column = table->GetColumnByName("embedding")->chunk(0);
  const auto& lists = static_cast<const arrow::ListArray&>(*column);
  const auto& values = static_cast<const arrow::FloatArray&>(*lists.values());
  ASSERT_EQ(lists.length(), 3);
  for (int64_t i = 0; i < 6; ++i) EXPECT_EQ(values.Value(i), embedding[i]);
  EXPECT_EQ(lists.value_length(2), 2);
  // A writer without the column refuses an embedding.
  DatasetOptions plain = options_;
  plain.overwrite = true;
  ASSERT_OK_AND_ASSIGN(auto without, Open(plain));
  EXPECT_FALSE(without->Append(records, Features(0, 3).data(), embedding.data()).ok());
}

TEST_F(DatasetWriterTest, ResumeRefusesAFolderThatIsNotAnInterruptedRun) {
  fs::create_directories(out_);
  std::ofstream(out_ / "notes.txt") << "mine";
  DatasetOptions options = options_;
  options.resume = true;
  auto writer = Open(options);
  ASSERT_FALSE(writer.ok());
  EXPECT_NE(writer.status().message().find("not an interrupted imgfeat run"), std::string::npos);
}

TEST_F(DatasetWriterTest, ASecondWriterOnTheSameOutputIsRefused) {
  ASSERT_OK_AND_ASSIGN(auto writer, Open(options_));
  DatasetOptions options = options_;
  options.resume = true;
  auto second = Open(options);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("another process"), std::string::npos)
      << second.status().ToString();
  options.resume = false;
  options.overwrite = true;
  EXPECT_FALSE(Open(options).ok());
  EXPECT_TRUE(fs::exists(writer->work_dir()));
}

TEST_F(DatasetWriterTest, RefusesBadOptions) {
  DatasetOptions both = options_;
  both.overwrite = both.resume = true;
  EXPECT_FALSE(Open(both).ok());
  DatasetOptions codec = options_;
  codec.compression = "zip";
  EXPECT_FALSE(Open(codec).ok());
  codec.compression = "snappy";
  codec.compression_level = 3;
  EXPECT_FALSE(Open(codec).ok());
  EXPECT_FALSE(Open(options_, "{not json").ok());
  EXPECT_FALSE(fs::exists(out_));
}

TEST_F(DatasetWriterTest, EveryCodecWritesReadableParts) {
  for (const char* codec : {"none", "snappy", "gzip", "brotli", "lz4", "zstd"}) {
    fs::remove_all(out_);
    DatasetOptions options = options_;
    options.compression = codec;
    ASSERT_OK_AND_ASSIGN(auto writer, Open(options));
    ASSERT_OK(AppendRows(*writer, 0, 3));
    ASSERT_OK(writer->Finish("{}"));
    ExpectRows(*ReadParquet(out_ / "part-00000.parquet"), 0, 3);
  }
}

TEST_F(DatasetWriterTest, RefusesAManifestThatIsNotJson) {
  ASSERT_OK_AND_ASSIGN(auto writer, Open(options_));
  EXPECT_FALSE(writer->Finish("{oops").ok());
  EXPECT_FALSE(fs::exists(out_ / "_SUCCESS"));
}

}  // namespace
}  // namespace imgfeat
