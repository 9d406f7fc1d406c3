# Drives tests/test_pixels_pillow.py: decodes, resizes and preprocesses the
# files named on stdin.
imgfeat_tool(imgfeat_pixels ${CMAKE_CURRENT_LIST_DIR}/imgfeat_pixels.cc)
