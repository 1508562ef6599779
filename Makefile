# The two quick-start commands: `make demo` (the main job) and `make test` (the whole suite).
# Each creates its own virtual environment in .venv on first use.
PYTHON ?= python3
VENV := .venv
# Where the tests and the demo look for real datasets (MNIST); the library itself never assumes it.
export STRIATE_DATA ?= $(abspath $(wildcard ../shared/datasets))
export KERAS_BACKEND := torch

.PHONY: demo test bench clean system-packages

# Programs some tests drive as a user would: Chromium and its driver (TensorBoard's page, the demo's
# report) and Graphviz (plot_model). Installed with apt where we may (CI runs as root); elsewhere those
# tests skip and say what is missing.
SYSTEM_PACKAGES := chromium chromium-driver graphviz

$(VENV)/.runtime: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[plot]'
	touch $@

$(VENV)/.dev: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $(VENV)/.runtime $@

demo: $(VENV)/.runtime
	$(VENV)/bin/striate demo

system-packages:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null && command -v dot >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  apt-get install -y -q $(SYSTEM_PACKAGES) >/dev/null 2>&1 || \
	  { apt-get update -q >/dev/null 2>&1 && apt-get install -y -q $(SYSTEM_PACKAGES) >/dev/null 2>&1; } || \
	  echo "note: could not install $(SYSTEM_PACKAGES); the browser and diagram tests will skip"; \
	else echo "note: $(SYSTEM_PACKAGES) not installed (needs root and apt); the browser and diagram tests will skip"; fi

test: $(VENV)/.dev system-packages
	$(VENV)/bin/python -m pytest -n 2 --dist loadfile

bench: $(VENV)/.dev
	$(VENV)/bin/python benchmarks/ops.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
