"""Per-access energy table for a technology node: every number cited, every derived number explained.

Base table: M. Horowitz, "Computing's Energy Problem (and what we can do about it)", ISSCC 2014,
Fig. 1.1.9 ("rough energy costs for various operations", 45 nm, 0.9 V):
  integer add 8 b 0.03 pJ, 16 b 0.05 pJ, 32 b 0.1 pJ; integer multiply 8 b 0.2 pJ, 32 b 3.1 pJ;
  FP add 16 b 0.4 pJ, 32 b 0.9 pJ; FP multiply 16 b 1.1 pJ, 32 b 3.7 pJ;
  SRAM read of 64 b: 8 KB 10 pJ, 32 KB 20 pJ, 1 MB 100 pJ; DRAM 64 b access 1.3-2.6 nJ.
Register file: Chen et al., "Eyeriss: A Spatial Architecture for Energy-Efficient Dataflow for CNNs",
ISCA 2016, Fig. 1 / Table IV: normalized energy RF access = 1x the MAC (ALU) operation.

Derived, each an estimate and labelled so:
- 16-bit integer multiply: not in Horowitz's table; multiplier energy grows with bits^2 (array
  multiplier: n^2 partial products), fitted to the 8-bit point: 0.2 x (16/8)^2 = 0.8 pJ (the same
  rule gives 3.2 pJ at 32 b against the published 3.1 pJ).
- bf16 uses the fp16 figures (same multiplier width class; no published bf16 figure in the source).
- MAC = multiply at the operand width + add at the accumulator width (32-bit integer accumulators as in
  TPU v1, Jouppi et al. 2017 Sec. 2; fp32 accumulation for fp16/bf16/fp32).
- SRAM size dependence: log-log interpolation between Horowitz's 8 KB / 32 KB / 1 MB points, end
  slopes extrapolated; energy per bit = the 64-bit figure / 64; a write costs a read (assumption).
- DRAM: 1.3 nJ per 64 bit (the low end of Horowitz's range) = 20.3 pJ/bit; not node-scaled (it is
  set by the DRAM device and interface, not by the accelerator's logic node).
- Node scaling of on-chip energies: E(node) = E(45 nm) x node / 45. Rule: switched capacitance scales
  with feature size while supply voltage has stopped scaling (Horowitz ISSCC 2014, "Vdd scaling has
  stopped"; classical rule C ~ L from Dennard et al., IEEE JSSC 1974). Stillmaker & Baas (Integration
  58, 2017) show that such classical rules can be off by large factors below 45 nm; treat the scaled
  figures as estimates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

PJ = 1e-12

_ADD_PJ_45 = {("int", 8): 0.03, ("int", 16): 0.05, ("int", 32): 0.1, ("fp", 16): 0.4, ("fp", 32): 0.9}
_MUL_PJ_45 = {("int", 8): 0.2, ("int", 32): 3.1, ("fp", 16): 1.1, ("fp", 32): 3.7}
_INT16_MUL_PJ_45 = 0.2 * (16 / 8) ** 2  # bits^2 rule fitted at 8 b (see module docstring)
_SRAM_64B_READ_PJ_45 = ((8 * 1024, 10.0), (32 * 1024, 20.0), (1024 * 1024, 100.0))  # (bytes, pJ)
_DRAM_PJ_PER_BIT = 1300.0 / 64  # 1.3 nJ per 64-bit access
_RF_PER_MAC = 1.0  # RF access energy / MAC energy (Chen et al. ISCA 2016)
BASE_NODE_NM = 45.0


def _format(dtype: str) -> tuple[str, int]:
    return {"int8": ("int", 8), "int16": ("int", 16), "fp16": ("fp", 16), "bf16": ("fp", 16),
            "fp32": ("fp", 32)}[dtype]


def mac_energy_pj_45(dtype: str) -> float:
    kind, bits = _format(dtype)
    mul = _INT16_MUL_PJ_45 if (kind, bits) == ("int", 16) else _MUL_PJ_45[(kind, bits)]
    acc = _ADD_PJ_45[("int", 32)] if kind == "int" else _ADD_PJ_45[("fp", 32)]
    return mul + acc


def sram_pj_per_bit_45(size_bytes: float) -> float:
    """Log-log interpolation of Horowitz's 64-bit SRAM read energies, per bit."""
    pts = _SRAM_64B_READ_PJ_45
    size = max(float(size_bytes), 1.0)
    if size <= pts[0][0]:
        (s0, e0), (s1, e1) = pts[0], pts[1]
    elif size >= pts[-1][0]:
        (s0, e0), (s1, e1) = pts[-2], pts[-1]
    else:
        i = next(j for j in range(1, len(pts)) if size <= pts[j][0])
        (s0, e0), (s1, e1) = pts[i - 1], pts[i]
    slope = math.log(e1 / e0) / math.log(s1 / s0)
    return e0 * (size / s0) ** slope / 64.0


def node_factor(node_nm: float) -> float:
    """On-chip energy at `node_nm` relative to 45 nm (capacitance ~ feature size, Vdd flat)."""
    return node_nm / BASE_NODE_NM


@dataclass(frozen=True)
class EnergyTable:
    """Joules per event for one design (dtype, node, buffer sizes)."""

    mac_j: float
    rf_j: float
    """One register-file access of one operand."""
    ifmap_sram_j_per_elem: float
    filter_sram_j_per_elem: float
    ofmap_sram_j_per_elem: float
    dram_j_per_byte: float

    def to_dict(self) -> dict[str, float]:
        return dict(self.__dict__)


def energy_table(dtype: str, width_bits: int, node_nm: float, ifmap_sram_bytes: float,
                 filter_sram_bytes: float, ofmap_sram_bytes: float) -> EnergyTable:
    f = node_factor(node_nm)
    mac = mac_energy_pj_45(dtype) * f * PJ
    out_bits = 32  # accumulators / partial sums are 32-bit (see module docstring)
    return EnergyTable(
        mac_j=mac,
        rf_j=_RF_PER_MAC * mac,
        ifmap_sram_j_per_elem=sram_pj_per_bit_45(ifmap_sram_bytes) * width_bits * f * PJ,
        filter_sram_j_per_elem=sram_pj_per_bit_45(filter_sram_bytes) * width_bits * f * PJ,
        ofmap_sram_j_per_elem=sram_pj_per_bit_45(ofmap_sram_bytes) * out_bits * f * PJ,
        dram_j_per_byte=_DRAM_PJ_PER_BIT * 8 * PJ,
    )
