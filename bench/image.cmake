# Decode + resize + preprocess throughput (docs/BENCHMARKS.md, "Decode and
# resize"); bench/pillow_decode_resize.py is its Pillow counterpart.
imgfeat_benchmark(decode_resize_bench ${CMAKE_CURRENT_LIST_DIR}/decode_resize_bench.cc)
