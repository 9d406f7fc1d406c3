# imgfeat: `make run` featurizes a folder of images, `make test` runs every test.
# Both start with the idempotent set-up (Debian packages + pinned .venv).

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

.PHONY: all setup setup-test configure build run test test-cpp test-py bench asan fuzz format clean

all: build

setup:
	@scripts/setup.sh

setup-test:
	@IMGFEAT_EXTRA_REQUIREMENTS=requirements-test.txt scripts/setup.sh

configure:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) -DIMGFEAT_WERROR=$(WERROR) \
	  -DPython3_EXECUTABLE=$(PYTHON) $(CMAKE_FLAGS) >/dev/null

build: setup configure
	@cmake --build $(BUILD) -j $(JOBS) -- --no-print-directory

run: build
	$(BUILD)/imgfeat run "$(INPUT)" "$(OUTPUT)" $(RUN_FLAGS)

test: setup-test configure
	@cmake --build $(BUILD) -j $(JOBS) -- --no-print-directory
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	IMGFEAT_BUILD=$(abspath $(BUILD)) $(PYTHON) -m pytest -q tests

bench: build
	bench/run_all.sh $(BUILD)

# AddressSanitizer + UndefinedBehaviorSanitizer build of the library and its C++ tests.
asan: setup
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DIMGFEAT_SANITIZE=address,undefined \
	  -DPython3_EXECUTABLE=$(PYTHON) >/dev/null
	@cmake --build build-asan -j $(JOBS) -- --no-print-directory
	cd build-asan && ctest --output-on-failure -j $(JOBS)

# libFuzzer targets (clang, ASan + UBSan) in build-fuzz/, each run for
# FUZZ_SECONDS on its seeds and fuzz/regressions/; FUZZ_JOBS=2 runs two at once.
FUZZ_SECONDS ?= 300
FUZZ_JOBS    ?= 1
fuzz: setup
	@CC=clang CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DIMGFEAT_FUZZ=ON \
	  -DIMGFEAT_WITH_OPENCV=OFF -DPython3_EXECUTABLE=$(PYTHON) $(CMAKE_FLAGS) >/dev/null
	@cmake --build build-fuzz -j $(JOBS) -- --no-print-directory
	FUZZ_JOBS=$(FUZZ_JOBS) scripts/fuzz.sh build-fuzz $(FUZZ_SECONDS)

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) build-asan build-fuzz
