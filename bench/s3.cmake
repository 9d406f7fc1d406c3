# Benchmarks of object storage (docs/BENCHMARKS.md, "S3").
imgfeat_benchmark(s3_list_bench ${CMAKE_CURRENT_LIST_DIR}/s3_list_bench.cc)
