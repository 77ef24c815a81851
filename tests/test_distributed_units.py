"""The distributed pieces that need no second process: the partitioner's dynamic program (checked against
brute force), nccl-tests' bus-bandwidth definitions, the profiler-trace overlap arithmetic, the measured link
in the probe spec feeding plan's communication model, and the NCCL (GPU) path with torch.cuda mocked."""

from __future__ import annotations

import dataclasses
import itertools
import random
import re
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from accelopt.distributed.collectives import DEFAULT_SIZES_BYTES, QUICK_SIZES_BYTES, build_result, spec_lines
from accelopt.distributed.partition import balanced_bounds, evaluate_split, naive_bounds, partition, stage_memory_bytes
from accelopt.distributed.types import CollectiveFigure, LayerCost
from accelopt.distributed.worker import comm_overlap
from accelopt.errors import InfeasibleError


def _layers(times: list[float], act: float = 1.0, params: float = 1.0) -> list[LayerCost]:
    return [LayerCost(name=str(i), fwd_bwd_s=t, activation_bytes=act, param_bytes=params) for i, t in enumerate(times)]


def _brute(layers: list[LayerCost], stages: int, limit: float | None, m: int, schedule: str) -> float:
    """The least slowest-stage time over every contiguous split, by enumeration."""
    n, best = len(layers), float("inf")
    for cuts in itertools.combinations(range(1, n), stages - 1):
        b = [0, *cuts, n]
        if limit is not None and any(stage_memory_bytes(layers, b[k], b[k + 1], k, stages, m, schedule) > limit
                                     for k in range(stages)):
            continue
        best = min(best, max(sum(x.fwd_bwd_s for x in layers[b[k]:b[k + 1]]) for k in range(stages)))
    return best


@pytest.mark.parametrize("seed", range(12))
def test_partitioner_is_optimal_against_brute_force(seed: int) -> None:
    rng = random.Random(seed)
    n, stages = rng.randint(3, 9), rng.randint(2, 4)
    stages = min(stages, n)
    layers = [LayerCost(name=str(i), fwd_bwd_s=rng.uniform(0.1, 5.0), activation_bytes=rng.uniform(1, 10),
                        param_bytes=rng.uniform(1, 10)) for i in range(n)]
    limit = rng.choice([None, 60.0, 120.0])
    want = _brute(layers, stages, limit, 4, "1f1b")
    if want == float("inf"):
        with pytest.raises(InfeasibleError):
            balanced_bounds(layers, stages, microbatches=4, memory_limit_bytes=limit)
        return
    b = balanced_bounds(layers, stages, microbatches=4, memory_limit_bytes=limit)
    assert b[0] == 0 and b[-1] == n and all(lo < hi for lo, hi in itertools.pairwise(b))
    assert evaluate_split(layers, b, 4, "1f1b").slowest_s == pytest.approx(want)


def test_balanced_beats_equal_layers_when_embedding_and_head_dominate() -> None:
    # a GPT-like profile: embedding 3, four blocks 1 each, head 6 (units of time)
    p = partition(_layers([3, 1, 1, 1, 1, 6]), 2)
    assert p.naive.bounds == [0, 3, 6] and p.naive.stage_times_s == [5, 8]
    assert p.balanced.stage_times_s == [6, 7] and p.balanced.balance == pytest.approx(7 / 6.5)
    assert p.naive.balance == pytest.approx(8 / 6.5)


def test_stage_memory_counts_in_flight_microbatches() -> None:
    layers = _layers([1, 1, 1, 1], act=10.0, params=1.0)
    # 1F1B: stage 0 of 2 holds 2 micro-batches, stage 1 one; GPipe holds all 8
    assert stage_memory_bytes(layers, 0, 2, 0, 2, 8, "1f1b") == 4 * 2 + 2 * 20
    assert stage_memory_bytes(layers, 2, 4, 1, 2, 8, "1f1b") == 4 * 2 + 1 * 20
    assert stage_memory_bytes(layers, 0, 2, 0, 2, 8, "gpipe") == 4 * 2 + 8 * 20
    assert naive_bounds(5, 2) == [0, 2, 5]


def test_bus_bandwidth_follows_nccl_tests() -> None:
    # nccl-tests doc/PERFORMANCE.md: busbw = algbw x 2(n-1)/n (all-reduce), x (n-1)/n (all-gather, ...)
    ar = CollectiveFigure(op="all_reduce", size_bytes=8_000_000, time_s=0.001, nranks=8)
    ag = CollectiveFigure(op="all_gather", size_bytes=8_000_000, time_s=0.001, nranks=8)
    assert ar.algbw_byte_per_s == pytest.approx(8e9)
    assert ar.busbw_byte_per_s == pytest.approx(8e9 * 14 / 8)
    assert ag.busbw_byte_per_s == pytest.approx(8e9 * 7 / 8)


def _rank0(alpha: float, bw: float, p: int) -> dict[str, Any]:
    """Times of a ring all-reduce t = 2(p-1) alpha + 2(p-1)/p S/B, repeated exactly."""
    sizes = [1024, 65536, 4 * 2**20]
    return {"times": [{"op": "all_reduce", "size_bytes": s, "times_s": [2 * (p - 1) * alpha + 2 * (p - 1) / p * s / bw]
                       * 3} for s in sizes]}


def test_link_fit_recovers_ring_model_and_feeds_plan(tmp_path: Path) -> None:
    from accelopt.distributed.predict_check import links_for
    from accelopt.hardware.catalog import get_device
    from accelopt.measure.probe import spec_toml

    res = build_result(_rank0(alpha=20e-6, bw=5e9, p=4), "gloo", "cpu", 4)
    assert res.link_latency_s == pytest.approx(20e-6, rel=1e-6)
    # 2026-12-05, utdist: B itself (the line's slope), no longer the busbw at the largest size, B x (t - 6 alpha) / t
    # (4.56e9 here), which with alpha counted the latency twice at that size
    assert res.link_bandwidth_byte_per_s == pytest.approx(5e9, rel=1e-9)
    assert res.link_bandwidth_byte_per_s > res.of("all_reduce")[-1].busbw_byte_per_s
    assert "slope" in res.bandwidth_how  # what the console and the page say; a probe saved before: the busbw
    older = dataclasses.replace(res, source="accelopt probe --collectives: ...; bandwidth = busbw at 4194304 bytes")
    assert older.bandwidth_how == "all-reduce busbw at the largest size"
    lines, source = spec_lines(res)
    toml = spec_toml(_probe_result(), (lines, source))
    path = tmp_path / "m.toml"
    path.write_text(toml)
    spec = get_device(str(path))
    assert spec.scaleup_bandwidth_byte_per_s == res.link_bandwidth_byte_per_s
    assert spec.scaleup_latency_s == res.link_latency_s and spec.scaleup_domain_devices == 4
    links, text = links_for(spec)
    assert links.up_bw == res.link_bandwidth_byte_per_s and "measured collectives" in text


def _probe_result() -> Any:
    from accelopt.hardware.detect import find_device
    from accelopt.measure.probe import Figure, ProbeResult

    fig = {"matmul.fp32": 1e11, "stream.triad": 1e10}
    figures = [Figure(metric=m, unit="FLOP/s" if m.startswith("matmul") else "B/s", median=v, p10=v,
                      p90=v, spread=0.0, n=3, detail="test") for m, v in fig.items()]
    return ProbeResult(device=find_device("cpu"), host="testhost", date="2026-01-01", torch_version="x", quick=True,
                       threads=1, figures=figures)


@dataclass
class _Range:
    start: float
    end: float


@dataclass
class _Ev:
    name: str
    start_us: float
    end_us: float
    thread: int = 1
    device_type: str = "DeviceType.CPU"

    @property
    def time_range(self) -> _Range:
        return _Range(self.start_us, self.end_us)


def test_overlap_from_trace_on_cpu_and_cuda() -> None:
    # CPU: compute 0-100 and 150-200 us on the step's thread; gloo all-reduce 80-160 us on its own thread
    cpu = [_Ev("aten::mm", 0, 100), _Ev("aten::add", 150, 200), _Ev("gloo:all_reduce", 80, 160, thread=7),
           _Ev("aten::mm", 0, 300, thread=9)]  # another thread's op is not this step's compute
    c = comm_overlap(cpu, step_thread=1, steps=1)
    assert c.comm_s == pytest.approx(80e-6) and c.overlapped_s == pytest.approx(30e-6)
    assert c.compute_s == pytest.approx(150e-6) and c.exposed_s == pytest.approx(50e-6)
    # CUDA: kernels only; the NCCL kernel overlaps a GEMM kernel for 40 of its 100 us; two steps halve it
    gpu = [_Ev("sm90_gemm", 0, 140, device_type="DeviceType.CUDA"),
           _Ev("ncclDevKernel_AllReduce_Sum_f32_RING_LL", 100, 200, device_type="DeviceType.CUDA"),
           _Ev("aten::mm", 0, 1000)]
    g = comm_overlap(gpu, step_thread=1, steps=2)
    assert g.comm_s == pytest.approx(50e-6) and g.overlapped_s == pytest.approx(20e-6)
    assert g.compute_s == pytest.approx(70e-6)


def test_nccl_path_needs_a_gpu_per_rank(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from accelopt.distributed.launch import Launch
    from accelopt.distributed.run import DistConfig, _check_device, _job
    from accelopt.errors import UnsupportedError

    cfg = DistConfig(bundle_ref="x.py:f", parallel="ddp", device="cuda")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(UnsupportedError, match="needs 2 GPUs"):
        _check_device(cfg, Launch(nproc=2))
    monkeypatch.setattr("torch.distributed.is_nccl_available", lambda: True)  # a CUDA build's (faked here)
    _check_device(cfg, Launch(nproc=1))
    assert _job(cfg, "ddp", 1, []).device == "cuda"  # each rank then takes cuda:LOCAL_RANK and NCCL


def test_worker_picks_nccl_and_its_gpu_on_cuda(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import json

    import torch
    import torch.distributed as dist

    from accelopt.distributed import worker
    from accelopt.distributed.types import Job

    seen: dict[str, Any] = {}
    monkeypatch.setattr(torch.cuda, "set_device", lambda i: seen.setdefault("device", i))
    monkeypatch.setattr(dist, "init_process_group", lambda backend: seen.setdefault("backend", backend))
    monkeypatch.setattr(worker, "run_train", lambda job, me, device: (_ for _ in ()).throw(RuntimeError(device)))
    monkeypatch.setenv("RANK", "3")
    monkeypatch.setenv("LOCAL_RANK", "1")
    monkeypatch.setenv("WORLD_SIZE", "4")
    job = Job(parallel="ddp", device="cuda", out_dir=str(tmp_path))
    (tmp_path / "job.json").write_text(json.dumps(job.__dict__))
    try:
        assert worker.main([str(tmp_path / "job.json")]) == 1
    finally:
        import faulthandler
        import signal

        faulthandler.unregister(signal.SIGUSR1)  # main() registered its stack dump in this (pytest's) process
    assert seen == {"device": 1, "backend": "nccl"}
    err = json.loads((tmp_path / "rank3.error.json").read_text())
    assert "cuda:1" in err["problem"]  # the rank ran on its own GPU


def test_distributed_flags_need_nproc(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import machine_cpus, run_main

    machine_cpus(monkeypatch, 4)  # 3 ranks fit the cores: the batch split is what is refused

    code, _, err = run_main(["profile", "mlp", "--parallel", "fsdp"], capsys)
    assert code == 2 and "--parallel applies to distributed runs only" in err and "--nproc" in err
    code, _, err = run_main(["probe", "--nproc", "4"], capsys)
    assert code == 2 and "--collectives" in err
    code, _, err = run_main(["profile", "mlp", "--nproc", "2", "--parallel", "zero"], capsys)
    assert code == 2 and "ddp, fsdp or pipeline" in err
    code, _, err = run_main(["profile", "mlp", "--nproc", "3"], capsys)  # mlp tiny's batch 16 over 3 ranks
    assert code == 2 and "does not split into 3" in err


@pytest.mark.parametrize("flag", [["--parallel", "ddp"], ["--schedule", "1f1b"], ["--nnodes", "1"],
                                  ["--node-rank", "0"], ["--timeout-s", "600"]])
def test_distributed_flags_at_their_default_value_need_nproc(flag: list[str], capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """`profile mlp --parallel ddp` (no --nproc) ran the one-process profile and said nothing: a flag typed with its
    default value was taken for one not given, so the user believed DDP had been measured."""
    from conftest import run_main

    def measured(*_: Any, **__: Any) -> None:
        raise AssertionError("the one-process profile ran")

    monkeypatch.setattr("accelopt.cli.profile._run_local", measured)
    code, _, err = run_main(["profile", "mlp", *flag], capsys)
    assert code == 2 and f"{flag[0]} applies to distributed runs only" in err and "--nproc" in err


_PHASES = ("forward", "backward", "optimizer")


def test_prediction_terms_for_ddp_on_a_measured_link(tmp_path: Path) -> None:
    from accelopt.distributed.predict_check import _phase_times_s, predict_run
    from accelopt.distributed.types import CommTime, DistributedResult, RankResult
    from accelopt.hardware.catalog import get_device
    from accelopt.measure.probe import spec_toml
    from accelopt.predict.calibration import calibration_for
    from accelopt.predict.compute import Device
    from accelopt.workload import zoo
    from accelopt.workload.capture import capture_workload

    res = build_result(_rank0(alpha=20e-6, bw=5e9, p=2), "gloo", "cpu", 2)
    path = tmp_path / "m.toml"
    path.write_text(spec_toml(_probe_result(), spec_lines(res)))
    spec = get_device(str(path))
    bundle = zoo.build("mlp")
    params = 4.0 * bundle.param_count()
    workload = capture_workload(bundle, mode="train", warmup_steps=1)
    rank = RankResult(rank=0, world_size=2, host="h", step_times_s=[0.01] * 3, losses=[1.0], threads=1,
                      comm=CommTime(comm_s=0.002, overlapped_s=0.001, compute_s=0.006), peak_memory_bytes=1.0,
                      memory_source="test")
    run = DistributedResult(name="mlp", parallel="ddp", schedule=None, nproc=2, nnodes=1, backend="gloo",
                            device="cpu", global_batch=16, microbatches=1, ranks=[rank], single=None)
    check = predict_run(run, workload, spec, params)
    terms = {t.term: t for t in check.terms}
    # the 2 ranks share this one CPU: each has half its cores' peak and half its memory bandwidth
    dev = Device(peak_flop_per_s=1e11 / 2, bw_byte_per_s=1e10 / 2, cal=calibration_for(spec))
    # the FLOP / byte part split over the 2 ranks, each op's overhead paid on each (utleft6: it was all / 2)
    per_op = sum(op.count for op in workload.ops if op.phase in _PHASES) * dev.cal.kernel_overhead_s
    assert terms["compute"].predicted_s == pytest.approx((sum(_phase_times_s(workload, dev).values()) - per_op) / 2
                                                         + per_op)
    assert any("1/2 of the CPU's cores" in n for n in check.notes)
    gpu = dataclasses.replace(run, device="cuda")  # what-if on another kind of device: said, and no share
    assert any("compares two different devices" in n for n in predict_run(gpu, workload, spec, params).notes)
    # ring all-reduce on 2 ranks with the measured link: 2(p-1) alpha + 2(p-1)/p n / B (tree is slower here)
    bw, alpha = res.link_bandwidth_byte_per_s, res.link_latency_s
    assert terms["communication"].predicted_s == pytest.approx(2 * alpha + params / bw)
    assert terms["communication"].measured_s == 0.002 and terms["step"].measured_s == 0.01
    assert terms["compute"].error == pytest.approx((terms["compute"].predicted_s - 0.006) / 0.006)


def test_prediction_times_a_bf16_models_compute_at_the_bf16_peak() -> None:
    """A model already in bf16 under --nproc (its matmuls captured in bf16) had its compute term timed at the spec's
    fp32 peak (xeon-8480plus: 7.168 TFLOP/s fp32, 114.688 TFLOP/s bf16 AMX, the catalog's figures). Now the peak of
    the dtype its matmuls ran in; one the spec lacks falls back to fp32, said in the note."""
    from types import SimpleNamespace

    from accelopt.distributed.predict_check import _phase_times_s, predict_run
    from accelopt.distributed.types import CommTime, DistributedResult, RankResult
    from accelopt.hardware.catalog import get_device
    from accelopt.predict.calibration import calibration_for
    from accelopt.predict.compute import Device
    from accelopt.workload.types import Op

    spec = get_device("xeon-8480plus")
    mm = Op(name="aten.mm", kind="matmul", flops=2e12, bytes_read=1e8, bytes_written=5e7, dtype="bf16")
    workload = SimpleNamespace(ops=[mm])
    rank = RankResult(rank=0, world_size=2, host="h", step_times_s=[0.01] * 3, losses=[1.0], threads=1,
                      comm=CommTime(comm_s=0.002, overlapped_s=0.001, compute_s=0.006), peak_memory_bytes=1.0,
                      memory_source="test")
    run = DistributedResult(name="m", parallel="ddp", schedule=None, nproc=2, nnodes=1, backend="gloo",
                            device="cpu", global_batch=16, microbatches=1, ranks=[rank], single=None)
    check = predict_run(run, workload, spec, 1e6)
    dev = Device(peak_flop_per_s=spec.peak("bf16") / 2, bw_byte_per_s=spec.memory_bandwidth_byte_per_s / 2,
                 cal=calibration_for(spec))
    compute = next(t for t in check.terms if t.term == "compute")
    per_op = dev.cal.kernel_overhead_s  # the one op's overhead, paid on each rank (utleft6)
    assert compute.predicted_s == pytest.approx((sum(_phase_times_s(workload, dev).values()) - per_op) / 2 + per_op)
    assert "at its bf16 peak" in check.notes[0]
    fp8 = SimpleNamespace(ops=[Op(name="aten.mm", kind="matmul", flops=2e12, bytes_read=1e8, bytes_written=5e7,
                                  dtype="fp8")])
    assert "at its fp32 peak (the step's matmuls ran in fp8" in predict_run(run, fp8, spec, 1e6).notes[0]


def test_measured_run_check_times_ops_with_plans_op_model() -> None:
    """predict_check times each captured op with compute.op_s (one op-time model with `plan`): an elementwise op at
    max(FLOPs / peak, bytes / (BW x memory_eff)) + launch overhead (no GEMM efficiency curve), a matmul at peak x
    eff(F); the same numbers as the formula the module had before."""
    from accelopt.distributed.predict_check import _phase_times_s
    from accelopt.hardware.catalog import get_device
    from accelopt.predict.calibration import calibration_for
    from accelopt.predict.compute import Device
    from accelopt.workload.types import Op

    cal = calibration_for(get_device("h100-sxm"))
    dev = Device(peak_flop_per_s=1e15, bw_byte_per_s=3e12, cal=cal)
    add = Op(name="aten.add", kind="elementwise", flops=1e6, bytes_read=8e6, bytes_written=4e6, count=3)
    mm = Op(name="aten.mm", kind="matmul", flops=2e12, bytes_read=1e8, bytes_written=5e7, phase="backward")

    from types import SimpleNamespace

    got = _phase_times_s(SimpleNamespace(ops=[add, mm]), dev)
    want_add = 3 * (max(1e6 / 1e15, 12e6 / (3e12 * cal.memory_eff)) + cal.kernel_overhead_s)
    assert got["forward"] == pytest.approx(want_add, rel=1e-12)
    want_mm = max(2e12 / (1e15 * float(dev.matmul_eff(np.asarray(2e12)))), 1.5e8 / (3e12 * cal.memory_eff))
    assert got["backward"] == pytest.approx(want_mm + cal.kernel_overhead_s, rel=1e-12)


def test_a_prediction_that_runs_out_of_memory_keeps_the_measurements(monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """The prediction's one-process capture of the global batch running out of memory left a traceback and lost the
    ranks' measurements; now the result keeps them and says why its prediction is left out (console, JSON, HTML)."""
    from accelopt.distributed import run as run_mod
    from accelopt.distributed.types import CommTime, DistributedResult, RankResult
    from accelopt.report.distributed_view import html_tables, render

    def oom(*_: object) -> None:
        raise RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 9e12 bytes")

    monkeypatch.setattr(run_mod, "_predict", oom)
    rank = RankResult(rank=0, world_size=2, host="h", step_times_s=[0.01] * 3, losses=[1.0], threads=1,
                      comm=CommTime(comm_s=0.002, overlapped_s=0.001, compute_s=0.006), peak_memory_bytes=1.0,
                      memory_source="test")
    res = DistributedResult(name="mlp", parallel="ddp", schedule=None, nproc=2, nnodes=1, backend="gloo",
                            device="cpu", global_batch=16, microbatches=1, ranks=[rank], single=None)
    run_mod._add_prediction(None, res, object())  # type: ignore[arg-type]
    assert res.prediction is None and "ran out of memory" in res.prediction_left_out
    assert "16 samples" in res.prediction_left_out
    from accelopt.report.console import make_console

    render(res, make_console())
    assert "ran out of memory" in " ".join(capsys.readouterr().out.split())
    assert any("ran out of memory" in str(t.rows) for t in html_tables(res))

    def boom(*_: object) -> None:
        raise RuntimeError("a bug, not memory")

    monkeypatch.setattr(run_mod, "_predict", boom)
    with pytest.raises(RuntimeError, match="a bug"):
        run_mod._add_prediction(None, res, object())  # type: ignore[arg-type]


def test_pipeline_terms_are_measured_on_the_slowest_stage() -> None:
    """plan predicts the slowest stage's compute and idle time (the stage that paces the pipeline), so they are
    compared with that stage's rank, not with the median rank (the middle stage of three, or the mean of two)."""
    from types import SimpleNamespace

    from accelopt.distributed.predict_check import predict_run
    from accelopt.distributed.types import CommTime, DistributedResult, Partition, RankResult, StageBalance
    from accelopt.hardware.catalog import get_device

    def rank(i: int, compute_s: float) -> RankResult:
        return RankResult(rank=i, world_size=3, host="h", step_times_s=[0.012] * 3, losses=[1.0], threads=1,
                          comm=CommTime(comm_s=0.0, overlapped_s=0.0, compute_s=compute_s, profiled_step_s=0.012),
                          peak_memory_bytes=1.0, memory_source="test", stage=i)

    layers = _layers([1.0, 3.0, 2.0])
    bal = StageBalance(bounds=[0, 1, 2, 3], stage_times_s=[1.0, 3.0, 2.0], stage_memory_bytes=[1.0] * 3)
    part = Partition(layers=layers, stages=3, memory_limit_bytes=None, balanced=bal, naive=bal)
    run = DistributedResult(name="p", parallel="pipeline", schedule="1f1b", nproc=3, nnodes=1, backend="gloo",
                            device="cpu", global_batch=6, microbatches=6, partition=part, single=None,
                            ranks=[rank(0, 0.001), rank(1, 0.009), rank(2, 0.004)])
    check = predict_run(run, SimpleNamespace(ops=[]), get_device("h100-sxm"), 1.0)
    terms = {t.term: t for t in check.terms}
    assert terms["compute"].measured_s == 0.009  # rank 1 holds stage 1, the slowest (3 of 6 time units)
    assert terms["bubble + sends"].measured_s == pytest.approx(0.012 - 0.009)
    assert any("stage 1 (rank 1)" in n for n in check.notes)


def test_link_latency_source_says_when_the_line_fit_was_not_used() -> None:
    from accelopt.measure.collective_figures import LATENCY_FIT

    # small messages fast, the largest far slower than linear (its algbw below the smallest's): the line through
    # the two crosses zero below S = 0, so alpha falls back to the smallest message's time; the source said
    # 'intercept of t = a + b S' regardless
    sizes, times = [1024, 2**20, 16 * 2**20], [1e-5, 1e-5, 1.0]
    rank0 = {"times": [{"op": "all_reduce", "size_bytes": s, "times_s": [t] * 3} for s, t in zip(sizes, times,
                                                                                                 strict=True)]}
    res = build_result(rank0, "gloo", "cpu", 2)
    assert res.link_latency_s == pytest.approx(1e-5 / 2)
    assert "intercept" not in res.source and "smallest message" in res.source and "upper bound" in res.latency_how
    fitted = build_result(_rank0(alpha=20e-6, bw=5e9, p=4), "gloo", "cpu", 4)
    assert LATENCY_FIT in fitted.source and "through the smallest and largest" in fitted.latency_how


def test_stage_args_flatten_a_dict_and_refuse_another_structure() -> None:
    import torch

    from accelopt.distributed.model import flat_spec, stage_args, stage_module
    from accelopt.errors import InputError

    x, z = torch.ones(2, 3), torch.zeros(2, 1)
    spec = flat_spec(({"x": x, "z": z},), "the model's inputs")
    assert flat_spec((x, z), "the model's inputs") is None  # flat: passed as it is
    flat = stage_args(({"x": x, "z": z},), spec)
    assert len(flat) == 2 and all(isinstance(t, torch.Tensor) for t in flat)

    class Sum(torch.nn.Module):
        def forward(self, d: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
            return {"s": d["x"].sum(1, keepdim=True) + d["z"]}

    out = stage_module([Sum()], spec, flatten_out=True)(*flat)
    assert isinstance(out, tuple) and torch.equal(out[0], torch.full((2, 1), 3.0))
    with pytest.raises(InputError, match="differ in structure"):
        stage_args(({"x": x, "y": z},), spec)


@dataclass
class _Out:
    aux: Any
    logits: Any


def test_the_last_stage_splits_a_dataclass_output_and_the_loss_gets_it_rebuilt() -> None:
    """torch's last pipeline stage takes tensors only; a model returning a dataclass crashed rank 1. The stage now
    returns the output's tensors and split_output's rebuild gives the loss the output as the model returned it."""
    from collections import namedtuple

    import torch

    from accelopt.distributed.model import split_output, stage_module

    class Head(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> _Out:
            return _Out(aux=None, logits=2 * x)

    x = torch.ones(2, 3)
    out = stage_module([Head()], split_last=True)(x)
    assert isinstance(out, tuple) and len(out) == 1 and torch.equal(out[0], 2 * x)
    leaves, rebuild = split_output(Head()(x))
    back = rebuild(iter(out))
    assert isinstance(back, _Out) and back.aux is None and torch.equal(back.logits, 2 * x) and len(leaves) == 1
    pair = namedtuple("pair", "a b")
    nested = {"p": pair(x, [x + 1, 3]), "q": _Out(aux=x - 1, logits=None)}
    leaves, rebuild = split_output(nested)
    assert [float(t[0, 0]) for t in leaves] == [1.0, 2.0, 0.0]
    again = rebuild(iter(leaves))
    assert isinstance(again["p"], pair) and again["p"].b[1] == 3 and again["q"].logits is None


@pytest.mark.parametrize(("returned", "named"), [
    (None, "Net.pipeline_layers() returned a NoneType, not a list of layers"),
    ("relu", "Net.pipeline_layers()[1] is the function 'relu', not an nn.Module"),
    ("raise", "model 'Net' raised RuntimeError in its pipeline_layers(): oops"),
])
def test_pipeline_layers_that_are_not_modules_are_named(returned: Any, named: str) -> None:
    """pipeline_layers() returning None ('NoneType' object is not iterable), a list holding torch.relu ('no
    attribute parameters') or raising ended `profile --parallel pipeline` in a traceback before launch."""
    import torch

    from accelopt.distributed.model import pipeline_layers
    from accelopt.errors import InputError

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a, self.b = torch.nn.Linear(4, 4), torch.nn.Linear(4, 2)

        def pipeline_layers(self) -> Any:
            if returned == "raise":
                raise RuntimeError("oops")
            return None if returned is None else [self.a, torch.relu, self.b]

    with pytest.raises(InputError, match=re.escape(named)) as e:
        pipeline_layers(Net())
    assert returned == "raise" or ("nn.ReLU()" in e.value.fix and "--parallel ddp or fsdp" in e.value.fix)


def test_pipeline_layers_may_return_a_module_list() -> None:
    import torch

    from accelopt.distributed.model import pipeline_layers

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.blocks = torch.nn.ModuleList([torch.nn.Linear(4, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2)])

        def pipeline_layers(self) -> Any:
            return self.blocks  # returned as is: list() of it was always its modules

    net = Net()
    assert pipeline_layers(net) == list(net.blocks)


def test_what_if_note_puts_an_before_a_vowel_sounding_kind() -> None:
    """A prediction check against an ASIC spec said 'my-asic is a asic'; now 'is an asic' (a/an by the next word,
    as measure/profiler.py's notes say it)."""
    import dataclasses

    from accelopt.distributed.predict_check import _rank_share
    from accelopt.distributed.types import DistributedResult
    from accelopt.hardware.catalog import get_device

    spec = dataclasses.replace(get_device("h100-sxm"), name="my-asic", kind="asic",
                               compute_capability=None)
    run = DistributedResult(name="m", parallel="ddp", schedule=None, nproc=2, nnodes=1, backend="gloo",
                            device="cpu", global_batch=4, microbatches=1, ranks=[], single=None)
    _, notes = _rank_share(run, spec)
    assert any(n.startswith("my-asic is an asic, the run") for n in notes), notes


def _kneed_rank0(sizes: list[int], alpha_s: float, bw: float, p: int) -> dict[str, Any]:
    """Ring all-reduce times t = 2(p-1) alpha + 2(p-1)/p S/B up to a 64 KiB knee, past it each byte 2.9x slower (a
    large-size regime: gloo on a CPU leaving its caches)."""
    knee, c = 64 * 1024, 2 * (p - 1) / p / bw
    return {"times": [{"op": "all_reduce", "size_bytes": s, "times_s": [2 * (p - 1) * alpha_s + c * min(s, knee)
                                                                        + 2.9 * c * max(0, s - knee)] * 3}
                      for s in sizes]}


@pytest.mark.parametrize("sizes", [QUICK_SIZES_BYTES, DEFAULT_SIZES_BYTES])
def test_link_latency_is_the_small_messages_not_the_large_sizes_intercept(sizes: list[int]) -> None:
    """A reviewer's probe --collectives said alpha 4.74 us while its 1 KiB all-reduce took 134 us: the least-squares
    line's intercept was set by the large sizes (here 42 us and 31 us for a true 67 us). alpha is now a of the line
    through the smallest and the largest size (Hockney's t0 and r_inf); stated tolerance: within 5% of the true
    alpha, the large-size regime notwithstanding."""
    res = build_result(_kneed_rank0(sizes, alpha_s=67e-6, bw=1e9, p=2), "gloo", "cpu", 2)
    assert res.link_latency_s == pytest.approx(67e-6, rel=0.05)
    # plan's ring model with these figures at the 1 KiB all-reduce: within 5% of its measured time
    from accelopt.distributed.collectives import ring_model_s

    small = res.of("all_reduce")[0]
    model_s = ring_model_s(small.size_bytes, 2, res.link_latency_s, res.link_bandwidth_byte_per_s)
    assert model_s == pytest.approx(small.time_s, rel=0.05)


def test_link_model_error_is_reported_and_warned_of_past_the_bound() -> None:
    """The worst relative miss of plan's ring model over the measured all-reduce sizes is kept (JSON), said in the
    saved source, and past LINK_MODEL_MAX_ERROR warned of on the console, in HTML and by plan --collectives."""
    from accelopt.measure.collective_figures import LINK_MODEL_MAX_ERROR, link_fit_warning
    from accelopt.report import schema
    from accelopt.report.plan_warnings import measured_lines

    kneed = build_result(_kneed_rank0(DEFAULT_SIZES_BYTES, alpha_s=67e-6, bw=1e9, p=2), "gloo", "cpu", 2)
    assert kneed.link_model_error is not None and abs(kneed.link_model_error) > LINK_MODEL_MAX_ERROR
    # the model (67 us x 2 + S / busbw at 16 MiB, past the knee's slope) overstates the 64 KiB time most
    assert kneed.link_model_error > 0 and kneed.link_model_error_size_bytes == 65536
    assert kneed.link_warning is not None and "64 KiB" in kneed.link_warning
    assert link_fit_warning(kneed.source) == kneed.link_warning
    measured = SimpleNamespace(source=kneed.source, text=lambda: "scale-up link (measured)")
    assert any(kneed.link_warning in line for line in measured_lines(measured))
    steady = build_result(_rank0(alpha=20e-6, bw=5e9, p=4), "gloo", "cpu", 4)
    assert steady.link_warning is None and link_fit_warning(steady.source) is None
    # exact ring times: the model with the fitted alpha and B gives every one back (2026-12-05, utdist: it missed the
    # largest size by its latency share, 8.7%, when B was the busbw there)
    assert steady.link_model_error == pytest.approx(0.0, abs=1e-9)
    doc = schema.dump("probe", dataclasses.replace(_probe_result(), collectives=kneed))
    assert doc["collectives"]["link_model_error"] == pytest.approx(kneed.link_model_error)
    assert doc["collectives"]["link_warning"] == kneed.link_warning
    from rich.console import Console

    from accelopt.report.distributed_view import render_collectives
    from accelopt.report.html import _collectives_table

    console = Console(record=True, width=400)
    render_collectives(kneed, console)
    text = console.export_text()
    assert "+61% at 64 KiB" in text and f"warning link for plan: {kneed.link_warning}" in " ".join(text.split())
    assert kneed.link_warning in _collectives_table(kneed).note and kneed.latency_how in _collectives_table(kneed).note


def test_an_older_probes_least_squares_latency_is_said_to_be_one() -> None:
    """A probe document before schema 8 (its link source names the least-squares intercept) is not said to be the
    new two-point line nor an upper bound; it has no model error (null), and renders without one."""
    from accelopt.measure.collective_figures import LATENCY_FIT_LEAST_SQUARES

    new = build_result(_rank0(alpha=20e-6, bw=5e9, p=4), "gloo", "cpu", 4)
    old = dataclasses.replace(new, source=f"...; latency = {LATENCY_FIT_LEAST_SQUARES} (ring model)",
                              link_model_error=None, link_model_error_size_bytes=None)
    assert "least-squares" in old.latency_how and old.model_error_text == ""


def test_link_warning_reaches_json_mode_stderr_and_the_html_warnings(capsys: pytest.CaptureFixture[str]) -> None:
    """With --json the console's warnings go to stderr; the poor ring-model fit of the link is one of them, and the
    HTML page lists it with the collectives' other warnings."""
    from accelopt.cli.probe import _warn_on_stderr
    from accelopt.report.html import _probe_tables

    kneed = build_result(_kneed_rank0(DEFAULT_SIZES_BYTES, alpha_s=67e-6, bw=1e9, p=2), "gloo", "cpu", 2)
    assert kneed.link_warning is not None
    result = dataclasses.replace(_probe_result(), collectives=kneed)
    _warn_on_stderr(result)
    assert f"link for plan: {kneed.link_warning}" in " ".join(capsys.readouterr().err.split())
    rows = [row for t in _probe_tables(result) for row in t.rows]
    assert [row for row in rows if f"link for plan: {kneed.link_warning}" in row]


def test_a_whole_socket_cpu_spec_against_ranks_on_few_threads_is_said() -> None:
    """utopt2: `profile --nproc 2 --parallel ddp --catalog-device xeon-8480plus` on a 2-core machine printed compute
    predicted 383 us vs measured 7.13 ms (-94.6%) with only '1/2 of the CPU's cores': each rank was predicted on 28 of
    the socket's 56 cores and ran on 1 torch thread, which nothing said."""
    from accelopt.distributed.predict_check import _rank_share
    from accelopt.distributed.types import CommTime, DistributedResult, RankResult
    from accelopt.hardware.catalog import get_device

    spec = get_device("xeon-8480plus")
    assert spec.cores == 56
    ranks = [RankResult(rank=r, world_size=2, host="h", step_times_s=[0.01] * 3, losses=[1.0], threads=1,
                        comm=CommTime(comm_s=0.002, overlapped_s=0.001, compute_s=0.006), peak_memory_bytes=1.0,
                        memory_source="test") for r in range(2)]
    run = DistributedResult(name="m", parallel="ddp", schedule=None, nproc=2, nnodes=1, backend="gloo",
                            device="cpu", global_batch=4, microbatches=1, ranks=ranks, single=None)
    share, notes = _rank_share(run, spec)
    assert share == 0.5
    said = [n for n in notes if "torch thread" in n]
    assert len(said) == 1 and "each rank 28 of xeon-8480plus's 56 cores" in said[0] and "1/28" in said[0], notes
    whole = [dataclasses.replace(r, threads=28) for r in ranks]  # ranks using their share of the socket: no note
    assert not any("torch thread" in n for n in _rank_share(dataclasses.replace(run, ranks=whole), spec)[1])
