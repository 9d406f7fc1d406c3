# Programs the reduce pytest suites drive (test_srp_sklearn.py, test_pca_sklearn.py).
imgfeat_tool(imgfeat_reduce ${CMAKE_CURRENT_LIST_DIR}/imgfeat_reduce.cc)
