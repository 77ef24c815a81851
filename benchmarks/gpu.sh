#!/usr/bin/env bash
# One command for a lent GPU machine (run from the repository root):
#   bash benchmarks/gpu.sh
# Runs `accelopt env --json`, `accelopt probe --json`, `pytest -m gpu` and every benchmarks/gpu_*.py,
# writing to $OUT when set (the device tool's output folder), else benchmarks/results/.
# No network there: the project runs from the source tree (PYTHONPATH=src) with the machine's
# python3, which already holds torch, typer, rich and pytest. One failing step does not stop the
# others; every step has a timeout and the whole run stays under BUDGET_S (default 450 s).
set -u

cd "$(dirname "$0")/.." || exit 1
DEST="${OUT:-benchmarks/results}"
mkdir -p "$DEST"
PY="${PYTHON:-python3}"
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1
export ACCELOPT_RESULTS_DIR="$DEST"   # gpu_*.py scripts may write their own files here
BUDGET_S="${BUDGET_S:-450}"
# Optional pure-Python/abi3 wheels the GPU machine lacks (torchao, nvidia-ml-py, torch-pruning for
# gpu_optimize.py), fetched beforehand with `pip download --no-deps -d .gpu-wheels NAME` and carried along:
# installed offline into a private folder, never over the machine's torch.
WHEELS="${WHEELS_DIR:-.gpu-wheels}"
if compgen -G "$WHEELS/*.whl" > /dev/null; then
  "${PYTHON:-python3}" -m pip install -q --no-deps --no-index --target /tmp/accelopt-wheels "$WHEELS"/*.whl \
    && export PYTHONPATH="$PYTHONPATH:/tmp/accelopt-wheels"
fi
START=$(date +%s)
SUMMARY="$DEST/gpu_summary.txt"
: > "$SUMMARY"

remaining() { echo $(( BUDGET_S - ($(date +%s) - START) )); }

# step NAME CAP_S LOGFILE CMD...: run CMD with a timeout of min(CAP_S, time left), record its status
step() {
  local name="$1" cap="$2" log="$3"; shift 3
  local left; left=$(remaining)
  if [ "$left" -le 5 ]; then
    echo "$name: SKIPPED (time budget of ${BUDGET_S}s spent)" | tee -a "$SUMMARY"
    return
  fi
  local limit=$(( cap < left ? cap : left ))
  local t0; t0=$(date +%s)
  echo "== $name (timeout ${limit}s)" >&2
  timeout --kill-after=10 "$limit" "$@" > "$log.tmp"   # stderr (progress, errors) stays on the console
  local rc=$?
  cat "$log.tmp" >> "$log"; rm -f "$log.tmp"
  local status="ok"
  [ "$rc" -ne 0 ] && status="FAILED (exit $rc)"
  [ "$rc" -eq 124 ] && status="TIMED OUT after ${limit}s"
  echo "$name: $status in $(( $(date +%s) - t0 ))s -> $log" | tee -a "$SUMMARY"
}

{
  echo "gpu.sh on $(hostname) at $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 || true
} >> "$SUMMARY"

step "accelopt env" 60 "$DEST/env.json" "$PY" -m accelopt env --json
step "accelopt probe" 240 "$DEST/probe.json" "$PY" -m accelopt probe --json --save "$DEST/probe_spec.toml"
step "pytest -m gpu" 180 "$DEST/pytest_gpu.log" "$PY" -m pytest -m gpu -q -p no:cacheprovider tests
# distributed over NCCL: one rank per GPU (NCCL refuses two ranks on one GPU); the benchmark needs 2 or more
NGPU=$("$PY" -c "import torch; print(torch.cuda.device_count())" 2>/dev/null || echo 0)
if [ "${NGPU:-0}" -ge 1 ]; then
  step "profile --nproc $NGPU ddp (NCCL)" 120 "$DEST/distributed_ddp_cuda.json" \
    "$PY" -m accelopt profile gpt --size small --nproc "$NGPU" --parallel ddp --device cuda --steps 5 --json
fi
if [ "${NGPU:-0}" -ge 2 ]; then
  step "bench_distributed (NCCL)" 300 "$DEST/distributed_cuda.log" \
    "$PY" benchmarks/bench_distributed.py --device cuda --nproc "$NGPU"
fi
for script in benchmarks/gpu_*.py; do
  [ -e "$script" ] || continue
  echo "== $script" >> "$DEST/gpu_benchmarks.log"
  step "$script" 180 "$DEST/gpu_benchmarks.log" "$PY" "$script"
done

echo "total $(( $(date +%s) - START ))s" | tee -a "$SUMMARY"
cat "$SUMMARY"
