"""Roofline per op: measured op times (torch.profiler) against the device's compute and memory ceilings.

The roofline model (Williams, Waterman, Patterson, "Roofline: an insightful visual performance
model for multicore architectures", CACM 52(4), 2009): an op with F FLOPs and B bytes of memory
traffic cannot run faster than

    t_roof = max(F / peak_flop_per_s, B / memory_bandwidth_byte_per_s)            (Williams et al., eq. 1)

and its arithmetic intensity I = F / B compared with the ridge point peak / bandwidth says which
term binds (I >= ridge: compute-bound, I < ridge: memory-bound). An op whose measured time is far
above t_roof and whose calls are short is dominated by per-call cost (Python and dispatcher work,
kernel launches) rather than by either ceiling: overhead-bound (H. He, "Making Deep Learning Go
Brrrr From First Principles", 2022, section "Overhead").

Work (FLOPs, bytes) comes from the captured Workload; time comes from the profiler. They are
joined by aten op name (aggregated over the step), since the capture (TorchDispatchMode) and the
profiler both see ops below autograd.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accelopt.errors import InputError, MeasurementError

# An op attaining < 10% of its roofline bound is far from both ceilings ...
OVERHEAD_EFFICIENCY = 0.10
# ... and if its calls also average under 50 µs, per-call cost (CUDA launch ~5 µs, PyTorch eager
# dispatch ~several µs per op, He 2022) is the likely cause rather than a slow kernel.
OVERHEAD_CALL_S = 50e-6

VERDICTS = ("compute-bound", "memory-bound", "overhead-bound")


@dataclass(frozen=True, kw_only=True)
class Ceilings:
    """The two roofs: peak FLOP/s for the dtype in use and memory bandwidth, with their origin."""

    peak_flop_per_s: float
    memory_bandwidth_byte_per_s: float
    dtype: str
    source: str
    """'catalog <name>', 'probed <file>' or 'quick in-process measurement' (see quick_ceilings)."""
    is_measured: bool

    @property
    def ridge_flop_per_byte(self) -> float:
        return self.peak_flop_per_s / self.memory_bandwidth_byte_per_s

    def to_dict(self) -> dict[str, Any]:
        return {"peak_flop_per_s": self.peak_flop_per_s,
                "memory_bandwidth_byte_per_s": self.memory_bandwidth_byte_per_s, "dtype": self.dtype,
                "source": self.source, "is_measured": self.is_measured,
                "ridge_flop_per_byte": self.ridge_flop_per_byte}


@dataclass(frozen=True, kw_only=True)
class RooflineRow:
    """One op name aggregated over a step (times are per step)."""

    op: str
    calls_per_step: float
    time_s: float
    flops: float
    bytes: float
    intensity_flop_per_byte: float | None
    attained_flop_per_s: float
    attained_byte_per_s: float
    roofline_time_s: float
    efficiency: float | None
    """roofline_time_s / time_s: the fraction of the roofline bound attained (1 = at the roof)."""
    verdict: str
    kinds: tuple[str, ...]
    dtypes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


def ceilings_from_spec(spec: Any, dtype: str, label: str) -> Ceilings | None:
    """Ceilings from an AcceleratorSpec for `dtype`, or None where the spec does not define the peak."""
    peak = spec.peak(dtype)
    if peak is None or not spec.memory_bandwidth_byte_per_s:
        return None
    return Ceilings(peak_flop_per_s=float(peak), memory_bandwidth_byte_per_s=float(spec.memory_bandwidth_byte_per_s),
                    dtype=dtype, source=label, is_measured=bool(spec.measured))


def quick_ceilings(device: str, dtype: str, *, repeats: int = 3) -> Ceilings:
    """Measure both roofs in well under a second: the best of a few square matmuls and large copies.

    A lower bound on the device's real peaks (one shape, few repeats); `accelopt probe` sweeps more.
    Matmul FLOPs = 2 n^3; a copy moves 2 x nbytes (read + write).
    """
    import torch

    from accelopt.measure.timing import cuda_sync_for, time_fn

    tdt = torch_dtype(dtype)
    sync = cuda_sync_for(device)
    n = 4096 if device.startswith("cuda") else 1024
    a = torch.randn(n, n, device=device).to(tdt)
    b = torch.randn(n, n, device=device).to(tdt)
    mm = time_fn(lambda: torch.mm(a, b), warmup=1, repeats=repeats, sync=sync)
    elems = (64 if device.startswith("cuda") else 16) * 2**20  # 256 MiB / 64 MiB of fp32: far above caches
    src = torch.empty(elems, device=device, dtype=torch.float32)
    dst = torch.empty_like(src)
    cp = time_fn(lambda: dst.copy_(src), warmup=1, repeats=repeats, sync=sync)
    return Ceilings(peak_flop_per_s=2 * n**3 / mm.min, memory_bandwidth_byte_per_s=2 * src.nbytes / cp.min,
                    dtype=dtype, source=f"quick in-process measurement ({n}^3 matmul, {src.nbytes // 2**20} MiB copy)",
                    is_measured=True)


def torch_dtype(dtype: str) -> Any:
    import torch

    table = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16, "fp64": torch.float64}
    if dtype not in table:
        raise InputError(f"dtype {dtype!r} is not supported here", "use fp32, bf16 or fp16")
    return table[dtype]


def op_key(name: str) -> str:
    """One name for an op in the workload ('aten.mm.default') and in the profiler ('aten::mm')."""
    if name.startswith("aten::"):
        return name
    parts = name.split(".")
    if parts[0] == "aten" and len(parts) >= 2:
        return "aten::" + parts[1]
    return name


@dataclass(frozen=True, kw_only=True)
class OpTimes:
    """Profiler totals per op name over `steps` steps (self time: children excluded)."""

    self_time_s: dict[str, float]
    calls: dict[str, int]
    steps: int
    time_kind: str
    """'self_cpu_time' (CPU) or 'self_device_time' (GPU kernels)."""
    wall_s: float
    """Wall time of the profiled steps (with the profiler's own overhead), synchronized at the end."""

    @property
    def wall_per_step_s(self) -> float:
        return self.wall_s / self.steps


def profile_op_times(step: Callable[[], None], sync: Callable[[], None], steps: int, device: str,
                     known: Iterable[str] = (), trace_path: str | None = None) -> OpTimes:
    """Run `step()` 1 + `steps` times under torch.profiler (the first as the profiler's warm-up, not
    recorded); self time and calls per op name over the recorded steps.

    `known`: op keys of the workload. An event whose own name is not known is attributed to its
    nearest known ancestor (e.g. CPU's aten::mkldnn_convolution to the aten::convolution the
    capture recorded), so both sides use the same names.
    """
    from torch.profiler import ProfilerActivity, profile, schedule

    if trace_path:
        check_trace_path(trace_path)
    on_gpu = device.startswith("cuda")
    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if on_gpu else [])
    with profile(activities=acts, record_shapes=True, schedule=schedule(wait=0, warmup=1, active=steps)) as prof:
        step()
        sync()
        prof.step()
        t0 = time.perf_counter()
        for i in range(steps):
            step()
            sync()
            if i < steps - 1:  # a step() after the last active step would end the cycle and drop its events
                prof.step()
        wall = time.perf_counter() - t0
    if trace_path:
        prof.export_chrome_trace(str(trace_path))  # logs (does not raise) on failure: check the file instead
        if not Path(trace_path).is_file():
            raise MeasurementError(f"the Chrome trace was not written to {trace_path}",
                                   "check the disk space and permissions of that folder")
    times, calls = _attribute(prof.events(), set(known), on_gpu)
    if not times:
        raise MeasurementError("the profiler recorded no ops", "check that the step runs PyTorch ops")
    return OpTimes(self_time_s=times, calls=calls, steps=steps,
                   time_kind="self_device_time" if on_gpu else "self_cpu_time", wall_s=wall)


def check_trace_path(trace_path: str) -> None:
    """Fail before profiling if the trace cannot be written (torch's exporter only logs errors)."""
    parent = Path(trace_path).resolve().parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise InputError(f"cannot write the trace to {trace_path}: folder {str(parent)!r} is missing or read-only",
                         "pass a --trace path in an existing, writable folder")


def _attribute(events: Iterable[Any], known: set[str], on_gpu: bool) -> tuple[dict[str, float], dict[str, int]]:
    """Self time (s) and calls per op name, each event charged to its nearest known ancestor."""
    times: dict[str, float] = defaultdict(float)
    calls: dict[str, int] = defaultdict(int)
    for ev in events:
        if ev.name.startswith("ProfilerStep"):
            continue
        if on_gpu and not str(getattr(ev, "device_type", "CPU")).endswith("CPU"):
            continue  # a kernel's own event: its time is already in the launching op's self_device_time_total
        us = float(ev.self_device_time_total if on_gpu else ev.self_cpu_time_total)
        owner, e = ev.name, ev
        while e is not None:
            if e.name in known:
                owner = e.name
                break
            e = e.cpu_parent
        times[owner] += us * 1e-6
        if owner == ev.name:
            calls[owner] += 1
    return dict(times), dict(calls)


def _workload_by_key(ops: Iterable[Any]) -> dict[str, dict[str, Any]]:
    agg: dict[str, dict[str, Any]] = {}
    for o in ops:
        a = agg.setdefault(op_key(o.name), {"flops": 0.0, "bytes": 0.0, "kinds": set(), "dtypes": set()})
        a["flops"] += o.flops * o.count
        a["bytes"] += o.bytes_total * o.count
        a["kinds"].add(o.kind)
        a["dtypes"].add(o.dtype)
    return agg


def classify(*, flops: float, bytes_: float, time_s: float, calls: float, ceilings: Ceilings) -> tuple[str, float]:
    """(verdict, roofline time) for one op; see the module docstring for the rules."""
    t_roof = max(flops / ceilings.peak_flop_per_s, bytes_ / ceilings.memory_bandwidth_byte_per_s)
    if flops == 0 and bytes_ == 0:
        return "overhead-bound", 0.0  # no device work at all: dispatch, views, autograd bookkeeping
    per_call = time_s / calls if calls > 0 else time_s
    if time_s > 0 and t_roof / time_s < OVERHEAD_EFFICIENCY and per_call < OVERHEAD_CALL_S:
        return "overhead-bound", t_roof
    intensity = flops / bytes_ if bytes_ > 0 else float("inf")
    return ("compute-bound" if intensity >= ceilings.ridge_flop_per_byte else "memory-bound"), t_roof


def roofline_rows(workload: Any, times: OpTimes, ceilings: Ceilings) -> list[RooflineRow]:
    """Join per-step workload work with per-step profiler time; rows sorted by time, largest first."""
    work = _workload_by_key(workload.ops)
    rows: list[RooflineRow] = []
    for name in set(times.self_time_s) | set(work):
        t = times.self_time_s.get(name, 0.0) / times.steps
        calls = times.calls.get(name, 0) / times.steps
        w = work.get(name, {"flops": 0.0, "bytes": 0.0, "kinds": set(), "dtypes": set()})
        if t <= 0:
            continue  # in the workload but never timed (e.g. folded into another kernel)
        verdict, t_roof = classify(flops=w["flops"], bytes_=w["bytes"], time_s=t, calls=calls, ceilings=ceilings)
        rows.append(RooflineRow(
            op=name, calls_per_step=calls, time_s=t, flops=w["flops"], bytes=w["bytes"],
            intensity_flop_per_byte=(w["flops"] / w["bytes"]) if w["bytes"] > 0 else None,
            attained_flop_per_s=w["flops"] / t, attained_byte_per_s=w["bytes"] / t, roofline_time_s=t_roof,
            efficiency=(t_roof / t) if t_roof > 0 else None, verdict=verdict,
            kinds=tuple(sorted(w["kinds"])), dtypes=tuple(sorted(w["dtypes"]))))
    rows.sort(key=lambda r: r.time_s, reverse=True)
    return rows


def time_by_verdict(rows: Iterable[RooflineRow]) -> dict[str, float]:
    out = dict.fromkeys(VERDICTS, 0.0)
    for r in rows:
        out[r.verdict] += r.time_s
    return out
