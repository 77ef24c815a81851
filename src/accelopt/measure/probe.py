"""`accelopt probe`: what one local device really delivers, measured.

- Matmul FLOP/s per dtype, the "maximum achievable matmul FLOP/s" way (Stas Bekman, ml-engineering,
  compute/accelerator/benchmarks/mamf-finder.py): time torch.mm over a sweep of shapes and keep the
  best shape, since no single shape reaches a device's best. FLOP = 2·m·n·k (one multiply and one add
  per multiply-accumulate). Inputs are random normal (zeros run faster on some GPUs).
- Memory bandwidth, STREAM-style (McCalpin, STREAM benchmark, "Counting bytes" and the rule that
  each array be at least 4x the size of the last-level caches): copy a->b counts 2 arrays of bytes,
  triad a = b + q·c counts 3 arrays (a write is counted once, no write-allocate).
- On GPUs: host-to-device and device-to-host copies, pinned and pageable; device-to-device between
  every ordered pair of local GPUs.

Every figure is timed with accelopt.measure.timing.time_fn (warm-up, synchronize at both ends,
repeat) and reported as the median with p10/p90 and the relative spread.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import math
import re
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from accelopt.errors import InputError, MeasurementError, UnsupportedError
from accelopt.hardware.catalog_toml import catalog_toml, sourced
from accelopt.hardware.detect import DetectedDevice
from accelopt.hardware.spec import AcceleratorSpec
from accelopt.interrupts import stopped_by
from accelopt.measure.collective_figures import CollectivesResult
from accelopt.measure.contention import (
    LINK_WARNING_MARK,
    SPREAD_MAX,
    THREADS_ENV,
    ContentionReport,
    Watch,
    check_setup,
    saved_warnings,
    spread_warning,
)
from accelopt.measure.timing import Stats, cuda_sync_for, time_fn
from accelopt.paths import accelopt_home
from accelopt.units import RATE_UNITS, GiB, MiB, RateUnit
from accelopt.units import unit as unit_field
from accelopt.userio import with_digest, write_text_whole

CPU_DTYPES = ("fp32", "bf16")
CUDA_DTYPES = ("fp32", "tf32", "bf16", "fp16", "fp8")
MPS_DTYPES = ("fp32", "bf16", "fp16")
Shape = tuple[int, int, int]  # (m, n, k): (m, k) @ (k, n)


# --- results ---------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Figure:
    """One measured rate (FLOP/s or B/s), from repeated timings of a fixed amount of work."""

    DERIVED_UNITS: ClassVar[dict[str, str]] = {"fraction_of_peak": "fraction"}

    metric: str
    """'matmul.bf16', 'stream.copy', 'stream.triad', 'h2d.pinned', 'd2h.pageable', 'd2d.cuda:0->cuda:1'."""
    unit: RateUnit
    """'FLOP/s' or 'B/s' (accelopt.units' names): the unit of median, p10, p90 and catalog_peak."""
    median: float = field(metadata={"doc": "in `unit`"})
    p10: float = field(metadata={"doc": "in `unit`: the rate at the slow end (work / p90 time)"})
    p90: float = field(metadata={"doc": "in `unit`: the rate at the fast end (work / p10 time)"})
    spread: float = unit_field("fraction", "(p90 - p10) / median of the rates above: 0 for a steady measurement")
    n: int = unit_field("count", "timed repeats")
    detail: str
    catalog_peak: float | None = field(default=None, metadata={"doc": "in `unit`: the catalog's figure this is "
                                                                        "compared with (null: none)"})

    def __post_init__(self) -> None:
        if self.unit not in RATE_UNITS:  # a programming error: the probe's own code names the unit
            raise ValueError(f"Figure unit {self.unit!r} is not one of {RATE_UNITS}")

    @property
    def fraction_of_peak(self) -> float | None:
        return self.median / self.catalog_peak if self.catalog_peak else None


def figure_from_times(metric: str, unit: RateUnit, work: float, stats: Stats, detail: str) -> Figure:
    """Turn time stats for `work` units (FLOP or bytes) into a rate figure. The spread is that of the rates shown
    beside it, so (p90 - p10) / median recomputed from the row gives it back; the times' spread differs (a few
    slow repeats stretch the times' p90 without bound while the rate's p10 only nears 0)."""
    median, p10, p90 = work / stats.median, work / stats.p90, work / stats.p10
    return Figure(metric=metric, unit=unit, median=median, p10=p10, p90=p90, spread=rate_spread(median, p10, p90),
                  n=stats.n, detail=detail)


def rate_spread(median: float, p10: float, p90: float) -> float:
    """(p90 - p10) / median of rates: 0 for a steady measurement, nan without a median."""
    return (p90 - p10) / median if median > 0 else float("nan")


def upgrade_spread_of_times(body: dict[str, Any]) -> dict[str, Any]:
    """A probe document of versions 1-3 in version 4's meaning: its figures' `spread` was the spread of the times;
    it is recomputed from the rates the figure carries (median, p10, p90)."""
    figures = body.get("figures")
    if not isinstance(figures, list):
        return body
    new = [{**f, "spread": rate_spread(f["median"], f["p10"], f["p90"])}
           if isinstance(f, dict) and all(isinstance(f.get(k), (int, float)) for k in ("median", "p10", "p90"))
           else f for f in figures]
    return {**body, "figures": new}


_LEGACY_RATE_UNITS = {"flop_per_s": "FLOP/s", "byte_per_s": "B/s"}
"""A figure's unit as documents of versions 1-4 named it, and its accelopt.units name."""


def upgrade_unit_names(body: dict[str, Any]) -> dict[str, Any]:
    """A probe document of version 4 in version 5's shape: its figures' `unit` ('flop_per_s', 'byte_per_s') in
    accelopt.units' names ('FLOP/s', 'B/s'); an unknown name is left for the schema check to report."""
    figures = body.get("figures")
    if not isinstance(figures, list):
        return body
    new = [{**f, "unit": _LEGACY_RATE_UNITS[f["unit"]]} if isinstance(f, dict) and f.get("unit") in _LEGACY_RATE_UNITS
           else f for f in figures]
    return {**body, "figures": new}


def upgrade_from_v3(body: dict[str, Any]) -> dict[str, Any]:
    """Versions 1-3: the spread recomputed from the rates (upgrade_spread_of_times), then the unit names."""
    return upgrade_unit_names(upgrade_spread_of_times(body))


@dataclass(frozen=True, kw_only=True)
class LadderPoint:
    """One square matmul of the op-size ladder (measure_ladder)."""

    side: int = unit_field("count", "n of the n x n x n matmul")
    flops: float = unit_field("FLOP", "2 n^3")
    median_s: float = unit_field("s", "median time of one call")


@dataclass(kw_only=True)
class ProbeResult:
    """`accelopt probe`: measured rates of one local device, beside its catalog figures."""

    SCHEMA_KIND: ClassVar[str] = "probe"
    SCHEMA_VERSION: ClassVar[int] = 12
    READS_VERSIONS: ClassVar[tuple[int, ...]] = (5, 6, 7, 8, 9, 10, 11)
    UPGRADES: ClassVar[dict[int, Callable[[dict[str, Any]], dict[str, Any]]]] = {
        1: upgrade_from_v3, 2: upgrade_from_v3, 3: upgrade_from_v3, 4: upgrade_unit_names}
    """Version 2 added `collectives`; version 3 its figures' p10_s/p90_s/spread and its `contention` (documents
    without them still load); version 4 made a figure's `spread` that of its rates, not of its times (older
    documents load with it recomputed from their rates: upgrade_spread_of_times); version 5 names a figure's
    `unit` as accelopt.units does, 'FLOP/s' or 'B/s' (was 'flop_per_s' / 'byte_per_s': upgrade_unit_names); version
    6 added the matmul ladder and its fitted curve (ladder_dtype, ladder, curve_*; version 5 reads without them);
    version 7 the curve's fit error and the warning of a poor fit (curve_fit_error, curve_warning; 5 and 6 read
    without them); version 8 the collectives' link latency from the line through the smallest and largest
    all-reduce, and how far the ring model misses the measured all-reduce (collectives.link_model_error,
    link_model_error_size_bytes, link_warning; 5 to 7 read without them, their latency said to be a least-squares
    fit); version 9 a collective figure's asked_size_bytes, the size asked for beside the size moved where the
    rounding to whole fp32 elements per rank changed it (5 to 8 read without it); version 10 core_share and
    core_share_note, the share of a CPU catalog entry's cores the probe ran on where it used fewer (5 to 9 read
    without them); version 11 collectives.link_model_tolerance and other_ops_model_checks, plan's model of the
    all-gather, reduce-scatter and all-to-all with the link judged by that tolerance (5 to 10 read without them);
    version 12 collectives.figures[].model_time_s and model_error, plan's time for each measured collective and size
    with the run's link beside it (5 to 11 read without them: the console and page compute it from the link)."""
    DERIVED_UNITS: ClassVar[dict[str, str]] = {"best_matmul_metric": "", "ridge_flop_per_byte": "FLOP/B"}

    device: DetectedDevice
    host: str
    date: str
    """UTC date and time of the run, ISO 8601."""
    torch_version: str
    quick: bool
    threads: int = unit_field("count")
    """torch.get_num_threads() during the run (CPU matmul and copies use these)."""
    figures: list[Figure] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """(metric, why) for what was not measured."""
    catalog_name: str | None = None
    duration_s: float = unit_field("s", default=0.0)
    llc_bytes: float | None = unit_field("B", default=None)
    """Last-level cache (CPU, all instances) or L2 (GPU) size used to size the STREAM arrays."""
    contention: ContentionReport = field(default_factory=ContentionReport)
    """Signs that the machine was busy while probing, and which figures they disturbed."""
    interrupted: bool = False
    """True when Ctrl-C stopped the run: `figures` holds what was measured before it."""
    saved_spec: str | None = None
    """Where the measured spec was written (`--save`), or None."""
    save_error: str | None = None
    """Why writing the measured spec failed (problem — fix), or None."""
    collectives: CollectivesResult | None = None
    """`--collectives`: the collective benchmark over ranks of this machine, or None."""
    ladder_dtype: str | None = None
    """dtype of the op-size ladder (ladder_dtype(): fp32 where measured); None when not measured."""
    ladder: list[LadderPoint] = field(default_factory=list)
    """Square matmuls of LADDER_SIDES, smallest first: the measured spec's op-size curve for `plan infer` is fitted
    on them (accelopt probe --save); empty when not measured (interrupted, or no float matmul figure)."""
    curve_matmul_eff_max: float | None = unit_field("fraction", "op-size curve fitted on `ladder` for `plan "
                                                     "infer` (predict/inference.py eff(F)): fraction of the peak "
                                                     "large ops reach; null when none was fitted", default=None)
    curve_matmul_half_flop: float | None = unit_field("FLOP", "the same curve: FLOP of an op at half of "
                                                      "curve_matmul_eff_max; null when none was fitted", default=None)
    curve_source: str | None = None
    """What the curve was fitted on and how well (the saved spec's source of it), or None."""
    curve_fit_error: float | None = unit_field("", "mean |log(curve time / ladder time)| of the fitted curve over "
                                               "the ladder; null when none was fitted", default=None)
    curve_warning: str | None = None
    """Why the fitted curve is not to be trusted (its fit error past the bound of
    predict.inference_validation.MEASURED_CURVE_MAX_ERROR), or None; saved in the spec with the curve's source."""
    core_share: float | None = unit_field("fraction", "threads / cores of the compared CPU catalog entry, whose "
                                          "figures are a whole socket's, where the probe ran on fewer threads than "
                                          "it has cores (a matmul's % of catalog is at most this if the peak "
                                          "scales with cores); null otherwise", default=None)
    core_share_note: str | None = None
    """What core_share means for the % of catalog column (measure.diagnose.socket_share_note, the note `profile`
    gives its MFU against a CPU entry), or None."""

    def get(self, metric: str) -> Figure | None:
        return next((f for f in self.figures if f.metric == metric), None)

    def curve_text(self) -> str | None:
        """The fitted op-size curve as the console and the HTML page print it, or None when none was fitted."""
        if self.curve_matmul_eff_max is None or self.curve_matmul_half_flop is None:
            return None
        return (f"op-size curve for `plan infer`: matmul_eff_max {self.curve_matmul_eff_max:.2f}, matmul_half_flop "
                f"{self.curve_matmul_half_flop:.3g} FLOP, {self._curve_source()}")

    def _curve_source(self) -> str:
        source = self.curve_source or "fitted by accelopt probe on its matmul ladder"
        return source + (f"; WARNING, a poor fit: {self.curve_warning}" if self.curve_warning else "")

    def inference_curve(self) -> tuple[dict[str, float], str] | None:
        """The fitted op-size curve as a spec's inference_curve table and its source (spec_toml's `curve`; a poor
        fit's warning, curve_warning, included), or None."""
        if self.curve_matmul_eff_max is None or self.curve_matmul_half_flop is None:
            return None
        return ({"matmul_eff_max": self.curve_matmul_eff_max, "matmul_half_flop": self.curve_matmul_half_flop},
                self._curve_source())

    def matmul(self) -> list[Figure]:
        return [f for f in self.figures if f.metric.startswith("matmul.")]

    def best_matmul(self) -> Figure | None:
        mm = self.matmul()
        return max(mm, key=lambda f: f.median) if mm else None

    @property
    def ridge_flop_per_byte(self) -> float | None:
        """Measured ridge point: best matmul FLOP/s over triad bandwidth (FLOP per byte)."""
        best, triad = self.best_matmul(), self.get("stream.triad")
        if best is None or triad is None:
            return None
        return best.median / triad.median

    @property
    def best_matmul_metric(self) -> str | None:
        best = self.best_matmul()
        return best.metric if best else None


# --- plan ------------------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Step:
    """One measurement to run: `run()` returns a Figure or raises UnsupportedError/MeasurementError."""

    metric: str
    budget_s: float
    """Time this step is expected to take (for the up-front estimate)."""
    run: Callable[[], Figure]


@dataclass(frozen=True, kw_only=True)
class ProbeSettings:
    """Sizes and time budgets; `settings_for` picks them per device and mode.

    The time budgets (seconds per shape, per STREAM kernel, per transfer) and the warm-up thresholds in
    `measure_matmul` are assumptions (our choice) that trade probe run time against timing noise; they
    decide how long each figure is measured, not its value, which is always a measurement. `--quick`
    picks the shorter set; other budgets need a ProbeSettings passed to `build_steps` in Python.
    """

    shapes: dict[str, list[Shape]]
    """Matmul shapes per dtype, smallest first (the sweep stops once one call exceeds max_call_s)."""
    shape_budget_s: float
    max_call_s: float
    stream_bytes: int
    """Bytes per STREAM array."""
    stream_budget_s: float
    transfer_bytes: int = 256 * MiB
    transfer_budget_s: float = 1.0
    ladder_budget_s: float = 0.05
    """Seconds per shape of the op-size ladder (LADDER_SIDES): its calls take microseconds to milliseconds."""


def _squares(*sizes: int) -> list[Shape]:
    return [(s, s, s) for s in sizes]


def settings_for(device: DetectedDevice, quick: bool, llc_bytes: float | None) -> ProbeSettings:
    """Shapes and sizes: CPU sweeps reach 2048^3 for every dtype, where AMX/AVX512-BF16 CPUs reach their
    bf16 peak (a quick sweep stopping at 256^3 under-reported bf16 by 2.8x on such a CPU); on a CPU
    without them bf16 runs ~100x slower and the max_call_s rule stops the sweep after the small shapes.
    GPU sweeps include the large shapes where tensor cores peak."""
    if device.kind == "cpu":
        shapes = {"fp32": _squares(512, 1024, 2048) if quick else [*_squares(256, 512, 1024, 1536, 2048, 3072, 4096),
                                                                  (4096, 4096, 1024), (1024, 4096, 4096)],
                  "bf16": _squares(128, 512, 2048) if quick else _squares(64, 128, 256, 384, 512, 1024, 2048)}
        # STREAM rule: >= 4x the last-level caches; at least 64 MiB when the cache size is unknown or tiny.
        stream = int(max(4 * (llc_bytes or 0), 64 * MiB))
        mem = device.memory_bytes or 0
        if mem:
            stream = int(min(stream, mem / 16))  # 3 arrays stay under ~20% of RAM
        return ProbeSettings(shapes=shapes, shape_budget_s=0.5 if quick else 2.0, max_call_s=0.5 if quick else 3.0,
                             stream_bytes=stream, stream_budget_s=1.5 if quick else 4.0)
    big = _squares(4096, 8192) if quick else [*_squares(1024, 2048, 4096, 6144, 8192, 16384),
                                              # shapes that reached the best MAMF on H100/MI300X in
                                              # Bekman's ml-engineering table (m x n x k)
                                              (6144, 17920, 2816), (4352, 13568, 3840)]
    shapes = {d: list(big) for d in CUDA_DTYPES}
    stream = int(max(4 * (llc_bytes or 0), 256 * MiB, min(1 * GiB, (device.memory_bytes or 0) / 16)))
    return ProbeSettings(shapes=shapes, shape_budget_s=0.3 if quick else 0.6, max_call_s=2.0,
                         stream_bytes=stream, stream_budget_s=0.5 if quick else 1.5,
                         transfer_bytes=(64 if quick else 256) * MiB, transfer_budget_s=0.4 if quick else 1.0)


def check_dtypes(device: DetectedDevice, dtypes: list[str] | None) -> list[str]:
    """Validate --dtypes for the device; None means all the device supports."""
    allowed = {"cpu": CPU_DTYPES, "mps": MPS_DTYPES}.get(device.torch_device.split(":")[0], CUDA_DTYPES)
    if dtypes is None:
        return list(allowed)
    for d in dtypes:
        if d not in allowed:
            raise InputError(f"--dtypes {d!r} is not measured on {device.torch_device}",
                             f"use some of: {', '.join(allowed)}")
    return list(dict.fromkeys(dtypes))


# --- sizes of caches ---------------------------------------------------------------------------------

def cpu_llc_bytes(sysfs: Path = Path("/sys/devices/system/cpu")) -> float | None:
    """Total last-level cache: the highest cache level's size summed over its distinct instances."""
    best_level, instances = 0, dict[str, int]()
    for idx in sysfs.glob("cpu[0-9]*/cache/index[0-9]*"):
        try:
            level = int((idx / "level").read_text())
            kind = (idx / "type").read_text().strip()
            size = _parse_cache_size((idx / "size").read_text())
            shared = (idx / "shared_cpu_list").read_text().strip() if (idx / "shared_cpu_list").exists() else str(idx)
        except (OSError, ValueError):
            continue
        if kind == "Instruction":
            continue
        if level > best_level:
            best_level, instances = level, dict[str, int]()
        if level == best_level:
            instances[shared] = size
    if instances:
        return float(sum(instances.values()))
    return _lscpu_llc()


def cpu_cache_levels(sysfs: Path = Path("/sys/devices/system/cpu")) -> list[tuple[int, float]]:
    """(level, bytes) of each data cache level, summed over its distinct instances among the CPUs this
    process may use (L1d/L2 per core add up across the cores a multi-threaded op runs on); [] when
    sysfs has no cache information."""
    import os

    try:
        usable = set(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = set(range(os.cpu_count() or 1))
    levels: dict[int, dict[str, int]] = {}
    for cpu in sorted(usable):
        for idx in sysfs.glob(f"cpu{cpu}/cache/index[0-9]*"):
            try:
                if (idx / "type").read_text().strip() == "Instruction":
                    continue
                level = int((idx / "level").read_text())
                size = _parse_cache_size((idx / "size").read_text())
                shared = (idx / "shared_cpu_list").read_text().strip() if (idx / "shared_cpu_list").exists() \
                    else str(idx)
            except (OSError, ValueError):
                continue
            levels.setdefault(level, {})[shared] = size
    return [(level, float(sum(inst.values()))) for level, inst in sorted(levels.items())]


def _parse_cache_size(text: str) -> int:
    m = re.fullmatch(r"\s*(\d+)\s*([KMG]?)i?B?\s*", text, flags=re.IGNORECASE)
    if not m:
        raise ValueError(f"cache size {text!r}")
    return int(m.group(1)) * {"": 1, "K": 2**10, "M": 2**20, "G": 2**30}[m.group(2).upper()]


def _lscpu_llc() -> float | None:
    """lscpu's 'L3 cache: 32 MiB (1 instance)' line (util-linux) where sysfs lacks cache info."""
    import shutil
    import subprocess

    if shutil.which("lscpu") is None:
        return None
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=5, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for level in ("L3", "L2"):
        m = re.search(rf"^{level} cache:\s*([\d.]+)\s*([KMG])i?B", out, flags=re.MULTILINE)
        if m:
            return float(m.group(1)) * {"K": 2**10, "M": 2**20, "G": 2**30}[m.group(2)]
    return None


def gpu_l2_bytes(torch: Any, index: int) -> float | None:
    size = getattr(torch.cuda.get_device_properties(index), "L2_cache_size", 0)
    return float(size) if size else None


# --- matmul ----------------------------------------------------------------------------------------

_TORCH_DTYPE = {"fp32": "float32", "tf32": "float32", "bf16": "bfloat16", "fp16": "float16"}


def fp8_unsupported_reason(torch: Any, device: DetectedDevice) -> str | None:
    """None where torch._scaled_mm runs fp8 (e4m3) here; else why not."""
    if device.kind != "gpu" or not device.torch_device.startswith("cuda"):
        return "fp8 matmul is measured on CUDA GPUs only"
    if getattr(torch.version, "hip", None):
        return "fp8 on ROCm uses other formats (e4m3fnuz); not measured"
    if not hasattr(torch, "_scaled_mm") or not hasattr(torch, "float8_e4m3fn"):
        return f"torch {torch.__version__} has no torch._scaled_mm / float8_e4m3fn"
    major, minor = torch.cuda.get_device_capability(device.index or 0)
    if (major, minor) < (8, 9):
        return f"fp8 tensor cores need compute capability 8.9 or newer (this GPU is {major}.{minor})"
    return None


def _matmul_call(torch: Any, dtype: str, shape: Shape, device: str) -> Callable[[], object]:
    m, n, k = shape
    if dtype == "fp8":
        a = torch.randn(m, k, device=device, dtype=torch.bfloat16).to(torch.float8_e4m3fn)
        # _scaled_mm wants the second operand column-major: transpose of a row-major (n, k)
        b = torch.randn(n, k, device=device, dtype=torch.bfloat16).to(torch.float8_e4m3fn).t()
        one = torch.ones((), device=device, dtype=torch.float32)
        return lambda: torch._scaled_mm(a, b, scale_a=one, scale_b=one, out_dtype=torch.bfloat16)
    tdt = getattr(torch, _TORCH_DTYPE[dtype])
    a = torch.randn(m, k, device=device, dtype=tdt)  # (m, k)
    b = torch.randn(k, n, device=device, dtype=tdt)  # (k, n)
    c = torch.empty(m, n, device=device, dtype=tdt)  # (m, n)
    return lambda: torch.mm(a, b, out=c)


class _Tf32:
    """Set torch's TF32 switch for CUDA matmuls for one measurement, restoring it after."""

    def __init__(self, torch: Any, on: bool) -> None:
        self.torch, self.on, self.old = torch, on, False

    def __enter__(self) -> None:
        self.old = self.torch.backends.cuda.matmul.allow_tf32
        self.torch.backends.cuda.matmul.allow_tf32 = self.on

    def __exit__(self, *exc: object) -> None:
        self.torch.backends.cuda.matmul.allow_tf32 = self.old


TRIAL_FACTOR = 4.0
"""measure_matmul times one call of the next shape when the extrapolated time is over max_call_s by at most this
factor, and decides on that call: the extrapolation (the last shape's fastest call x the FLOP ratio) assumes the
rate holds, while a small shape runs below the large-shape rate (fixed per-call cost, or a stall on a busy machine:
15 ms per call at 128^3, 512^3 and 2048^3 alike made 512^3 read "~1.0 s"). The cost of a trial is bounded: at most
one call of about TRIAL_FACTOR x max_call_s where the extrapolation was right."""


def measure_matmul(torch: Any, device: str, dtype: str, shapes: list[Shape], *, shape_budget_s: float,
                   max_call_s: float) -> Figure:
    """Best median FLOP/s over `shapes` (smallest first); stops growing once one call exceeds max_call_s
    (measured, or extrapolated past TRIAL_FACTOR x max_call_s)."""
    sync = sync_for(torch, device)
    best: tuple[float, Figure] | None = None
    tried, stopped = 0, ""
    with _Tf32(torch, dtype == "tf32") if device.startswith("cuda") else _nullcontext():
        last: tuple[Shape, float] | None = None  # (shape, fastest seconds per call)
        for shape in shapes:
            predicted_s = 0.0 if last is None else last[1] * math.prod(shape) / math.prod(last[0])
            if predicted_s > TRIAL_FACTOR * max_call_s:
                stopped = f"; larger shapes skipped (one call would take ~{predicted_s:.1f} s)"
                break
            fn = _matmul_call(torch, dtype, shape, device)
            first_s = _one_call_s(fn, sync)  # also the allocation/autotuning warm-up
            if predicted_s > max_call_s and first_s > max_call_s:
                stopped = (f"; larger shapes skipped (one {'x'.join(map(str, shape))} call took {first_s:.2f} s, "
                           f"over {max_call_s:g} s)")
                break
            tried += 1
            stats = time_fn(fn, warmup=_warmup_calls(first_s), repeats=5, sync=sync,
                            min_time_s=shape_budget_s / 2, max_time_s=shape_budget_s)
            m, n, k = shape
            fig = figure_from_times(f"matmul.{dtype}", "FLOP/s", 2.0 * m * n * k, stats,
                                    f"best of {{tried}} shape(s) at {m}x{n}x{k} (m x n x k)")
            if best is None or fig.median > best[0]:
                best = (fig.median, fig)
            del fn
            last = (shape, stats.min)  # the least disturbed call: one stalled sample does not cap the ladder
    if best is None:
        raise MeasurementError(f"no matmul shape was given for {dtype}", "pass at least one shape")
    fig = best[1]
    return dataclasses.replace(fig, detail=fig.detail.format(tried=tried) + stopped)


LADDER_SIDES = (16, 32, 64, 128, 256, 512)
"""Square matmul sides of the op-size ladder: from a call its fixed cost dominates (16^3, 8 kFLOP) to one the
quick CPU sweep starts at (512^3), the sizes of a small model's layers, which the large-shape peak alone says
nothing about."""
LADDER_DTYPES = ("fp32", "bf16", "fp16")
"""dtypes the ladder may use, in order of preference (ladder_dtype)."""


def ladder_dtype(figures: list[Figure]) -> str | None:
    """fp32 where its matmul was measured, else the faster of bf16 / fp16, else None. `plan infer` times an op of
    F FLOP at dtype r as (F + matmul_half_flop) / (peak_r x matmul_eff_max): the fixed cost the ladder measured,
    held in matmul_half_flop, scales by peak_ladder / peak_r. Fitted on the slowest float (fp32) it shrinks for a
    faster dtype, where the family's op_overhead_s per op still stands; fitted on a fast one (bf16 on an AMX CPU,
    13x fp32) it would grow 13x for an fp32 run."""
    rates = {f.metric.split(".", 1)[1]: f.median for f in figures if f.metric.startswith("matmul.")}
    if "fp32" in rates:
        return "fp32"
    measured = [d for d in LADDER_DTYPES if d in rates]
    return max(measured, key=lambda d: rates[d]) if measured else None


def measure_ladder(torch: Any, device: str, dtype: str, *, budget_s: float) -> list[LadderPoint]:
    """Median time of one n x n x n matmul for each n of LADDER_SIDES, each timed for about `budget_s`."""
    sync = sync_for(torch, device)
    points = []
    with _Tf32(torch, False) if device.startswith("cuda") else _nullcontext():  # fp32 is fp32, as measure_matmul's
        for n in LADDER_SIDES:
            fn = _matmul_call(torch, dtype, (n, n, n), device)
            stats = time_fn(fn, warmup=3, repeats=5, sync=sync, min_time_s=budget_s / 2, max_time_s=budget_s)
            points.append(LadderPoint(side=n, flops=2.0 * n**3, median_s=stats.median))
    return points


def _run_ladder(torch: Any, device: str, result: ProbeResult, budget_s: float) -> None:
    """result.ladder (and ladder_dtype) measured, unless the run was interrupted or measured no float matmul; a
    Ctrl-C here keeps the figures (result.interrupted)."""
    dtype = ladder_dtype(result.figures)
    if result.interrupted or dtype is None:
        return
    try:
        result.ladder = measure_ladder(torch, device, dtype, budget_s=budget_s)
        result.ladder_dtype = dtype
    except KeyboardInterrupt:
        result.interrupted = True
        result.skipped.append(("matmul ladder", f"not measured: interrupted ({stopped_by()})"))
    except (MeasurementError, RuntimeError) as e:  # torch raises RuntimeError for an unsupported kernel
        result.skipped.append(("matmul ladder", str(e).splitlines()[0][:200]))


def _one_call_s(fn: Callable[[], object], sync: Callable[[], None]) -> float:
    import time

    sync()
    t0 = time.perf_counter()
    fn()
    sync()
    return time.perf_counter() - t0


def sync_for(torch: Any, device: str) -> Callable[[], None]:
    """Synchronize `device` itself: torch.cuda.synchronize() alone waits for the current device only,
    which is wrong for cuda:1 or for the second GPU of a device-to-device copy."""
    if device.startswith("cuda"):
        return lambda: torch.cuda.synchronize(device)
    return cuda_sync_for(device)


class _nullcontext:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


# --- bandwidth -------------------------------------------------------------------------------------

def measure_stream(torch: Any, device: str, kernel: str, array_bytes: int, *, budget_s: float) -> Figure:
    """STREAM copy (b = a; 2 arrays of bytes) or triad (a = b + q·c; 3 arrays) on fp32 arrays."""
    n = max(1, array_bytes // 4)
    sync = sync_for(torch, device)
    b = torch.rand(n, device=device)
    c = torch.rand(n, device=device)
    a = torch.empty(n, device=device)
    q = 3.0
    if kernel not in ("copy", "triad"):
        raise InputError(f"STREAM kernel {kernel!r}", "use copy or triad")

    def fn() -> object:
        return a.copy_(b) if kernel == "copy" else torch.add(b, c, alpha=q, out=a)

    moved = (2 if kernel == "copy" else 3) * 4 * n
    stats = time_fn(fn, warmup=2, repeats=5, sync=sync, min_time_s=budget_s / 2, max_time_s=budget_s)
    return figure_from_times(f"stream.{kernel}", "B/s", moved, stats,
                             f"{n * 4 / MiB:.0f} MiB fp32 arrays, {moved // (4 * n)} arrays counted per pass "
                             f"({'1 read + 1 write' if kernel == 'copy' else '2 read + 1 write'}, no write-allocate)")


def measure_transfer(torch: Any, src: str, dst: str, nbytes: int, *, pinned: bool, budget_s: float,
                     metric: str) -> Figure:
    """One-way copy of `nbytes` from `src` to `dst` (host side pinned or pageable); bytes counted once."""
    host_pin = pinned and (src == "cpu" or dst == "cpu")
    x = torch.empty(nbytes, dtype=torch.uint8, device=src, pin_memory=host_pin and src == "cpu")
    y = torch.empty(nbytes, dtype=torch.uint8, device=dst, pin_memory=host_pin and dst == "cpu")
    x.fill_(1)
    syncs = [sync_for(torch, d) for d in {src, dst}]

    def sync() -> None:
        for s in syncs:
            s()

    # non_blocking only helps pinned memory; pageable copies are staged by the driver either way
    stats = time_fn(lambda: y.copy_(x, non_blocking=pinned), warmup=2, repeats=5, sync=sync,
                    min_time_s=budget_s / 2, max_time_s=budget_s)
    host = "pinned" if pinned else "pageable"
    return figure_from_times(metric, "B/s", float(nbytes), stats,
                             f"{nbytes / MiB:.0f} MiB {src} -> {dst}" + (f", {host} host memory" if host_pin or
                                                                         "cpu" in (src, dst) else ""))


# --- plan and run ------------------------------------------------------------------------------------

def cuda_device_count(torch: Any) -> int:
    try:
        return int(torch.cuda.device_count()) if torch.cuda.is_available() else 0
    except Exception:
        return 0


def build_steps(torch: Any, device: DetectedDevice, dtypes: list[str], settings: ProbeSettings,
                skipped: list[tuple[str, str]]) -> list[Step]:
    """The measurements for `device`, in order; what cannot run here goes to `skipped` with why."""
    dev = device.torch_device
    steps: list[Step] = []
    for dt in dtypes:
        if dt == "fp8":
            why = fp8_unsupported_reason(torch, device)
            if why:
                skipped.append(("matmul.fp8", why))
                continue
        if dt == "tf32" and getattr(torch.version, "hip", None):
            skipped.append(("matmul.tf32", "TF32 is an NVIDIA tensor-core format; not measured on ROCm"))
            continue
        shapes = settings.shapes[dt]
        steps.append(Step(metric=f"matmul.{dt}", budget_s=len(shapes) * settings.shape_budget_s,
                          run=_bind_matmul(torch, dev, dt, shapes, settings)))
    for kernel in ("copy", "triad"):
        steps.append(Step(metric=f"stream.{kernel}", budget_s=settings.stream_budget_s,
                          run=_bind_stream(torch, dev, kernel, settings)))
    if device.kind == "gpu" and dev.startswith("cuda"):
        for src, dst, direction in (("cpu", dev, "h2d"), (dev, "cpu", "d2h")):
            for pinned in (True, False):
                metric = f"{direction}.{'pinned' if pinned else 'pageable'}"
                steps.append(Step(metric=metric, budget_s=settings.transfer_budget_s,
                                  run=_bind_transfer(torch, src, dst, pinned, metric, settings)))
        count = cuda_device_count(torch)
        if count < 2:
            skipped.append(("d2d", f"needs 2 or more local GPUs (found {count})"))
        for j in range(count):
            other = f"cuda:{j}"
            if other == dev:
                continue
            for src, dst in ((dev, other), (other, dev)):
                metric = f"d2d.{src}->{dst}"
                steps.append(Step(metric=metric, budget_s=settings.transfer_budget_s,
                                  run=_bind_transfer(torch, src, dst, False, metric, settings)))
    return steps


def _bind_matmul(torch: Any, dev: str, dt: str, shapes: list[Shape], s: ProbeSettings) -> Callable[[], Figure]:
    return lambda: measure_matmul(torch, dev, dt, shapes, shape_budget_s=s.shape_budget_s, max_call_s=s.max_call_s)


def _bind_stream(torch: Any, dev: str, kernel: str, s: ProbeSettings) -> Callable[[], Figure]:
    return lambda: measure_stream(torch, dev, kernel, s.stream_bytes, budget_s=s.stream_budget_s)


def _bind_transfer(torch: Any, src: str, dst: str, pinned: bool, metric: str,
                   s: ProbeSettings) -> Callable[[], Figure]:
    return lambda: measure_transfer(torch, src, dst, s.transfer_bytes, pinned=pinned, budget_s=s.transfer_budget_s,
                                    metric=metric)


def estimate_duration_s(steps: list[Step]) -> float:
    """Sum of the steps' predicted times (`Step.budget_s`, refined by `calibrate_steps` where it ran)."""
    return sum(s.budget_s for s in steps)


def sampling_time_s(call_s: float, budget_s: float) -> float:
    """Time `time_fn(repeats=5, min_time_s=budget/2, max_time_s=budget)` spends sampling calls of `call_s`:
    it stops at 5 samples once budget/2 is measured, or at budget with at least 3 samples."""
    if call_s <= 0:
        return budget_s / 2
    if 5 * call_s >= budget_s / 2:
        return min(5, max(3, math.ceil(budget_s / call_s))) * call_s
    return math.ceil(budget_s / 2 / call_s) * call_s


def _warmup_calls(first_s: float) -> int:
    """measure_matmul's rule: a slow first call is warm-up enough."""
    return 0 if first_s > 0.5 else 1 if first_s > 0.05 else 3


def predict_matmul_s(call_s_of: Callable[[Shape], float], shapes: list[Shape], *, shape_budget_s: float,
                     max_call_s: float) -> float:
    """Predicted time of measure_matmul over `shapes`, given a per-shape call time (same stop rule)."""
    total = 0.0
    last: float | None = None
    for shape in shapes:
        call = call_s_of(shape)
        if last is not None and call > max_call_s:
            total += call if call <= TRIAL_FACTOR * max_call_s else 0.0  # the one call tried before stopping
            break
        total += call * (1 + _warmup_calls(call)) + sampling_time_s(call, shape_budget_s)
        last = call
    return total


def _stream_rates(torch: Any, device: str, nbytes: int = 16 * MiB) -> tuple[float, float] | None:
    """(fill B/s of torch.rand, copy B/s counting 2 arrays) from one 16 MiB pass of each, for the estimate."""
    import time

    sync = sync_for(torch, device)
    try:
        n = nbytes // 4
        t0 = time.perf_counter()
        b = torch.rand(n, device=device)
        sync()
        fill = nbytes / max(time.perf_counter() - t0, 1e-9)
        a = torch.empty(n, device=device)
        a.copy_(b)
        sync()
        t0 = time.perf_counter()
        a.copy_(b)
        sync()
        copy = 2 * nbytes / max(time.perf_counter() - t0, 1e-9)
    except RuntimeError:
        return None
    return fill, copy


def predict_stream_s(metric: str, settings: ProbeSettings, fill_byte_per_s: float, copy_byte_per_s: float) -> float:
    """measure_stream: two arrays filled with torch.rand, 2 warm-up passes, then time_fn's sampling."""
    arrays = 2 if metric == "stream.copy" else 3
    call = arrays * settings.stream_bytes / copy_byte_per_s
    return 2 * settings.stream_bytes / fill_byte_per_s + 2 * call + sampling_time_s(call, settings.stream_budget_s)


def _scaled_call(call_s: float, shape: Shape) -> Callable[[Shape], float]:
    """Call time of any shape at the FLOP rate `shape` ran at."""
    flops = math.prod(shape)
    return lambda other: call_s * math.prod(other) / flops


def calibrate_steps(torch: Any, device: DetectedDevice, steps: list[Step], settings: ProbeSettings) -> list[Step]:
    """Refine each matmul step's predicted time from one timed call of its smallest shape, assuming the FLOP
    rate holds for larger shapes (it usually grows, so this errs long). Costs one small matmul per dtype."""
    import time

    out = []
    stream = _stream_rates(torch, device.torch_device)
    for step in steps:
        dt = step.metric.removeprefix("matmul.")
        if step.metric.startswith("stream.") and stream is not None:
            out.append(dataclasses.replace(step, budget_s=predict_stream_s(step.metric, settings, *stream)))
            continue
        if not step.metric.startswith("matmul.") or dt not in settings.shapes:
            out.append(step)
            continue
        shapes = settings.shapes[dt]
        dev = device.torch_device
        sync = sync_for(torch, dev)
        try:
            with _Tf32(torch, dt == "tf32") if dev.startswith("cuda") else _nullcontext():
                fn = _matmul_call(torch, dt, shapes[0], dev)
                fn()
                sync()
                t0 = time.perf_counter()
                fn()
                sync()
                call0 = time.perf_counter() - t0
        except (RuntimeError, UnsupportedError, MeasurementError):
            out.append(step)
            continue
        predicted = predict_matmul_s(_scaled_call(call0, shapes[0]), shapes,
                                     shape_budget_s=settings.shape_budget_s, max_call_s=settings.max_call_s)
        out.append(dataclasses.replace(step, budget_s=predicted))
    return out


def attach_peaks(figures: list[Figure], spec: AcceleratorSpec | None) -> list[Figure]:
    """Set each figure's catalog peak: matmul vs peak_flop_per_s[dtype], STREAM vs memory bandwidth."""
    if spec is None:
        return figures
    out = []
    for f in figures:
        peak: float | None = None
        if f.metric.startswith("matmul."):
            peak = spec.peak(f.metric.split(".", 1)[1])
        elif f.metric.startswith("stream."):
            peak = spec.memory_bandwidth_byte_per_s
        out.append(dataclasses.replace(f, catalog_peak=peak))
    return out


def run_probe(device: DetectedDevice, *, quick: bool = False, dtypes: list[str] | None = None,
              spec: AcceleratorSpec | None = None, settings: ProbeSettings | None = None,
              on_plan: Callable[[list[Step], float], None] | None = None,
              on_step: Callable[[Step, Figure | None], None] | None = None) -> ProbeResult:
    """Measure `device`. `spec`: catalog entry to compare with (default: the device's mapped entry).

    `on_plan(steps, estimate_s)` is called once before measuring; `on_step(step, figure_or_None)`
    after each step (for progress display).
    """
    import time

    import torch

    if device.kind not in ("cpu", "gpu"):
        raise UnsupportedError(f"probing {device.torch_device!r} ({device.kind}) is not supported",
                               "probe cpu or a CUDA/ROCm GPU (cuda:N)")
    chosen = check_dtypes(device, dtypes)
    if spec is None and device.catalog_name:
        from accelopt.hardware.catalog import get_device

        spec = get_device(device.catalog_name)
    if device.kind == "cpu":
        llc = cpu_llc_bytes()
    elif device.torch_device.startswith("cuda"):
        llc = gpu_l2_bytes(torch, device.index or 0)
    else:
        llc = None
    settings = settings or settings_for(device, quick, llc)
    result = ProbeResult(device=device, host=socket.gethostname(),
                         date=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                         torch_version=str(torch.__version__), quick=quick, threads=int(torch.get_num_threads()),
                         catalog_name=spec.name if spec else None, llc_bytes=llc)
    steps = calibrate_steps(torch, device, build_steps(torch, device, chosen, settings, result.skipped), settings)
    if on_plan:
        on_plan(steps, estimate_duration_s(steps) + len(LADDER_SIDES) * settings.ladder_budget_s)
    t0 = time.perf_counter()
    watch = Watch()
    check_setup(result.contention, threads=result.threads if device.kind == "cpu" else None,
                load_1min=watch.load_1min, figures=[s.metric for s in steps],
                fix=THREADS_ENV.replace("{command}", "probe"))
    figures = _run_steps(steps, result, on_step)
    result.figures = attach_peaks(figures, spec)
    if device.kind == "cpu":
        result.core_share, result.core_share_note = compared_core_share(spec, result.threads)
    _run_ladder(torch, device.torch_device, result, settings.ladder_budget_s)
    result.duration_s = time.perf_counter() - t0
    watch.finish(result.contention, [f.metric for f in figures], threads=result.threads)
    for f in figures:
        if f.spread > SPREAD_MAX:
            result.contention.add(f"{spread_warning(f.metric, f.spread)}; its median is not a reliable figure",
                                  f.metric)
    if not result.figures and result.interrupted:
        raise KeyboardInterrupt
    if not result.figures:
        raise MeasurementError(f"nothing could be measured on {device.torch_device}",
                               "see the skipped list: " + "; ".join(f"{m}: {w}" for m, w in result.skipped))
    return result


def compared_core_share(spec: AcceleratorSpec | None, threads: int) -> tuple[float | None, str | None]:
    """(threads / cores, its note) where `spec` is a CPU entry of more cores than the probe's torch threads: its
    figures are the whole socket's, so 117 GFLOP/s fp32 on 2 threads read as 1.6% of xeon-8480plus (56 cores) with
    no word that 2 of 56 cores bound a matmul to 4% if the peak scales with cores; (None, None) otherwise."""
    from accelopt.measure.diagnose import socket_share, socket_share_note

    note = socket_share_note(spec, threads, "% of catalog", "this probe",
                             "a matmul's % of catalog is at most {share} here; the stream rows need not stay under "
                             "it (memory bandwidth is not shared evenly among the cores)")
    return socket_share(spec, threads), note


def _run_steps(steps: list[Step], result: ProbeResult,
               on_step: Callable[[Step, Figure | None], None] | None) -> list[Figure]:
    """Each step in turn; Ctrl-C stops the run and keeps what was measured (result.interrupted)."""
    figures: list[Figure] = []
    for step in steps:
        fig: Figure | None = None
        try:
            fig = step.run()
            figures.append(fig)
        except (UnsupportedError, MeasurementError) as e:
            result.skipped.append((step.metric, e.problem))
        except RuntimeError as e:  # torch raises RuntimeError for unsupported kernels / out of memory
            result.skipped.append((step.metric, f"torch: {str(e).splitlines()[0][:200]}"))
        except KeyboardInterrupt:
            result.interrupted = True
            done = {s.metric for s in steps[:steps.index(step)]}
            result.skipped += [(s.metric, f"not measured: interrupted ({stopped_by()})") for s in steps
                               if s.metric not in done]
            break
        if on_step:
            on_step(step, fig)
    return figures


# --- measured spec file ----------------------------------------------------------------------------

def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "device"


def spec_name(result: ProbeResult) -> str:
    """The device name of the measured spec, '<host>-<device>' (e.g. 'vm-cpu'): known to commands given the file
    with --catalog (a bare name is looked up in the built-in catalog only)."""
    return _slug(result.host + "-" + result.device.torch_device)


def default_spec_path(result: ProbeResult) -> Path:
    """~/.accelopt/probe/<host>-<device>.toml"""
    return accelopt_home() / "probe" / f"{_slug(result.host)}-{_slug(result.device.torch_device)}.toml"


def spec_toml(result: ProbeResult, links: tuple[dict[str, Any], str] | None = None,
              curve: tuple[dict[str, float], str] | None = None) -> str:
    """The measured spec in the catalog's TOML format (measured = true; every number with its source).

    links: [[device]] fields of the scale-up link measured by `probe --collectives` and the source they cite as
    'collectives' (accelopt.distributed.collectives.spec_lines); they replace the device-to-device copy figures.
    curve: the op-size curve fitted on result.ladder (inference_curve keys -> value) and the source it cites as
    'ladder' (`accelopt probe` fits it: cli/probe.py)."""
    from accelopt.hardware.spec import DTYPES

    dev = result.device
    triad = result.get("stream.triad")
    if triad is None:
        raise MeasurementError("the triad bandwidth was not measured, so no spec can be written",
                               "re-run the probe without errors in stream.triad")
    mm = {f.metric.split(".", 1)[1]: f for f in result.matmul() if f.metric.split(".", 1)[1] in DTYPES}
    if not mm:
        raise MeasurementError("no matmul figure was measured, so no spec can be written",
                               "re-run the probe with at least one dtype")
    where = f"on {result.host}, {result.date}, torch {result.torch_version}"
    memory_src = "torch.cuda.get_device_properties" if dev.kind == "gpu" else "/proc/meminfo"
    sources = {"probe": f"measured by accelopt probe {where}",
               "read": f"read by accelopt probe from {memory_src} {where}"}
    if not dev.memory_bytes:
        raise MeasurementError(f"the memory size of {dev.torch_device} is unknown", "a spec needs memory_bytes")
    device: dict[str, Any] = {
        "name": spec_name(result), "display_name": f"{dev.name} (measured on {result.host})",
        "kind": "cpu" if dev.kind == "cpu" else "gpu", "vendor": dev.vendor, "measured": True,
        "peak_flop_per_s": {d: _sourced(f.median, "probe") for d, f in mm.items()},
        "memory_bandwidth_byte_per_s": _sourced(triad.median, "probe"),
        "memory_bytes": _sourced(dev.memory_bytes, "read")}
    if result.llc_bytes:
        sources["cache"] = f"read by accelopt probe from {_cache_source(dev)} {where}"
        device["sram_bytes"] = _sourced(result.llc_bytes, "cache")
    d2d = [f for f in result.figures if f.metric.startswith("d2d.")] if links is None else []
    saved = [f"matmul.{d}" for d in mm] + ["stream.triad"] + [f.metric for f in d2d]
    busy = saved_warnings(result.contention, saved, [f.metric for f in result.figures])
    if busy:  # the figures are kept, with their caveat: commands given this spec print it (contention.spec_warning)
        sources["probe"] += LINK_WARNING_MARK + busy
    if links is not None:
        sources["collectives"] = links[1]
        device.update(links[0])
    if curve is not None:  # the ladder ran in the same window, fitted against the saved peak: the same caveat
        sources["ladder"] = curve[1] + (LINK_WARNING_MARK + busy if busy else "")
        device["inference_curve"] = {k: _sourced(v, "ladder") for k, v in curve[0].items()}
    if d2d:
        # slowest ordered pair: a layout may use any pair, so the spec promises the least of them
        sources["count"] = f"local GPUs with device-to-device copies measured by accelopt probe {where}"
        device["scaleup_domain_devices"] = [cuda_device_count_from(d2d), "count"]
        device["scaleup_bandwidth_byte_per_s"] = _sourced(min(f.median for f in d2d), "probe")
    copied = _copy_unmeasured_from_catalog(result, device, sources)
    notes = "; ".join(f"{f.metric}: {f.detail}" for f in mm.values())
    notes += f"; memory bandwidth is the STREAM triad ({triad.detail})"
    if d2d:
        notes += "; scaleup bandwidth is the slowest one-way device-to-device copy between local GPUs"
    if copied:
        notes += (f"; not measured, copied from the built-in catalog's {result.catalog_name} entry with its "
                  f"sources: {', '.join(copied)}")
    device["notes"] = notes
    return catalog_toml(device, sources=sources, comment=(
        f"Measured spec of {dev.name} ({dev.torch_device}) written by `accelopt probe`.\n"
        "Give this file's path wherever a device is asked for, or add `--catalog THIS_FILE` and the name below."))


CATALOG_COPIED_FIELDS = (
    "scaleup_domain_devices", "scaleup_bandwidth_byte_per_s", "scaleup_peer_bandwidth_byte_per_s",
    "scaleup_latency_s", "scaleout_bandwidth_byte_per_s", "scaleout_latency_s", "tdp_w", "idle_w", "host_w",
    "streaming_multiprocessors", "compute_capability")
"""Fields a GPU probe cannot measure on its own (the links beyond the GPUs it sees, the power, the SM count and compute
capability) that a measured spec takes from the catalog entry of the same GPU: a one-GPU H200 probe planned 8 devices
over the 100 Gb/s Ethernet assumed for a spec with no links (the HGX node's NVLink unknown to it), with no TDP for
the energy and no compute capability for the fp8 / kernel-library checks. Measured figures win (the device-to-device
copies of `probe` on several GPUs, the links of --collectives)."""


def _copy_unmeasured_from_catalog(result: ProbeResult, device: dict[str, Any], sources: dict[str, str]) -> list[str]:
    """Into `device` (the spec's fields) and `sources`: CATALOG_COPIED_FIELDS the catalog entry of the probed GPU
    cites and the probe did not measure, each with the catalog's own citation; the names copied. Only for a GPU whose
    catalog entry is the one detected for it (not a spec given to compare with)."""
    from accelopt.hardware.catalog import get_device

    dev = result.device
    if dev.kind != "gpu" or not result.catalog_name or result.catalog_name != dev.catalog_name:
        return []
    spec = get_device(result.catalog_name)
    copied = []
    for name in CATALOG_COPIED_FIELDS:
        value, cited = getattr(spec, name), spec.source_of(name)
        if name in device or value is None or cited is None or (name == "scaleup_domain_devices" and value == 1):
            continue
        key = f"catalog_{name}"
        sources[key] = f"not measured by accelopt probe: the built-in catalog's {spec.name} entry, which cites {cited}"
        device[name] = [value, key]
        copied.append(name)
    return copied


def _cache_source(dev: DetectedDevice) -> str:
    """Where result.llc_bytes was read (cpu_llc_bytes, gpu_l2_bytes)."""
    if dev.kind == "gpu":
        return "torch.cuda.get_device_properties (L2 cache size)"
    return "the last-level cache sizes in /sys/devices/system/cpu/cpu*/cache (else lscpu)"


def _sourced(value: float, source: str) -> list[Any]:
    if not math.isfinite(value):
        raise MeasurementError(f"non-finite value {value!r} in a measured spec", "re-run the probe")
    return sourced(value, source)


def cuda_device_count_from(d2d: list[Figure]) -> int:
    """GPUs seen in 'd2d.cuda:i->cuda:j' metrics."""
    seen = set()
    for f in d2d:
        seen.update(re.findall(r"cuda:\d+", f.metric))
    return len(seen)


def save_spec(result: ProbeResult, path: Path | None = None, links: tuple[dict[str, Any], str] | None = None,
              curve: tuple[dict[str, float], str] | None = None) -> Path:
    """Write the measured spec TOML (default ~/.accelopt/probe/<host>-<device>.toml) and check it loads; links
    and curve as in spec_toml."""
    from accelopt.hardware.catalog import load_file

    path = Path(path) if path is not None else default_spec_path(result)
    if path.suffix != ".toml":
        raise InputError(f"--save {str(path)!r} does not end in .toml", "name the file like my-gpu.toml")
    text = spec_toml(result, links, curve)
    load_file(path, text)  # the file must be accepted by the catalog loader before it is written
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_whole(path, with_digest(text))  # all or nothing: a Ctrl-C leaves the earlier spec; the digest
        # line lets a rerun refuse a spec the user edited since (userio.refuse_foreign_file)
    except OSError as e:
        raise InputError(f"cannot write the measured spec to {path}: {e.strerror}",
                         "pass --save PATH.toml in a writable folder (or --no-save)") from None
    return path
