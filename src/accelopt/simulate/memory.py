"""DRAM traffic given the operand buffer sizes and a tiling, and the stalls a short bandwidth causes.

Model (an estimate, layer by layer, no fusion across layers: each layer reads its inputs and weights
from DRAM and writes its outputs back):
- Buffers are double-buffered: half of each operand SRAM holds the working tile while the other half
  fills (SCALE-Sim's double-buffered scratchpad uses the same 0.5 active fraction,
  scalesim/single_layer_sim.py `active_buf_frac = 0.5`).
- If the weights B[K,N] of one repeat fit in half the filter SRAM, or the unique inputs fit in half the
  ifmap SRAM, every operand is read from DRAM once (full reuse on chip).
- Otherwise the layer is tiled and the better of two loop orders is taken:
    keep a tile of N columns of B on chip (nt = Sf / (K*b) columns) and re-stream the inputs
    ceil(N/nt) times; or keep a tile of M rows of A (mt = Si / (K*b) rows) and re-stream the weights
    ceil(M/mt) times.
- Outputs are written once, at the datatype width.
- Memory traffic overlaps compute (double buffering); stall cycles = max(0, DRAM cycles - compute
  cycles) + the DRAM latency once per layer (first tile).
"""

from __future__ import annotations

import numpy as np

from accelopt.simulate.dataflow import LayerArrays


def dram_traffic(a: LayerArrays, bytes_per_elem: float, ifmap_sram_bytes: int,
                 filter_sram_bytes: int) -> dict[str, np.ndarray]:
    """DRAM bytes read per operand and written, per layer (all repeats)."""
    b = bytes_per_elem
    si, sf = ifmap_sram_bytes / 2, filter_sram_bytes / 2
    a_bytes = a.ifmap_elems * b
    w_bytes = a.k * a.n * b
    fits = (w_bytes <= sf) | (a_bytes <= si)
    nt = np.maximum(1, np.floor(sf / (a.k * b)))
    mt = np.maximum(1, np.floor(si / (a.k * b)))
    a_passes = np.ceil(a.n / nt)
    w_passes = np.ceil(a.m / mt)
    order_n = a_bytes * a_passes + w_bytes       # B tile resident, inputs re-streamed
    order_m = a_bytes + w_bytes * w_passes       # A tile resident, weights re-streamed
    use_n = order_n <= order_m
    ifmap_read = np.where(fits, a_bytes, np.where(use_n, a_bytes * a_passes, a_bytes))
    filter_read = np.where(fits, w_bytes, np.where(use_n, w_bytes, w_bytes * w_passes))
    rep = a.repeats
    return {"dram_ifmap_read_bytes": ifmap_read * rep, "dram_filter_read_bytes": filter_read * rep,
            "dram_ofmap_write_bytes": a.m * a.n * b * rep}


def stalls(dram_bytes: np.ndarray, compute_cycles: np.ndarray, bandwidth_byte_per_s: float, clock_hz: float,
           latency_s: float) -> tuple[np.ndarray, np.ndarray]:
    """(dram_cycles, stall_cycles) per layer."""
    dram_cycles = np.ceil(dram_bytes / bandwidth_byte_per_s * clock_hz)
    stall = np.maximum(0.0, dram_cycles - compute_cycles) + np.ceil(latency_s * clock_hz)
    return dram_cycles, stall
