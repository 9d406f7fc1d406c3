# Benchmark of the report (docs/BENCHMARKS.md, section Report).
imgfeat_benchmark(report_bench ${CMAKE_CURRENT_LIST_DIR}/report_bench.cc)
