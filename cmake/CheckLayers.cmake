# The ctest `layers` (cmake/ImgfeatLayers.cmake): builds the probes, which
# must compile, then the upward include, which must not, and must fail on
# that include (not on something else).
#   cmake -DBUILD_DIR=build -DCONFIG=Release -DUPWARD_HEADER=pipeline/x.h -P CheckLayers.cmake

function(build target out_rc out_log)
  execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} --config ${CONFIG}
                          --target ${target}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE log ERROR_VARIABLE log)
  set(${out_rc} ${rc} PARENT_SCOPE)
  set(${out_log} "${log}" PARENT_SCOPE)
endfunction()

build(imgfeat_layer_probes rc log)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "a stage's include root does not match its declared dependencies:\n${log}")
endif()

# The object file of an earlier successful build would make the build below a no-op.
file(GLOB_RECURSE stale ${BUILD_DIR}/CMakeFiles/imgfeat_layer_upward_include.dir/*.o)
if(stale)
  file(REMOVE ${stale})
endif()
build(imgfeat_layer_upward_include rc log)
if(rc EQUAL 0)
  message(FATAL_ERROR "src/io/ compiled an #include of \"${UPWARD_HEADER}\": "
                      "the layers are not enforced")
endif()
string(REPLACE "." "\\." header_regex "${UPWARD_HEADER}")
if(NOT log MATCHES "${header_regex}[^\n]*(No such file|not found)")
  message(FATAL_ERROR "the upward include failed, but not for want of ${UPWARD_HEADER}:\n${log}")
endif()
message(STATUS "layers: each stage sees exactly its dependencies; "
               "io/ including ${UPWARD_HEADER} fails to compile")
