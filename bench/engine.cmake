# The inference engines alone (docs/BENCHMARKS.md, "Inference engines").
imgfeat_benchmark(engine_bench ${CMAKE_CURRENT_LIST_DIR}/engine_bench.cc)
