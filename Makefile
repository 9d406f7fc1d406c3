# imgfeat: `make run` featurizes a folder of images, `make test` runs every test,
# `make check` the fast ones (CONTRIBUTING.md). All start with the idempotent
# set-up (Debian packages + pinned .venv).

BUILD     ?= build
BUILD_TYPE?= Release
WERROR    ?= OFF
JOBS      ?= $(shell nproc)
INPUT     ?= ../shared/datasets/fruits-360-sample
OUTPUT    ?= out/fruits-360-sample
RUN_FLAGS ?= --overwrite --report
PYTHON    := $(CURDIR)/.venv/bin/python

# Offline here: the named models are read from ../shared/models when it exists.
ifneq ($(wildcard ../shared/models),)
export IMGFEAT_MODEL_DIR ?= $(abspath ../shared/models)
endif

.PHONY: all setup setup-test configure build run test check test-cpp test-py bench asan fuzz format clean wheel wheel-only

all: build

setup:
	@scripts/setup.sh

setup-test:
	@IMGFEAT_EXTRA_REQUIREMENTS=requirements-test.txt scripts/setup.sh

# Rebuilds (a second checkout, the wheel, the sanitizer build) reuse compiled
# objects through ccache when it is installed (the set-up installs it).
CCACHE := $(shell command -v ccache 2>/dev/null)
export CCACHE_BASEDIR := $(CURDIR)
LAUNCHER := $(if $(CCACHE),-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

configure:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DIMGFEAT_WERROR=$(WERROR) \
	  -DPython3_EXECUTABLE=$(PYTHON) $(LAUNCHER) $(CMAKE_FLAGS) >/dev/null

build: setup configure
	@cmake --build $(BUILD) -j $(JOBS) -- --no-print-directory

run: build
	$(BUILD)/imgfeat run "$(INPUT)" "$(OUTPUT)" $(RUN_FLAGS)

# pytest against this build: the CLI and tools in $(BUILD), the Python module
# from $(BUILD)/python (the wheel is only for tests/test_python_wheel.py).
PYTEST = IMGFEAT_BUILD=$(abspath $(BUILD)) PYTHONPATH=$(abspath $(BUILD))/python $(PYTHON) -m pytest

test: setup-test configure
	@cmake --build $(BUILD) -j $(JOBS) -- --no-print-directory
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@$(MAKE) --no-print-directory wheel-only
	$(PYTEST) -q tests

# The edit-compile-test loop: as `make test`, without the wheel and without the
# tests of the slow tiers (the pytest markers in pyproject.toml): no Spark, no
# S3 server, no browser, nothing over about 15 s.
FAST_TESTS := not (spark or s3 or browser or wheel or slow)
check: setup-test configure
	@cmake --build $(BUILD) -j $(JOBS) -- --no-print-directory
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	$(PYTEST) -q -m "$(FAST_TESTS)" tests

bench: build
	bench/run_all.sh $(BUILD)

# The Python package as a wheel in dist/ (docs/PYTHON.md). It compiles the
# library again, in build/wheel-gcc11/, through ccache when it is installed,
# with g++-11 and cmake/glibcxx_3_4_29.h: GCC 11's libstdc++ (GLIBCXX_3.4.29)
# is the one of Amazon Linux 2023 (EMR 7), so that the wheel is
# manylinux_2_34. Then auditwheel
# bundles the libraries it needs; those that the openvino and scipy-openblas32
# wheels it depends on provide are opened at run time, not linked
# (src/io/dynamic_library.h), so that `auditwheel show` calls the wheel
# manylinux_2_34. scripts/check_wheel_elf.py fails the build if any ELF file,
# or any library it opens from those wheels, needs a newer glibc or
# libstdc++. Arrow and
# Parquet (from the build's pyarrow) are bundled under private names: the
# module hands tables over through the Arrow C Data Interface only, so that
# the user's pyarrow may be any version (docs/PYTHON.md).
wheel: setup
	@$(MAKE) --no-print-directory wheel-only
wheel-only:
	@rm -rf dist/imgfeat-*.whl build/wheel-raw
	CC=gcc-11 CXX=g++-11 CMAKE_BUILD_PARALLEL_LEVEL=$(JOBS) \
	  CMAKE_ARGS="$(LAUNCHER) -DCMAKE_CXX_FLAGS='-include $(CURDIR)/cmake/glibcxx_3_4_29.h'" \
	  $(PYTHON) -m pip wheel -q --no-build-isolation --no-deps --disable-pip-version-check \
	  -w build/wheel-raw .
	PATH=$(CURDIR)/.venv/bin:$$PATH \
	  LD_LIBRARY_PATH=$$($(PYTHON) -c 'import os, pyarrow; print(os.path.dirname(pyarrow.__file__))') \
	  .venv/bin/auditwheel repair --strip -w dist build/wheel-raw/imgfeat-*.whl \
	  >build/wheel-raw/repair.log 2>&1 || (cat build/wheel-raw/repair.log; exit 1)
	$(PYTHON) scripts/check_wheel_elf.py dist/imgfeat-*.whl

# AddressSanitizer + UndefinedBehaviorSanitizer build of the library, its C++
# tests and the Python module; then the option-boundary test (every option of
# run and report at its limits) against it: the CLI cases run build-asan's
# imgfeat, the Python cases its module in a Python with the sanitizers'
# runtime preloaded (Python's own leaks at exit are not imgfeat's).
ASAN_RUNTIME = $(shell gcc -print-file-name=libasan.so) $(shell gcc -print-file-name=libubsan.so)
asan: setup-test
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DIMGFEAT_SANITIZE=address,undefined -DIMGFEAT_PYTHON=ON \
	  -DPython3_EXECUTABLE=$(PYTHON) $(LAUNCHER) >/dev/null
	@cmake --build build-asan -j $(JOBS) -- --no-print-directory
	cd build-asan && ctest --output-on-failure -j $(JOBS)
	LD_PRELOAD="$(ASAN_RUNTIME)" ASAN_OPTIONS=detect_leaks=0 TBB_ENABLE_SANITIZERS=1 \
	  IMGFEAT_BUILD=$(CURDIR)/build-asan PYTHONPATH=$(CURDIR)/build-asan/python \
	  $(PYTHON) -m pytest -q tests/test_option_boundaries.py

# libFuzzer targets (clang, ASan + UBSan) in build-fuzz/, each run for
# FUZZ_SECONDS on its seeds and fuzz/regressions/; FUZZ_JOBS=2 runs two at once.
FUZZ_SECONDS ?= 300
FUZZ_JOBS    ?= 1
FUZZ_SEED    ?=
fuzz: setup
	@CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIMGFEAT_FUZZ=ON \
	  -DIMGFEAT_WITH_OPENCV=OFF -DPython3_EXECUTABLE=$(PYTHON) $(LAUNCHER) $(CMAKE_FLAGS) >/dev/null
	@cmake --build build-fuzz -j $(JOBS) -- --no-print-directory
	FUZZ_JOBS=$(FUZZ_JOBS) FUZZ_SEED=$(FUZZ_SEED) scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS)

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) build-asan build-fuzz
