// imgfeat_reduce: the reduce stage from the command line, for the pytest
// suites that compare it with NumPy and scikit-learn.
//
//   imgfeat_reduce mt SEED COUNT OUT.npy               raw MT19937 outputs (uint32)
//   imgfeat_reduce binomial SEED N P COUNT OUT.npy     legacy binomial draws (int64)
//   imgfeat_reduce permutation SEED N OUT.npy          legacy permutation (int64)
//   imgfeat_reduce sample SEED NPOP NSAMP METHOD OUT.npy   sample_without_replacement
//   imgfeat_reduce jl N_SAMPLES EPS                    prints the JL minimum dimension
//   imgfeat_reduce srp-matrix NC NF SEED DENSITY OUTDIR   indptr/indices/data.npy
//   imgfeat_reduce save-srp NC NF SEED DENSITY OUT.parquet
//   imgfeat_reduce pca-fit IN.npy K OUT.parquet [--oversampling P] [--power-iterations Q]
//                  [--seed S] [--block-rows B] [--spill FILE]
//   imgfeat_reduce transform REDUCER IN.npy OUT.npy    REDUCER: a saved file, or
//                                                      srp:NC:NF:SEED:DENSITY
//   imgfeat_reduce describe REDUCER                    prints DescribeJson()
//
// DENSITY is 'auto' or a number in (0, 1].
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "imgfeat/reduce.h"
#include "reduce/legacy_random.h"
#include "reduce/memory_row_source.h"
#include "reduce/sample_without_replacement.h"
#include "reduce_npy.h"

namespace imgfeat::tools {
namespace {

using Args = std::vector<std::string>;

double ParseDensity(const std::string& text) { return text == "auto" ? 0.0 : std::stod(text); }

Result<std::unique_ptr<Reducer>> ReducerFrom(const std::string& spec) {
  if (spec.rfind("srp:", 0) == 0) {
    std::vector<std::string> parts;
    size_t pos = 4;
    while (pos <= spec.size()) {
      size_t colon = spec.find(':', pos);
      if (colon == std::string::npos) colon = spec.size();
      parts.push_back(spec.substr(pos, colon - pos));
      pos = colon + 1;
    }
    if (parts.size() != 4) return Status::Invalid("expected srp:NC:NF:SEED:DENSITY, got ", spec);
    return MakeSparseRandomProjection({.n_components = std::stoll(parts[0]),
                                       .n_features = std::stoll(parts[1]),
                                       .density = ParseDensity(parts[3]),
                                       .seed = static_cast<uint32_t>(std::stoul(parts[2]))});
  }
  return LoadReducer(spec);
}

Status Mt(const Args& a) {
  reduce::Mt19937 mt(static_cast<uint32_t>(std::stoul(a[0])));
  std::vector<uint32_t> out(std::stoull(a[1]));
  for (uint32_t& v : out) v = mt.NextUint32();
  return WriteNpy(a[2], {static_cast<int64_t>(out.size())}, out.data());
}

Status Binomial(const Args& a) {
  reduce::LegacyRandomState rng(static_cast<uint32_t>(std::stoul(a[0])));
  const int64_t n = std::stoll(a[1]);
  const double p = std::stod(a[2]);
  std::vector<int64_t> out(std::stoull(a[3]));
  for (int64_t& v : out) v = rng.Binomial(n, p);
  return WriteNpy(a[4], {static_cast<int64_t>(out.size())}, out.data());
}

Status Permutation(const Args& a) {
  reduce::LegacyRandomState rng(static_cast<uint32_t>(std::stoul(a[0])));
  const std::vector<int64_t> out = rng.Permutation(std::stoll(a[1]));
  return WriteNpy(a[2], {static_cast<int64_t>(out.size())}, out.data());
}

Status Sample(const Args& a) {
  reduce::LegacyRandomState rng(static_cast<uint32_t>(std::stoul(a[0])));
  ARROW_ASSIGN_OR_RAISE(auto method, reduce::SampleMethodFromName(a[3]));
  ARROW_ASSIGN_OR_RAISE(
      auto out, reduce::SampleWithoutReplacement(std::stoll(a[1]), std::stoll(a[2]), method, &rng));
  return WriteNpy(a[4], {static_cast<int64_t>(out.size())}, out.data());
}

Status Jl(const Args& a) {
  ARROW_ASSIGN_OR_RAISE(int64_t dim, JohnsonLindenstraussMinDim(std::stoll(a[0]), std::stod(a[1])));
  std::cout << dim << "\n";
  return Status::OK();
}

Status SrpMatrix(const Args& a) {
  const SrpOptions options{.n_components = std::stoll(a[0]),
                           .n_features = std::stoll(a[1]),
                           .density = ParseDensity(a[3]),
                           .seed = static_cast<uint32_t>(std::stoul(a[2]))};
  const auto start = std::chrono::steady_clock::now();
  ARROW_ASSIGN_OR_RAISE(SparseMatrix m, SparseRandomMatrix(options));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "{\"build_seconds\": " << seconds << ", \"nnz\": " << m.values.size() << "}\n";
  const std::string& dir = a[4];
  ARROW_RETURN_NOT_OK(
      WriteNpy(dir + "/indptr.npy", {static_cast<int64_t>(m.indptr.size())}, m.indptr.data()));
  ARROW_RETURN_NOT_OK(
      WriteNpy(dir + "/indices.npy", {static_cast<int64_t>(m.indices.size())}, m.indices.data()));
  return WriteNpy(dir + "/data.npy", {static_cast<int64_t>(m.values.size())}, m.values.data());
}

Status SaveSrp(const Args& a) {
  ARROW_ASSIGN_OR_RAISE(auto reducer,
                        ReducerFrom("srp:" + a[0] + ":" + a[1] + ":" + a[2] + ":" + a[3]));
  return SaveReducer(*reducer, a[4]);
}

Status PcaFit(const Args& a) {
  ARROW_ASSIGN_OR_RAISE(NpyMatrix x, ReadNpyMatrix(a[0]));
  PcaOptions options;
  options.n_components = std::stoll(a[1]);
  std::string spill_path;
  for (size_t i = 3; i + 1 < a.size(); i += 2) {
    if (a[i] == "--oversampling")
      options.oversampling = std::stoll(a[i + 1]);
    else if (a[i] == "--power-iterations")
      options.power_iterations = std::stoi(a[i + 1]);
    else if (a[i] == "--seed")
      options.seed = static_cast<uint32_t>(std::stoul(a[i + 1]));
    else if (a[i] == "--block-rows")
      options.block_rows = std::stoll(a[i + 1]);
    else if (a[i] == "--spill")
      spill_path = a[i + 1];
    else
      return Status::Invalid("unknown option ", a[i]);
  }
  const auto start = std::chrono::steady_clock::now();
  std::unique_ptr<Reducer> pca;
  if (spill_path.empty()) {
    reduce::MemoryRowSource source(x.values.data(), x.rows, x.cols);
    ARROW_ASSIGN_OR_RAISE(pca, FitPca(&source, options));
  } else {
    ARROW_ASSIGN_OR_RAISE(auto spill, FeatureSpill::Create(spill_path, x.cols));
    ARROW_RETURN_NOT_OK(spill->Append(x.values.data(), x.rows));
    ARROW_RETURN_NOT_OK(spill->FinishWriting());
    ARROW_ASSIGN_OR_RAISE(pca, FitPca(spill.get(), options));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cerr << "pca-fit: " << x.rows << " x " << x.cols << " in " << seconds << " s\n";
  return SaveReducer(*pca, a[2]);
}

Status Transform(const Args& a) {
  ARROW_ASSIGN_OR_RAISE(auto reducer, ReducerFrom(a[0]));
  ARROW_ASSIGN_OR_RAISE(NpyMatrix x, ReadNpyMatrix(a[1]));
  if (x.cols != reducer->input_dim()) {
    return Status::Invalid(a[1], ": ", x.cols, " columns, the reducer takes ",
                           reducer->input_dim());
  }
  std::vector<float> out(static_cast<size_t>(x.rows * reducer->output_dim()));
  reducer->Transform(x.values.data(), x.rows, out.data());
  return WriteNpy(a[2], {x.rows, reducer->output_dim()}, out.data());
}

Status Describe(const Args& a) {
  ARROW_ASSIGN_OR_RAISE(auto reducer, ReducerFrom(a[0]));
  std::cout << reducer->DescribeJson() << "\n";
  return Status::OK();
}

struct Command {
  const char* name;
  size_t min_args;
  Status (*run)(const Args&);
};

constexpr Command kCommands[] = {{"mt", 3, Mt},
                                 {"binomial", 5, Binomial},
                                 {"permutation", 3, Permutation},
                                 {"sample", 5, Sample},
                                 {"jl", 2, Jl},
                                 {"srp-matrix", 5, SrpMatrix},
                                 {"save-srp", 5, SaveSrp},
                                 {"pca-fit", 3, PcaFit},
                                 {"transform", 3, Transform},
                                 {"describe", 1, Describe}};

int Main(int argc, char** argv) {
  if (argc >= 2) {
    const std::string name = argv[1];
    const Args args(argv + 2, argv + argc);
    for (const Command& command : kCommands) {
      if (name != command.name) continue;
      if (args.size() < command.min_args) break;
      Status status;
      try {
        status = command.run(args);
      } catch (const std::exception& e) {  // std::stoll and friends on bad numbers
        status = Status::Invalid("bad argument: ", e.what());
      }
      if (!status.ok()) {
        std::cerr << "imgfeat_reduce " << name << ": " << status.ToString() << "\n";
        return 1;
      }
      return 0;
    }
  }
  std::cerr << "usage: imgfeat_reduce mt|binomial|permutation|sample|jl|srp-matrix|save-srp|"
               "pca-fit|transform|describe ARGS (see the source header)\n";
  return 2;
}

}  // namespace
}  // namespace imgfeat::tools

int main(int argc, char** argv) { return imgfeat::tools::Main(argc, argv); }
