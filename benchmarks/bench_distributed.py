"""Distributed runs on this machine, 2 processes over gloo (NCCL with --device cuda), beside their yardsticks.

1. collectives: measured all-reduce bus bandwidth (nccl-tests' definition) vs the figure plan uses without a
   measurement: the device's catalog scale-up link, else plan's default link assumption (predict/comm.py).
2. step time: measured DDP and pipeline steps of a GPT vs plan's prediction on this machine's measured spec
   (a quick `accelopt probe` with one rank's threads plus the collectives of 1., written to
   benchmarks/results/distributed_spec_<device>.toml).
3. load balance: the partitioner's split of a GPT whose vocabulary head dominates (`big_vocab_gpt` below: 4
   blocks of gpt-small between an embedding and a 16384-token head, which costs about 5 blocks) vs the naive
   equal-layer split: predicted balance (slowest / mean stage from profiled layer times) and the measured
   pipeline step of both splits, A/B-interleaved.

Run: PYTHONPATH=src .venv/bin/python benchmarks/bench_distributed.py [--device cuda] [--nproc 2]
Writes distributed_<device>.txt to $ACCELOPT_RESULTS_DIR (else benchmarks/results/). With --device cuda it needs
one CUDA GPU per rank: fewer is an error naming them (exit 2) before anything runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import statistics
import time
from pathlib import Path
from typing import Any

from accelopt.distributed.collectives import measure_collectives, spec_lines
from accelopt.distributed.launch import Launch, launch_job
from accelopt.distributed.run import DistConfig, _job, profile_distributed
from accelopt.distributed.types import RankResult
from accelopt.units import fmt_byte_per_s, fmt_seconds

RESULTS = Path(os.environ.get("ACCELOPT_RESULTS_DIR", Path(__file__).parent / "results"))
"""Where the report and the measured spec go: $ACCELOPT_RESULTS_DIR when set (benchmarks/gpu.sh sets it to its
gpu_<GPU name>/ folder, the one it packs into $OUT), else benchmarks/results/."""
MODEL = "accelopt.workload.zoo:build"
VOCAB = 16384


def big_vocab_gpt(batch_size: int = 8, seq_len: int = 128) -> Any:
    """gpt-small (4 blocks, hidden 256) with a 16384-token vocabulary: head FLOPs 2 x B T h V per forward =
    about 5 blocks' worth (a block: 2 x B T (12 h^2 + 2 T h))."""
    import torch

    from accelopt.workload import zoo
    from accelopt.workload.userfile import ModelBundle

    cfg = zoo._TfCfg(4, 256, 4, 1024, VOCAB, seq_len, batch_size)
    _, lm = zoo._transformer_classes()

    def make(g: Any) -> tuple[Any, Any]:
        tok = torch.randint(0, VOCAB, (batch_size, seq_len + 1), generator=g)
        return tok[:, :-1], tok[:, 1:]

    return ModelBundle(name="gpt-big-vocab", model=lm(cfg, seq_len, causal=True),
                       batches=lambda: iter(zoo.SyntheticBatches(make)), loss_fn=zoo._lm_loss, batch_size=batch_size,
                       meta={"seq_len": seq_len})


def _line(out: list[str], text: str) -> None:
    print(text, flush=True)
    out.append(text)


def _spec_without_measurement(device: str) -> tuple[float, str]:
    """The link figure plan would use for this device without `probe --collectives`."""
    from accelopt.hardware.catalog import get_device
    from accelopt.hardware.detect import find_device
    from accelopt.predict import comm
    from accelopt.predict.calibration import calibration_for

    found = find_device(device)
    spec = get_device(found.catalog_name) if found.catalog_name else None
    if spec is not None and spec.scaleup_bandwidth_byte_per_s:
        cal = calibration_for(spec)
        return spec.scaleup_bandwidth_byte_per_s * cal.scaleup_bw_eff, f"catalog {spec.name} scale-up x efficiency"
    return comm.DEFAULT_SCALEOUT_BW, "plan's default link assumption (no catalog link for this device)"


def _measured_spec(device: str, nproc: int, out: list[str]) -> tuple[object, object]:
    import os

    import torch

    from accelopt.hardware.catalog import get_device
    from accelopt.hardware.detect import find_device
    from accelopt.measure.probe import run_probe, save_spec

    coll = measure_collectives(nproc, device=device, quick=True)
    # on CPU the spec describes one rank's device: the threads each rank gets (cores / nproc)
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // nproc))
    probe = run_probe(find_device("cuda:0" if device == "cuda" else "cpu"), quick=True)
    path = save_spec(probe, RESULTS / f"distributed_spec_{device}.toml", spec_lines(coll))
    return coll, get_device(str(path))


def main() -> None:
    from benchargs import count  # the benchmarks folder: on sys.path when run as a script

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cpu", choices=("cpu", "cuda"),
                    help="cpu (gloo) or cuda (NCCL, one GPU per rank) (default: cpu)")
    ap.add_argument("--nproc", type=count(2), default=2,
                    help="ranks on this machine, 2 or more: collectives and a pipeline need two (default: 2)")
    args = ap.parse_args()
    out: list[str] = []
    n = args.nproc
    if args.device == "cuda":
        import torch

        gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if gpus < n:  # NCCL refuses two ranks on one GPU
            fix = f"give --nproc {gpus}, or --device cpu" if gpus >= 2 else "use 2 or more GPUs, or give --device cpu"
            ap.error(f"argument --device: cuda with --nproc {n} needs {n} CUDA GPUs (one per rank, as NCCL wants); "
                     f"this machine has {gpus}: {fix} (gloo)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    coll, spec = _measured_spec(args.device, n, out)
    ref_bw, ref_src = _spec_without_measurement(args.device)
    _line(out, f"# {time.strftime('%Y-%m-%dT%H:%MZ', time.gmtime())} {platform.machine()}, load average "
               f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; bench_distributed.py --device {args.device} "
               f"--nproc {n}")
    _line(out, f"== 1. all-reduce bus bandwidth, {n} ranks ({coll.backend})")
    for f in coll.of("all_reduce"):
        _line(out, f"  {f.size_bytes:>9d} B  {fmt_seconds(f.time_s):>9}  busbw {fmt_byte_per_s(f.busbw_byte_per_s)}")
    _line(out, f"  measured link {fmt_byte_per_s(coll.link_bandwidth_byte_per_s)} vs {fmt_byte_per_s(ref_bw)} "
               f"({ref_src}): ratio {coll.link_bandwidth_byte_per_s / ref_bw:.3f}; latency "
               f"{fmt_seconds(coll.link_latency_s)}")

    _line(out, f"== 2. measured step vs plan's prediction on {getattr(spec, 'name', '?')} (estimates)")
    launch = Launch(nproc=n, timeout_s=900)
    for parallel in ("ddp", "fsdp", "pipeline"):
        cfg = DistConfig(bundle_ref=MODEL, bundle_kwargs={"name": "gpt", "size": "small"}, parallel=parallel,
                         steps=5, warmup=2, device=args.device)
        r = profile_distributed(cfg, launch, spec=spec)
        assert r.prediction is not None
        terms = ", ".join(f"{t.term} {fmt_seconds(t.predicted_s)} vs {fmt_seconds(t.measured_s)} ("
                          + (f"{100 * t.error:+.0f}%" if t.error is not None else "n/a") + ")"
                          for t in r.prediction.terms)
        _line(out, f"  {parallel:8s} step {fmt_seconds(r.step_median_s)} (one process "
                   f"{fmt_seconds(r.single.step_median_s) if r.single else 'n/a'}, scaling efficiency "
                   f"{r.scaling_efficiency:.2f}); predicted vs measured: {terms}")
    cfg = DistConfig(bundle_ref=f"{Path(__file__).resolve()}:big_vocab_gpt", parallel="pipeline", steps=5, warmup=2,
                     device=args.device, baseline=False)
    _balance(profile_distributed(cfg, launch), cfg, launch, out)
    (RESULTS / f"distributed_{args.device}.txt").write_text("\n".join(out) + "\n")


def _balance(r: object, cfg: DistConfig, launch: Launch, out: list[str]) -> None:
    p = r.partition  # type: ignore[attr-defined]
    _line(out, f"== 3. pipeline partition of a GPT (embedding, 4 blocks, {VOCAB}-token head), "
               f"{len(p.balanced.bounds) - 1} stages")
    for x in p.layers:
        _line(out, f"  layer {x.name:14s} fwd+bwd {fmt_seconds(x.fwd_bwd_s)}")
    _line(out, f"  balanced {p.balanced.bounds}: stage times {[fmt_seconds(t) for t in p.balanced.stage_times_s]}, "
               f"balance {p.balanced.balance:.2f}")
    _line(out, f"  naive    {p.naive.bounds}: stage times {[fmt_seconds(t) for t in p.naive.stage_times_s]}, "
               f"balance {p.naive.balance:.2f}")
    # A/B interleaved: naive, balanced, naive after the balanced run above; the best of each (machine noise is
    # one-sided: it only slows a run down)
    steps: dict[str, list[float]] = {"balanced": [r.step_median_s], "naive": []}  # type: ignore[attr-defined]
    one = dataclasses.replace(launch, threads_per_rank=r.environment["threads_per_rank"])  # type: ignore[attr-defined]
    if p.naive.bounds != p.balanced.bounds:
        for name in ("naive", "balanced", "naive"):
            bounds = p.naive.bounds if name == "naive" else p.balanced.bounds
            raw = launch_job(_job(cfg, "pipeline", r.microbatches, bounds), one)  # type: ignore[attr-defined]
            steps[name].append(max(statistics.median(RankResult.from_dict(d).step_times_s) for d in raw.ranks))
    best = {k: min(v) for k, v in steps.items() if v}
    _line(out, "  measured pipeline step (best of A/B-interleaved runs): "
          + ", ".join(f"{k} {fmt_seconds(v)}" for k, v in best.items())
          + (f" (naive / balanced {best['naive'] / best['balanced']:.2f})" if "naive" in best else ""))


if __name__ == "__main__":
    main()
