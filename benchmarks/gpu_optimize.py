"""On a lent GPU (run by benchmarks/gpu.sh): the GPU-only optimize paths for real — bf16/fp16 autocast,
fp16 training with GradScaler, TF32, torch.compile and CUDA graphs (reduce-overhead) — on a built-in
trained example, A/B interleaved against the fp32 baseline, with quality and output agreement.

Writes optimize_gpu.json to $ACCELOPT_RESULTS_DIR (else benchmarks/results/), again after each mode, so a run
stopped by its timeout keeps the mode it finished. Uses `digits` when scikit-learn is installed there, else
`chargpt` (needs only Python's own sources).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

import torch
from gpu_profile import write_json

from accelopt.optimize.runner import RunOptions, run_optimize
from accelopt.report.jsonout import to_jsonable
from accelopt.workload import examples

ONLY = {"inference": ["bf16", "fp16", "tf32", "channels-last", "compile", "cuda-graphs"],
        "train": ["bf16", "fp16", "tf32", "fused-optimizer", "activation-checkpointing"]}


def example_name() -> str:
    try:
        import sklearn  # noqa: F401

        return "digits"
    except ImportError:
        return "chargpt"


def main(budget_s: float, rounds: int, device: str = "cuda") -> None:
    if device == "cuda" and not torch.cuda.is_available():
        print("no CUDA device: nothing to do")
        return
    name = example_name()
    out = Path(os.environ.get("ACCELOPT_RESULTS_DIR", Path(__file__).resolve().parent / "results"))
    runs: list[Any] = []
    doc: dict[str, Any] = {"device": torch.cuda.get_device_name() if device == "cuda" else device, "example": name,
           "budget_s_per_mode": budget_s, "runs": runs}
    for mode, only in ONLY.items():
        res, _ = run_optimize(examples.build(name), RunOptions(mode=mode, device=device, only=only, rounds=rounds,
                                                               budget_s=budget_s, combinations=2))
        runs.append(to_jsonable(res))
        for r in res.variants:
            q = r.quality
            print(f"{name} {mode:9} {r.name:28} {r.status:15} speed-up "
                  f"{r.speedup if r.speedup is None else round(r.speedup, 2)} "
                  f"quality {q.value if q else None} max|diff| {q.max_abs_diff if q else None} {r.reason[:80]}",
                  flush=True)
        rec = res.recommendation
        print(f"recommended: {rec.name if rec else None} ({rec.reason if rec else ''})", flush=True)
        write_json(out / "optimize_gpu.json", doc)  # after each mode: a timeout keeps the finished one


if __name__ == "__main__":
    from benchargs import count, positive_seconds

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budget-s", type=positive_seconds, default=60.0,
                    help="optimize's time budget per mode, seconds: techniques not started in time are "
                         "listed as not-run (default: %(default)s)")
    ap.add_argument("--rounds", type=count(1), default=5, help="A/B rounds per technique (default: %(default)s)")
    args = ap.parse_args()
    main(args.budget_s, args.rounds)
