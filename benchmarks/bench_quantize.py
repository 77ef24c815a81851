"""Is an int8 inference path at least 1.5x faster than fp32 eager on this CPU, at what quality and size?

For each built-in example (digits CNN, chargpt), inference latency of: fp32 eager (the baseline), torchao
int8-weight-only and int8-dynamic, ONNX Runtime fp32 (the runtime alone) and ONNX Runtime int8 (dynamic; static
QDQ for the CNN). A/B interleaved: every round calls each variant `--reps` times on the same batch, in a rotated
order, so machine drift hits all alike; the figure is the median over rounds of the per-call time, with the p10 of
the per-round ratio to eager beside it. Quality: the example's held-out metric; size: bytes on disk.

PASS when the best int8 path on some example is >= 1.5x faster than fp32 eager (median) with its quality inside
the optimize tolerance (accuracy within 0.5 points, loss within 1%).

    PYTHONPATH=src .venv/bin/python benchmarks/bench_quantize.py [--rounds 30] [--reps 5] [--examples digits,chargpt]
        [--threads N] [--out PATH.json]

--threads sets torch's and ONNX Runtime's thread count alike (the ONNX variants take torch.get_num_threads()). On
a 2-core machine shared with other work, 2 OpenMP threads stall at every op's barrier whenever one is descheduled
(eager fp32 measured here 10-30x slower than with 1 thread under a load of 13), which flatters ONNX Runtime
(no spinning); --threads 1 is the fair comparison on a busy machine.

Without accelopt.workload.examples (the built-in examples), stand-ins are used: the tests' digits MLP/CNN and an
untrained chargpt-shaped LM (speed only), and the output says so.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from accelopt.measure.timing import quantile
from accelopt.optimize.base import Target, get_technique
from accelopt.optimize.compress import evaluate, state_dict_bytes
from accelopt.workload.userfile import ModelBundle

TARGET_SPEEDUP = 1.5
ROOT = Path(__file__).resolve().parents[1]


def interleave(fns: dict[str, Callable[[], Any]], rounds: int, reps: int, warmup: int = 3
               ) -> dict[str, list[float]]:
    """Per-call seconds of each fn, one sample per round (mean over `reps` calls); order rotated every round."""
    names = list(fns)
    for name in names:
        for _ in range(warmup):
            fns[name]()
    samples: dict[str, list[float]] = {n: [] for n in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            t0 = time.perf_counter()
            for _ in range(reps):
                fns[name]()
            samples[name].append((time.perf_counter() - t0) / reps)
    return samples


def summary(samples: dict[str, list[float]], base: str) -> dict[str, dict[str, float]]:
    """Median per-call time, and speed-up vs `base`: median ratio and p10 of the per-round ratios."""
    out = {}
    for name, xs in samples.items():
        ratios = sorted(b / x for b, x in zip(samples[base], xs, strict=True))
        out[name] = {"median_s": statistics.median(xs), "speedup_median": statistics.median(ratios),
                     "speedup_p10": quantile(ratios, 0.10)}
    return out


def load_examples(names: list[str]) -> tuple[dict[str, ModelBundle], str]:
    try:
        from accelopt.workload import examples  # type: ignore[attr-defined]
    except ImportError:
        return stand_ins(names), "stand-ins (accelopt.workload.examples not present)"
    return {n: examples.build(n) for n in names}, "built-in examples"


def stand_ins(names: list[str]) -> dict[str, ModelBundle]:
    sys.path.insert(0, str(ROOT / "tests"))
    from digits_bundle import digits_bundle

    from accelopt.workload.zoo import _lm_loss, _TfCfg, _transformer_classes

    out: dict[str, ModelBundle] = {}
    if "digits" in names:
        out["digits"] = digits_bundle("cnn")
    if "chargpt" in names:
        _, LM = _transformer_classes()
        model = LM(_TfCfg(2, 64, 4, 256, 97, 64, 16), 64, causal=True).eval()
        g = torch.Generator().manual_seed(0)
        ids = torch.randint(0, 97, (16, 65), generator=g)
        out["chargpt"] = ModelBundle(name="chargpt-standin", model=model, batches=lambda: iter([(ids[:, :-1],
                                     ids[:, 1:])]), eval_batches=lambda: iter([(ids[:, :-1], ids[:, 1:])]),
                                     loss_fn=_lm_loss, metric="loss", batch_size=16)
    return out


def within_tolerance(bundle: ModelBundle, base_q: float | None, q: float | None) -> bool | None:
    if base_q is None or q is None:
        return None
    if bundle.metric == "accuracy":
        return q >= base_q - 0.005
    return q <= base_q * 1.01


def bench_example(name: str, bundle: ModelBundle, rounds: int, reps: int) -> dict[str, Any]:
    target = Target(mode="inference", device="cpu", budget_s=120)
    bundle.model.eval()
    inputs, _ = bundle.first_batch()
    techniques = ["int8-weight-only", "int8-dynamic", "onnx-fp32", "onnx-int8", "onnx-int8-static"]
    forwards: dict[str, Callable[..., Any]] = {"fp32-eager": bundle.model}
    rows: dict[str, dict[str, Any]] = {"fp32-eager": {"size_bytes": state_dict_bytes(bundle.model), "setup_s": 0.0}}
    for tech_name in techniques:
        tech = get_technique(tech_name)
        why = tech.not_applicable(bundle, target)
        if why:
            print(f"  {tech_name}: does not apply: {why}")
            continue
        v = tech.apply(bundle, target, {})
        forwards[tech_name] = v.forward
        rows[tech_name] = {"size_bytes": v.size_bytes, "setup_s": v.setup_s}
    for tech_name, fwd in forwards.items():
        rows[tech_name]["quality"] = evaluate(fwd, bundle, "cpu")

    def call(fwd: Callable[..., Any]) -> Callable[[], Any]:
        def run() -> Any:
            with torch.inference_mode():
                return fwd(*inputs)
        return run

    samples = interleave({n: call(f) for n, f in forwards.items()}, rounds, reps)
    stats = summary(samples, "fp32-eager")
    base_q = rows["fp32-eager"]["quality"]
    for n in rows:
        rows[n] |= stats[n]
        rows[n]["quality_ok"] = within_tolerance(bundle, base_q, rows[n]["quality"])
    print(f"\n{name} ({bundle.metric_name}; batch {bundle.batch_size}; {rounds} rounds x {reps} calls)")
    print(f"  {'variant':<18}{'latency ms':>11}{'speed-up':>10}{'p10':>7}{'size KB':>10}{bundle.metric_name:>10}  ok")
    for n, r in rows.items():
        q = r["quality"] if r["quality"] is not None else float("nan")
        print(f"  {n:<18}{r['median_s'] * 1e3:>11.3f}{r['speedup_median']:>9.2f}x{r['speedup_p10']:>6.2f}x"
              f"{(r['size_bytes'] or 0) / 1e3:>10.1f}{q:>10.4f}  {r['quality_ok']}")
    return {"metric": bundle.metric_name, "batch_size": bundle.batch_size, "rounds": rounds, "reps": reps,
            "variants": rows}


def main() -> int:
    """0 when the best int8 path reaches the target, else 1 (`make bench` names the failed ones)."""
    from benchargs import count, names_from, out_file  # the benchmarks folder: on sys.path when run as a script

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=count(1), default=30,
                    help="interleaved rounds, one sample per variant each (default: %(default)s)")
    ap.add_argument("--reps", type=count(1), default=5, help="calls averaged into one sample (default: %(default)s)")
    ap.add_argument("--examples", default="digits,chargpt", type=names_from(("digits", "chargpt"), "example"),
                    help="built-in trained examples (default: %(default)s)")
    ap.add_argument("--out", type=out_file, default=None, help="also write the results as JSON here")
    ap.add_argument("--threads", type=count(0), default=0,
                    help="torch and ONNX Runtime intra-op threads (0: torch's) (default: %(default)s)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    names = [n for n in args.examples.split(",") if n]
    bundles, source = load_examples(names)
    print(f"models: {source}; torch {torch.__version__}, {torch.get_num_threads()} threads")
    results = {n: bench_example(n, b, args.rounds, args.reps) for n, b in bundles.items()}
    best = max(((n, v, r["speedup_median"]) for n, res in results.items() for v, r in res["variants"].items()
                if "int8" in v and r["quality_ok"] is not False), key=lambda t: t[2], default=None)
    verdict = best is not None and best[2] >= TARGET_SPEEDUP
    if best:
        print(f"\nbest int8 path: {best[1]} on {best[0]}: {best[2]:.2f}x fp32 eager "
              f"(target {TARGET_SPEEDUP}x) -> {'PASS' if verdict else 'FAIL'}")
    if args.out:
        doc = {"benchmark": "int8 inference paths vs fp32 eager", "device": "cpu", "models": source,
               "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "load_average_1min": os.getloadavg()[0],
               "torch": torch.__version__, "threads": torch.get_num_threads(), "results": results, "pass": verdict}
        args.out.write_text(json.dumps(doc, indent=1))
        print(f"written {args.out}")
    return 0 if verdict else 1


if __name__ == "__main__":
    sys.exit(main())
