"""The GPU-only compression and power techniques, for real, on a lent NVIDIA GPU (run by benchmarks/gpu.sh).

Model: a Linear-heavy MLP (4 x Linear 4096 -> 4096, ReLU; batch 256, bf16 baseline): big enough for int4/fp8/2:4
kernels to matter. For each of int8-dynamic, int4-weight-only, float8-dynamic and sparse-2-4: latency against the
bf16 eager baseline, A/B interleaved (bench_quantize.interleave), with the largest output difference relative to
the baseline's largest output, and size on disk where measured. With --power-limit only: power-limit, a sweep of
4 limits on a training step, 10% slowdown allowed (needs root: otherwise it prints why it does not apply). It
sets the card's power limit (restored after), which a lent machine's rules forbid, so it is off unless asked for,
and benchmarks/gpu.sh never asks: run it on a GPU of your own.
Each technique that does not apply says why; one that fails prints its error and the others go on. Writes
compress_gpu.json to $ACCELOPT_RESULTS_DIR (else benchmarks/results/).

    PYTHONPATH=src python3 benchmarks/gpu_compress.py [--power-limit]
"""

from __future__ import annotations

import argparse
import json
import os
import traceback
from pathlib import Path
from typing import Any

import torch
from bench_quantize import interleave, summary
from gpu_profile import write_json
from torch import nn

from accelopt.optimize.base import Target, get_technique
from accelopt.workload.userfile import ModelBundle

DIM, BATCH, LAYERS = 4096, 256, 4


def bundle() -> ModelBundle:
    torch.manual_seed(0)
    layers: list[nn.Module] = []
    for _ in range(LAYERS):
        layers += [nn.Linear(DIM, DIM), nn.ReLU()]
    model = nn.Sequential(*layers, nn.Linear(DIM, 16)).to(torch.bfloat16)
    x = torch.randn(BATCH, DIM, dtype=torch.bfloat16)
    y = torch.randint(0, 16, (BATCH,))
    return ModelBundle(name="mlp4096", model=model, batches=lambda: iter([(x, y)]),
                       loss_fn=nn.functional.cross_entropy, batch_size=BATCH)


def write_results(results: dict[str, Any]) -> None:
    """compress_gpu.json in $ACCELOPT_RESULTS_DIR (else benchmarks/results/), whole or not at all."""
    dest = Path(os.environ.get("ACCELOPT_RESULTS_DIR", Path(__file__).resolve().parent / "results"))
    write_json(dest / "compress_gpu.json", json.loads(json.dumps(results, default=str)))
    print(f"written {dest / 'compress_gpu.json'}", flush=True)


def power_limit(b: ModelBundle, device: str, *, allowed: bool) -> dict[str, Any]:
    """The power-limit sweep's result, or why it did not run: it changes the GPU's power limit, so only when
    `allowed` (--power-limit); nothing touches NVML otherwise."""
    if not allowed:
        reason = "not run: it sets the GPU's power limit (give --power-limit, on a GPU of your own)"
        print(f"power-limit: {reason}")
        return {"not_run": reason}
    target = Target(mode="train", device=device, dtype="bf16", budget_s=120)
    tech = get_technique("power-limit")
    why = tech.not_applicable(b, target)
    if why:
        print(f"power-limit: does not apply: {why}")
        return {"not_applicable": why}
    try:
        v = tech.apply(b, target, {"count": 4, "steps_per_limit": 20, "max_slowdown": 0.10})
        print("power-limit:\n  " + "\n  ".join(v.notes))
        return {"params": v.params}
    except Exception as e:  # keep going: the other results are still written
        traceback.print_exc()
        return {"error": f"{type(e).__name__}: {e}"}


def main(allow_power_limit: bool = False, device: str = "cuda") -> None:
    """`device` cpu only for the CPU test of this script (the GPU-only techniques then say why they do not apply)."""
    cuda = device.startswith("cuda")
    if cuda and not torch.cuda.is_available():
        print("no CUDA GPU: nothing to run")
        return
    b = bundle()
    name = f"{torch.cuda.get_device_name()} cc {torch.cuda.get_device_capability()}" if cuda else device
    print(f"{name}; torch {torch.__version__}")
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    target = Target(mode="inference", device=device, dtype="bf16", budget_s=120)
    base = b.model.to(device).eval()
    x = next(b.batches())[0].to(device)
    with torch.inference_mode():
        ref = base(x).float()
    forwards: dict[str, Any] = {"bf16-eager": base}
    results: dict[str, Any] = {}
    for name in ("int8-dynamic", "int4-weight-only", "float8-dynamic", "sparse-2-4"):
        tech = get_technique(name)
        why = tech.not_applicable(b, target)
        if why:
            print(f"{name}: does not apply: {why}")
            results[name] = {"not_applicable": why}
            continue
        try:
            v = tech.apply(b, target, {})
            with torch.inference_mode():
                out = v.forward(x).float()
            err = float((out - ref).abs().max() / ref.abs().max())
            forwards[name] = v.forward
            results[name] = {"size_bytes": v.size_bytes, "max_rel_output_diff": err, "notes": v.notes}
        except Exception as e:  # keep going: one failing technique must not hide the others
            traceback.print_exc()
            results[name] = {"error": f"{type(e).__name__}: {e}"}

    write_results(results)  # before the timing too: a timeout keeps the outputs' agreement and sizes

    def call(fwd: Any) -> Any:
        def run() -> Any:
            with torch.inference_mode():
                fwd(x)
            sync()
        return run

    stats = summary(interleave({n: call(f) for n, f in forwards.items()}, rounds=20, reps=10), "bf16-eager")
    for n, s in stats.items():
        results.setdefault(n, {}).update(s)
        extra = results[n].get("max_rel_output_diff")
        print(f"{n:<18} {s['median_s'] * 1e3:8.3f} ms  {s['speedup_median']:.2f}x (p10 {s['speedup_p10']:.2f}x)"
              + (f"  max output diff {extra:.2%} of max" if extra is not None else ""))
    results["power-limit"] = power_limit(b, device, allowed=allow_power_limit)
    write_results(results)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--power-limit", action="store_true",
                    help="also sweep the GPU's power limit (changes the card's setting; never on a lent machine)")
    main(ap.parse_args().power_limit)
