# bulwark: the two commands are `make demo` and `make test`. Both install what is missing
# (Debian packages, as root), configure and build incrementally.

PYTHON      ?= /usr/bin/python3
BUILD       ?= build
VENV        ?= .venv
JOBS        ?= $(shell nproc)
CMAKE_FLAGS ?=
export CCACHE_SLOPPINESS = pch_defines,time_macros,include_file_mtime,include_file_ctime
export CCACHE_DIR ?= $(HOME)/.cache/ccache
# Depend mode: ccache hashes the compiler's own dependency list (-MD) instead of running the
# preprocessor, so a cache miss (every file of a first build) costs almost nothing extra.
export CCACHE_DEPEND = 1
# Paths relative to the checkout, so a fresh clone elsewhere (CI) reuses the cache.
export CCACHE_BASEDIR = $(CURDIR)
# The build tree's Python package (python/bulwark with _core built into it).
export PYTHONPATH := $(CURDIR)/python$(if $(PYTHONPATH),:$(PYTHONPATH))

.PHONY: all bootstrap configure build test test-cpp test-python venv demo bench clean

all: build

bootstrap:
	@bash scripts/bootstrap.sh

$(BUILD)/build.ninja: CMakeLists.txt | bootstrap
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release \
	  -DPython_EXECUTABLE=$(PYTHON) $(CMAKE_FLAGS)

configure: bootstrap $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# A venv from Debian's Python that sees its torch and numpy, with bulwark pip-installed
# offline from this tree (reusing the CMake build above). Use it in Jupyter as the kernel. pip
# checks the declared dependencies (torch, numpy) against Debian's packages; --no-index: it never
# downloads.
venv: build
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv --system-site-packages $(VENV)
	@BULWARK_CMAKE_BUILD_DIR=$(CURDIR)/$(BUILD) $(VENV)/bin/python -m pip install -q \
	  --no-build-isolation --no-index .
	@env -u PYTHONPATH $(VENV)/bin/python -m ipykernel install --sys-prefix --name bulwark \
	  --display-name "Python (bulwark)" >/dev/null 2>&1
	@env -u PYTHONPATH $(VENV)/bin/python -c "import bulwark; print('venv: bulwark', bulwark.__version__, 'in $(VENV), Jupyter kernel \"bulwark\"')"

test-cpp: build
	cd $(BUILD) && ctest --output-on-failure -j 1

test-python: build venv
	BULWARK_VENV=$(CURDIR)/$(VENV) BULWARK_BUILD_DIR=$(CURDIR)/$(BUILD) $(PYTHON) -m pytest -q tests/python

test: test-cpp test-python

# The headline experiment (docs/experiments.md): models trained or loaded from the cache,
# measured, and the report written to $(RESULTS)/report.md.
RESULTS ?= results/fmnist
demo: configure
	cmake --build $(BUILD) -j $(JOBS) --target bulwark-run _core  # only what the demo runs
	$(BUILD)/experiments/bulwark-run --config experiments/configs/fashion_mnist.ini --out $(RESULTS)
	$(PYTHON) -m bulwark.report $(RESULTS)

bench: build
	$(BUILD)/bench/bench_classifier
	$(BUILD)/bench/bench_attacks
	$(BUILD)/bench/bench_autoattack
	$(PYTHON) bench/bench_conformal.py
	$(PYTHON) bench/bench_calibration.py
	$(PYTHON) bench/bench_ood.py
	$(PYTHON) bench/bench_malloc.py
	$(PYTHON) bench/bench_adversarial_training.py
	$(PYTHON) bench/bench_text_attacks.py

clean:
	rm -rf $(BUILD) $(VENV) python/bulwark/_core*.so
