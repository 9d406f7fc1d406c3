# imgfeat: `make run` featurizes a folder of images, `make test` runs every test.
# Both start with the idempotent set-up (Debian packages + pinned .venv).

BUILD     ?= build
BUILD_TYPE?= Release
WERROR    ?= OFF
JOBS      ?= $(shell nproc)
INPUT     ?= ../shared/datasets/fruits-360-sample
OUTPUT    ?= out/fruits-360-sample
RUN_FLAGS ?= --overwrite
PYTHON    := $(CURDIR)/.venv/bin/python

# Offline here: the named models are read from ../shared/models when it exists.
ifneq ($(wildcard ../shared/models),)
export IMGFEAT_MODEL_DIR ?= $(abspath ../shared/models)
endif

.PHONY: all setup setup-test configure build run test test-cpp test-py bench asan format clean

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
	IMGFEAT_BUILD=$(abspath $(BUILD)) PYTHONPATH=$(abspath $(BUILD))/python $(PYTHON) -m pytest -q tests

bench: build
	bench/run_all.sh $(BUILD)

# AddressSanitizer + UndefinedBehaviorSanitizer build of the library and its C++ tests.
asan: setup
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DIMGFEAT_SANITIZE=address,undefined \
	  -DPython3_EXECUTABLE=$(PYTHON) >/dev/null
	@cmake --build build-asan -j $(JOBS) -- --no-print-directory
	cd build-asan && ctest --output-on-failure -j $(JOBS)

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD) build-asan
