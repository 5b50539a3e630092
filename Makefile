# Two commands do all set-up on a fresh machine:
#   make run    install everything, ingest the guide, start the chat UI on http://127.0.0.1:8501
#   make test   install everything, run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# llama-cpp-python ships only a source package, and its default build tunes for
# the build machine's CPU (GGML_NATIVE). A wheel built natively on one machine
# can die with "Illegal instruction" on another (AMX seen in /proc/cpuinfo but
# not allowed in the sandbox), so build one portable AVX2 wheel, once per
# machine, into a cache of our own and install from there.
LLAMA_VERSION := 0.3.36
LLAMA_WHEELS := $(HOME)/.cache/study-assistant/wheels/llama-avx2
LLAMA_CMAKE := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON -DLLAMA_CURL=OFF

.PHONY: install run test ingest bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The CPU build of torch first: any other torch spec pulls gigabytes of CUDA wheels.
	$(BIN)/pip install --quiet torch==2.13.0
	# Compiling llama.cpp takes about 8 minutes on 2 cores, once per machine.
	ls $(LLAMA_WHEELS)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1 || \
	  CMAKE_ARGS="$(LLAMA_CMAKE)" $(BIN)/pip wheel --quiet --no-deps --no-cache-dir \
	    -w $(LLAMA_WHEELS) llama-cpp-python==$(LLAMA_VERSION)
	$(BIN)/pip install --quiet --find-links $(LLAMA_WHEELS) -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

ingest: install
	$(BIN)/study ingest

run: ingest
	$(BIN)/study ui

test: install
	$(BIN)/python -m pytest -q

bench: ingest
	$(BIN)/python bench/all.py

clean:
	rm -rf $(VENV) .index reports artifacts
