"""Is a structurally pruned model measurably faster than its dense parent on this CPU? And what does distillation
buy over label-only training of the same student?

Pruning: for each built-in example, `prune-structured` (torch-pruning, 50% of each prunable group, short fine-tune)
against the dense model: inference latency and training-step time, A/B interleaved (bench_quantize.interleave),
parameters, FLOPs, held-out quality. PASS when, on some example, the pruned model's median inference speed-up is
>= 1.10x with the p10 of the per-round ratios above 1 (faster in at least 90% of the rounds).

Distillation (digits only): `distill` (half-width student, T = 4, alpha = 0.9, 300 steps) against the same student
on labels alone, same steps and optimizer (AdamW lr 1e-3): on all the training data, then on a 128-image transfer
set (the regime of Hinton et al. 2015, sec. 5, where soft targets help most); student latency against the
teacher's.

    PYTHONPATH=src .venv/bin/python benchmarks/bench_prune.py [--rounds 30] [--reps 5] [--examples digits,chargpt]
        [--threads N] [--out PATH.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

import torch
from bench_quantize import interleave, load_examples, summary

from accelopt.optimize.base import Target, get_technique
from accelopt.optimize.compress import evaluate, forward_flops, param_count
from accelopt.workload.batch import to_device
from accelopt.workload.userfile import ModelBundle, as_tuple


def _train_step(model: Any, bundle: ModelBundle, inputs: tuple[Any, ...], targets: Any) -> Any:
    opt = torch.optim.SGD(model.parameters(), lr=0.0)  # lr 0: the weights (and so the work) stay the same

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        bundle.loss_fn(model(*inputs), targets).backward()
        opt.step()

    return step


def bench_prune(name: str, bundle: ModelBundle, rounds: int, reps: int) -> dict[str, Any]:
    target = Target(mode="inference", device="cpu", budget_s=60)
    v = get_technique("prune-structured").apply(bundle, target, {"ratio": 0.5})
    dense, pruned = bundle.model.eval(), v.model.eval()
    inputs, targets = bundle.first_batch()
    inputs = as_tuple(to_device(inputs, "cpu"))

    def infer(m: Any) -> Any:
        def run() -> Any:
            with torch.inference_mode():
                return m(*inputs)
        return run

    inf = summary(interleave({"dense": infer(dense), "pruned": infer(pruned)}, rounds, reps), "dense")
    import copy

    d_train, p_train = copy.deepcopy(dense).train(), copy.deepcopy(pruned).train()
    trn = summary(interleave({"dense": _train_step(d_train, bundle, inputs, targets),
                              "pruned": _train_step(p_train, bundle, inputs, targets)}, rounds, reps), "dense")
    row = {"params_dense": param_count(dense), "params_pruned": param_count(pruned),
           "flops_dense": forward_flops(dense, inputs), "flops_pruned": forward_flops(pruned, inputs),
           "quality_dense": evaluate(dense, bundle, "cpu"), "quality_pruned": evaluate(pruned, bundle, "cpu"),
           "finetune_steps": v.params["finetune_steps"], "inference": inf, "train_step": trn}
    print(f"\n{name}: params {row['params_dense']:,} -> {row['params_pruned']:,}, forward FLOPs "
          f"{row['flops_dense']:,} -> {row['flops_pruned']:,}; {bundle.metric_name} "
          f"{row['quality_dense']:.4f} -> {row['quality_pruned']:.4f} after {row['finetune_steps']} fine-tune steps")
    for kind, s in (("inference", inf), ("train step", trn)):
        print(f"  {kind:<11} dense {s['dense']['median_s'] * 1e3:8.3f} ms  pruned {s['pruned']['median_s'] * 1e3:8.3f}"
              f" ms  speed-up {s['pruned']['speedup_median']:.2f}x (p10 {s['pruned']['speedup_p10']:.2f}x)")
    return row


def transfer_set(bundle: ModelBundle, n_batches: int) -> ModelBundle:
    """The bundle with its training batches cut to the first `n_batches` (a small transfer set)."""
    import dataclasses

    kept = [b for _, b in zip(range(n_batches), bundle.batches(), strict=False)]
    return dataclasses.replace(bundle, name=f"{bundle.name}-transfer{n_batches}", batches=lambda: iter(kept))


def bench_distill(bundle: ModelBundle, rounds: int, reps: int, options: dict[str, Any]) -> dict[str, Any]:
    target = Target(mode="inference", device="cpu", budget_s=120)
    v = get_technique("distill").apply(bundle, target, options)
    inputs = as_tuple(bundle.first_batch()[0])

    def infer(m: Any) -> Any:
        def run() -> Any:
            with torch.inference_mode():
                return m(*inputs)
        return run

    s = summary(interleave({"teacher": infer(bundle.model.eval()), "student": infer(v.model.eval())}, rounds, reps),
                "teacher")
    p = v.params
    print(f"\ndistill ({bundle.name}, {options}): teacher {p['teacher_quality']:.4f}, distilled student "
          f"{p['distilled_quality']:.4f}, label-only student {p['label_only_quality']:.4f} ({p['steps']} steps); "
          f"student params {p['student_params']:,} vs {p['teacher_params']:,}; student latency "
          f"{s['student']['median_s'] * 1e3:.3f} ms vs {s['teacher']['median_s'] * 1e3:.3f} ms "
          f"({s['student']['speedup_median']:.2f}x)")
    keys = ("teacher_quality", "distilled_quality", "label_only_quality", "steps", "student_params", "teacher_params")
    return {"bundle": bundle.name, "options": options, **{k: p[k] for k in keys}, "latency": s}


def main() -> int:
    """0 when structured pruning is faster than dense, else 1 (`make bench` names the failed ones)."""
    from benchargs import count, names_from, out_file  # the benchmarks folder: on sys.path when run as a script

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=count(1), default=30,
                    help="interleaved rounds, one sample per variant each (default: %(default)s)")
    ap.add_argument("--reps", type=count(1), default=5, help="calls averaged into one sample (default: %(default)s)")
    ap.add_argument("--examples", default="digits,chargpt", type=names_from(("digits", "chargpt"), "example"),
                    help="built-in trained examples (default: %(default)s)")
    ap.add_argument("--out", type=out_file, default=None, help="also write the results as JSON here")
    ap.add_argument("--threads", type=count(0), default=0,
                    help="torch intra-op threads (0: torch's default) (default: %(default)s)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    bundles, source = load_examples([n for n in args.examples.split(",") if n])
    print(f"models: {source}; torch {torch.__version__}, {torch.get_num_threads()} threads")
    prune = {n: bench_prune(n, b, args.rounds, args.reps) for n, b in bundles.items()}
    distill = []
    if "digits" in bundles:  # all the training data; then a 128-image transfer set (Hinton et al. 2015, sec. 5)
        d = bundles["digits"]
        distill = [bench_distill(d, args.rounds, args.reps, {"steps": 300}),
                   bench_distill(transfer_set(d, 2), args.rounds, args.reps, {"steps": 300})]
    ok = any(r["inference"]["pruned"]["speedup_median"] >= 1.10 and r["inference"]["pruned"]["speedup_p10"] > 1.0
             for r in prune.values())
    print(f"\nstructured-pruned faster than dense (median >= 1.10x, p10 > 1): {'PASS' if ok else 'FAIL'}")
    if args.out:
        args.out.write_text(json.dumps({"benchmark": "structured pruning and distillation vs dense", "device": "cpu",
                               "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                               "load_average_1min": os.getloadavg()[0],
                               "models": source, "torch": torch.__version__, "threads": torch.get_num_threads(),
                               "prune": prune, "distill": distill, "pass": ok}, indent=1))
        print(f"written {args.out}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
