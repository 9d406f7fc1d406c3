imgfeat_benchmark(pipeline_bench ${CMAKE_CURRENT_LIST_DIR}/pipeline_bench.cc)
