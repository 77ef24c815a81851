"""A CPU training process's memory besides its tensors: the basis of the `cpu` calibration family's
framework_overhead_bytes (predict/data/calibration.toml), which plan adds to weights + gradients + optimizer state +
activations per device.

Each stage runs in a fresh interpreter (this one's sys.executable) and reads its own /proc/self/status (Linux):
  python      the bare interpreter
  torch       after `import torch`
  step        after one forward/backward/AdamW step of a Linear(8, 8) on a batch of 1 (its tensors hold < 2 KiB,
              so what the process holds is the framework's: interpreter, torch's libraries, its CPU kernels' lazy
              initialisation, the allocator), VmHWM = the high-water mark through the step
  accelopt    the same step after also importing accelopt's profile path (numpy, rich, typer): what
              `accelopt profile` holds besides the model, for comparison with its measured peak
Medians of REPEATS runs per stage.

    PYTHONPATH=src python benchmarks/bench_cpu_framework_overhead.py
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

REPEATS = 5

READ = """
def status(key):
    for line in open('/proc/self/status'):
        if line.startswith(key + ':'):
            return int(line.split()[1]) * 1024  # kB here means KiB
"""
STEP = """
import torch
m = torch.nn.Linear(8, 8)
opt = torch.optim.AdamW(m.parameters())
m(torch.randn(1, 8)).sum().backward()
opt.step()
"""
STAGES = {
    "python": "",
    "torch": "import torch\n",
    "step": STEP,
    "accelopt": "import accelopt.cli.commands, accelopt.measure.profiler\n" + STEP,
}
"""Stage name -> the code run before reading VmRSS and VmHWM."""


def measure(code: str) -> tuple[float, float]:
    """(VmRSS, VmHWM) bytes of a fresh interpreter after running `code`."""
    script = READ + code + "\nimport json; print(json.dumps([status('VmRSS'), status('VmHWM')]))\n"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    rss, hwm = json.loads(out.strip().splitlines()[-1])
    return float(rss), float(hwm)


def main() -> None:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    import torch

    print(f"torch {torch.__version__}, Python {sys.version.split()[0]}, {REPEATS} fresh processes per stage (median)")
    print(f"{'stage':10} {'VmRSS MiB':>10} {'VmHWM MiB':>10}")
    hwm_by_stage: dict[str, float] = {}
    for name, code in STAGES.items():
        runs = [measure(code) for _ in range(REPEATS)]
        rss = statistics.median(r for r, _ in runs)
        hwm_by_stage[name] = statistics.median(h for _, h in runs)
        print(f"{name:10} {rss / 2**20:10.1f} {hwm_by_stage[name] / 2**20:10.1f}")
    from accelopt.predict.calibration import load_calibrations

    bundled = load_calibrations()["cpu"].framework_overhead_bytes  # what plan charges per CPU device
    measured = hwm_by_stage["step"]
    print(f"cpu family framework_overhead_bytes {bundled / 2**20:.1f} MiB vs measured 'step' high-water mark "
          f"{measured / 2**20:.1f} MiB: ratio {bundled / measured:.3f} (bundled / measured)")


if __name__ == "__main__":
    main()
