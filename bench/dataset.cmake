# Benchmarks of the dataset stage (docs/BENCHMARKS.md, "Parquet output").
imgfeat_benchmark(dataset_write_bench ${CMAKE_CURRENT_LIST_DIR}/dataset_write_bench.cc)
