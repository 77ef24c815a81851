# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
# torch 2.13.0's CPU wheel lies on this workplace's disk; pinning it first keeps pip from
# pulling a multi-GB CUDA build for the `torch>=2.2` requirement.
TORCH_PIN ?= torch==2.13.0

.PHONY: demo test lint typecheck unit bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check $(TORCH_PIN)
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/accelopt env
	$(VENV)/bin/accelopt probe --quick
	$(VENV)/bin/accelopt catalog compare h100-sxm mi300x tpu-v5p gaudi3

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks

typecheck: $(STAMP)
	$(VENV)/bin/mypy

unit: $(STAMP)
	$(VENV)/bin/pytest

test: lint typecheck unit

bench: $(STAMP)
	$(PY) benchmarks/bench_probe.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
