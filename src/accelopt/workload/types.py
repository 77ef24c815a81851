"""Workload: the ordered ops of one step, with their work and traffic.

Shared by `profile` (captured from a real PyTorch step), `plan` (built analytically for
transformers) and `simulate` (GEMM/conv layers mapped onto a systolic array).
FLOPs count 2 per multiply-accumulate. Bytes are what the op reads and writes in device memory
assuming no cache reuse across ops (the roofline's memory term).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Literal

from accelopt import dtypes
from accelopt.errors import InputError, unknown_fields
from accelopt.units import MAX_COUNT
from accelopt.userio import read_user_json, write_text_whole

Phase = Literal["forward", "backward", "optimizer", "communication", "data"]
PHASES: tuple[str, ...] = ("forward", "backward", "optimizer", "communication", "data")

OpKind = Literal[
    "matmul", "conv", "attention", "elementwise", "norm", "softmax", "reduction",
    "embedding", "memory", "communication", "other",
]
OP_KINDS: tuple[str, ...] = (
    "matmul", "conv", "attention", "elementwise", "norm", "softmax", "reduction",
    "embedding", "memory", "communication", "other",
)
MATMUL_LIKE = frozenset({"matmul", "conv", "attention"})

DTYPE_BYTES = {d.name: d.bytes for d in dtypes.TABLE}  # bytes per element (accelopt.dtypes)


@dataclass(frozen=True, kw_only=True)
class Gemm:
    """C[M, N] = A[M, K] @ B[K, N], repeated `batch` times (bmm / attention heads)."""

    m: int
    n: int
    k: int
    batch: int = 1

    @property
    def macs(self) -> int:
        return self.batch * self.m * self.n * self.k


@dataclass(frozen=True, kw_only=True)
class Conv:
    """2-D convolution, NCHW. groups == c_in == c_out is depthwise."""

    n: int
    c_in: int
    h_in: int
    w_in: int
    c_out: int
    kh: int
    kw: int
    stride: int = 1
    padding: int = 0
    groups: int = 1

    @property
    def h_out(self) -> int:
        return (self.h_in + 2 * self.padding - self.kh) // self.stride + 1

    @property
    def w_out(self) -> int:
        return (self.w_in + 2 * self.padding - self.kw) // self.stride + 1

    @property
    def macs(self) -> int:
        return self.n * self.c_out * self.h_out * self.w_out * (self.c_in // self.groups) * self.kh * self.kw

    def as_gemm(self) -> Gemm:
        """im2col view: per group, M = N*Ho*Wo output pixels, K = Cin/g*kh*kw, N = Cout/g."""
        return Gemm(m=self.n * self.h_out * self.w_out, n=self.c_out // self.groups,
                    k=(self.c_in // self.groups) * self.kh * self.kw, batch=self.groups)


@dataclass(frozen=True, kw_only=True)
class Op:
    name: str
    """Operator name, e.g. 'aten.mm' or 'attn.qk'."""
    kind: str
    flops: float
    bytes_read: float
    bytes_written: float
    dtype: str = "fp32"
    shapes: tuple[tuple[int, ...], ...] = ()
    module: str = ""
    """Dotted module path that issued the op ('' for the top level)."""
    phase: str = "forward"
    gemm: Gemm | None = None
    conv: Conv | None = None
    count: int = 1
    """How many identical ops this entry stands for (e.g. one per layer)."""

    @property
    def bytes_total(self) -> float:
        return self.bytes_read + self.bytes_written

    @property
    def intensity_flop_per_byte(self) -> float:
        b = self.bytes_total
        return self.flops / b if b > 0 else float("inf")


MAX_DIM = 2**31 - 1
"""Largest GEMM/conv dimension read from a file (int32, as in the kernels that run them); beyond it the
products of dimensions overflow the simulator's 64-bit integers."""
_OP_NUMBERS = ("flops", "bytes_read", "bytes_written")


def _check_field_names(raw: Mapping[str, Any], cls: type, where: str) -> None:
    """InputError for a key of `raw` that is not a field of the dataclass `cls`, naming the field meant."""
    allowed = [f.name for f in fields(cls)]
    unknown = sorted(str(k) for k in set(raw) - set(allowed))
    if unknown:
        raise unknown_fields(where, unknown, allowed)


def _check_dims(cls: type[Gemm] | type[Conv], raw: Any, where: str) -> Gemm | Conv:
    fix = "pass a file written by `accelopt profile --save-workload`"
    if not isinstance(raw, Mapping):
        raise InputError(f"{where}: {cls.__name__.lower()} is a {type(raw).__name__}, not an object", fix)
    _check_field_names(raw, cls, f"{where}: {cls.__name__.lower()}")
    for key, v in raw.items():
        low = 0 if key == "padding" else 1
        if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= MAX_DIM:
            raise InputError(f"{where}: {cls.__name__.lower()}.{key} = {v!r} is not a whole number in "
                             f"{low}..{MAX_DIM:,}", "give the layer's real sizes")
    try:
        shape = cls(**raw)
    except TypeError as e:
        raise InputError(f"{where}: {cls.__name__.lower()} is malformed ({e})", fix) from None
    if isinstance(shape, Conv):
        _check_conv_geometry(shape, where)
    return shape


def _check_conv_geometry(c: Conv, where: str) -> None:
    """InputError for a conv that cannot run: groups not dividing the channels, or a kernel larger than the padded
    input (its output sizes come out below 1, and their product could even be positive)."""
    if c.c_in % c.groups or c.c_out % c.groups:
        raise InputError(f"{where}: conv.groups = {c.groups} does not divide both c_in = {c.c_in} and "
                         f"c_out = {c.c_out}",
                         "give groups that divide both channel counts (groups = c_in = c_out is depthwise)")
    if c.h_out < 1 or c.w_out < 1:
        raise InputError(f"{where}: conv kernel {c.kh}x{c.kw} is larger than the padded input "
                         f"{c.h_in + 2 * c.padding}x{c.w_in + 2 * c.padding} (h_in/w_in + 2 x padding)",
                         "give the layer's real input size, kernel and padding")


def _op_from_dict(raw: Any, index: int) -> Op:
    """One op of a workload JSON, each field checked; errors name the op."""
    fix = "pass a file written by `accelopt profile --save-workload`"
    where = f"op {index}"
    if not isinstance(raw, Mapping):
        raise InputError(f"{where} is a {type(raw).__name__}, not an object", fix)
    raw = dict(raw)
    where = f"op {index} ({str(raw.get('name'))[:80]!r})"
    _check_field_names(raw, Op, where)  # 'flop' was "flops = None is not a number", 'phse' a TypeError's words
    for key in _OP_NUMBERS:
        v = raw.get(key)
        if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v < float("inf"):
            raise InputError(f"{where}: {key} = {v!r} is not a finite number >= 0", fix)
    count = raw.get("count", 1)
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_DIM:
        raise InputError(f"{where}: count = {count!r} is not a whole number >= 1", fix)
    if raw.get("kind") not in OP_KINDS:
        raise InputError(f"{where}: kind = {raw.get('kind')!r} is not one of {', '.join(OP_KINDS)}", fix)
    for key in ("name", "dtype", "module", "phase"):
        if (key == "name" or key in raw) and not isinstance(raw.get(key), str):
            raise InputError(f"{where}: {key} = {raw.get(key)!r} is not text", fix)
    if "dtype" in raw and raw["dtype"] not in DTYPE_BYTES:  # its bytes per element were then looked up in vain
        raise InputError(f"{where}: dtype = {raw['dtype']!r} is not one of {', '.join(DTYPE_BYTES)}",
                         "give the op's element type by its accelopt name, e.g. bf16")
    shapes = raw.get("shapes", ())
    if not isinstance(shapes, list | tuple) or not all(
            isinstance(sh, list | tuple) and all(isinstance(x, int) and not isinstance(x, bool) for x in sh)
            for sh in shapes):
        raise InputError(f"{where}: shapes = {str(shapes)[:80]} is not a list of integer lists", fix)
    # a tensor's sizes are >= 0 (0: an empty tensor); a negative one was read as is, and two of them cancelled in
    # the product simulate takes of a convolution_backward's shapes, which ran as if they were positive
    bad = next((x for sh in shapes for x in sh if not 0 <= x <= MAX_DIM), None)
    if bad is not None:
        raise InputError(f"{where}: shapes = {str(shapes)[:80]} holds the size {bad}, not one in 0..{MAX_DIM:,}",
                         "give each tensor's real sizes (0 for an empty dimension)")
    raw["shapes"] = tuple(tuple(sh) for sh in shapes)
    # `is not None`, not truthiness: "gemm": {} (or [], 0, "") passed through unchecked and stopped plan and
    # simulate with an AttributeError traceback
    if raw.get("gemm") is not None:
        raw["gemm"] = _check_dims(Gemm, raw["gemm"], where)
    if raw.get("conv") is not None:
        raw["conv"] = _check_dims(Conv, raw["conv"], where)
    try:
        op = Op(**raw)
    except TypeError as e:  # an unknown or missing field
        raise InputError(f"{where} is malformed ({e})", fix) from None
    _check_flops_match_shape(op, where)
    return op


FLOPS_SHAPE_REL_TOL = 0.05
"""How far an op's stated flops may sit from 2 x the MACs of its gemm/conv shape: a figure rounded to two
significant digits moves by at most 5%."""
EPILOGUE_FLOPS_PER_OUTPUT = 10.0
"""Element-wise work an op may fuse after its GEMM, per GEMM output element, on top of 2 x MACs: a bias add (1) and
the longest activation in opcount.ELEMENT_FLOPS (gelu_backward, 9). A captured fused LSTM layer carries 13 per hidden
unit over its 4 gate outputs (3.25; opcount_fused.POINTWISE_PER_HIDDEN)."""


def _check_flops_match_shape(op: Op, where: str) -> None:
    """InputError when an op with a gemm or conv shape states flops that are not 2 x its MACs (within
    FLOPS_SHAPE_REL_TOL, plus a fused element-wise epilogue of up to EPILOGUE_FLOPS_PER_OUTPUT per output). `plan`
    times an op from its flops and `simulate` from its shape, so a mismatch made the two disagree without a word."""
    shape: Gemm | Conv | None = op.conv if op.conv is not None else op.gemm  # what simulate maps (layers.py)
    if shape is None:
        return
    if op.kind not in MATMUL_LIKE:  # plan times it as that kind (no matmul efficiency), simulate as a GEMM
        raise InputError(f"{where}: kind = {op.kind!r} but the op has a {'conv' if op.conv else 'gemm'} shape, "
                         "which only matrix-multiply kinds carry",
                         f"set kind to {'conv' if op.conv else 'matmul'} (or attention), or drop the shape")
    gemm = shape.as_gemm() if isinstance(shape, Conv) else shape
    shape_flops = 2.0 * shape.macs
    outputs = gemm.batch * gemm.m * gemm.n
    low = shape_flops * (1 - FLOPS_SHAPE_REL_TOL)
    high = shape_flops * (1 + FLOPS_SHAPE_REL_TOL) + EPILOGUE_FLOPS_PER_OUTPUT * outputs
    if low <= op.flops <= high:
        return
    what = "conv" if isinstance(shape, Conv) else "gemm"
    raise InputError(
        f"{where}: flops = {op.flops:.4g} disagrees with its {what} shape, which holds {shape.macs:,} MACs = "
        f"{shape_flops:.4g} FLOPs (2 per multiply-accumulate; accepted {low:.4g}..{high:.4g}: "
        f"{FLOPS_SHAPE_REL_TOL:.0%} either way plus up to {EPILOGUE_FLOPS_PER_OUTPUT:g} element-wise FLOPs per "
        "output); `plan` would time the op from its flops and `simulate` from its shape",
        f"set flops to {shape_flops:.6g} (per op; 'count' repeats it), or fix the {what} sizes; an op that runs "
        "several GEMMs needs one entry per GEMM")


@dataclass(kw_only=True)
class Workload:
    name: str
    ops: list[Op] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    """Free-form facts: batch_size, seq_len, params, mode ('train'/'inference'), dtype, source."""

    def __post_init__(self) -> None:
        for op in self.ops:
            if op.phase not in PHASES:
                raise InputError(f"op {op.name!r} has phase {op.phase!r}", f"use one of {', '.join(PHASES)}")

    # ---- totals (each op entry weighted by its count)
    def total_flops(self, phase: str | None = None, kinds: Iterable[str] | None = None) -> float:
        ks = set(kinds) if kinds is not None else None
        return sum(o.flops * o.count for o in self.ops
                   if (phase is None or o.phase == phase) and (ks is None or o.kind in ks))

    def total_bytes(self, phase: str | None = None) -> float:
        return sum(o.bytes_total * o.count for o in self.ops if phase is None or o.phase == phase)

    def matmul_flops(self) -> float:
        return self.total_flops(kinds=MATMUL_LIKE)

    def by_phase(self) -> dict[str, float]:
        out: dict[str, float] = defaultdict(float)
        for o in self.ops:
            out[o.phase] += o.flops * o.count
        return dict(out)

    def by_kind(self) -> dict[str, float]:
        out: dict[str, float] = defaultdict(float)
        for o in self.ops:
            out[o.kind] += o.flops * o.count
        return dict(out)

    def by_module(self, depth: int = 1) -> dict[str, float]:
        """FLOPs rolled up to the first `depth` components of the module path."""
        out: dict[str, float] = defaultdict(float)
        for o in self.ops:
            key = ".".join(o.module.split(".")[:depth]) if o.module else "<top>"
            out[key] += o.flops * o.count
        return dict(out)

    # ---- persistence
    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "meta": self.meta, "ops": [asdict(o) for o in self.ops]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Workload:
        """A Workload from its JSON form; every field is checked (type, finite, range) and a bad one is named. An op
        with a gemm or conv shape must be of a matmul kind, its conv must fit its input, and its flops must be 2 x
        the shape's MACs (_check_flops_match_shape): plan reads the flops, simulate the shape."""
        fix = "pass a file written by `accelopt profile --save-workload`"
        if not isinstance(d, Mapping):
            raise InputError("workload data is not a JSON object", fix)
        schema = d.get("schema")
        if isinstance(schema, str) and schema.startswith("accelopt."):  # a --json document: 'did you mean 'ops' for
            # 'flops_per_step'?' over 30 result fields said nothing about the mistake
            raise InputError(f"workload data is the result of an accelopt command (schema {schema!r}, its --json "
                             "document), not a workload", "write the workload with `accelopt profile MODEL "
                             "--save-workload workload.json` and pass that file")
        extra = sorted(set(d) - {"name", "meta", "ops"})
        if extra:  # a misspelt field ('opz', 'metadata'): nothing reads it (before 'missing': 'opz' is 'ops' misspelt)
            e = unknown_fields("workload data", extra, ["name", "meta", "ops"])
            raise InputError(e.problem, f"{e.fix}; put facts such as batch_size in meta")
        for key in ("name", "ops"):
            if key not in d:
                raise InputError(f"workload data is missing the field {key!r}", fix)
        if not isinstance(d["ops"], list):
            raise InputError(f"workload field 'ops' is a {type(d['ops']).__name__}, not a list of ops", fix)
        if not d["ops"]:  # a step of no work: plan printed a step time of the fixed overheads alone
            raise InputError("workload field 'ops' is empty: the step holds no op", f"list the step's ops, or {fix}")
        meta = d.get("meta", {})
        if not isinstance(meta, Mapping):
            raise InputError(f"workload field 'meta' is a {type(meta).__name__}, not an object", fix)
        _check_meta_numbers(meta, fix)
        ops = [_op_from_dict(raw, i) for i, raw in enumerate(d["ops"])]
        return cls(name=str(d["name"]), ops=ops, meta=dict(meta))

    def save(self, path: Path | str) -> None:
        """Write the workload JSON all or nothing (an earlier file of the name is kept if the write fails)."""
        write_text_whole(path, json.dumps(self.to_dict(), indent=1))

    @classmethod
    def load(cls, path: Path | str) -> Workload:
        p = Path(path)
        d = read_user_json(p, "workload file", "check the path (a file saved by `accelopt profile --save-workload`)")
        try:
            return cls.from_dict(d)
        except InputError as e:  # name the file
            raise InputError(f"workload file {p}: {e.problem}", e.fix) from None


def _check_meta_numbers(meta: Mapping[str, Any], fix: str) -> None:
    """InputError for a meta count the planners compute with that is not one: batch_size and seq_len (whole,
    1..2^31 - 1) and params (whole, 0..1e15), each when set. 'abc' ended `plan` in a ValueError traceback; 128.5 or -3
    sequence positions were used as given."""
    if "mode" in meta and meta["mode"] not in WORKLOAD_MODES:  # 'training' planned as if 'train' went unsaid
        raise InputError(f"workload field 'meta.mode' = {meta['mode']!r} is not one of {', '.join(WORKLOAD_MODES)}",
                         f"fix meta.mode, or {fix}")
    for key, least, most in (("batch_size", 1, MAX_COUNT), ("seq_len", 1, MAX_COUNT), ("params", 0, MAX_PARAMS)):
        v = meta.get(key)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v != int(v) \
                or not least <= v <= most:
            raise InputError(f"workload field 'meta.{key}' = {v!r} is not a whole number in {least}..{most:,.0f}",
                             f"fix meta.{key}, or {fix}")


WORKLOAD_MODES = ("train", "inference")
"""meta.mode values: the modes `profile` captures (workload.capture.MODES, not imported: it needs torch)."""

MAX_PARAMS = 1e15
"""Most parameters a workload may record: ~600x the largest published models (Switch-C, 1.6e12; Fedus et al.
2022, Table 9)."""
