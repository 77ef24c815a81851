"""A decode step's weight-read rate by batch, from measured GEMM times (predict/data/measured_decode_gemm.csv).

A decode step's linear layers are GEMMs of M = the step's batch rows against the whole weight matrix: at small M they
read the weights and do little else, and how fast they read them depends on M (the kernel's tiling). The serving
model reads weights and KV cache at one `decode_bandwidth_efficiency` a [serving.*] table; on a device and weight
dtype with measured rows here, the weights are read at the measured rate at the step's batch instead:

    rate(M) = sum over the shapes measured at M of k x n x 2 B / sum of their times, / the catalog's bandwidth

interpolated linearly in log M between the measured M and clamped at the lowest and highest (said beside the result).
The KV cache keeps the table's rate (no row here measures it). A device or dtype without rows keeps the table's.
"""
from __future__ import annotations

import csv
import functools
import io
import math
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING

from accelopt.hardware.spec import AcceleratorSpec
from accelopt.units import unit

if TYPE_CHECKING:
    from accelopt.workload.transformer import TransformerConfig

DATA_FILE = "measured_decode_gemm.csv"
_BYTES_PER_WEIGHT = {"fp16": 2, "bf16": 2}

_SOURCES = {
    "pr6996": "vLLM PR #6996 (github.com/vllm-project/vllm/pull/6996, 2024-07-31: 'Machine : T4 x 1', torch.mm fp16 "
              "at Llama 2 7B's four linear shapes, TP 1 widths, column 'pytorch_f16_f16_f16_matmul-no-scales - main "
              "(us)'; carried to any model's weights on the device)",
}


@dataclass(frozen=True, kw_only=True)
class DecodeWeightRate:
    """The rate a decode step's weight reads ran at, measured on the device (predict/data/measured_decode_gemm.csv)."""

    device: str
    dtype: str
    batch: int = unit("count")
    """M of the step's GEMMs: the sequences of one forward (a micro-batch's under pipeline parallelism)."""
    fraction: float = unit("fraction")
    """Weight bytes per second over the catalog's memory bandwidth at `batch` (interpolated in log M)."""
    measured_m: tuple[int, ...] = unit("count", default=())
    """The M the device's rows measured (each a sum over the same shapes)."""
    clamped: bool = False
    """`batch` lies outside measured_m: the nearest end's rate is used."""
    table_fraction: float = unit("fraction")
    """The [serving.*] table's decode_bandwidth_efficiency (still the KV cache's read rate)."""
    source: str = ""

    @property
    def note(self) -> str:
        """The line printed beside the result."""
        lo, hi = self.measured_m[0], self.measured_m[-1]
        how = (f"clamped to the measured M {lo if self.batch < lo else hi}" if self.clamped
               else ("measured" if self.batch in self.measured_m else "interpolated in log M"))
        return (f"measured: {self.device}: decode weight reads at {self.fraction:.3f} of the memory bandwidth at batch "
                f"{self.batch} ({how}; {self.dtype} GEMMs timed at M {', '.join(map(str, self.measured_m))}), the "
                f"KV cache at the table's {self.table_fraction:.3f}: {self.source}")


# pytorch/pytorch issue #195716 (2026-09-02): fp16 [M,896] @ [896,4864] (Qwen2.5-0.5B's MLP gate/up) on a Tesla T4,
# 106.7 GiB/s at M 1: a layer narrower than Llama 2 7B's reads slower than the rows here measure
NARROW_SOURCE = ("pytorch/pytorch issue #195716: fp16 [1,896] x [896,4864] on a T4 at 106.7 GiB/s, 0.358 of its "
                 "320 GB/s")


def _body() -> str:
    text = (resources.files("accelopt.predict") / "data" / DATA_FILE).read_text("utf-8")
    return "\n".join(line for line in text.splitlines() if line and not line.startswith("#"))


@functools.cache
def _narrowest() -> dict[tuple[str, str], tuple[int, int]]:
    """{(device, dtype): (k, n) of the measured weight matrix of fewest elements}."""
    out: dict[tuple[str, str], tuple[int, int]] = {}
    for r in csv.DictReader(io.StringIO(_body())):
        key, kn = (r["device"], r["dtype"]), (int(r["k"]), int(r["n"]))
        if key not in out or kn[0] * kn[1] < out[key][0] * out[key][1]:
            out[key] = kn
    return out


def narrow_layers_note(spec: AcceleratorSpec, weight_dtype: str, model: TransformerConfig, tp: int) -> str | None:
    """A caution where the measured rate is carried to a model whose widest per-device weight matrix (the MLP's
    hidden x ffn / tp or the fused QKV's hidden x (q + k + v) / tp) has fewer elements than every measured one; None
    where the rate is not used or the model is as wide."""
    if (spec.name, weight_dtype) not in _narrowest() or model.is_moe:
        return None
    k, n = _narrowest()[(spec.name, weight_dtype)]
    mlp, qkv = model.ffn // tp, (model.q_width + model.k_width + model.v_width) // tp
    widest = max(mlp, qkv)
    if model.hidden * widest >= k * n:
        return None
    return (f"caution: {spec.name}: {model.name}'s widest weight matrix per device, {model.hidden} x {widest} "
            f"({'the MLP' if widest == mlp else 'the fused QKV'} at tp {tp}), is narrower than every {weight_dtype} "
            f"GEMM the decode weight-read rate was measured at (the narrowest {k} x {n}); a narrower layer reads "
            f"slower ({NARROW_SOURCE}), so its decode steps are likely predicted too fast")


@functools.cache
def _rows() -> dict[tuple[str, str], tuple[dict[int, tuple[float, float]], str]]:
    """{(device, dtype): ({M: (weight bytes, seconds) summed over the shapes measured at M}, source)}."""
    out: dict[tuple[str, str], tuple[dict[int, tuple[float, float]], str]] = {}
    for r in csv.DictReader(io.StringIO(_body())):
        by_m, _ = out.setdefault((r["device"], r["dtype"]), ({}, _SOURCES[r["source"]]))
        b, t = by_m.get(int(r["m"]), (0.0, 0.0))
        by_m[int(r["m"])] = (b + int(r["k"]) * int(r["n"]) * _BYTES_PER_WEIGHT[r["dtype"]],
                             t + float(r["time_us"]) * 1e-6)
    return out


def measured_devices() -> tuple[tuple[str, str], ...]:
    """(device, dtype) pairs with measured rows."""
    return tuple(sorted(_rows()))


def decode_weight_rate(spec: AcceleratorSpec, weight_dtype: str, batch: int,
                       table_fraction: float) -> DecodeWeightRate | None:
    """The measured weight-read rate of `spec`'s decode GEMMs at M = `batch` for `weight_dtype` weights; None where
    the file has no rows of that device and dtype (the table's rate stays)."""
    found = _rows().get((spec.name, weight_dtype))
    if found is None or spec.memory_bandwidth_byte_per_s <= 0:
        return None
    by_m, source = found
    ms = sorted(by_m)
    frac = {m: by_m[m][0] / by_m[m][1] / spec.memory_bandwidth_byte_per_s for m in ms}
    m = max(1, batch)
    clamped = m < ms[0] or m > ms[-1]
    if m <= ms[0]:
        f = frac[ms[0]]
    elif m >= ms[-1]:
        f = frac[ms[-1]]
    else:
        hi = next(x for x in ms if x >= m)
        lo = ms[ms.index(hi) - 1]
        w = (math.log(m) - math.log(lo)) / (math.log(hi) - math.log(lo)) if hi != lo else 0.0
        f = frac[lo] + w * (frac[hi] - frac[lo])
    return DecodeWeightRate(device=spec.name, dtype=weight_dtype, batch=batch, fraction=f, measured_m=tuple(ms),
                            clamped=clamped, table_fraction=table_fraction,
                            source=source)


def sweep_note(rates: list[DecodeWeightRate | None]) -> str | None:
    """The line beside one device's predictions whose decode weight reads ran at a measured rate (one point: its
    note; several batches: each batch's rate); None where none did."""
    got = [r for r in rates if r is not None]
    if not got:
        return None
    if len({r.batch for r in got}) == 1:
        return got[0].note
    r = got[0]
    by_batch = ", ".join(f"{x.fraction:.3f} at batch {x.batch}{' (clamped)' if x.clamped else ''}"
                         for x in sorted({x.batch: x for x in got}.values(), key=lambda x: x.batch))
    return (f"measured: {r.device}: decode weight reads at {by_batch} of the memory bandwidth ({r.dtype} GEMMs timed "
            f"at M {', '.join(map(str, r.measured_m))}, interpolated in log M, clamped beyond), the KV cache at the "
            f"table's {r.table_fraction:.3f}: {r.source}")
