# One-line helpers for tests and benchmarks kept beside the code they exercise.

# imgfeat_test(NAME source.cc [more sources] [LABELS l1 l2])
function(imgfeat_test name)
  if(IMGFEAT_FUZZ)
    # The fuzz build makes only the fuzz targets: tests stay defined (their
    # folders configure them further) but are neither built nor run.
    add_executable(${name} EXCLUDE_FROM_ALL ${ARGN})
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "LABELS" ${ARGN})
  add_executable(${name} ${ARG_UNPARSED_ARGUMENTS})
  target_link_libraries(${name} PRIVATE imgfeat_internal GTest::gtest GTest::gtest_main)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  add_test(NAME ${name} COMMAND ${name})
  set(labels unit ${ARG_LABELS})
  set_tests_properties(${name} PROPERTIES LABELS "${labels}"
    ENVIRONMENT "IMGFEAT_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()

# imgfeat_benchmark(NAME source.cc [more sources]): a program in build/bench/.
function(imgfeat_benchmark name)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE imgfeat_internal)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bench)
endfunction()

# imgfeat_tool(NAME source.cc): a small program the pytest suites drive.
function(imgfeat_tool name)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE imgfeat_internal)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tools)
endfunction()

# For tests that run OpenVINO, under the sanitizers: TBB opens its hwloc
# binding with RTLD_DEEPBIND, which AddressSanitizer refuses unless TBB is told
# not to, and OpenVINO's plugin loading leaves static allocations LeakSanitizer
# would report (their stacks pass through unloaded plugins: only the slow
# unwinder reaches libopenvino, where the suppression matches).
function(imgfeat_openvino_test_environment test)
  if(IMGFEAT_FUZZ)
    return()
  endif()
  set_property(TEST ${test} APPEND PROPERTY ENVIRONMENT
    "TBB_ENABLE_SANITIZERS=1" "ASAN_OPTIONS=fast_unwind_on_malloc=0"
    "LSAN_OPTIONS=suppressions=${PROJECT_SOURCE_DIR}/src/engine/lsan_suppressions.txt")
endfunction()
