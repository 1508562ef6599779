# The two quick-start commands: `make demo` (the main job) and `make test` (the whole suite).
# Each creates its own virtual environment in .venv on first use.
PYTHON ?= python3
VENV := .venv
# Where the tests and the demo look for real datasets (MNIST); the library itself never assumes it.
export STRIATE_DATA ?= $(abspath $(wildcard ../shared/datasets))
export KERAS_BACKEND := torch

.PHONY: demo test bench clean

$(VENV)/.runtime: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e .
	touch $@

$(VENV)/.dev: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $(VENV)/.runtime $@

demo: $(VENV)/.runtime
	$(VENV)/bin/striate demo

test: $(VENV)/.dev
	$(VENV)/bin/python -m pytest -n 2 --dist loadfile

bench: $(VENV)/.dev
	$(VENV)/bin/python benchmarks/ops.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
