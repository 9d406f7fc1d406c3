# Tools of the model and engine stages, driven by tests/test_model_download.py
# and tests/test_keras_parity.py.
imgfeat_tool(imgfeat_model ${CMAKE_CURRENT_LIST_DIR}/imgfeat_model.cc)
imgfeat_tool(imgfeat_infer ${CMAKE_CURRENT_LIST_DIR}/imgfeat_infer.cc)
