#!/usr/bin/env bash
# One command for a lent GPU machine (run from the repository root):
#   bash benchmarks/gpu.sh
# (through the device tool: command 'bash benchmarks/gpu.sh', carry ['.gpu-wheels'], timeout_s 540: the run stays
# under BUDGET_S plus the last step's 10 s grace)
# Budget: the H200 run of 2026-12-04 (BUDGET_S=530) spent 265 s on the seven steps it had then (env 9, probe 24,
# pytest 63, gpu_profile 55, gpu_compress 15, DDP 48, gpu_optimize 43); the steps added since (gpu_matmul_clocks
# about 30 s, optimize mlp4096 its --budget-min of 102 s and more, gpu_interrupt up to 150 s) bring the whole to
# roughly 450-550 s, so at the default 450 s the last step (gpu_optimize.py) may be SKIPPED: `BUDGET_S=530 bash
# benchmarks/gpu.sh` with timeout_s 560 still leaves a machine's start (1-2 min) inside 15 minutes of device time.
# First, on a machine with pip: `bash benchmarks/gpu_wheels.sh` puts in .gpu-wheels/ the wheels the GPU machine's
# image lacks (tomli-w, which `probe --save` needs; torchao, torch-pruning); carry .gpu-wheels along. No network
# there: the project runs from the source tree (PYTHONPATH=src) with the machine's python3, which holds torch,
# typer, rich, matplotlib, scikit-learn and pytest; a missing module is named at the start.
# Steps, in this order, each with its own timeout, the whole run under BUDGET_S (default 450 s); one failing step
# does not stop the others: `accelopt env --json`, a full `accelopt probe --json --save`, gpu_matmul_clocks.py, the
# tests marked gpu (the test files holding one), gpu_profile.py, gpu_compress.py, a DDP `profile --nproc N` over NCCL,
# `accelopt optimize` on examples/mlp4096.py (bench_distributed.py too with 2 or more GPUs), gpu_interrupt.py (an
# optimize stopped by SIGINT and by SIGTERM: is its JSON kept?) and gpu_optimize.py.
# Results: one file per step and gpu_summary.txt in the folder gpu_<GPU name>/ under benchmarks/results/. With $OUT
# set (the device tool's output folder, which brings back at most 8 files) that folder is packed after every step
# into $OUT/gpu_results.tar.gz, beside $OUT/gpu_summary.txt: `tar -xzf gpu_results.tar.gz -C benchmarks/results`
# files it for a commit.
# It never changes the GPU's settings: the power-limit sweep (gpu_compress.py --power-limit) and the power-limit test
# set the card's power limit, which the rules of a lent machine forbid; run those on a machine of your own.
set -u

cd "$(dirname "$0")/.." || exit 1
PY="${PYTHON:-python3}"
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1
BUDGET_S="${BUDGET_S:-450}"
START=$(date +%s)
POWER_TEST="test_power_limit_on_a_real_gpu_restores_the_limit"  # sets the card's power limit: never on a lent GPU

GPU_NAME=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -n 1)
SLUG=$(printf '%s' "${GPU_NAME:-unknown}" | tr '[:upper:]' '[:lower:]' | tr -cs 'a-z0-9' '-' | sed 's/^-*//; s/-*$//')
NAME="gpu_${SLUG:-unknown}"
if [ -n "${OUT:-}" ]; then
  # a staging folder, packed into $OUT after every step and removed when the script ends (it was left in /tmp)
  STAGE=$(mktemp -d "${TMPDIR:-/tmp}/accelopt-gpu.XXXXXX")
  trap 'rm -rf "$STAGE"' EXIT
else
  STAGE=benchmarks/results
fi
DEST="$STAGE/$NAME"
mkdir -p "$DEST"
export ACCELOPT_RESULTS_DIR="$DEST"   # gpu_*.py scripts write their JSON here
SUMMARY="$DEST/gpu_summary.txt"
: > "$SUMMARY"
# SIGINT ignored in this shell (bit 2 of SigIgn): its children inherit it, and `timeout -s INT` cannot stop them
SIGIGN=$(awk '/^SigIgn:/ {print $2}' /proc/$$/status 2>/dev/null)
SIGINT_IGNORED=unknown
[ -n "$SIGIGN" ] && SIGINT_IGNORED=$(( (16#$SIGIGN >> 1) & 1 ? 1 : 0 ))
{
  echo "gpu.sh on $(hostname) at $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 || true
  echo "SIGINT ignored in this shell (inherited by every step): $SIGINT_IGNORED (SigIgn ${SIGIGN:-?})"
} >> "$SUMMARY"

# Wheels carried in .gpu-wheels/ (benchmarks/gpu_wheels.sh): installed offline into a private folder.
WHEELS="${WHEELS_DIR:-.gpu-wheels}"
if compgen -G "$WHEELS/*.whl" > /dev/null; then
  if "$PY" -m pip install -q --no-deps --no-index --target /tmp/accelopt-wheels "$WHEELS"/*.whl; then
    export PYTHONPATH="$PYTHONPATH:/tmp/accelopt-wheels"
    echo "wheels installed from $WHEELS: $(cd "$WHEELS" && echo *.whl)" >> "$SUMMARY"
  else
    echo "wheels in $WHEELS: pip install failed (its error is on the console)" >> "$SUMMARY"
  fi
else
  echo "no wheels in $WHEELS (bash benchmarks/gpu_wheels.sh fetches them): tomli-w, torchao, torch-pruning" \
    "are used only where the image has them" >> "$SUMMARY"
fi

# pack: with $OUT, the results folder as one archive (the device tool brings back 8 files at most) and the summary
pack() {
  [ -n "${OUT:-}" ] || return 0
  cp "$SUMMARY" "$OUT/gpu_summary.txt"
  tar -czf "$OUT/gpu_results.tar.gz.part" -C "$STAGE" "$NAME" && mv "$OUT/gpu_results.tar.gz.part" "$OUT/gpu_results.tar.gz"
}

remaining() { echo $(( BUDGET_S - ($(date +%s) - START) )); }

# step NAME CAP_S LOG CMD...: run CMD with a timeout of min(CAP_S, time left); stdout to LOG, stderr to LOG.stderr.
# The timeout sends SIGTERM, which accelopt answers as Ctrl-C (probe, profile and optimize print what they measured
# so far); SIGKILL 10 s later if it still runs. Not SIGINT: a child of a non-interactive shell (this script run by a
# remote runner) may inherit SIGINT ignored, and then SIGINT does nothing (the H200 run of 2026-12-04 lost an
# optimize's JSON so; see gpu_interrupt.py). SIG=INT step ... for pytest, which prints its summary on Ctrl-C only.
step() {
  local name="$1" cap="$2" log="$3"; shift 3
  local left; left=$(remaining)
  if [ "$left" -le 5 ]; then
    echo "$name: SKIPPED (time budget of ${BUDGET_S}s spent)" | tee -a "$SUMMARY"
    pack
    return
  fi
  local limit=$(( cap < left ? cap : left ))
  local t0; t0=$(date +%s)
  echo "== $name (timeout ${limit}s)"
  timeout -s "${SIG:-TERM}" --kill-after=10 "$limit" "$@" > "$log" 2> "$log.stderr"
  local rc=$?
  local status="ok"
  [ "$rc" -ne 0 ] && status="FAILED (exit $rc)"
  [ "$rc" -eq 124 ] && status="TIMED OUT after ${limit}s"
  echo "$name: $status in $(( $(date +%s) - t0 ))s -> $(basename "$log")" | tee -a "$SUMMARY"
  [ "$rc" -ne 0 ] && tail -n 15 "$log.stderr" | sed 's/^/    /' | tee -a "$SUMMARY"
  pack
}

# The modules `accelopt` imports (pyproject's dependencies) and pytest: a missing one is named before any step runs.
MISSING=$("$PY" -c "
import importlib.util
need = {'torch': 'torch', 'numpy': 'numpy', 'rich': 'rich', 'typer': 'typer', 'matplotlib': 'matplotlib',
        'sklearn': 'scikit-learn', 'tomli_w': 'tomli-w', 'pytest': 'pytest'}
print(' '.join(p for m, p in need.items() if importlib.util.find_spec(m) is None))" 2>&1)
PROBE_SAVE=(--save "$DEST/probe_spec.toml")
if [ -n "$MISSING" ]; then
  echo "missing Python packages: $MISSING (fix: bash benchmarks/gpu_wheels.sh on a machine with pip, carry .gpu-wheels)" \
    | tee -a "$SUMMARY"
  case " $MISSING " in *" tomli-w "*) PROBE_SAVE=(--no-save) ;; esac  # the figures still come back, as JSON
fi

step "accelopt env" 30 "$DEST/env.json" "$PY" -m accelopt env --json
step "accelopt probe" 150 "$DEST/probe.json" "$PY" -m accelopt probe --json "${PROBE_SAVE[@]}"
# the sustained bf16 matmul rate against a short burst, with NVML's clocks, power and throttle reasons: the H200 of
# 2026-12-04 ran 784 TFLOP/s for a burst and 663 sustained at its 700 W software power cap (results/gpu_nvidia-h200)
step "gpu_matmul_clocks.py" 40 "$DEST/gpu_matmul_clocks.log" "$PY" benchmarks/gpu_matmul_clocks.py --seconds 8
# Only the files holding a gpu test: collecting every file would stop pytest at the first test file whose import
# (jsonschema, tomli_w, ...) the image lacks, and then no test runs.
mapfile -t GPU_TESTS < <(grep -l 'pytest.mark.gpu' tests/test_*.py)
# faulthandler_timeout: a test still running after 60 s has its stack written to the log (a hang is named, not
# only cut by the step's timeout); --durations: the slowest tests, to size the next run.
SIG=INT step "pytest -m gpu" 120 "$DEST/pytest_gpu.log" "$PY" -m pytest -m gpu -rfEs -p no:cacheprovider \
  --continue-on-collection-errors -o faulthandler_timeout=60 --durations=10 -k "not $POWER_TEST" "${GPU_TESTS[@]}"
step "gpu_profile.py" 120 "$DEST/gpu_profile.log" "$PY" benchmarks/gpu_profile.py --steps 20
step "gpu_compress.py" 90 "$DEST/gpu_compress.log" "$PY" benchmarks/gpu_compress.py
# distributed over NCCL: one rank per GPU (NCCL refuses two ranks on one GPU); the benchmark needs 2 or more
NGPU=$("$PY" -c "import torch; print(torch.cuda.device_count())" 2>/dev/null || echo 0)
if [ "${NGPU:-0}" -ge 1 ]; then
  step "profile --nproc $NGPU ddp (NCCL)" 90 "$DEST/distributed_ddp_cuda.json" \
    "$PY" -m accelopt profile gpt --size small --nproc "$NGPU" --parallel ddp --device cuda --steps 5 --json
fi
if [ "${NGPU:-0}" -ge 1 ]; then
  # the CLI on a user's factory file: torchao techniques alone and followed by compile (optimize pairs them on CUDA);
  # H200, 2026-12-04: int8-dynamic 0.086x eager -> 0.76x compiled, float8-dynamic 0.27x -> 0.72x of bf16 autocast
  step "optimize mlp4096 (CLI)" 120 "$DEST/optimize_mlp_cuda.json" \
    "$PY" -m accelopt optimize examples/mlp4096.py:build --device cuda --dtype bf16 \
    --only compile,int8-dynamic,float8-dynamic,int4-weight-only --combinations 3 --quality-tolerance 15 \
    --no-profile-bounds --rounds 3 --block-s 0.05 --budget-min 1.7 --json
fi
if [ "${NGPU:-0}" -ge 2 ]; then
  step "bench_distributed (NCCL)" 150 "$DEST/distributed_cuda.log" \
    "$PY" benchmarks/bench_distributed.py --device cuda --nproc "$NGPU"
fi
# optimize gpt-realistic on CUDA stopped by SIGINT, then SIGTERM, 5 s into torch.compile: is the JSON kept?
# (H200, 2026-12-04: `timeout -s INT 130 accelopt optimize gpt --size realistic --device cuda --json` wrote nothing)
step "gpu_interrupt.py" 150 "$DEST/gpu_interrupt.log" "$PY" benchmarks/gpu_interrupt.py --after-s 5 --wait-s 30 \
  --grace-s 40
# last: the longest (torch.compile and CUDA graphs compile), its JSON written after each mode; it gets what is left
step "gpu_optimize.py" 150 "$DEST/gpu_optimize.log" "$PY" benchmarks/gpu_optimize.py --budget-s 45

echo "total $(( $(date +%s) - START ))s" | tee -a "$SUMMARY"
pack
if [ -n "${OUT:-}" ]; then echo "results: packed in \$OUT/gpu_results.tar.gz"; else echo "results: $DEST"; fi
cat "$SUMMARY"
