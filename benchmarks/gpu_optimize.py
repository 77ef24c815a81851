"""On a lent GPU (run by benchmarks/gpu.sh): the GPU-only optimize paths for real — bf16/fp16 autocast,
fp16 training with GradScaler, TF32, torch.compile and CUDA graphs (reduce-overhead) — on a built-in
trained example, A/B interleaved against the fp32 baseline, with quality and output agreement.

Writes optimize_gpu.json to $ACCELOPT_RESULTS_DIR (else benchmarks/results/). Uses `digits` when
scikit-learn is installed there, else `chargpt` (needs only Python's own sources).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import torch

from accelopt.optimize.runner import RunOptions, run_optimize
from accelopt.report.jsonout import to_jsonable
from accelopt.workload import examples

ONLY = {"inference": ["bf16", "fp16", "tf32", "channels-last", "compile", "cuda-graphs"],
        "train": ["bf16", "fp16", "tf32", "fused-optimizer", "activation-checkpointing"]}


def main() -> None:
    if not torch.cuda.is_available():
        print("no CUDA device: nothing to do")
        return
    try:
        import sklearn  # noqa: F401

        name = "digits"
    except ImportError:
        name = "chargpt"
    out = Path(os.environ.get("ACCELOPT_RESULTS_DIR", Path(__file__).resolve().parent / "results"))
    runs = []
    for mode, only in ONLY.items():
        res, _ = run_optimize(examples.build(name), RunOptions(mode=mode, device="cuda", only=only, rounds=5,
                                                               budget_s=150, combinations=2))
        runs.append(to_jsonable(res))
        for r in res.variants:
            q = r.quality
            print(f"{name} {mode:9} {r.name:28} {r.status:15} speed-up "
                  f"{r.speedup if r.speedup is None else round(r.speedup, 2)} "
                  f"quality {q.value if q else None} max|diff| {q.max_abs_diff if q else None} {r.reason[:80]}",
                  flush=True)
        rec = res.recommendation
        print(f"recommended: {rec.name if rec else None} ({rec.reason if rec else ''})")
    out.mkdir(parents=True, exist_ok=True)
    (out / "optimize_gpu.json").write_text(json.dumps({"device": torch.cuda.get_device_name(), "runs": runs},
                                                      indent=1))


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    main()
