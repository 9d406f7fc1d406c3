# Tools of the dataset stage driven by tests/test_dataset_format.py.
imgfeat_tool(dataset_write ${CMAKE_CURRENT_LIST_DIR}/dataset_write.cc)
target_link_libraries(tool_dataset_write PRIVATE nlohmann_json::nlohmann_json)
