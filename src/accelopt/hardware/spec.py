"""AcceleratorSpec: what one accelerator can deliver, with a source for every number.

Conventions (SI, in names):
- `peak_flop_per_s[dtype]` is the dense (no structured sparsity) peak in FLOP/s, 2 FLOP per
  multiply-accumulate. For int8/int4 the value is OP/s (TOPS); we keep one map for all dtypes.
- Bandwidths are bytes per second. Link bandwidths (`scaleup_*`, `scaleout_*`) are per device
  and per direction (a vendor's "900 GB/s bidirectional NVLink" is 450e9 here).
- Memory sizes are bytes (GB = 1e9, GiB = 2**30; data files say which they started from).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

from accelopt import dtypes
from accelopt.errors import InputError, case_hint
from accelopt.units import fmt_bytes, fmt_si_literal

KINDS = ("gpu", "tpu", "asic", "fpga", "npu", "cpu")
Kind = Literal["gpu", "tpu", "asic", "fpga", "npu", "cpu"]
DTYPES = dtypes.PEAK_KEYS  # the dtypes a spec can list a peak for (accelopt.dtypes)

# Scalar numeric fields; each needs a source when set. (peak_flop_per_s is per dtype.)
NUMERIC_FIELDS = (
    "memory_bytes",
    "memory_bandwidth_byte_per_s",
    "sram_bytes",
    "scaleup_domain_devices",
    "scaleup_bandwidth_byte_per_s",
    "scaleup_peer_bandwidth_byte_per_s",
    "scaleup_latency_s",
    "scaleout_bandwidth_byte_per_s",
    "scaleout_latency_s",
    "tdp_w",
    "idle_w",
    "host_w",
    "price_usd_per_hour",
    "cores",
    "streaming_multiprocessors",
)


INFERENCE_CURVE_KEYS: dict[str, tuple[float, float, bool]] = {
    "matmul_eff_max": (0.0, 1.0, True), "matmul_half_flop": (0.0, 1e18, False), "memory_eff": (0.0, 1.0, True),
    "op_overhead_s": (0.0, 1.0, False)}
"""inference_curve key -> (lower, upper, lower excluded): the fractions are in (0, 1] (of the peak, of the
bandwidth), the FLOP count and the per-op seconds in [0, bound] (bounds past any op: 1e18 FLOP, 1 s)."""


FUSED_ATTENTION_PASSES = ("forward", "backward")
"""Keys of AcceleratorSpec.measured_fused_attention_flop_per_s (both given together)."""
FUSED_ATTENTION_BEFORE_CUDNN_9_17 = ("forward_before_cudnn_9_17", "backward_before_cudnn_9_17")
"""Its optional keys (both or neither, beside the two passes): the kernel's rates under a cuDNN release before 9.17.0,
where the device's main figures were taken on 9.17 or later; cuDNN 9.17.0 added SDPA improvements (cudnn-frontend
v1.17.0's release notes), so a run whose container predates it (plan --cudnn-before-9-17) runs at these."""


# Upper limits per number, about 100x past the largest device built (Cerebras WSE-3, 2024: 125 PFLOP/s fp16,
# 44 GB SRAM at 21 PB/s, ~23 kW): a value past them is a unit slip (bits for bytes, 1e300 for 1e30), not a device.
LIMITS: dict[str, float] = {
    "peak_flop_per_s": 1e19, "memory_bytes": 1e16, "memory_bandwidth_byte_per_s": 1e18, "sram_bytes": 1e16,
    "scaleup_domain_devices": 2**31 - 1, "scaleup_bandwidth_byte_per_s": 1e18, "scaleup_latency_s": 10.0,
    "scaleup_peer_bandwidth_byte_per_s": 1e18,
    "scaleout_bandwidth_byte_per_s": 1e18, "scaleout_latency_s": 10.0, "tdp_w": 1e6, "idle_w": 1e6, "host_w": 1e5,
    "price_usd_per_hour": 1e5, "cores": 2**20,
    "streaming_multiprocessors": 2**20,
}

# Lower limits (upper for latencies) of a figure read from a catalog file, past any real device with the figure: past
# them the number is in the wrong unit (989 meaning TFLOP/s, 3350 meaning GB/s, 80 meaning GB, 2.4 meaning
# microseconds), which would otherwise run as a device a trillion times slower. Each bound clears the smallest real
# parts: an 8-bit AVR MCU computes fp32 in software at ~100-150 cycles an operation, ~1e5 FLOP/s at 16 MHz (1e4
# leaves it a 1 MHz clock), reads memory at a byte a cycle (>= 1e6 B/s; a 115200-baud UART link is 1.15e4 B/s) and
# has 512 B - 8 KB of SRAM (ATtiny85 512 B, ATmega328P 2 KB); the slowest real link, a geostationary satellite hop,
# takes ~0.25-0.3 s one way (cross-region fibre ~0.15 s). The slips stay caught: every single-chip peak in TFLOP/s
# (Blackwell's dense fp4: 9000) is under 1e4, every bandwidth in GB/s (HBM3e: 8000) under 1e4, the 80-192 GB of
# accelerator memory read as bytes under 256, and every latency in microseconds from 1 us up over 1 s (a sub-us
# figure such as 0.7 meaning us passes unnoticed). (field, bound, the unit a slip was likely in, its factor)
UNIT_SLIPS: tuple[tuple[str, float, str, str], ...] = (
    ("peak_flop_per_s", 1e4, "TFLOP/s", "e12"), ("measured_matmul_flop_per_s", 1e4, "TFLOP/s", "e12"),
    ("measured_fused_attention_flop_per_s", 1e4, "TFLOP/s", "e12"),
    ("memory_bytes", 256.0, "GB", "e9"), ("memory_bandwidth_byte_per_s", 1e4, "GB/s", "e9"),
    ("sram_bytes", 256.0, "MB", "e6"), ("scaleup_bandwidth_byte_per_s", 1e4, "GB/s", "e9"),
    ("scaleup_peer_bandwidth_byte_per_s", 1e4, "GB/s", "e9"), ("scaleout_bandwidth_byte_per_s", 1e4, "GB/s", "e9"),
    ("scaleup_latency_s", 1.0, "microseconds", "e-6"), ("scaleout_latency_s", 1.0, "microseconds", "e-6"),
    ("tdp_w", 5e4, "mW", "e-3"), ("idle_w", 5e4, "mW", "e-3"), ("host_w", 5e4, "mW", "e-3"),
)
# The power bounds are upper ones, like the latencies': a draw in milliwatts (NVML's nvmlDeviceGetPowerManagementLimit
# and Zeus report mW) read as watts put a 300 W A40 at 300 kW and its energy 1000x (the limit above, 1e6 W, let it
# through). 5e4 W is twice the whole Cerebras CS-3 system (~23 kW, the largest single device built) and under any
# data-center part's draw in mW (an L4's 72 W is 72000); an edge part under 50 W written in mW passes unnoticed.
_UPPER_SLIPS = frozenset({"scaleup_latency_s", "scaleout_latency_s", "tdp_w", "idle_w", "host_w"})


@dataclass(frozen=True, kw_only=True)
class AcceleratorSpec:
    """One accelerator (per device/chip; a card of several dies counts as what the vendor sells)."""

    name: str
    """Catalog key, lower-case with dashes, e.g. 'h100-sxm'."""
    display_name: str
    kind: Kind
    vendor: str
    peak_flop_per_s: Mapping[str, float]
    """Dense peak per dtype, FLOP/s (OP/s for integer dtypes)."""
    memory_bytes: float
    memory_bandwidth_byte_per_s: float
    sram_bytes: float | None = None
    """On-chip SRAM (L2 + shared/L1, or the ASIC's buffers), bytes."""
    scaleup_domain_devices: int = 1
    """Devices in one scale-up domain (NVLink node/NVL72 rack, TPU ICI slice)."""
    scaleup_bandwidth_byte_per_s: float | None = None
    scaleup_peer_bandwidth_byte_per_s: float | None = None
    """Direct-connected domains only (no switch; e.g. HLS-Gaudi2: each card's 21 scale-up ports wired all-to-all, 3
    to each of its 7 peers): the per-direction bandwidth between ONE pair of devices. A group of g devices of the
    domain then reaches at most (g - 1) x this (predict/comm.py). None: a switched domain (NVSwitch), where any
    subset of devices gets the full scaleup_bandwidth_byte_per_s."""
    scaleup_latency_s: float | None = None
    scaleout_bandwidth_byte_per_s: float | None = None
    scaleout_latency_s: float | None = None
    tdp_w: float | None = None
    idle_w: float | None = None
    host_w: float | None = None
    """Host power per device beside tdp_w (CPUs, memory, NICs, fans), watts, where the catalog cites one: 0 for an
    edge module whose power figure is the whole module's (Jetson: its Arm CPU and memory are on the module, inside
    the 15-60 W). None: the energy estimates add the facility's host default per device (predict/cost.py
    DEFAULT_HOST_W_PER_DEVICE, a data-center server's share, printed as 'default used:'; `plan --host-w` replaces
    both)."""
    price_usd_per_hour: float | None = None
    cores: int | None = None
    """CPUs: physical cores per socket (the TDP is the whole socket's); used to share the power among
    the cores a process uses."""
    streaming_multiprocessors: int | None = None
    """GPUs: streaming multiprocessors (SMs) per device, from the architecture's whitepaper or blog; used where a
    kernel takes some of them, e.g. Transformer Engine's userbuffers communication (predict/userbuffers.py). None:
    not cited (a --tp-comm-overlap prediction on the device then stops with an error naming this field)."""
    compute_capability: str | None = None
    """NVIDIA GPUs: the CUDA compute capability 'major.minor' ('9.0' Hopper, '10.0' B200, '12.0' RTX PRO 6000
    Blackwell), cited like a number (sources['compute_capability']; NVIDIA's 'CUDA GPU Compute Capability' page).
    What a kernel library requires is stated in it (DeepEP: SM90 or newer; MXFP8: 10.0 or newer), so a check reads
    this field, not the device's name or family. None: not cited (a check that needs it refuses, naming this field,
    where no cited peak tells the answer; compute.py nvidia_ampere_or_newer)."""
    price_date: str | None = None
    aliases: tuple[str, ...] = ()
    notes: str = ""
    measured: bool = False
    """True for a spec produced by `accelopt probe` (numbers are measurements)."""
    memory_is_max_supported: bool = False
    """True where memory_bytes is the most the device supports, not what a machine has: a server CPU socket's
    maximum memory (Intel ARK 'Max Memory Size', 4 TB for a Xeon 8480+), where a GPU's is the memory it carries.
    Every figure derived from the capacity (fits, the largest batch) is then said to rest on it
    (max_memory_note)."""
    pcie_card: bool = False
    """True for a PCIe add-in card (L4, L40S, H100 PCIe, ...): its tdp_w is the card's alone, in a server whose
    host power no catalog figure gives. Without a host_w its energy adds no host share (the facility default is a
    DGX H100's, an SXM server's with NVSwitches and eight 400 Gb/s NICs per eight GPUs, 575 W per GPU, eight times an
    L4's 72 W) and a 'not counted:' note says so (predict/cost.py host_not_counted_note)."""
    measured_matmul_flop_per_s: Mapping[str, float] = field(default_factory=dict)
    """Per dtype: the largest matmul rate a cited benchmark measured on this device (a brute-force search over
    GEMM shapes, e.g. stas00/ml-engineering's 'Maximum Achievable Matmul FLOPS'), FLOP/s. Where a calibration
    family names a reference device, the ratio of this device's measured fraction of its peak to the reference's
    scales the family's GEMM efficiency (predict/calibration.py): two devices of one family with the same
    datasheet peak do not sustain the same clock (power limit). Empty: not measured."""
    measured_fused_attention_flop_per_s: Mapping[str, float] = field(default_factory=dict)
    """Per pass (FUSED_ATTENTION_PASSES: forward, backward): the rate a cited benchmark measured for this device's
    fused attention kernel in 16-bit precision (cuDNN's scaled dot product attention, which Transformer Engine runs as
    its fused attention: NVIDIA/cudnn-frontend's sdpa_benchmark_training, a causal 8192 x 8192 Llama shape), FLOP/s
    counted as FlashAttention's benchmark counts them (the causal half of the scores; the backward 2.5x the
    forward's work). A training run whose attention kernel is 'fused' runs its attention core at this rate over
    the 16-bit peak instead of on the GEMM curve (predict/calibration.py with_fused_attention). Empty: not
    measured, the core stays on the curve (said by `plan explain`). Optionally FUSED_ATTENTION_BEFORE_CUDNN_9_17's
    two keys: the rates under a cuDNN release before 9.17.0, for runs that used one (--cudnn-before-9-17)."""
    inference_curve: Mapping[str, float] = field(default_factory=dict)
    """This device's own op-size curve for `plan infer` (keys of INFERENCE_CURVE_KEYS: matmul_eff_max,
    matmul_half_flop, memory_eff, op_overhead_s; the meaning of predict/data/inference.toml), each with its source:
    `simulate export` fits it on the design's cycle-level simulator (simulate/calibration.py). Empty: the device's
    inference family's values apply."""
    sources: Mapping[str, str] = field(default_factory=dict)
    """Field path ('memory_bytes', 'peak_flop_per_s.bf16') -> citation text."""

    def peak(self, dtype: str) -> float | None:
        """Dense peak FLOP/s for `dtype`, or None where the device does not define it."""
        return self.peak_flop_per_s.get(dtype)

    def cuda_capability(self) -> tuple[int, int] | None:
        """compute_capability as (major, minor) for ordering ((8, 9) < (9, 0) < (10, 3)); None when not cited."""
        if self.compute_capability is None:
            return None
        major, minor = self.compute_capability.split(".")
        return int(major), int(minor)

    def measured_matmul_fraction(self, dtype: str) -> float | None:
        """Measured matmul rate over the dense peak, for `dtype`; None where either is missing."""
        m, p = self.measured_matmul_flop_per_s.get(dtype), self.peak(dtype)
        return m / p if m is not None and p else None

    def ridge_flop_per_byte(self, dtype: str) -> float | None:
        """Roofline ridge point: arithmetic intensity where compute and memory time are equal."""
        p = self.peak(dtype)
        if p is None or not self.memory_bandwidth_byte_per_s:
            return None
        return p / self.memory_bandwidth_byte_per_s

    def source_of(self, path: str) -> str | None:
        return self.sources.get(path)

    def numbers(self) -> dict[str, float]:
        """Every number set on this spec, keyed by field path (for source checks and display)."""
        out: dict[str, float] = {f"peak_flop_per_s.{d}": v for d, v in self.peak_flop_per_s.items()}
        out.update({f"measured_matmul_flop_per_s.{d}": v for d, v in self.measured_matmul_flop_per_s.items()})
        out.update({f"measured_fused_attention_flop_per_s.{p}": v
                    for p, v in self.measured_fused_attention_flop_per_s.items()})
        out.update({f"inference_curve.{k}": v for k, v in self.inference_curve.items()})
        for name in NUMERIC_FIELDS:
            v = getattr(self, name)
            if name == "scaleup_domain_devices" and v == 1 and name not in self.sources:
                continue  # the default (no scale-up link) is not a datasheet number
            if v is not None:
                out[name] = float(v)
        return out

    def missing_numbers(self) -> list[str]:
        """The scalar figures (NUMERIC_FIELDS) this spec does not give: null in its JSON, absent from numbers().
        scaleup_domain_devices left at its default 1 (no scale-up link), uncited, counts as missing too."""
        got = self.numbers()
        return [name for name in NUMERIC_FIELDS if name not in got]

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, Mapping):
                v = dict(v)
            elif isinstance(v, tuple):
                v = list(v)
            d[f.name] = v
        return d

    def __post_init__(self) -> None:
        validate_spec(self)


def max_memory_note(specs: list[AcceleratorSpec], what: str = "fits and memory figures") -> str | None:
    """Said beside the capacity-derived figures (`what`) of devices whose memory_bytes is the maximum supported
    (memory_is_max_supported), naming how to give the memory a machine has installed; None when no such device."""
    capped = [s for s in specs if s.memory_is_max_supported]
    if not capped:
        return None
    names = ", ".join(f"{s.name} ({fmt_bytes(s.memory_bytes)})" for s in capped)
    return (f"default used: memory of {names} is the maximum the socket supports (the catalog's memory_bytes), not "
            f"what a server has installed; the {what} rest on it — to give your server's memory, write a spec TOML "
            f"(the format of examples/my_accelerator.toml, the numbers of `accelopt catalog show {capped[0].name}`) "
            "under a new name with memory_bytes = [installed bytes, \"source\"] and pass its path to --hardware")


def validate_spec(spec: AcceleratorSpec, where: str = "") -> None:
    """Raise InputError naming the field and the fix for anything inconsistent."""
    at = f" in {where}" if where else ""
    label = f"device {spec.name!r}{at}"
    if spec.kind not in KINDS:
        raise InputError(f"{label}: kind {spec.kind!r} is not one of {', '.join(KINDS)}{case_hint(spec.kind, KINDS)}",
                         "set kind to gpu, tpu, asic, fpga, npu or cpu")
    if not spec.peak_flop_per_s:
        raise InputError(f"{label}: peak_flop_per_s is empty", "give at least one dtype, e.g. bf16 = [989e12, 'src']")
    for dtype, v in spec.peak_flop_per_s.items():
        if dtype not in DTYPES:
            raise InputError(f"{label}: peak_flop_per_s has unknown dtype {dtype!r}{case_hint(dtype, DTYPES)}",
                             f"use one of {', '.join(DTYPES)}")
        if not 0 < v <= LIMITS["peak_flop_per_s"]:  # NaN and inf too
            raise InputError(f"{label}: peak_flop_per_s.{dtype} = {v!r} must be > 0 and at most "
                             f"{LIMITS['peak_flop_per_s']:.0e}", "give FLOP/s, e.g. 989e12")
    for dtype, v in spec.measured_matmul_flop_per_s.items():
        peak = spec.peak(dtype)
        if peak is None or not 0 < v <= peak:  # NaN too
            raise InputError(f"{label}: measured_matmul_flop_per_s.{dtype} = {v!r} must be > 0 and at most the "
                             f"device's peak_flop_per_s.{dtype} ({peak!r})",
                             "give a measured matmul rate in FLOP/s for a dtype the spec lists a peak for")
    _check_fused_attention(spec, label)
    _check_inference_curve(spec, label)
    _check_compute_capability(spec, label)
    for name in ("memory_bytes", "memory_bandwidth_byte_per_s"):
        v = getattr(spec, name)
        if v is None or not v > 0:
            raise InputError(f"{label}: {name} = {v!r} must be > 0", f"set {name} (SI units: bytes, bytes/s)")
    for name in NUMERIC_FIELDS:
        v = getattr(spec, name)
        if v is not None and v < 0:
            raise InputError(f"{label}: {name} = {v!r} is negative", f"give a non-negative {name}")
        limit = LIMITS.get(name, 1e300)  # a field without its own limit must still be finite
        if v is not None and not v <= limit:  # NaN, inf, 1e300: past any device
            raise InputError(f"{label}: {name} = {v!r} is not a finite number up to {limit:.3g}, the "
                             "limit past any accelerator built", f"give {name} in SI units (bytes, bytes/s, "
                             "seconds, watts, USD)")
    for name in ("scaleup_bandwidth_byte_per_s", "scaleup_peer_bandwidth_byte_per_s", "scaleout_bandwidth_byte_per_s"):
        if getattr(spec, name) == 0:  # a link moving 0 bytes/s timed every collective as infinite: plan crashed
            raise InputError(f"{label}: {name} = 0: a link that moves no bytes is no link",
                             f"give {name} in bytes/s, or leave it out (a job on more than one device then runs on "
                             "the spec's other link, with any default printed; with no link listed at all, plan, "
                             "plan explain and plan serve refuse it, naming the fields)")
    if spec.tdp_w == 0:  # energy was then the host's share alone, printed as the device's without a word
        raise InputError(f"{label}: tdp_w = 0: a device that draws no power", "give tdp_w in watts, or leave it "
                         "out where the vendor publishes none (energy then prints as n/a)")
    if spec.scaleup_domain_devices < 1:
        raise InputError(f"{label}: scaleup_domain_devices must be >= 1", "use 1 for a device without a scale-up link")
    if spec.idle_w is not None and spec.tdp_w is not None and spec.idle_w >= spec.tdp_w:
        raise InputError(f"{label}: idle_w ({spec.idle_w}) >= tdp_w ({spec.tdp_w})", "check the two power figures")
    if spec.price_usd_per_hour is not None and not spec.price_date:
        raise InputError(f"{label}: price_usd_per_hour has no price_date", "add price_date = 'YYYY-MM'")


COMPUTE_CAPABILITY = re.compile(r"[1-9]\d?\.\d")
"""A CUDA compute capability as NVIDIA writes it: major.minor, one minor digit ('8.9', '10.3', '12.0')."""


def _check_compute_capability(spec: AcceleratorSpec, label: str) -> None:
    """InputError for a compute_capability that is not 'major.minor' text, or one given to a device that is not an
    NVIDIA GPU (a ROCm build of torch reports a (major, minor) too, 9.4 for an MI300X, which is no CUDA capability)."""
    cc = spec.compute_capability
    if cc is None:
        return
    if not isinstance(cc, str) or not COMPUTE_CAPABILITY.fullmatch(cc):
        raise InputError(f"{label}: compute_capability = {cc!r} is not a CUDA compute capability 'major.minor'",
                         'write it as text, e.g. compute_capability = ["9.0", "NVIDIA CUDA GPUs page"] (nvidia-smi '
                         "--query-gpu=compute_cap prints it)")
    if spec.kind != "gpu" or spec.vendor.upper() != "NVIDIA":
        raise InputError(f"{label}: compute_capability = {cc!r} on a device that is not an NVIDIA GPU "
                         f"({spec.vendor or 'no vendor'} {spec.kind})",
                         "remove compute_capability (it is NVIDIA's CUDA figure), or set vendor = \"NVIDIA\" and "
                         "kind = \"gpu\" if the device is one")


def _check_fused_attention(spec: AcceleratorSpec, label: str) -> None:
    """InputError for a measured_fused_attention_flop_per_s key that is not a pass, a value past the 16-bit peak, or
    one pass given without the other."""
    rates = spec.measured_fused_attention_flop_per_s
    peak = spec.peak("bf16") or spec.peak("fp16")
    for key, v in rates.items():
        if key not in (*FUSED_ATTENTION_PASSES, *FUSED_ATTENTION_BEFORE_CUDNN_9_17):
            raise InputError(f"{label}: measured_fused_attention_flop_per_s has unknown key {key!r}",
                             f"use {' and '.join(FUSED_ATTENTION_PASSES)} (the kernel's two passes; optionally "
                             f"{' and '.join(FUSED_ATTENTION_BEFORE_CUDNN_9_17)})")
        if peak is None:  # the check below printed "at most the device's 16-bit peak (None)"
            raise InputError(f"{label}: measured_fused_attention_flop_per_s.{key} is given, but the device lists no "
                             "bf16 or fp16 peak to compare it with",
                             "add peak_flop_per_s.bf16 (or fp16) with its source, or leave out "
                             "measured_fused_attention_flop_per_s")
        if not 0 < v <= peak:  # NaN too
            raise InputError(f"{label}: measured_fused_attention_flop_per_s.{key} = {v!r} must be > 0 and at most "
                             f"the device's 16-bit peak ({peak!r})",
                             "give the measured rate in FLOP/s of a device that lists a bf16 or fp16 peak")
    main, before = set(rates) & set(FUSED_ATTENTION_PASSES), set(rates) & set(FUSED_ATTENTION_BEFORE_CUDNN_9_17)
    if (rates and main != set(FUSED_ATTENTION_PASSES)) or (before and before != set(FUSED_ATTENTION_BEFORE_CUDNN_9_17)):
        raise InputError(f"{label}: measured_fused_attention_flop_per_s gives {', '.join(sorted(rates))} only",
                         "give both passes, forward and backward, from the same measurement (and both "
                         f"{' and '.join(FUSED_ATTENTION_BEFORE_CUDNN_9_17)}, or neither)")


def _check_inference_curve(spec: AcceleratorSpec, label: str) -> None:
    """InputError for an inference_curve key that is not one of INFERENCE_CURVE_KEYS or a value out of its range."""
    for key, v in spec.inference_curve.items():
        if key not in INFERENCE_CURVE_KEYS:
            raise InputError(f"{label}: inference_curve has unknown key {key!r}",
                             f"use {', '.join(INFERENCE_CURVE_KEYS)} (re-export the design with `accelopt simulate "
                             "export`)")
        lo, hi, open_lo = INFERENCE_CURVE_KEYS[key]
        if not ((lo < v) if open_lo else (lo <= v)) or not v <= hi:  # NaN too
            raise InputError(f"{label}: inference_curve.{key} = {v!r} must be in {'(' if open_lo else '['}{lo:g}, "
                             f"{hi:g}]", "re-export the design with `accelopt simulate export`")


def unit_slip(spec: AcceleratorSpec) -> tuple[str, float, str] | None:
    """(field path, value, what is wrong in words) for the first figure past its UNIT_SLIPS bound, or None."""
    for name, bound, _unit, _exp in UNIT_SLIPS:
        per = getattr(spec, name)
        for dtype, v in (per.items() if isinstance(per, Mapping) else [("", per)]):
            if v is None or v == 0:  # 0: a latency not given as such; other fields refuse 0 in validate_spec
                continue
            upper = name in _UPPER_SLIPS
            if (v > bound) if upper else (v < bound):
                si = _SI_UNIT[name]
                return (f"{name}.{dtype}" if dtype else name, v,
                        f"{v:g} {si} is {'above' if upper else 'below'} {bound:g} {si}, past any real device")
    return None


def check_units(spec: AcceleratorSpec) -> None:
    """InputError for a figure of a catalog file past its UNIT_SLIPS bound, naming the field and the value in SI
    units it likely meant."""
    slip = unit_slip(spec)
    if slip is None:
        return
    path, v, what = slip
    _name, _bound, unit, exp = next(u for u in UNIT_SLIPS if path.split(".")[0] == u[0])
    binary = ""
    if unit in _BINARY_OF:  # memory sizes are often given in GiB / MiB (2**30, 2**20 bytes), not GB / MB
        b_unit, power = _BINARY_OF[unit]
        binary = f", or {v:g} x 2**{power} = {fmt_si_literal(v * 2.0**power)} if in {b_unit}"
    si = fmt_si_literal(v / 1e3) if unit == "mW" else f"{v:g}{exp}"  # 300 for 300000 mW
    raise InputError(f"{path} = {what}: likely a figure in {unit}",
                     f"write {si} if {v:g} is in {unit}{binary}; every catalog number is in SI units")


_BINARY_OF = {"GB": ("GiB", 30), "MB": ("MiB", 20)}
"""A decimal unit of UNIT_SLIPS -> its binary twin and the power of two (GiB = 2**30 bytes, GB = 1e9)."""


_SI_UNIT = {"peak_flop_per_s": "FLOP/s", "measured_matmul_flop_per_s": "FLOP/s",
            "measured_fused_attention_flop_per_s": "FLOP/s", "memory_bytes": "bytes",
            "sram_bytes": "bytes", "scaleup_latency_s": "seconds", "scaleout_latency_s": "seconds"}
_SI_UNIT.update({name: "bytes/s" for name, *_ in UNIT_SLIPS if name.endswith("_byte_per_s")})
_SI_UNIT.update({"tdp_w": "W", "idle_w": "W", "host_w": "W"})

