# Benchmarks of the reduce stage (docs/BENCHMARKS.md, section Reduction).
imgfeat_benchmark(reduce_bench ${CMAKE_CURRENT_LIST_DIR}/reduce_bench.cc)
