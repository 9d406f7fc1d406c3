# Layers: one static library per stage of src/, imgfeat_<stage>, each built
# seeing the private headers of its own stage and of the stages it declares it
# depends on (transitively), and no others.
#
# src/ is on no include path. A stage's sources are compiled with one include
# root, ${PROJECT_BINARY_DIR}/layers/<stage>/, that holds a symbolic link per
# stage it may use (<name> -> src/<name>), so that an #include "pipeline/x.h"
# in src/io/ fails to compile: io's root has no pipeline/. The public API,
# include/imgfeat/, is visible to every stage and every program.
# CONTRIBUTING.md ("Layers") has the table; `ctest -R layers` checks it.

set(IMGFEAT_LAYERS_DIR ${PROJECT_BINARY_DIR}/layers)

# What every stage and program builds with: the public headers, the version,
# Arrow and Parquet (the public headers' types).
add_library(imgfeat_base INTERFACE)
target_include_directories(imgfeat_base INTERFACE ${PROJECT_SOURCE_DIR}/include)
target_compile_definitions(imgfeat_base INTERFACE IMGFEAT_VERSION="${PROJECT_VERSION}")
target_link_libraries(imgfeat_base INTERFACE ${IMGFEAT_ARROW_TARGET} ${IMGFEAT_PARQUET_TARGET}
                      Threads::Threads)

# imgfeat_include_root(<out_var> <root> <folder of src/>...): makes
# ${IMGFEAT_LAYERS_DIR}/<root>/ hold a link to each named folder of src/, and
# nothing else (a link left from an earlier configuration is removed).
function(imgfeat_include_root out root)
  set(dir ${IMGFEAT_LAYERS_DIR}/${root})
  file(MAKE_DIRECTORY ${dir})
  file(GLOB existing LIST_DIRECTORIES true RELATIVE ${dir} ${dir}/*)
  foreach(name ${existing})
    if(NOT name IN_LIST ARGN)
      file(REMOVE ${dir}/${name})  # a link: removes the link, not its target
    endif()
  endforeach()
  foreach(folder ${ARGN})
    file(CREATE_LINK ${PROJECT_SOURCE_DIR}/src/${folder} ${dir}/${folder} SYMBOLIC)
  endforeach()
  set(${out} ${dir} PARENT_SCOPE)
endfunction()

# The GoogleTest helpers (src/testing/), for tests only.
imgfeat_include_root(IMGFEAT_TESTING_ROOT testing testing)

# imgfeat_stage(<stage> [DEPENDS <stage>...] [CALLS_UP <stage>...])
# In src/<stage>/CMakeLists.txt, before its target_sources: the library
# imgfeat_<stage> and its include root. DEPENDS names the stages whose private
# headers or functions it uses; they must be defined before it (the order of
# add_subdirectory in the top-level CMakeLists.txt), which keeps the layers
# acyclic. CALLS_UP names a stage defined later whose public functions
# (include/imgfeat/) it calls: it is linked, its headers in src/ stay unseen.
# Sets IMGFEAT_STAGE in the caller's folder for imgfeat_test().
function(imgfeat_stage stage)
  cmake_parse_arguments(ARG "" "" "DEPENDS;CALLS_UP" ${ARGN})
  set(visible ${stage})
  foreach(dep ${ARG_DEPENDS})
    get_property(dep_visible GLOBAL PROPERTY IMGFEAT_STAGE_VISIBLE_${dep})
    if(NOT dep_visible)
      message(FATAL_ERROR "stage ${stage} depends on '${dep}', which is not a stage defined "
                          "before it (see the stage order in CMakeLists.txt)")
    endif()
    list(APPEND visible ${dep_visible})
  endforeach()
  list(REMOVE_DUPLICATES visible)
  list(SORT visible)
  set_property(GLOBAL PROPERTY IMGFEAT_STAGE_VISIBLE_${stage} ${visible})
  set_property(GLOBAL APPEND PROPERTY IMGFEAT_STAGES ${stage})

  imgfeat_include_root(root ${stage} ${visible})
  add_library(imgfeat_${stage} STATIC)
  target_include_directories(imgfeat_${stage} PRIVATE ${root})
  list(TRANSFORM ARG_DEPENDS PREPEND imgfeat_ OUTPUT_VARIABLE deps)
  list(TRANSFORM ARG_CALLS_UP PREPEND imgfeat_ OUTPUT_VARIABLE up)
  target_link_libraries(imgfeat_${stage} PUBLIC imgfeat_base PRIVATE ${deps} ${up})
  set(IMGFEAT_STAGE ${stage} PARENT_SCOPE)
endfunction()

# imgfeat_all_stages(): after every stage, imgfeat_internal, the whole library
# for the programs outside src/ (tests/tools, bench, fuzz, examples, the
# Python module), with every stage's private headers visible
# (${IMGFEAT_LAYERS_DIR}/all/).
function(imgfeat_all_stages)
  get_property(stages GLOBAL PROPERTY IMGFEAT_STAGES)
  imgfeat_include_root(root all ${stages})
  add_library(imgfeat_internal INTERFACE)
  target_include_directories(imgfeat_internal INTERFACE ${root})
  list(TRANSFORM stages PREPEND imgfeat_ OUTPUT_VARIABLE libraries)
  target_link_libraries(imgfeat_internal INTERFACE imgfeat_base ${libraries})
endfunction()

# imgfeat_layer_checks(): the ctest `layers`. For each stage, a probe compiled
# with the stage's own include directories asserts (__has_include) that it
# sees one private header of each stage it may use and none of the others';
# then a source with io's include directories that includes a pipeline/
# header must fail to compile. The probes are built by the test only.
function(imgfeat_layer_checks)
  get_property(stages GLOBAL PROPERTY IMGFEAT_STAGES)
  set(probe_dir ${PROJECT_BINARY_DIR}/layer_probes)
  foreach(stage ${stages})
    file(GLOB headers RELATIVE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/src/${stage}/*.h)
    list(SORT headers)
    list(GET headers 0 header)
    set(probe_header_${stage} ${header})
  endforeach()
  set(probes)
  foreach(stage ${stages})
    get_property(visible GLOBAL PROPERTY IMGFEAT_STAGE_VISIBLE_${stage})
    set(text "// Generated by cmake/ImgfeatLayers.cmake: what src/${stage}/ may include.\n")
    foreach(other ${stages})
      set(header ${probe_header_${other}})
      if(other STREQUAL stage)
        string(APPEND text "#if !__has_include(\"${header}\")\n"
               "#error \"${stage} does not see its own headers\"\n#endif\n")
      elseif(other IN_LIST visible)
        string(APPEND text "#if !__has_include(\"${header}\")\n"
               "#error \"${stage} does not see ${other}/, which it depends on\"\n#endif\n")
      else()
        string(APPEND text "#if __has_include(\"${header}\")\n"
               "#error \"${stage} sees ${other}/, which it does not depend on\"\n#endif\n")
      endif()
    endforeach()
    file(CONFIGURE OUTPUT ${probe_dir}/${stage}_probe.cc CONTENT "${text}")
    imgfeat_layer_probe(imgfeat_layer_probe_${stage} ${stage} ${probe_dir}/${stage}_probe.cc)
    list(APPEND probes imgfeat_layer_probe_${stage})
  endforeach()
  add_custom_target(imgfeat_layer_probes)
  add_dependencies(imgfeat_layer_probes ${probes})

  set(upward ${probe_header_pipeline})
  file(CONFIGURE OUTPUT ${probe_dir}/io_includes_pipeline.cc CONTENT
       "// Generated by cmake/ImgfeatLayers.cmake: must not compile.\n#include \"${upward}\"\n")
  imgfeat_layer_probe(imgfeat_layer_upward_include io ${probe_dir}/io_includes_pipeline.cc)

  add_test(NAME layers COMMAND ${CMAKE_COMMAND} -DBUILD_DIR=${PROJECT_BINARY_DIR}
           -DCONFIG=$<CONFIG> -DUPWARD_HEADER=${upward}
           -P ${PROJECT_SOURCE_DIR}/cmake/CheckLayers.cmake)
  set_tests_properties(layers PROPERTIES LABELS "unit;layers")
endfunction()

# An object library built only on demand, compiled as a source of `stage` is.
function(imgfeat_layer_probe name stage source)
  add_library(${name} OBJECT EXCLUDE_FROM_ALL ${source})
  set_target_properties(${name} PROPERTIES
    INCLUDE_DIRECTORIES "$<TARGET_PROPERTY:imgfeat_${stage},INCLUDE_DIRECTORIES>")
  target_link_libraries(${name} PRIVATE imgfeat_base)
endfunction()
