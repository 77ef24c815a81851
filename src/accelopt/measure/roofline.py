"""Roofline per op: measured op times (torch.profiler) against the device's compute and memory ceilings.

The roofline model (Williams, Waterman, Patterson, "Roofline: an insightful visual performance
model for multicore architectures", CACM 52(4), 2009): an op with F FLOPs and B bytes of memory
traffic cannot run faster than

    t_roof = max(F / peak_flop_per_s, B / memory_bandwidth_byte_per_s)            (Williams et al., eq. 1)

and its arithmetic intensity I = F / B compared with the ridge point peak / bandwidth says which
term binds (I >= ridge: compute-bound, I < ridge: memory-bound). Every op call also pays a fixed
cost whatever its size (Python and dispatcher work, on a GPU the kernel launch; H. He, "Making Deep
Learning Go Brrrr From First Principles", 2022, section "Overhead"). That cost, c0, is measured in
process: the median profiler self time of a trivial aten op (a 1-element add), read with the same
profiler and time kind as the model's ops. An op is overhead-bound when that fixed cost makes up at
least half of its time (dispatches x c0 >= time / 2, counting each aten call charged to the op,
its children's too) and the roofline bound does not explain it
(t_roof < time / 2); ops doing no work at all (views, bookkeeping) are overhead-bound too. For this
rule `time` is the op's calls x its median call time, not the sum, so that one preempted call does not
flip the verdict (c0 is a median too; the table's time column stays the sum).

On a CPU the memory roof depends on where an op's data lives: an op whose working set (its bytes per
call) fits a cache level runs at that level's bandwidth, not DRAM's (the cache-aware roofline of Ilic,
Pratas & Sousa, "Cache-aware Roofline model", IEEE CAL 13(1), 2014). Quick in-process roofs measure
each level's copy bandwidth (L2 and up, arrays sized to a quarter of the level each) and DRAM's
(arrays well above the last level); each op is judged against the level its working set fits, and
the row says which roof decided its verdict.

Non-matmul ops (elementwise, normalization, reductions) run on vector units, not on matrix
engines, so their compute roof is the vector peak where a spec gives one (a bf16/fp16 model's: the fp32
peak, CUDA cores on a GPU; an fp64 model's: the fp64 one, see vector_roof); matmul, convolution and
attention use the peak of the dtype in use.

Work (FLOPs, bytes) comes from the captured Workload; time comes from the profiler. They are
joined by aten op name (aggregated over the step), since the capture (TorchDispatchMode) and the
profiler both see ops below autograd.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accelopt import dtypes
from accelopt.errors import MeasurementError
from accelopt.units import unit
from accelopt.workload.types import MATMUL_LIKE

OVERHEAD_SHARE = 0.5
"""An op is overhead-bound when its fixed per-call cost (calls x measured c0) is at least this share of
its time, i.e. the work itself takes at most as long as the fixed cost of issuing it. The 0.5 is an
assumption (the break-even point, our choice; no published source). Override in Python:
`accelopt.measure.roofline.OVERHEAD_SHARE = 0.3`."""
OVERHEAD_PROBE_CALLS = 200
"""Trivial-op calls profiled to measure c0 (the median is kept, so a few preempted calls do not matter)."""
QUICK_MM_CALL_S = 0.05
"""quick_ceilings stops growing the matmul once one call takes this long (slow dtypes, e.g. CPU bf16).
A run-time budget (assumption, our choice); it bounds how long the quick probe runs, and the peak it
reports is still a measured value."""

VERDICTS = ("compute-bound", "memory-bound", "overhead-bound", "unmodeled")
"""'unmodeled': an op with no FLOP formula (workload.meta['unmodeled_ops'], e.g. an LSTM layer): its time is
measured, its FLOPs read 0, so its intensity would call it memory-bound whatever it does; its bound is unknown."""


@dataclass(frozen=True, kw_only=True)
class CacheRoof:
    """A cache level's capacity and measured copy bandwidth (read + write bytes per second)."""

    name: str
    """'L2', 'L3', ..."""
    capacity_bytes: float = unit("B")
    bandwidth_byte_per_s: float = unit("B/s")


@dataclass(frozen=True, kw_only=True)
class Ceilings:
    """The two roofs: peak FLOP/s for the dtype in use and memory bandwidth, with their origin."""

    peak_flop_per_s: float = unit("FLOP/s")
    memory_bandwidth_byte_per_s: float = unit("B/s")
    dtype: str
    source: str
    """'catalog <name>', 'probed <file>' or 'quick in-process measurement' (see quick_ceilings)."""
    is_measured: bool
    vector_peak_flop_per_s: float | None = unit("FLOP/s", default=None)
    """Compute roof of non-matmul ops (vector_peak_label says which peak); None = peak_flop_per_s."""
    vector_peak_label: str = "fp32 vector"
    """Which peak vector_peak_flop_per_s is ('fp32 vector', 'fp64 vector'), or the default used in place of one the
    catalog lacks, said as such (vector_roof)."""
    lower_bound: bool = False
    """True for a quick measurement: a lower bound on the real roofs, lifted to what ops attain."""
    cache_roofs: tuple[CacheRoof, ...] = ()
    """Cache levels, smallest first; an op whose working set fits one is judged against its bandwidth."""
    noisy: tuple[str, ...] = ()
    """Roofs whose repeated measurements spread widely (they may be low): flagged, not hidden."""

    def memory_roof_for(self, working_set_bytes: float) -> tuple[str, float]:
        """(roof name, bandwidth) that applies to an op touching `working_set_bytes` per call."""
        for c in self.cache_roofs:
            if working_set_bytes <= c.capacity_bytes:
                return c.name, c.bandwidth_byte_per_s
        return "DRAM", self.memory_bandwidth_byte_per_s

    def peak_for(self, kinds: Iterable[str]) -> float:
        """The compute roof of an op of these kinds: matrix peak for matmul-like, else the vector peak."""
        if self.vector_peak_flop_per_s is None or set(kinds) & MATMUL_LIKE:
            return self.peak_flop_per_s
        return self.vector_peak_flop_per_s

    @property
    def ridge_flop_per_byte(self) -> float:
        return self.peak_flop_per_s / self.memory_bandwidth_byte_per_s

    def to_dict(self) -> dict[str, Any]:
        return {"peak_flop_per_s": self.peak_flop_per_s,
                "memory_bandwidth_byte_per_s": self.memory_bandwidth_byte_per_s, "dtype": self.dtype,
                "source": self.source, "is_measured": self.is_measured,
                "ridge_flop_per_byte": self.ridge_flop_per_byte,
                "vector_peak_flop_per_s": self.vector_peak_flop_per_s, "vector_peak_label": self.vector_peak_label,
                "lower_bound": self.lower_bound,
                "cache_roofs": [dataclasses.asdict(c) for c in self.cache_roofs], "noisy": list(self.noisy)}


@dataclass(frozen=True, kw_only=True)
class RooflineRow:
    """One op name aggregated over a step (times are per step)."""

    op: str
    calls_per_step: float = unit("count")
    time_s: float = unit("s")
    flops: float = unit("FLOP")
    bytes: float = unit("B")
    intensity_flop_per_byte: float | None = unit("FLOP/B")
    attained_flop_per_s: float = unit("FLOP/s")
    attained_byte_per_s: float = unit("B/s")
    roofline_time_s: float = unit("s")
    efficiency: float | None = unit("fraction")
    """roofline_time_s / time_s: the fraction of the roofline bound attained (1 = at the roof)."""
    verdict: str
    kinds: tuple[str, ...]
    dtypes: tuple[str, ...]
    dispatches_per_step: float | None = unit("count", default=None)
    """Aten calls charged to this op per step (its own and its children's), each paying the fixed cost."""
    roof: str = ""
    """The roof that decided the verdict: 'compute', 'DRAM', 'L2', 'L3', 'overhead', 'no work', 'no formula' or
    'outside aten' (a custom autograd.Function's own time, CUSTOM_FUNCTION_ROW)."""

    def to_dict(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


def ceilings_from_spec(spec: Any, dtype: str, label: str) -> Ceilings | None:
    """Ceilings from an AcceleratorSpec for `dtype`, or None where the spec does not define the peak.

    The vector roof of non-matmul ops: vector_roof."""
    peak = spec.peak(dtype)
    if peak is None or not spec.memory_bandwidth_byte_per_s:
        return None
    vector, vector_label = vector_roof(spec, dtype)
    return Ceilings(peak_flop_per_s=float(peak), memory_bandwidth_byte_per_s=float(spec.memory_bandwidth_byte_per_s),
                    dtype=dtype, source=label, is_measured=bool(spec.measured),
                    vector_peak_flop_per_s=float(vector) if vector else None, vector_peak_label=vector_label)


def vector_roof(spec: Any, dtype: str) -> tuple[float | None, str]:
    """(the compute roof of non-matmul ops of a `dtype` step, what it is): None for fp32 (the fp32 peak is both).

    Below fp32 (bf16, fp16, ...): the fp32 peak (bf16 tensor-core peak for matmuls, fp32 CUDA-core peak for
    elementwise ops). fp64: an fp64 elementwise op runs at the fp64 vector rate, half the fp32 one on a CPU with
    AVX-512 (2 FMA units x 8 fp64 lanes vs 16 fp32 lanes; the catalog's cpu.toml cites the formula), so the fp32 roof
    read 2x high. A CPU's catalog fp64 peak is that vector FMA peak; a GPU's is its FP64 Tensor Core (matrix) peak
    where it has one (nvidia_datacenter.toml: 'fp64 is the FP64 Tensor Core peak', the plain FP64 rate only in the
    notes, e.g. A100 19.5 vs 9.7 TFLOPS), so no fp64 vector peak is catalogued there: the fp64 peak is used and said
    as the default it is (an upper bound on the vector rate). Not every GPU's catalog fp64 is a matrix peak: V100's
    7.8 TFLOPS is its plain FP64 rate (no FP64 Tensor Cores), so the label calls it a matrix peak only where the
    entry's notes say so (fp64_is_matrix_peak), else 'the catalog's fp64 peak'."""
    if dtype == "fp32":
        return None, "fp32 vector"
    if dtype != "fp64":
        return spec.peak("fp32"), "fp32 vector"
    if getattr(spec, "kind", None) == "cpu":
        return spec.peak("fp64"), "fp64 vector"
    name = getattr(spec, "name", "this device")
    # the unit as the entry's notes name it: NVIDIA's Tensor Cores; AMD's are Matrix Cores (MI300X read 'Tensor Core')
    unit = "Tensor Core" if "tensor core" in (getattr(spec, "notes", "") or "").lower() else "matrix core"
    what = (f"its fp64 peak, a matrix ({unit}) peak as its catalog notes say" if fp64_is_matrix_peak(spec)
            else "the catalog's fp64 peak")
    return spec.peak("fp64"), (f"fp64 peak used as the default: the catalog gives no fp64 vector peak for {name}, "
                               f"so {what}, an upper bound")


_FP64_MATRIX_NOTE = re.compile(r"\bfp64(?:/fp32)? (?:is|are) (?:the )?(?:fp64 tensor core|matrix) peaks?\b",
                               re.IGNORECASE)


def fp64_is_matrix_peak(spec: Any) -> bool:
    """Whether `spec`'s catalog notes say its fp64 figure is a matrix peak: nvidia_datacenter.toml's 'fp64 is the
    FP64 Tensor Core peak' (A100, H100), amd_instinct.toml's 'fp64 is the matrix peak' / 'fp64/fp32 are matrix
    peaks' (MI300X, MI250X). An entry that says nothing (V100's plain FP64, a probed spec) is not called one."""
    return bool(_FP64_MATRIX_NOTE.search(getattr(spec, "notes", "") or ""))


def _quick_matmul_peak(device: str, tdt: Any, repeats: int) -> tuple[float, int]:
    """Best FLOP/s (2 n^3 / time) over a few square sizes, and the size that gave it.

    Several sizes because the fastest differs by dtype and machine (e.g. bf16 on a CPU without
    native bf16 units is fastest on small matrices)."""
    import torch

    from accelopt.measure.timing import cuda_sync_for, time_fn

    sync = cuda_sync_for(device)
    best, best_n = 0.0, 0
    for n in ((1024, 4096) if device.startswith("cuda") else (128, 512, 1024)):
        a = torch.randn(n, n, device=device).to(tdt)
        b = torch.randn(n, n, device=device).to(tdt)
        mm = time_fn(lambda: torch.mm(a, b), warmup=1, repeats=repeats, sync=sync)  # noqa: B023 (called here)
        if 2 * n**3 / mm.min > best:
            best, best_n = 2 * n**3 / mm.min, n
        if mm.min > QUICK_MM_CALL_S:
            break  # the next size costs ~8x more: stop while the whole measurement stays near a second
    return best, best_n


def quick_ceilings(device: str, dtype: str, *, repeats: int = 3) -> Ceilings:
    """Measure both roofs in about a second: the best of a few square matmuls and large copies.

    A lower bound on the device's real peaks (few shapes, few repeats; `accelopt probe` sweeps more),
    so `lift_ceilings` raises it to what the step's own ops attain. Matmul FLOPs = 2 n^3; a copy
    moves 2 x nbytes (read + write). For a dtype below fp32 an fp32 matmul gives the vector roof of
    non-matmul ops (TF32 off, so it is the fp32 rate); an fp64 step's non-matmul ops share its fp64 matmul roof
    (an fp32 one read 2x high: vector_roof).
    """
    import torch

    from accelopt.measure.timing import cuda_sync_for

    sync = cuda_sync_for(device)
    peak, n = _quick_matmul_peak(device, torch_dtype(dtype), repeats)
    vector: float | None = None
    if dtype not in ("fp32", "fp64"):
        tf32 = torch.backends.cuda.matmul.allow_tf32
        torch.backends.cuda.matmul.allow_tf32 = False
        try:
            vector, _ = _quick_matmul_peak(device, torch.float32, repeats)
        finally:
            torch.backends.cuda.matmul.allow_tf32 = tf32
    caches = [] if device.startswith("cuda") else _cpu_caches()
    llc = caches[-1][1] if caches else 0.0
    # DRAM: each array 64 MiB (256 MiB on GPUs) and at least 2x the last-level cache, at most 1 GiB
    elems = int(min(max((64 if device.startswith("cuda") else 16) * 2**20, 2 * llc / 4), 2**28))
    dram_bw, dram_noisy = _copy_bandwidth(device, elems, repeats, sync)
    noisy = ["DRAM"] if dram_noisy else []
    roofs = []
    for level, capacity in caches:
        if level < 2:
            continue  # L1 copies are too short to time through torch's call overhead
        bw, is_noisy = _copy_bandwidth(device, int(capacity / 4 / 4), repeats, sync)  # 2 arrays: half the level
        roofs.append(CacheRoof(name=f"L{level}", capacity_bytes=capacity / 2, bandwidth_byte_per_s=max(bw, dram_bw)))
        if is_noisy:
            noisy.append(f"L{level}")
    levels = ", ".join(f"{c.name} {c.capacity_bytes / 2**20:.3g} MiB" for c in roofs)
    return Ceilings(peak_flop_per_s=peak, memory_bandwidth_byte_per_s=dram_bw,
                    dtype=dtype, source=f"quick in-process measurement (best square matmul {n}^3, "
                                        f"{elems * 4 // 2**20} MiB copy" + (f"; cache roofs {levels}" if levels else "")
                                        + ")",
                    is_measured=True, vector_peak_flop_per_s=vector, lower_bound=True, cache_roofs=tuple(roofs),
                    noisy=tuple(noisy))


def _cpu_caches() -> list[tuple[int, float]]:
    from accelopt.measure.probe import cpu_cache_levels

    return cpu_cache_levels()


def _copy_bandwidth(device: str, elems: int, repeats: int, sync: Callable[[], None]) -> tuple[float, bool]:
    """Best copy bandwidth (2 x bytes per call over the fastest call) of fp32 arrays of `elems`, and whether
    the repeated calls spread beyond contention.SPREAD_MAX (a noisy roof, flagged)."""
    import torch

    from accelopt.measure.contention import SPREAD_MAX
    from accelopt.measure.timing import time_fn

    src = torch.rand(max(elems, 1024), device=device)
    dst = torch.empty_like(src)
    cp = time_fn(lambda: dst.copy_(src), warmup=2, repeats=max(repeats, 5), sync=sync, min_time_s=0.05)
    return 2 * src.nbytes / cp.min, cp.spread > SPREAD_MAX


def lift_ceilings(workload: Any, times: OpTimes, ceilings: Ceilings) -> Ceilings:
    """Raise lower-bound roofs (quick_ceilings) to the best FLOP/s and B/s an op of the step attained.

    A roof is an upper bound on what ops attain; a quick measurement of one shape can fall below
    what a real op reaches (other shapes, data in cache), which would read as > 100% of the roof.
    Roofs from a spec (catalog, probe) are left as they are."""
    if not ceilings.lower_bound:
        return ceilings
    peak, vector = ceilings.peak_flop_per_s, ceilings.vector_peak_flop_per_s
    bws = {"DRAM": ceilings.memory_bandwidth_byte_per_s}
    bws.update({c.name: c.bandwidth_byte_per_s for c in ceilings.cache_roofs})
    for name, w in _workload_by_key(workload.ops).items():
        t = times.self_time_s.get(name, 0.0) / times.steps
        if t <= 0:
            continue
        if set(w["kinds"]) & MATMUL_LIKE or vector is None:
            peak = max(peak, w["flops"] / t)
        else:
            vector = max(vector, w["flops"] / t)
        calls = max(times.calls.get(name, 0) / times.steps, 1.0)
        level, _ = ceilings.memory_roof_for(w["bytes"] / calls)  # each level lifted only by ops living in it
        bws[level] = max(bws[level], w["bytes"] / t)
    caches = tuple(dataclasses.replace(c, bandwidth_byte_per_s=bws[c.name]) for c in ceilings.cache_roofs)
    lifted = dataclasses.replace(ceilings, peak_flop_per_s=peak, vector_peak_flop_per_s=vector,
                                 memory_bandwidth_byte_per_s=bws["DRAM"], cache_roofs=caches)
    if lifted == ceilings:
        return ceilings
    return dataclasses.replace(lifted, source=ceilings.source + ", raised to the best an op of this step attained")


def torch_dtype(dtype: str) -> Any:
    return dtypes.torch_dtype(dtype, ("fp32", "bf16", "fp16", "fp64"))


def op_key(name: str) -> str:
    """One name for an op in the workload ('aten.mm.default', a custom op's 'mylib.my_op') and in the profiler
    ('aten::mm', 'mylib::my_op'; capture.op_name)."""
    if "::" in name:
        return name
    parts = name.split(".")
    if 2 <= len(parts) <= 3 and all(part.isidentifier() for part in parts):  # ns.op[.overload], not a range's name
        return f"{parts[0]}::{parts[1]}"
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
    call_overhead_s: float | None = None
    """c0: the fixed cost of one op call, the median self time of a trivial aten op under the same
    profiler (see measure_call_overhead); None = not measured."""
    trace_error: str | None = None
    """Why the Chrome trace could not be written (None = written or not asked for)."""
    dispatches: dict[str, int] = dataclasses.field(default_factory=dict)
    """Timed events charged to each op (its own calls and its children's); empty = use `calls`."""
    typical_time_s: dict[str, float] = dataclasses.field(default_factory=dict)
    """Per op: calls x the median time of one call (its children's events included), over all steps.
    The overhead-bound rule compares this with the fixed cost so that one preempted call, which moves
    the sum, does not flip the verdict (c0 is a median too). Empty = use `self_time_s`."""

    @property
    def wall_per_step_s(self) -> float:
        return self.wall_s / self.steps


@contextlib.contextmanager
def quiet_profiler_log() -> Iterator[None]:
    """Drop the 'USDT: ... profiler_start/stop' lines that torch's profiler (Kineto) writes straight to file
    descriptor 2 at every start and stop; anything else written to stderr meanwhile is passed on."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        os.dup2(tmp.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            tmp.seek(0)
            kept = [ln for ln in tmp.read().decode(errors="replace").splitlines(keepends=True)
                    if not ln.startswith("USDT:")]
            if kept:
                sys.stderr.write("".join(kept))


INPUT_LABEL = "accelopt::input"
"""The torch.profiler record_function range around a profiled step's batch fetch and host-to-device copy
(profiler.StepRunner.input_label): ops under it are the input pipeline, which the breakdown pass measures as data wait
and h2d copy, so _attribute leaves them out of the model's ops. A user's batches() that makes its data with torch ops
(torch.randint, slicing: the synthetic-data pattern of examples/my_model.py) had them as roofline rows, a GRU LM's
aten::randint the top 'overhead-bound' op, counted into 'host overhead' beside the input pipeline's own share."""


CUSTOM_FUNCTION_ROW = "unattributed: custom autograd.Function "
"""The roofline row of a torch.autograd.Function subclass's own time: its forward's event (named as the class) and its
backward's (the class name + 'Backward'), the time outside the aten ops they call. Work done there without aten ops
(numpy, a C extension, a Triton kernel launched directly) is seen neither by the capture (a TorchDispatchMode) nor by
torch's FlopCounterMode, so its FLOPs and bytes count 0; the aten ops the Function calls keep their own rows. The row
read 'NpGelu  overhead-bound  no work' and its time was charged to host overhead."""


def custom_function_rows() -> dict[str, str]:
    """Profiler event name -> roofline row (CUSTOM_FUNCTION_ROW + class name) of every torch.autograd.Function
    subclass defined now: forward events carry the class's name (THPFunction_apply's RECORD_FUNCTION), backward
    events the name of its backward node class, the class name + 'Backward'."""
    import torch

    rows: dict[str, str] = {}
    todo = list(torch.autograd.Function.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        name = cls.__name__
        # the generated backward classes; torch's private ones; torch.library's wrapper around a custom op with
        # register_autograd (torch/_library/autograd.py), whose work is the custom op's own row ('mylib::my_op')
        if name.endswith("Backward") or name.startswith(("_", "GeneratedBackwardFor_")):
            continue
        rows[name] = rows[f"{name}Backward"] = CUSTOM_FUNCTION_ROW + name
    return rows


def _under_input(ev: Any) -> bool:
    """The event is INPUT_LABEL's range or runs inside it."""
    e = ev
    while e is not None:
        if e.name == INPUT_LABEL:
            return True
        e = e.cpu_parent
    return False


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
    with quiet_profiler_log(), \
            profile(activities=acts, record_shapes=True, schedule=schedule(wait=0, warmup=1, active=steps)) as prof:
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
    trace_error = _export_trace(prof, trace_path) if trace_path else None
    dispatches: dict[str, int] = {}
    per_call: dict[str, list[float]] = {}
    times, calls = _attribute(prof.events(), set(known), on_gpu, dispatches, per_call, custom_function_rows())
    if not times:
        raise MeasurementError("the profiler recorded no ops", "check that the step runs PyTorch ops")
    return OpTimes(self_time_s=times, calls=calls, steps=steps,
                   time_kind="self_device_time" if on_gpu else "self_cpu_time", wall_s=wall,
                   call_overhead_s=measure_call_overhead(device, sync), trace_error=trace_error,
                   dispatches=dispatches, typical_time_s=_typical_times(per_call))


def _typical_times(per_call: dict[str, list[float]]) -> dict[str, float]:
    """calls x median call time per op (see OpTimes.typical_time_s)."""
    return {name: len(ts) * statistics.median(ts) for name, ts in per_call.items() if ts}


def _export_trace(prof: Any, trace_path: str) -> str | None:
    """Write the Chrome trace; the reason it failed, or None. The measurement is kept either way."""
    try:
        prof.export_chrome_trace(str(trace_path))  # logs (does not raise) on most failures: check the file
    except (OSError, RuntimeError) as e:
        return f"{type(e).__name__}: {e}"
    return None if Path(trace_path).is_file() else "the profiler did not write the file (disk full or no permission?)"


def measure_call_overhead(device: str, sync: Callable[[], None], calls: int = OVERHEAD_PROBE_CALLS) -> float | None:
    """c0: median profiler self time (the time kind the roofline uses) of a trivial aten op.

    torch.add of two 1-element tensors does almost no work, so its time is the fixed per-call cost
    every op pays: dispatch (and the profiler's own per-op cost, which the model's ops pay too);
    on a GPU, the device time of a minimal kernel."""
    import torch
    from torch.profiler import ProfilerActivity, profile

    on_gpu = device.startswith("cuda")
    x = torch.ones(1, device=device)
    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if on_gpu else [])
    with quiet_profiler_log(), profile(activities=acts) as prof:
        for _ in range(calls):
            torch.add(x, x)
        sync()
    samples = sorted(float(ev.self_device_time_total if on_gpu else ev.self_cpu_time_total) * 1e-6
                     for ev in prof.events() if ev.name == "aten::add")
    return samples[len(samples) // 2] if samples and samples[len(samples) // 2] > 0 else None


def check_trace_path(trace_path: str) -> None:
    """Fail before profiling if the trace cannot be written (torch's exporter only logs errors)."""
    from accelopt.userio import check_writable

    check_writable(trace_path, "--trace", "trace.json")


def _attribute(events: Iterable[Any], known: set[str], on_gpu: bool, dispatches: dict[str, int] | None = None,
               per_call: dict[str, list[float]] | None = None,
               renames: dict[str, str] | None = None) -> tuple[dict[str, float], dict[str, int]]:
    """Self time (s) and calls per op name, each event charged to its nearest known ancestor.

    `renames`: event name -> row name for an event charged to itself (custom_function_rows: a custom
    autograd.Function's forward and backward events share one row).
    `dispatches` (filled if given): events with time charged to each op, its own and its children's
    (e.g. _to_copy's empty_strided and copy_): each pays the fixed per-call cost once.
    `per_call` (filled if given): per op, the time of each of its calls (children's events included)."""
    times: dict[str, float] = defaultdict(float)
    calls: dict[str, int] = defaultdict(int)
    instance_s: dict[int, float] = defaultdict(float)  # id(owning event) -> that call's time
    instance_owner: dict[int, str] = {}
    for ev in events:
        if ev.name.startswith("ProfilerStep") or _under_input(ev):
            continue
        if on_gpu and not str(getattr(ev, "device_type", "CPU")).endswith("CPU"):
            continue  # a kernel's own event: its time is already in the launching op's self_device_time_total
        us = float(ev.self_device_time_total if on_gpu else ev.self_cpu_time_total)
        owner, e, owner_ev = ev.name, ev, ev
        while e is not None:
            if e.name in known:
                owner, owner_ev = e.name, e
                break
            e = e.cpu_parent
        own = owner == ev.name
        owner = (renames or {}).get(owner, owner) if owner not in known else owner
        times[owner] += us * 1e-6
        instance_s[id(owner_ev)] += us * 1e-6
        instance_owner[id(owner_ev)] = owner
        if own:
            calls[owner] += 1
        if dispatches is not None and us > 0:
            dispatches[owner] = dispatches.get(owner, 0) + 1
    if per_call is not None:
        for key, t in instance_s.items():
            per_call.setdefault(instance_owner[key], []).append(t)
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


def classify(*, flops: float, bytes_: float, time_s: float, calls: float, ceilings: Ceilings,
             kinds: Iterable[str] = (), call_overhead_s: float | None = None,
             typical_time_s: float | None = None) -> tuple[str, float]:
    """(verdict, roofline time) for one op; see the module docstring for the rules."""
    verdict, t_roof, _ = classify_with_roof(flops=flops, bytes_=bytes_, time_s=time_s, calls=calls,
                                            ceilings=ceilings, kinds=kinds, call_overhead_s=call_overhead_s,
                                            typical_time_s=typical_time_s)
    return verdict, t_roof


def classify_with_roof(*, flops: float, bytes_: float, time_s: float, calls: float, ceilings: Ceilings,
                       kinds: Iterable[str] = (), call_overhead_s: float | None = None,
                       typical_time_s: float | None = None) -> tuple[str, float, str]:
    """(verdict, roofline time, the roof that decided it) for one op.

    call_overhead_s: the measured fixed cost of one call (c0). Without it, only ops doing no work
    read overhead-bound: the fixed cost is not known, so no time can be charged to it. The memory
    roof is the cache level the op's bytes per call fit (Ceilings.memory_roof_for), else DRAM.
    typical_time_s: calls x the median call time (OpTimes.typical_time_s); the overhead rule uses it in
    place of time_s when given, so that one slow (preempted) call does not decide the verdict."""
    peak = ceilings.peak_for(kinds)
    level, bw = ceilings.memory_roof_for(bytes_ / max(calls, 1.0))
    t_roof = max(flops / peak, bytes_ / bw)
    if flops == 0 and bytes_ == 0:
        return "overhead-bound", 0.0, "no work"  # no device work at all: dispatch, views, autograd bookkeeping
    t_rule = typical_time_s if typical_time_s is not None and typical_time_s > 0 else time_s
    if call_overhead_s is not None and t_rule > 0:
        fixed_s = min(t_rule, max(calls, 1.0) * call_overhead_s)
        if fixed_s >= OVERHEAD_SHARE * t_rule and t_roof < OVERHEAD_SHARE * t_rule:
            return "overhead-bound", t_roof, "overhead"
    intensity = flops / bytes_ if bytes_ > 0 else float("inf")
    if intensity >= peak / bw:
        return "compute-bound", t_roof, "compute"
    return "memory-bound", t_roof, level


def roofline_rows(workload: Any, times: OpTimes, ceilings: Ceilings) -> list[RooflineRow]:
    """Join per-step workload work with per-step profiler time; rows sorted by time, largest first."""
    work = _workload_by_key(workload.ops)
    unmodeled = _unmodeled_keys(workload)
    rows: list[RooflineRow] = []
    for name in set(times.self_time_s) | set(work):
        t = times.self_time_s.get(name, 0.0) / times.steps
        calls = times.calls.get(name, 0) / times.steps
        disp = times.dispatches.get(name, 0) / times.steps if times.dispatches else calls
        w = work.get(name, {"flops": 0.0, "bytes": 0.0, "kinds": set(), "dtypes": set()})
        if t <= 0:
            continue  # in the workload but never timed (e.g. folded into another kernel)
        typical = times.typical_time_s.get(name, 0.0) / times.steps if times.typical_time_s else None
        verdict, t_roof, roof = classify_with_roof(flops=w["flops"], bytes_=w["bytes"], time_s=t, calls=disp,
                                                   ceilings=ceilings, kinds=w["kinds"],
                                                   call_overhead_s=times.call_overhead_s, typical_time_s=typical)
        custom = name.startswith(CUSTOM_FUNCTION_ROW)  # its own work is outside aten: not counted
        no_formula = custom or (name.split("::")[-1] in unmodeled and w["flops"] == 0)  # 'aten::x' -> 'x'
        if no_formula:
            verdict, t_roof, roof = "unmodeled", 0.0, "outside aten" if custom else "no formula"
        rows.append(RooflineRow(
            op=name, calls_per_step=calls, time_s=t, flops=w["flops"], bytes=w["bytes"],
            intensity_flop_per_byte=(w["flops"] / w["bytes"]) if w["bytes"] > 0 and not no_formula else None,
            attained_flop_per_s=w["flops"] / t, attained_byte_per_s=w["bytes"] / t, roofline_time_s=t_roof,
            efficiency=(t_roof / t) if t_roof > 0 else None, verdict=verdict,
            kinds=tuple(sorted(w["kinds"])), dtypes=tuple(sorted(w["dtypes"])), dispatches_per_step=disp,
            roof=roof))
    rows.sort(key=lambda r: r.time_s, reverse=True)
    return rows


def _unmodeled_keys(workload: Any) -> set[str]:
    """Base names ('mkldnn_rnn_layer', as capture keys them) of the ops with no FLOP formula."""
    return set((getattr(workload, "meta", None) or {}).get("unmodeled_ops") or {})


def time_by_verdict(rows: Iterable[RooflineRow]) -> dict[str, float]:
    out = dict.fromkeys(VERDICTS, 0.0)
    for r in rows:
        out[r.verdict] += r.time_s
    return out
