"""Compute cycles, folds, mapping efficiency and SRAM accesses of GEMM layers on a systolic array.

Mapping (Samajdar et al., "SCALE-Sim: Systolic CNN Accelerator Simulator", arXiv:1811.02883, Sec. III,
Table I): a GEMM C[M,N] = A[M,K] B[K,N] becomes spatial dims S_R x S_C and a temporal dim T:
    os: S_R = M, S_C = N, T = K     (outputs stay in the PEs)
    ws: S_R = K, S_C = N, T = M     (weights stay)
    is: S_R = K, S_C = M, T = N     (inputs stay)
On an R x C array the layer runs in ceil(S_R/R) x ceil(S_C/C) folds.

Cycles per fold — the fill/drain terms, where SCALE-Sim's paper and its code differ:
    paper  (arXiv:1811.02883 eq. 3/4, all dataflows): 2R + C + T - 2 per fold
           (R - 1 + C - 1 cycles of skewed fill, T cycles of streaming, R cycles to load the stationary
           operand or drain the outputs).
    scalesim-code (scalesim 3.0.0, compute/systolic_compute_{os,ws,is}.py, as measured by running it):
           ws, is: 2R + C + T - 2 per fold; os: R + C + T - 2 per fold (its output-stationary demand
           matrices add no separate R-cycle output drain); and the reported total is one less than the
           sum (it reports the index of the last cycle), once per simulated layer.
`convention="paper"` is this tool's default; `"scalesim-code"` reproduces SCALE-Sim's stall-free
"Total Cycles" exactly (checked in tests/test_simulate_scalesim.py).

Everything is numpy-vectorized over layers: pure arithmetic, no per-cycle simulation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from accelopt.errors import InputError

CONVENTIONS = ("paper", "scalesim-code")
REG_ACCESSES_PER_MAC = 3
"""Register-file accesses per MAC: two operand reads + one accumulator update (assumption, stated)."""


@dataclass(frozen=True)
class LayerArrays:
    """Column view of a layer list: one int64 array per field (shape (L,))."""

    m: np.ndarray
    n: np.ndarray
    k: np.ndarray
    repeats: np.ndarray
    ifmap_elems: np.ndarray
    # convolution window (1 for GEMMs): kernel rows/cols, stride, padded input width, input channels per group
    kh: np.ndarray
    kw: np.ndarray
    stride: np.ndarray
    w_in: np.ndarray
    cin_g: np.ndarray
    # images and ofmap rows of a convolution (a GEMM: M images of 1 x 1), for the row-stationary mapping
    batch: np.ndarray
    h_out: np.ndarray

    @property
    def macs(self) -> np.ndarray:
        return self.m * self.n * self.k * self.repeats


def check_convention(convention: str) -> None:
    if convention not in CONVENTIONS:
        raise InputError(f"convention {convention!r} is unknown",
                         "use 'paper' (SCALE-Sim paper's 2R+C+T-2 per fold) or 'scalesim-code' (its code)")


def spatial_temporal(dataflow: str, a: LayerArrays) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(S_R, S_C, T) per layer for the dataflow (SCALE-Sim Table I)."""
    if dataflow == "os":
        return a.m, a.n, a.k
    if dataflow == "ws":
        return a.k, a.n, a.m
    if dataflow == "is":
        return a.k, a.m, a.n
    raise InputError(f"dataflow {dataflow!r} is unknown", "use os, ws or is")


def _ceil_div(x: np.ndarray, y: np.ndarray | int) -> np.ndarray:
    return -(-x // y)


def compute(rows: int, cols: int, cores: int, dataflow: str, a: LayerArrays,
            convention: str = "paper") -> dict[str, np.ndarray]:
    """Stall-free compute cycles and on-chip access counts per layer (element counts)."""
    check_convention(convention)
    sr, sc, t = spatial_temporal(dataflow, a)
    row_folds = _ceil_div(sr, rows)
    col_folds = _ceil_div(sc, cols)
    folds = row_folds * col_folds * a.repeats
    per_fold: np.ndarray
    if convention == "scalesim-code" and dataflow == "os":
        per_fold = rows + cols + t - 2
    else:
        per_fold = 2 * rows + cols + t - 2
    cycles = _ceil_div(folds, cores) * per_fold
    if convention == "scalesim-code":
        cycles = cycles - _ceil_div(a.repeats, cores)
    mapping = (sr * sc) / (row_folds * col_folds * rows * cols)
    macs = a.macs
    out: dict[str, np.ndarray] = {
        "folds": folds, "row_folds": row_folds, "col_folds": col_folds,
        "compute_cycles": cycles, "mapping_efficiency": mapping,
        "compute_utilization": macs / (cycles * rows * cols * cores),
    }
    out.update(sram_accesses(dataflow, a, row_folds, col_folds))
    out["rf_accesses"] = REG_ACCESSES_PER_MAC * macs
    return out


def sram_accesses(dataflow: str, a: LayerArrays, row_folds: np.ndarray,
                  col_folds: np.ndarray) -> dict[str, np.ndarray]:
    """Operand SRAM reads and output writes (elements), as the array consumes them.

    The stationary operand is read once; a streamed operand is read once per fold of the other spatial
    dimension; in ws/is the outputs are partial sums over ceil(K/R) row folds, each written, and all but
    the first read back to accumulate (SCALE-Sim counts the writes, not the read-backs).
    """
    m, n, k, rep = a.m, a.n, a.k, a.repeats
    mk, kn, mn = m * k * rep, k * n * rep, m * n * rep
    if dataflow == "os":
        return {"ifmap_sram_reads": mk * col_folds, "filter_sram_reads": kn * row_folds,
                "ofmap_sram_writes": mn, "psum_sram_reads": np.zeros_like(mn)}
    if dataflow == "ws":
        return {"ifmap_sram_reads": mk * col_folds, "filter_sram_reads": kn,
                "ofmap_sram_writes": mn * row_folds, "psum_sram_reads": mn * (row_folds - 1)}
    return {"ifmap_sram_reads": mk, "filter_sram_reads": kn * col_folds,
            "ofmap_sram_writes": mn * row_folds, "psum_sram_reads": mn * (row_folds - 1)}
