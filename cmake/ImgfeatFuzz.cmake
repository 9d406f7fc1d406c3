# -DIMGFEAT_FUZZ=ON: the whole library is built with libFuzzer's coverage
# instrumentation, AddressSanitizer and UndefinedBehaviorSanitizer (clang
# only); undefined behaviour aborts, so that libFuzzer records it as a crash.
# The C++ tests, benchmarks and examples are not built in this mode.
if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "IMGFEAT_FUZZ needs clang: configure with CC=clang CXX=clang++")
endif()
add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
                    -fno-omit-frame-pointer -g)
add_link_options(-fsanitize=address,undefined)
