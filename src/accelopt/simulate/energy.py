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
- Node scaling of on-chip energies (MAC, register file, SRAM): A. Stillmaker and B. Baas, "Scaling
  equations for the accurate prediction of CMOS device performance from 180 nm to 7 nm", Integration,
  the VLSI Journal 58 (2017) 74-81, doi:10.1016/j.vlsi.2017.02.002. Their Table 5 (energy per operation,
  fitted to HSPICE runs of PTM / ITRS models, R^2 > 0.95) gives per node a factor
      F(node, Vdd) = a Vdd^2 + b Vdd + c,
  and energy scales as E(node, V) = E(45 nm, 0.9 V) x F(node, V) / F(45 nm HP, 0.9 V): Horowitz's table
  is for 45 nm at 0.9 V. Coefficients: the 180/130/90/65 nm rows and the high-performance (HP) rows for
  45-7 nm. The published erratum (vcl.ece.ucdavis.edu/pubs/2017.02.VLSIintegration.TechScale) corrects
  the paper's Sec. 4.2.1 example with the 65 nm (3.755, -4.398, 1.975) and 32 nm HP (0.8367, -0.4341,
  0.1701) rows used here. Nodes between table rows: log(F) interpolated linearly in log(node) (our
  choice). Outside 7-180 nm the equations are not defined and the design is rejected.
  Vdd: the design's vdd_v, else the nominal supply of the node's predictive model (PTM, ptm.asu.edu:
  bulk 180 nm 1.8 V, 130 nm 1.3 V, 90 nm 1.2 V, 65 nm 1.1 V, 45 nm 1.0 V, 32 nm 0.9 V; PTM-MG FinFET
  20 nm 0.9 V, 16 nm 0.85 V, 14 nm 0.8 V, 10 nm 0.75 V, 7 nm 0.7 V), interpolated like F.
  The classical rule (C ~ L, Dennard et al., IEEE JSSC 1974) differs from these fits by up to 83x
  (Stillmaker & Baas, abstract). Leakage is not modelled. All scaled figures are estimates.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from accelopt.errors import InputError

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


# Stillmaker & Baas 2017, Table 5: energy factor F = a V^2 + b V + c per node (nm -> (a, b, c)).
_SB_ENERGY_COEFFS = {180: (0.0, 24.64, -17.98), 130: (7.171, -6.709, 2.904), 90: (4.762, -4.781, 2.092),
                     65: (3.755, -4.398, 1.975), 45: (1.018, -0.3107, 0.1539), 32: (0.8367, -0.4341, 0.1701),
                     20: (0.373, -0.1582, 0.04104), 16: (0.2958, -0.1241, 0.03024),
                     14: (0.2363, -0.09675, 0.02239), 10: (0.2068, -0.09311, 0.02375),
                     7: (0.1776, -0.09097, 0.02447)}
# Nominal supply of the predictive models (PTM bulk to 32 nm, PTM-MG FinFET 20-7 nm; ptm.asu.edu).
NOMINAL_VDD_V = {180: 1.8, 130: 1.3, 90: 1.2, 65: 1.1, 45: 1.0, 32: 0.9, 20: 0.9, 16: 0.85, 14: 0.8,
                 10: 0.75, 7: 0.7}
BASE_VDD_V = 0.9  # Horowitz ISSCC 2014: the 45 nm table is at 0.9 V
MIN_NODE_NM, MAX_NODE_NM = 7.0, 180.0
SCALING_SOURCE = ("Stillmaker & Baas, Integration 58 (2017) 74-81, Table 5 energy factors (HP rows for 45-7 nm), "
                  "relative to Horowitz ISSCC 2014 at 45 nm / 0.9 V; Vdd default: PTM nominal per node")


def _bracket(node_nm: float) -> tuple[int, int, float]:
    """Table nodes (larger, smaller) around node_nm and the log-distance weight of the smaller."""
    nodes = sorted(_SB_ENERGY_COEFFS, reverse=True)  # 180 ... 7
    if not MIN_NODE_NM <= node_nm <= MAX_NODE_NM:
        raise InputError(f"tech_node_nm = {node_nm:g} is outside {MIN_NODE_NM:g}-{MAX_NODE_NM:g} nm",
                         "the energy scaling equations (Stillmaker & Baas 2017) cover 180 nm to 7 nm; "
                         "give a node in that range")
    for hi, lo in itertools.pairwise(nodes):
        if lo <= node_nm <= hi:
            w = math.log(hi / node_nm) / math.log(hi / lo)
            return hi, lo, w
    raise AssertionError("unreachable: node in range but not bracketed")


def _log_interp(node_nm: float, values: dict[int, float]) -> float:
    hi, lo, w = _bracket(node_nm)
    return math.exp((1 - w) * math.log(values[hi]) + w * math.log(values[lo]))


def nominal_vdd_v(node_nm: float) -> float:
    """Nominal supply at `node_nm` (PTM / PTM-MG, interpolated in log(node))."""
    return _log_interp(node_nm, {n: float(v) for n, v in NOMINAL_VDD_V.items()})


def sb_energy_factor(table_node_nm: int, vdd_v: float) -> float:
    """Stillmaker & Baas 2017 Table 5 energy factor of one table node at `vdd_v`."""
    a, b, c = _SB_ENERGY_COEFFS[table_node_nm]
    return a * vdd_v**2 + b * vdd_v + c


def node_factor(node_nm: float, vdd_v: float | None = None) -> float:
    """On-chip energy at (`node_nm`, `vdd_v`) relative to Horowitz's 45 nm / 0.9 V table (an estimate).

    vdd_v None = the node's nominal supply (see module docstring)."""
    v = nominal_vdd_v(node_nm) if vdd_v is None else float(vdd_v)
    hi, lo, _ = _bracket(node_nm)
    f_hi, f_lo = sb_energy_factor(hi, v), sb_energy_factor(lo, v)
    if f_hi <= 0 or f_lo <= 0:
        raise InputError(f"vdd_v = {v:g} V is outside the range the scaling equations fit at {node_nm:g} nm",
                         f"use a supply near the node's nominal {nominal_vdd_v(node_nm):.2f} V, or omit vdd_v")
    f = _log_interp(node_nm, {hi: f_hi, lo: f_lo})
    return f / sb_energy_factor(45, BASE_VDD_V)


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
                 filter_sram_bytes: float, ofmap_sram_bytes: float, vdd_v: float | None = None) -> EnergyTable:
    f = node_factor(node_nm, vdd_v)
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
