# One-line helpers for tests and benchmarks kept beside the code they exercise.

# imgfeat_test(NAME source.cc [more sources] [LABELS l1 l2] [USES stage...])
# In a stage's folder the test links that stage's library and sees the private
# headers that stage sees (cmake/ImgfeatLayers.cmake), and those of the stages
# named after USES, which it links too; elsewhere it links imgfeat_internal.
# Either way it also sees src/testing/.
function(imgfeat_test name)
  cmake_parse_arguments(ARG "" "" "LABELS;USES" ${ARGN})
  if(IMGFEAT_FUZZ)
    # The fuzz build makes only the fuzz targets: tests stay defined (their
    # folders configure them further) but are neither built nor run.
    add_executable(${name} EXCLUDE_FROM_ALL ${ARG_UNPARSED_ARGUMENTS})
    return()
  endif()
  add_executable(${name} ${ARG_UNPARSED_ARGUMENTS})
  if(IMGFEAT_STAGE AND ARG_USES)
    set(visible)
    foreach(stage ${IMGFEAT_STAGE} ${ARG_USES})
      get_property(stage_visible GLOBAL PROPERTY IMGFEAT_STAGE_VISIBLE_${stage})
      list(APPEND visible ${stage_visible})
      target_link_libraries(${name} PRIVATE imgfeat_${stage})
    endforeach()
    list(REMOVE_DUPLICATES visible)
    imgfeat_include_root(root tests/${name} ${visible})
    target_include_directories(${name} PRIVATE ${root})
  elseif(IMGFEAT_STAGE)
    target_link_libraries(${name} PRIVATE imgfeat_${IMGFEAT_STAGE})
    target_include_directories(${name} PRIVATE ${IMGFEAT_LAYERS_DIR}/${IMGFEAT_STAGE})
  else()
    target_link_libraries(${name} PRIVATE imgfeat_internal)
  endif()
  target_link_libraries(${name} PRIVATE GTest::gtest GTest::gtest_main)
  target_include_directories(${name} PRIVATE ${IMGFEAT_TESTING_ROOT})
  add_test(NAME ${name} COMMAND ${name})
  set(labels unit ${ARG_LABELS})
  set_tests_properties(${name} PROPERTIES LABELS "${labels}"
    ENVIRONMENT "IMGFEAT_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()

# imgfeat_benchmark(NAME source.cc [more sources]): a program in build/bench/.
function(imgfeat_benchmark name)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE imgfeat_internal)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/bench)
endfunction()

# imgfeat_tool(NAME source.cc): a small program the pytest suites drive,
# build/tools/NAME. Its target is tool_NAME: imgfeat_model and imgfeat_reduce
# are also the names of stage libraries.
function(imgfeat_tool name)
  add_executable(tool_${name} ${ARGN})
  target_link_libraries(tool_${name} PRIVATE imgfeat_internal)
  set_target_properties(tool_${name} PROPERTIES OUTPUT_NAME ${name}
                        RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tools)
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
