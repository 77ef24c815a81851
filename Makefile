# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
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

# The main job on the built-in examples; outputs land in .accelopt/ (git-ignored). `optimize --save` refuses a
# folder that holds an earlier save, so the recipe clears the previous demo's first: the demo can be run again.
demo: $(STAMP)
	mkdir -p .accelopt
	$(BIN)/accelopt env
	$(BIN)/accelopt probe --quick --device cpu --save .accelopt/probe-cpu.toml
	$(BIN)/accelopt catalog compare h100-sxm mi300x tpu-v5p gaudi3
	$(BIN)/accelopt profile gpt --device cpu --probed .accelopt/probe-cpu.toml --save-workload .accelopt/gpt-workload.json
	$(BIN)/accelopt plan --model llama3-70b --tokens 15e12 --hardware h100-sxm,mi300x,tpu-v5p --devices 512..8192 --top 5
	$(BIN)/accelopt plan serve --model llama3-8b --hardware h100-sxm,l4 --batch 1,8
	$(BIN)/accelopt validate
	$(BIN)/accelopt simulate run -d tpu-v1 -m resnet50
	rm -rf .accelopt/optimize-digits
	$(BIN)/accelopt optimize digits --skip compile-max-autotune --budget-min 1.5 --save .accelopt/optimize-digits \
		--html .accelopt/optimize-digits.html

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

# pytest-xdist: one worker process per core, at most 4 (each imports torch, about 1 GiB), whole test files per worker
# (--dist loadfile: a file's module fixtures are built once); `make test PYTEST_WORKERS=0` runs in this one process.
PYTEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); [ "$$n" -gt 4 ] && n=4; echo $$n)
unit: $(STAMP)
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile

test: lint typecheck unit

# Speed/accuracy benchmarks (each prints its figure and a ratio against a peer or bound). A benchmark that fails
# its check does not stop the others; the failed ones are named at the end and make exits non-zero.
bench: $(STAMP)
	@failed=""; for f in benchmarks/bench_*.py; do echo "== $$f"; $(PY) $$f || failed="$$failed $$f"; done; \
	if [ -n "$$failed" ]; then echo "benchmarks that failed their check:$$failed"; exit 1; fi

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
