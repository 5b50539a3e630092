# Two commands do all set-up on a fresh machine:
#   make run    install everything, ingest the guide, start the study assistant
#   make test   install everything, run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test ingest bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The CPU build of torch first: any other torch spec pulls gigabytes of CUDA wheels.
	$(BIN)/pip install --quiet torch==2.13.0
	# llama-cpp-python compiles llama.cpp once per machine (~8 min on 2 cores); pip caches the wheel.
	$(BIN)/pip install --quiet -e .
	touch $(STAMP)

install: $(STAMP)

ingest: install
	$(BIN)/study ingest

run: ingest
	$(BIN)/study search

test: install
	$(BIN)/python -m pytest -q

bench: ingest
	$(BIN)/python bench/bench_retrieval.py

clean:
	rm -rf $(VENV) .index reports artifacts
