"""Inference prediction for any captured model: latency, throughput, memory, energy and cost per device.

Every figure is an ESTIMATE from a per-op roofline (Williams, Waterman & Patterson 2009, 'Roofline', CACM
52(4)) run at the precision the device has, with the runtime facts of predict/data/inference.toml (on-chip
weights, host fallback, host link, overheads). The time of one inference of a batch b is

    latency = invoke + sum_device_ops [max(F / (peak x eff(F)), bytes / (BW x memory_eff)) + op_overhead]
                     + sum_host_ops  [the same roofline on the host device]
                     + transfers (input, and each device/host boundary) / (link x link_eff)
                     + streamed weights (beyond the on-chip memory) / (link x link_eff)

with eff(F) = matmul_eff_max x F / (F + matmul_half_flop) (predict/calibration.py). Two inference-time graph
rewrites every deployment compiler makes are applied before timing: batch norm folded into the preceding
convolution (Jacob et al. 2018, 'Quantization and Training of Neural Networks for Efficient
Integer-Arithmetic-Only Inference', sec. 3.2) and pointwise activations fused into their producer (the
'fused activation' of TFLite Conv2D/FullyConnected and TensorRT's layer fusion): both cost no time here.

Energy per inference = P(u) x latency / b with P(u) = idle + (TDP - idle) x u the linear power model of
accelopt.hardware.power and u = the fraction of the latency the device computes; host-fallback time adds the
host's TDP (estimates; device and host only, no PUE or facility share). Cost per million inferences = price
per hour / 3600 x latency / b x 1e6.
"""

from __future__ import annotations

import fnmatch
import math
import sys
from collections import defaultdict
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any, ClassVar

from accelopt.errors import InfeasibleError, InputError, unknown_fields
from accelopt.hardware.power import IDLE_FRACTION_SOURCE, device_power_w
from accelopt.hardware.spec import AcceleratorSpec, max_memory_note
from accelopt.predict.runs_csv import bundled_ref
from accelopt.units import fmt_bytes, unit
from accelopt.userio import read_user_text
from accelopt.workload.types import DTYPE_BYTES, MATMUL_LIKE, Op, Workload

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["OBJECTIVES", "DeviceInference", "InferencePlan", "InferencePoint", "InferenceRuntime", "OpClassTime",
           "Precision", "compute_time_s", "load_runtimes", "plan_inference", "predict_point",
           "run_precision", "runtime_for", "spec_curve_note", "with_spec_curve"]

OBJECTIVES = ("energy", "cost", "power", "latency")
FLOAT_DTYPES = ("fp32", "tf32", "bf16", "fp16", "fp8")
INT_DTYPES = ("int8", "int4")
# Batch norm in inference is an affine map folded into the previous conv's weights (Jacob et al. 2018, sec. 3.2).
_FOLDED = ("aten.native_batch_norm", "aten._native_batch_norm_legit_no_training", "aten.batch_norm",
           "aten._native_batch_norm_legit")
# Pointwise activations fused into the producing conv/matmul (TFLite fused_activation_function; TensorRT fusion).
_FUSED = ("aten.relu", "aten.relu_", "aten.hardtanh", "aten.hardtanh_", "aten.clamp", "aten.gelu", "aten.silu",
          "aten.sigmoid", "aten.hardswish", "aten.tanh")

# Quality risk of running a model at a precision other than the one it was given in (printed beside results).
RISK_INT8 = ("int8: the model must be quantized (weights and activations to 8 bits). ResNet-class CNNs and "
             "BERT keep >= 99% of their fp32 accuracy at int8 in MLPerf Inference closed-division results "
             "(its '99% of FP32' quality targets); depthwise-separable nets (MobileNet) can lose several "
             "points with per-tensor post-training quantization and need per-channel scales or "
             "quantization-aware training (Krishnamoorthi 2018, 'Quantizing deep convolutional networks for "
             "efficient inference: a whitepaper', sec. 3). Check the accuracy on your data.")
RISK_INT4 = ("int4: 4-bit weights and activations usually need quantization-aware training for CNNs "
             "(Krishnamoorthi 2018, sec. 3); a higher quality risk than int8. Check the accuracy on your data.")
RISK_HALF = ("16-bit floats: a low risk; networks trained with fp16 tensors reach their fp32 accuracy "
             "(Micikevicius et al. 2018, 'Mixed Precision Training', sec. 4), and inference has no gradients to "
             "underflow. bf16 keeps fp32's range with fewer mantissa bits; fp16 the reverse.")
RISK_FP8 = ("fp8: needs per-tensor scaling (Micikevicius et al. 2022, 'FP8 Formats for Deep Learning', sec. 4); "
            "a moderate risk. Check the accuracy on your data.")


# --------------------------------------------------------------------------- runtime data
@dataclass(frozen=True, kw_only=True)
class InferenceRuntime:
    """How one device family runs inference (see predict/data/inference.toml for every field's meaning)."""

    family: str
    match: tuple[str, ...]
    matmul_eff_max: float
    matmul_half_flop: float
    memory_eff: float
    op_overhead_s: float
    invoke_overhead_s: float
    link_eff: float
    weights_on_chip: bool
    activations_on_chip: bool
    partition: str
    workspace_bytes: float
    host_link_byte_per_s: float | None = None
    """None: the catalog's memory_bandwidth_byte_per_s is the host link (Edge TPU); 0: shared memory."""
    unsupported_ops: tuple[str, ...] = ()
    host: str | None = None
    fitted_on: tuple[str, ...] = ()
    source: str = ""

    def __post_init__(self) -> None:
        for name in ("matmul_eff_max", "memory_eff", "link_eff"):
            v = getattr(self, name)
            if not 0 < v <= 1:
                raise InputError(f"inference family {self.family!r}: {name} = {v!r} must be in (0, 1]",
                                 "give a fraction of the peak, e.g. 0.8")
        for name in ("matmul_half_flop", "op_overhead_s", "invoke_overhead_s", "workspace_bytes"):
            v = getattr(self, name)
            if not 0 <= v < math.inf:
                raise InputError(f"inference family {self.family!r}: {name} = {v!r} must be a finite number >= 0",
                                 "give a non-negative number in SI units")
        if self.partition not in ("per-op", "first-unsupported"):
            raise InputError(f"inference family {self.family!r}: partition = {self.partition!r}",
                             "use 'per-op' or 'first-unsupported'")

    def eff(self, flops: float) -> float:
        """Fraction of the peak an op of `flops` reaches (saturating curve of predict/calibration.py)."""
        return self.matmul_eff_max * flops / (flops + self.matmul_half_flop)

    def link_byte_per_s(self, spec: AcceleratorSpec) -> float:
        """Host-link bandwidth per direction (0 = shared memory, no copy)."""
        return float(spec.memory_bandwidth_byte_per_s if self.host_link_byte_per_s is None
                     else self.host_link_byte_per_s)


_RUNTIME_FIELDS = {f.name for f in fields(InferenceRuntime)} - {"family"}


def load_runtimes(path: Path | str | None = None) -> list[InferenceRuntime]:
    """The families of predict/data/inference.toml (or `path`), in file order (first match wins)."""
    if path is None:
        text = (resources.files("accelopt.predict") / "data" / "inference.toml").read_text("utf-8")
        where = "the bundled inference.toml"
    else:
        text = read_user_text(path, "inference runtime file",
                              f"pass a TOML in the format of {bundled_ref('inference.toml')}")
        where = str(path)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"{where} is not valid TOML: {e}", "fix the TOML syntax at that line") from None
    fams = doc.get("family")
    if not isinstance(fams, dict) or not fams:
        raise InputError(f"{where} has no [family.NAME] tables", f"see {bundled_ref('inference.toml')}")
    out = []
    for name, raw in fams.items():
        unknown = set(raw) - _RUNTIME_FIELDS
        if unknown:
            raise unknown_fields(f"{where}: family {name!r}", sorted(unknown), sorted(_RUNTIME_FIELDS))
        kw: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in raw.items()}
        try:
            out.append(InferenceRuntime(family=name, **kw))
        except TypeError as e:
            raise InputError(f"{where}: family {name!r} is incomplete ({e})",
                             f"see {bundled_ref('inference.toml')}") from None
    return out


KIND_FAMILIES = {"cpu": "cpu"}
"""kind -> the family of a device of that kind no family names by glob (a probed CPU is '<host>-cpu'): a CPU runs
in host memory (family 'cpu': no host link), not as the catch-all 'default', a card behind PCIe."""


def runtime_for(spec: AcceleratorSpec, runtimes: list[InferenceRuntime]) -> InferenceRuntime:
    """The device's inference family, with the device's own op-size curve where its spec carries one
    (AcceleratorSpec.inference_curve, e.g. a design fitted on its simulator by `simulate export`)."""
    for rt in runtimes:
        if any(fnmatch.fnmatch(spec.name, pat) for pat in rt.match):
            if tuple(rt.match) == ("*",) and spec.kind in KIND_FAMILIES:  # only the catch-all named it: kind decides
                rt = next((r for r in runtimes if r.family == KIND_FAMILIES[spec.kind]), rt)
            return with_spec_curve(rt, spec)
    raise InputError(f"no inference family matches device {spec.name!r}", "add a family with match = ['*']")


def with_spec_curve(rt: InferenceRuntime, spec: AcceleratorSpec) -> InferenceRuntime:
    """`rt` with the curve values the spec carries (its other runtime facts, host link and workspace, stay the
    family's); fitted_on then names the curve's source (spec.sources['inference_curve.matmul_eff_max'])."""
    if not spec.inference_curve:
        return rt
    basis = spec.sources.get("inference_curve.matmul_eff_max") or next(
        (spec.sources[f"inference_curve.{k}"] for k in spec.inference_curve if f"inference_curve.{k}" in spec.sources),
        f"{spec.name}'s own inference_curve")
    curve: dict[str, Any] = dict(spec.inference_curve)  # keys: spec.INFERENCE_CURVE_KEYS, fields of InferenceRuntime
    return replace(rt, **curve, fitted_on=(basis,))


def spec_curve_note(spec: AcceleratorSpec) -> str | None:
    """The note on a device whose spec carries its own op-size curve: each value and its source; None without."""
    if not spec.inference_curve:
        return None
    by_source: dict[str, list[str]] = {}  # the fitted values share one source: said once
    for k, v in spec.inference_curve.items():
        by_source.setdefault(spec.sources.get(f"inference_curve.{k}", "no source given"), []).append(f"{k} {v:.4g}")
    parts = [f"{' and '.join(values)}: {src}" for src, values in by_source.items()]
    return f"calibration basis of {spec.name}: its own op-size curve, " + "; ".join(parts)


# --------------------------------------------------------------------------- precision
@dataclass(frozen=True, kw_only=True)
class Precision:
    """The dtype asked for and the one the device runs (with why and the quality risk)."""

    requested: str
    run: str
    reason: str
    quality_risk: str
    """'' when the device runs what was asked."""


def _float_order(requested: str) -> list[str]:
    """Floats to try for a float request: same width first, then wider (no quality loss), then narrower."""
    width = DTYPE_BYTES[requested]
    same = [d for d in ("bf16", "fp16", "fp32", "tf32", "fp8") if DTYPE_BYTES[d] == width and d != requested]
    wider = sorted((d for d in FLOAT_DTYPES if DTYPE_BYTES[d] > width), key=lambda d: DTYPE_BYTES[d])
    narrower = sorted((d for d in FLOAT_DTYPES if DTYPE_BYTES[d] < width), key=lambda d: -DTYPE_BYTES[d])
    return [requested, *same, *wider, *narrower]


def _risk(run: str) -> str:
    return {"int8": RISK_INT8, "int4": RISK_INT4, "fp16": RISK_HALF, "bf16": RISK_HALF, "fp8": RISK_FP8}.get(run, "")


def run_precision(spec: AcceleratorSpec, requested: str) -> Precision:
    """The dtype `spec` runs for a `requested` one: the same if the catalog has its peak; for a float request,
    another float (same width, then wider, then narrower); int8 only on a device without any float (Edge TPU,
    an int8-only NPU). For an integer request without that integer: the other integer, else the narrowest float."""
    if requested not in FLOAT_DTYPES + INT_DTYPES:
        raise InputError(f"--dtype {requested!r} is not an inference dtype",
                         f"use one of {', '.join(('int8', 'fp16', 'bf16', 'fp32', 'tf32', 'fp8', 'int4'))}")
    have = set(spec.peak_flop_per_s)
    if requested in have:
        return Precision(requested=requested, run=requested, reason="as requested", quality_risk="")
    if requested in FLOAT_DTYPES:
        floats = [d for d in _float_order(requested) if d in have]
        if floats:
            run = floats[0]
            why = f"the catalog has no {requested} peak for {spec.name}"
            # only a strictly wider float is free of risk (fp16 -> bf16 trades mantissa bits for range)
            return Precision(requested=requested, run=run, reason=why,
                             quality_risk="" if DTYPE_BYTES[run] > DTYPE_BYTES[requested] else _risk(run))
        run = next(d for d in ("int8", "int4") if d in have)
        return Precision(requested=requested, run=run, reason=f"{spec.name} runs integers only",
                         quality_risk=_risk(run))
    ints = [d for d in ("int8", "int4") if d in have]
    if ints:
        return Precision(requested=requested, run=ints[0], reason=f"the catalog has no {requested} peak for "
                         f"{spec.name}", quality_risk=_risk(ints[0]))
    floats = sorted((d for d in have if d in FLOAT_DTYPES), key=lambda d: DTYPE_BYTES[d])
    run = floats[0]
    return Precision(requested=requested, run=run, reason=f"{spec.name} has no integer peak in the catalog",
                     quality_risk="" if run in ("fp32", "tf32") else _risk(run))


# --------------------------------------------------------------------------- results
@dataclass(frozen=True, kw_only=True)
class OpClassTime:
    """The ops of one kind on one side (device or host): their share of the time and what bounds them."""

    DERIVED_UNITS: ClassVar[dict[str, str]] = {"intensity_flop_per_byte": "FLOP/B"}

    op_class: str
    """Op kind (matmul, conv, elementwise, ...) or a pseudo class: weight-stream, transfer, invoke."""
    where: str
    """device or host."""
    ops: int = unit("count")
    time_s: float = unit("s")
    flops: float = unit("FLOP")
    bytes: float = unit("B")
    bound: str
    """compute, memory, overhead, link (transfers/streaming) or fixed (invoke)."""

    @property
    def intensity_flop_per_byte(self) -> float:
        return self.flops / self.bytes if self.bytes > 0 else math.inf


@dataclass(frozen=True, kw_only=True)
class InferencePoint:
    """One device at one batch size (every figure an estimate)."""

    device: str
    batch: int = unit("count")
    dtype: str
    latency_s: float = unit("s")
    """Time to run one batch; at batch 1 the single-stream latency per request."""
    throughput_per_s: float = unit("inferences/s", "inferences per second")
    """Inferences per second at this batch (offline): batch / latency_s."""
    device_compute_s: float = unit("s")
    host_fallback_s: float = unit("s")
    transfer_s: float = unit("s")
    weight_stream_s: float = unit("s")
    invoke_overhead_s: float = unit("s")
    weights_bytes: float = unit("B")
    activations_bytes: float = unit("B")
    """Largest working set of one op (its inputs and output), an estimate of the activation memory."""
    workspace_bytes: float = unit("B")
    memory_total_bytes: float = unit("B")
    onchip_weights_bytes: float | None = unit("B")
    """Weights held in on-chip SRAM (devices that stream the rest); None elsewhere."""
    streamed_weights_bytes: float = unit("B")
    fits: bool
    """weights + activations + workspace fit the device memory (streaming devices always fit)."""
    host_ops: int = unit("count")
    energy_per_inference_j: float | None = unit("J")
    inferences_per_j: float | None = unit("inferences/J", "inferences per joule")
    power_w: float | None = unit("W")
    """Average draw over the latency: the device's P(u), plus the host's TDP while it runs fallback ops."""
    cost_usd_per_million: float | None = unit("USD", "per million inferences")
    op_classes: tuple[OpClassTime, ...] = ()


@dataclass(frozen=True, kw_only=True)
class DeviceInference:
    """One device's predictions at every batch planned, at the precision it runs."""

    device: str
    display_name: str
    kind: str
    precision: Precision
    family: str
    fitted_on: tuple[str, ...]
    host: str | None
    points: tuple[InferencePoint, ...]
    meets_budget: bool | None = None
    notes: tuple[str, ...] = ()

    def point(self, batch: int) -> InferencePoint:
        return next(p for p in self.points if p.batch == batch)


@dataclass(frozen=True, kw_only=True)
class InferencePlan:
    """`accelopt plan infer`: predicted inference latency, throughput, memory, energy and cost per device."""

    SCHEMA_KIND: ClassVar[str] = "plan-infer"
    SCHEMA_VERSION: ClassVar[int] = 4
    LEGACY_UNVERSIONED: ClassVar[bool] = True
    """Records written before the schema (no `schema` field) have this shape and load as version 1."""
    READS_VERSIONS: ClassVar[tuple[int, ...]] = (1, 2, 3)
    """Version 2 declares throughput_per_s (inferences/s, was 'count') and inferences_per_j (inferences/J, was
    none) as rates; the values are the same, so version 1 reads. Version 3 adds input_warnings (a default: ()).
    Version 4 adds unranked (a default: ()); `ranked` no longer lists the devices without the objective's figure."""

    model: str
    workload_mode: str
    params: float = unit("count")
    flops_per_inference: float = unit("FLOP")
    requested_dtype: str
    batches: tuple[int, ...] = unit("count")
    latency_budget_s: float | None = unit("s")
    objective: str
    devices: tuple[DeviceInference, ...]
    ranked: tuple[str, ...]
    """Devices meeting the latency budget (at the smallest batch planned), best first by `objective`; all devices that
    fit without a budget. Only those with the objective's figure (a price for cost, a TDP for energy and power)."""
    unranked: tuple[str, ...] = ()
    """Devices that would be in `ranked` but have no figure for `objective` (no price, no TDP), by latency: not
    ranked (they were listed last in `ranked` before version 4, as if they ranked last)."""
    estimate: bool = True
    notes: tuple[str, ...] = field(default_factory=tuple)
    input_warnings: tuple[str, ...] = field(default_factory=tuple)
    """Warnings about the command's inputs that nothing else in the result shows, as the console prints them on
    stderr: a --hardware or --host spec `probe` measured on a busy machine (its peaks may be low)."""


# --------------------------------------------------------------------------- the model
@dataclass(frozen=True)
class _Side:
    """Rates of one place ops run (the accelerator or its host)."""

    spec: AcceleratorSpec
    rt: InferenceRuntime
    dtype: str

    @property
    def peak(self) -> float:
        return float(self.spec.peak(self.dtype) or 0.0)


def _scale(op: Op, run_dtype: str) -> float:
    """Bytes factor from the captured dtype to the run dtype (integer tensors such as token ids keep theirs)."""
    if op.dtype not in FLOAT_DTYPES:
        return 1.0
    return DTYPE_BYTES[run_dtype] / DTYPE_BYTES[op.dtype]


def compute_time_s(flops: float, peak_flop_per_s: float, rt: InferenceRuntime, matmul: bool = True) -> float:
    """Compute time of one op of `flops` at `peak_flop_per_s`: the op-size curve eff(F) for matrix units (GEMM/conv
    tiles); vector ops run at the asymptotic fraction matmul_eff_max."""
    if flops <= 0:
        return 0.0
    eff = rt.eff(flops) if matmul else rt.matmul_eff_max
    return flops / (peak_flop_per_s * eff)


def _op_time(op: Op, side: _Side) -> tuple[float, str]:
    """(time of all `op.count` copies, bound) on `side`: roofline + per-op overhead."""
    n_bytes = op.bytes_total * _scale(op, side.dtype)
    # the op-size curve is for matrix units (GEMM/conv tiles); vector ops run at the asymptotic fraction
    t_c = compute_time_s(op.flops, side.peak, side.rt, op.kind in MATMUL_LIKE)
    t_m = 0.0 if side.rt.activations_on_chip else n_bytes / (side.spec.memory_bandwidth_byte_per_s * side.rt.memory_eff)
    over = side.rt.op_overhead_s
    bound = "compute" if t_c >= t_m else "memory"
    if over > max(t_c, t_m):
        bound = "overhead"
    return op.count * (max(t_c, t_m) + over), bound


def _does_work(op: Op) -> bool:
    return op.flops > 0 or op.bytes_total > 0


def _skipped(op: Op) -> bool:
    """Folded, fused or free (views) at inference time."""
    return op.name in _FOLDED or op.name in _FUSED or not _does_work(op)


def _host_flags(ops: list[Op], rt: InferenceRuntime) -> list[bool]:
    """Which ops run on the host: unsupported ones (per-op), or everything from the first one on. Ops that read
    nothing (constants such as position ids from aten.arange) do not open a device segment: when the first op that
    reads data cannot run on the device, the whole model runs on the host (the Edge TPU compiler maps ops up to the
    first unsupported one; with none before it, nothing is delegated)."""
    flags = [op.name in rt.unsupported_ops for op in ops]
    if rt.partition == "first-unsupported" and any(flags):
        first = flags.index(True)
        if all(_skipped(op) or op.bytes_read == 0 for op in ops[:first]):
            first = 0
        flags = [i >= first for i in range(len(ops))]
    return flags


def _device_weight_share(ops: list[Op], on_host: list[bool]) -> float:
    """Fraction of the matmul/conv FLOPs that run on the device (1.0 without fallback): an estimate of the share of
    the weights the device holds."""
    if not any(on_host):
        return 1.0
    total = sum(op.flops * op.count for op in ops if op.kind in MATMUL_LIKE)
    dev = sum(op.flops * op.count for op, h in zip(ops, on_host, strict=True) if op.kind in MATMUL_LIKE and not h)
    return dev / total if total > 0 else 0.0


def _host_precision(host: AcceleratorSpec, run: str) -> str:
    return run if host.peak(run) else ("fp32" if host.peak("fp32") else next(iter(host.peak_flop_per_s)))


@dataclass
class _ClassAcc:
    """Running totals of one (op kind, side) class while the ops are timed."""

    ops: int = 0
    time_s: float = 0.0
    flops: float = 0.0
    bytes: float = 0.0
    time_by_bound_s: dict[str, float] = field(default_factory=lambda: defaultdict(float))


@dataclass
class _OpTimes:
    device_s: float = 0.0
    device_overhead_s: float = 0.0
    """The part of device_s that is op_overhead_s (the launch gap of each op): time the device waits, not computes."""
    host_s: float = 0.0
    transfer_s: float = 0.0
    transfer_bytes: float = 0.0
    classes: dict[tuple[str, str], _ClassAcc] = field(default_factory=lambda: defaultdict(_ClassAcc))


def _time_ops(ops: list[Op], on_host: list[bool], dev: _Side, hst: _Side | None, link_byte_per_s: float) -> _OpTimes:
    """Roofline time of every op where it runs, and the tensors crossing the host link between the two sides: at a
    change of side, the activation the other side produced last (the previous op's output), not the op's whole
    reads (an embedding's table or a layer's weights live on the side that runs it)."""
    out = _OpTimes()
    prev: tuple[Op, bool] | None = None
    for op, h in zip(ops, on_host, strict=True):
        if _skipped(op):
            continue
        side = hst if h and hst is not None else dev
        t, bound = _op_time(op, side)
        if h:
            out.host_s += t
        else:
            out.device_s += t
            out.device_overhead_s += op.count * dev.rt.op_overhead_s
        if prev is not None and h != prev[1] and link_byte_per_s > 0:  # the other side's output crosses the link
            crossing = prev[0].bytes_written * _scale(prev[0], dev.dtype)  # one copy's output: the last one's
            out.transfer_bytes += crossing
            out.transfer_s += crossing / link_byte_per_s
        prev = (op, h)
        c = out.classes[(op.kind, "host" if h else "device")]
        c.ops += op.count
        c.time_s += t
        c.flops += op.flops * op.count
        c.bytes += op.bytes_total * _scale(op, side.dtype) * op.count
        c.time_by_bound_s[bound] += t
    return out


def _input_transfer_bytes(wl: Workload, ops: list[Op], on_host: list[bool], run: str,
                          link_byte_per_s: float) -> float:
    """The batch's input sent to the device when its first op runs there (0 over shared memory)."""
    first_on_device = next((not h for op, h in zip(ops, on_host, strict=True) if not _skipped(op)), True)
    if link_byte_per_s <= 0 or not first_on_device:
        return 0.0
    # a float input (captured in fp32) is sent at the run dtype; integer inputs (token ids) as they are
    in_scale = DTYPE_BYTES[run] / 4 if wl.meta.get("input_float", True) else 1.0
    return float(wl.meta.get("input_bytes") or 0.0) * in_scale


def _weights_on_device(spec: AcceleratorSpec, rt: InferenceRuntime, weights_bytes: float, ops: list[Op],
                       on_host: list[bool]) -> tuple[float | None, float]:
    """(bytes held on chip, bytes streamed every inference) for a device whose weights live on chip; (None, 0)
    elsewhere. Only the weights of the ops the device runs go to it: their share is estimated by the device's
    share of the matmul/conv FLOPs (weights sit in those ops), all of them when nothing falls back."""
    if not rt.weights_on_chip:
        return None, 0.0
    on_dev = weights_bytes * _device_weight_share(ops, on_host)
    onchip = min(on_dev, float(spec.sram_bytes or 0.0))
    return onchip, on_dev - onchip


def _class_rows(times: _OpTimes, invoke_s: float, t_stream_s: float,
                streamed_bytes: float) -> tuple[OpClassTime, ...]:
    """The roofline table: op classes plus the weight-stream, transfer and invoke terms, largest first."""
    rows = [OpClassTime(op_class=k, where=w, ops=c.ops, time_s=c.time_s, flops=c.flops, bytes=c.bytes,
                        bound=max(c.time_by_bound_s, key=lambda b: c.time_by_bound_s[b]))
            for (k, w), c in times.classes.items()]
    for name, t, b in (("weight-stream", t_stream_s, streamed_bytes),
                       ("transfer", times.transfer_s, times.transfer_bytes)):
        if t > 0:
            rows.append(OpClassTime(op_class=name, where="link", ops=0, time_s=t, flops=0.0, bytes=b, bound="link"))
    if invoke_s > 0:
        rows.append(OpClassTime(op_class="invoke", where="device", ops=0, time_s=invoke_s, flops=0.0,
                                bytes=0.0, bound="fixed"))
    return tuple(sorted(rows, key=lambda r: -r.time_s))


def predict_point(wl: Workload, spec: AcceleratorSpec, rt: InferenceRuntime, precision: Precision,
                  host: AcceleratorSpec | None, host_rt: InferenceRuntime | None, batch: int) -> InferencePoint:
    """One inference of `wl` (a batch of `batch`) on `spec` at `precision.run` (an estimate; module docstring)."""
    ops = [op for op in wl.ops if op.phase == "forward"]
    on_host = _host_flags(ops, rt)
    if any(on_host) and (host is None or host_rt is None):
        raise InputError(f"{spec.name} cannot run {sum(on_host)} op(s) of {wl.name} and has no host device",
                         "pass --host NAME (a catalog CPU) for the ops that fall back")
    hst = _Side(host, host_rt, _host_precision(host, precision.run)) if host is not None and host_rt else None
    link = rt.link_byte_per_s(spec) * rt.link_eff
    times = _time_ops(ops, on_host, _Side(spec, rt, precision.run), hst, link)
    in_bytes = _input_transfer_bytes(wl, ops, on_host, precision.run, link)
    times.transfer_bytes += in_bytes
    times.transfer_s += in_bytes / link if link > 0 else 0.0
    weights = float(wl.meta.get("params") or 0.0) * DTYPE_BYTES[precision.run]
    onchip, streamed = _weights_on_device(spec, rt, weights, ops, on_host)
    t_stream = streamed / link if streamed > 0 and link > 0 else 0.0
    # the device is not invoked when every op falls back to the host
    invoke_s = rt.invoke_overhead_s if not all(on_host) else 0.0
    latency = invoke_s + times.device_s + times.host_s + times.transfer_s + t_stream
    acts = max((op.bytes_total * _scale(op, precision.run) for op in ops if not _skipped(op)), default=0.0)
    total = weights + acts + rt.workspace_bytes
    energy = _energy_j(spec, host, latency, times.device_s - times.device_overhead_s, times.host_s)
    per_inf = energy / batch if energy is not None else None
    cost = (spec.price_usd_per_hour / 3600.0 * latency / batch * 1e6) if spec.price_usd_per_hour else None
    return InferencePoint(device=spec.name, batch=batch, dtype=precision.run, latency_s=latency,
                          throughput_per_s=batch / latency, device_compute_s=times.device_s,
                          host_fallback_s=times.host_s, transfer_s=times.transfer_s, weight_stream_s=t_stream,
                          invoke_overhead_s=invoke_s, weights_bytes=weights, activations_bytes=acts,
                          workspace_bytes=rt.workspace_bytes, memory_total_bytes=total, onchip_weights_bytes=onchip,
                          streamed_weights_bytes=streamed, fits=rt.weights_on_chip or total <= spec.memory_bytes,
                          host_ops=sum(op.count for op, h in zip(ops, on_host, strict=True) if h and not _skipped(op)),
                          energy_per_inference_j=per_inf, inferences_per_j=(1.0 / per_inf) if per_inf else None,
                          power_w=(energy / latency) if energy is not None else None,
                          cost_usd_per_million=cost, op_classes=_class_rows(times, invoke_s, t_stream, streamed))


def _energy_j(spec: AcceleratorSpec, host: AcceleratorSpec | None, latency_s: float, t_dev_s: float,
              t_host_s: float) -> float | None:
    """Joules of one batch: device P(u) x latency (u = its busy fraction: `t_dev_s`, the time its ops compute or
    move data, over the latency; their per-op launch gaps are not in it) + host TDP x host time; None without the
    TDP it needs. (A MobileNet v2 at batch 1 on an H100, 306 us of which ~270 us launch gaps, was drawn at 675 W of
    its 700 W TDP, above its 415 W at batch 64, where the device is busy.)"""
    if spec.tdp_w is None:
        return None
    u = min(1.0, t_dev_s / latency_s) if latency_s > 0 else 0.0
    e = float(device_power_w(spec, u)) * latency_s
    if t_host_s > 0:
        if host is None or host.tdp_w is None:
            return None
        e += float(host.tdp_w) * t_host_s
    return e


def _delegates_nothing(wl: Workload, rt: InferenceRuntime) -> bool:
    """Every forward op of `wl` falls back to the host (the first op that reads data is one the device cannot run)."""
    return all(_host_flags([op for op in wl.ops if op.phase == "forward"], rt))


def _capture_notes(meta: dict[str, Any]) -> list[str]:
    """Where the captured model was built with real random weights instead of on PyTorch's meta device (shapes only),
    and why: a capture on the CPU (the model's forward does not run on meta), or transformers refusing to build a
    config's model on meta (workload/hf.py, meta['meta_build_error']), or a model file's factory raising there."""
    notes = []
    if meta.get("meta_build_error") and meta.get("source_kind") == "hf-config":
        notes.append("built with random weights on the CPU: transformers cannot build this model on PyTorch's meta "
                     f"device ({meta['meta_build_error']})")
    elif meta.get("meta_build_error"):  # a model file's factory (cli.profile._load_bundle)
        notes.append("built on the CPU as its factory builds it: the factory does not run on PyTorch's meta device "
                     f"({meta['meta_build_error']})")
    if isinstance(d := meta.get("seq_len_default"), list):  # a Hugging Face config planned without --input-size
        tokens, default, positions = d  # workload/hf.py build_from_hf_config
        reach = f"; the model takes up to {positions:,}" if positions else ""
        notes.append(f"default used: {tokens:,} tokens per inference (no length given: a Hugging Face config is "
                     f"built at {default} tokens, or its positions if fewer{reach}) — give --input-size N (profile: "
                     "--seq-len N) for the length of your requests (before utserve2, 2026-12-05, not said)")
    if meta.get("logits_last_token"):  # workload/inference_zoo.py last_token_logits
        tokens = meta.get("seq_len")
        per = f" of its {tokens:,}" if isinstance(tokens, int) else ""
        notes.append(f"the output layer ({meta['logits_last_token']}, hidden x vocab) computed for the last token "
                     f"of each sequence only (1{per}), as a serving engine samples the next token from it (vLLM; "
                     "`plan serve` alike); scoring every position (perplexity) computes it, and its logits, for "
                     "each token")
    if meta.get("capture_device") == "cpu":
        why = meta.get("meta_capture_error") or "data-dependent code"
        notes.append(f"captured on the CPU, with random weights: the model does not run on PyTorch's meta device "
                     f"({why})")
    return notes


def op_time_note(rt: InferenceRuntime) -> str:
    """The per-op time formula (_op_time, compute_time_s) with the family's values, so that a latency in the roofline
    table can be checked by hand from its FLOPs and bytes: the values were nowhere in the output."""
    memory = ("0 (activations on chip)" if rt.activations_on_chip
              else f"bytes / (bandwidth x {rt.memory_eff:g})")
    return (f"time per op = max(FLOPs / (peak x eff), {memory}) + {rt.op_overhead_s * 1e6:g} µs launch; eff = "
            f"{rt.matmul_eff_max:g} x FLOPs / (FLOPs + {rt.matmul_half_flop:.3g}) for conv and matmul, "
            f"{rt.matmul_eff_max:g} for other ops (family {rt.family!r}, predict/data/inference.toml)")


def _notes(spec: AcceleratorSpec, rt: InferenceRuntime, host: AcceleratorSpec | None, any_host_ops: bool,
           all_on_host: bool = False) -> list[str]:
    out = []
    if spec.tdp_w is None:
        out.append("no TDP in the catalog: energy n/a")
    elif spec.idle_w is None:
        # the words of `plan` / `plan serve` (cost.energy_defaults_note), with the fix
        out.append(f"idle power {IDLE_FRACTION_SOURCE}: the spec has no idle_w; give idle_w in a --hardware spec TOML "
                   "to replace it")
    if spec.price_usd_per_hour is None:
        out.append("no price in the catalog: cost n/a")
    basis = spec_curve_note(spec)
    if basis is not None:
        out.append(f"{basis}; the other runtime values are family {rt.family!r}'s")
    elif not rt.fitted_on:
        out.append(f"efficiencies of family {rt.family!r} not fitted on inference runs (estimate)")
    if basis is None:
        out.append(op_time_note(rt))
    if rt.workspace_bytes > 0:
        out.append(f"runtime workspace {rt.workspace_bytes / 1e9:g} GB: family {rt.family!r} default "
                   "(an assumption, predict/data/inference.toml)")
    link = rt.link_byte_per_s(spec)
    if rt.host_link_byte_per_s is not None and link > 0:
        out.append(f"host link {link / 1e9:g} GB/s per direction: family {rt.family!r} default (an assumption)")
    if all_on_host and host is not None:
        out.append(f"nothing runs on {spec.name}: the first op that reads data is one it cannot run, so the whole "
                   f"model runs on host {host.name} (no weights or activations go to the device)")
    elif rt.weights_on_chip:
        out.append("activations assumed to stay on chip (no published on-chip bandwidth)")
        out.append(f"weights beyond the {spec.sram_bytes or 0:,.0f}-byte on-chip memory stream over the host link "
                   "every inference")
    if any_host_ops and host is not None and not all_on_host:
        out.append(f"ops the device cannot run are counted on host {host.name} ({rt.partition} partition)")
    if (cap := max_memory_note([spec], "fits")) is not None:
        out.append(cap)
    return out


def check_latency_budget(latency_budget_s: float | None) -> None:
    """A latency budget must be a positive, finite number of seconds (None: no budget): `plan infer` checks it before
    it captures the model (seconds of work), plan_inference again for a library caller."""
    if latency_budget_s is not None and not 0 < latency_budget_s < math.inf:
        raise InputError(f"--latency-budget-ms {latency_budget_s * 1e3!r} must be a positive number",
                         "give milliseconds, e.g. 33 for 30 frames per second")


def plan_inference(workloads: dict[int, Workload], specs: list[AcceleratorSpec], *, dtype: str,
                   latency_budget_s: float | None = None, objective: str = "energy",
                   runtimes: list[InferenceRuntime] | None = None, host: AcceleratorSpec | None = None,
                   host_resolver: Any = None) -> InferencePlan:
    """Every device in `specs` at every batch of `workloads` (batch -> the inference Workload at that batch).

    host: the CPU that runs ops a device cannot (default: the family's `host`, resolved by `host_resolver(name)`).
    """
    if objective not in OBJECTIVES:
        raise InputError(f"--objective {objective!r}", f"use one of {', '.join(OBJECTIVES)}")
    check_latency_budget(latency_budget_s)
    if not workloads:
        raise InputError("no batch sizes to plan", "pass --batch, e.g. 1,8,64")
    for wl in workloads.values():
        check_inference_workload(wl)
    rts = runtimes if runtimes is not None else load_runtimes()
    results = []
    for spec in specs:
        rt = runtime_for(spec, rts)
        prec = run_precision(spec, dtype)
        h = host
        if h is None and rt.host and host_resolver is not None:
            h = host_resolver(rt.host)
        h_rt = runtime_for(h, rts) if h is not None else None
        pts = tuple(predict_point(workloads[b], spec, rt, prec, h, h_rt, b) for b in sorted(workloads))
        any_host = any(p.host_ops for p in pts)
        all_on_host = all(_delegates_nothing(w, rt) for w in workloads.values())
        b1 = pts[0]
        meets = None if latency_budget_s is None else bool(b1.latency_s <= latency_budget_s and b1.fits)
        results.append(DeviceInference(device=spec.name, display_name=spec.display_name, kind=spec.kind,
                                       precision=prec, family=rt.family, fitted_on=rt.fitted_on,
                                       host=h.name if (h is not None and any_host) else None, points=pts,
                                       meets_budget=meets, notes=tuple(_notes(spec, rt, h, any_host, all_on_host))))
    ranked, unranked = rank_devices(results, objective, latency_budget_s is not None)
    wl0 = workloads[min(workloads)]
    notes = []
    notes += _capture_notes(wl0.meta)
    if wl0.meta.get("input_bytes") is None:  # _input_transfer_bytes then counts 0 bytes
        notes.append(f"default used: workload {wl0.name!r} names no meta input_bytes (`profile --save-workload` does "
                     "not record it): no input transfer to the device is counted (0 bytes); give the model itself "
                     "(a name or FILE.py:factory) to `plan infer` to count it, or add input_bytes to the meta")
    return InferencePlan(model=wl0.name, workload_mode=str(wl0.meta.get("mode", "")),
                         params=float(wl0.meta.get("params") or 0.0),
                         flops_per_inference=wl0.total_flops(phase="forward") / min(workloads),
                         requested_dtype=dtype, batches=tuple(sorted(workloads)),
                         latency_budget_s=latency_budget_s, objective=objective, devices=tuple(results),
                         ranked=tuple(ranked), unranked=tuple(unranked), notes=tuple(notes))


def unfit_error(plan: InferencePlan, memory_bytes: dict[str, float]) -> InfeasibleError | None:
    """The error for a planned batch that fits on none of the devices (None when each batch fits one): the
    need of each device's point against its memory (`memory_bytes`: device name -> capacity), as `plan serve`
    names a batch that does not fit. The table and the JSON still show every point, with fits = false."""
    bad = [b for b in plan.batches if not any(d.point(b).fits for d in plan.devices)]
    if not bad:
        return None
    parts = []
    for b in bad:
        needs = ", ".join(f"{d.device} needs {fmt_bytes(d.point(b).memory_total_bytes, binary=True)} (weights "
                          f"{fmt_bytes(d.point(b).weights_bytes, binary=True)}, activations "
                          f"{fmt_bytes(d.point(b).activations_bytes, binary=True)}, workspace "
                          f"{fmt_bytes(d.point(b).workspace_bytes, binary=True)}) > "
                          f"{fmt_bytes(memory_bytes[d.device], binary=True)} of memory" for d in plan.devices)
        parts.append(f"batch {b} fits on none of the devices: {needs}")
    return InfeasibleError("; ".join(parts) + " (every point is still shown, with fits = false)",
                           "use a smaller --batch or --input-size, or a device with more memory")


def _objective_value(d: DeviceInference, objective: str) -> float:
    p = d.points[0]  # the smallest batch: single-stream when batch 1 is planned
    v = {"energy": p.energy_per_inference_j, "cost": p.cost_usd_per_million, "power": p.power_w,
         "latency": p.latency_s}[objective]
    return math.inf if v is None else float(v)


def rank_devices(results: list[DeviceInference], objective: str, budget: bool) -> tuple[list[str], list[str]]:
    """(ranked, unranked): device names best first by `objective` at the smallest batch (with a budget, only those
    meeting it; else those that fit), and those of them without the objective's figure (no price, no TDP), which
    cannot be ranked by it, by latency."""
    pool = [d for d in results if d.meets_budget] if budget else [d for d in results if d.points[0].fits]
    pool.sort(key=lambda d: (_objective_value(d, objective), d.points[0].latency_s))
    ranked = [d.device for d in pool if not math.isinf(_objective_value(d, objective))]
    return ranked, [d.device for d in pool if d.device not in ranked]


_MISSING_FIGURE = {"energy": "energy figure (no TDP in its spec)", "cost": "cost figure (no price in its spec)",
                   "power": "power figure (no TDP in its spec)", "latency": "latency"}


def ranked_text(plan: InferencePlan) -> str:
    """plan.ranked as the console and the HTML page say it: the devices ranked by the objective, best first, then
    those without the objective's figure (plan.unranked), named as not ranked ('best first by cost: l4; not ranked,
    no cost figure (no price in its spec): jetson-agx-orin')."""
    text = ", ".join(plan.ranked) or "none"
    if plan.unranked:
        text += f"; not ranked, {not_ranked_why(plan.objective)}: {', '.join(plan.unranked)}"
    return text


def not_ranked_why(objective: str) -> str:
    """Why a device is in plan.unranked under `objective`: 'no energy figure (no TDP in its spec)'."""
    return f"no {_MISSING_FIGURE[objective]}"


def check_inference_workload(wl: Workload) -> None:
    """An inference plan needs forward ops only and a parameter count."""
    if wl.meta.get("mode") == "train" or any(op.phase in ("backward", "optimizer") for op in wl.ops):
        raise InputError(f"workload {wl.name!r} was captured in train mode (it has backward/optimizer ops)",
                         "capture it with `accelopt profile MODEL --mode inference --save-workload FILE`, or give "
                         "the model itself to `plan infer`")
    if not any(op.phase == "forward" for op in wl.ops):
        raise InputError(f"workload {wl.name!r} has no forward ops", "capture an inference step of the model")
    if not float(wl.meta.get("params") or 0) > 0:
        raise InputError(f"workload {wl.name!r} has no meta 'params' (needed for the weights' memory)",
                         "save it with `accelopt profile --mode inference --save-workload`")
