"""DRAM traffic of a layer as a buffer-capacity-aware tiled schedule, and the stalls a finite bandwidth causes.

Model (an estimate, layer by layer, no fusion across layers: each layer reads its inputs and weights
from DRAM and writes its outputs back). Every term responds to the buffer sizes:

- Double buffering: half of each operand SRAM holds the working tile while the other half fills
  (SCALE-Sim's double-buffered scratchpad uses the same 0.5 active fraction,
  scalesim/single_layer_sim.py `active_buf_frac = 0.5`). Below, Si, Sf, So are those halves.
- Input re-fetch by reuse distance (convolutions): reading every input pixel from DRAM once needs a
  line buffer of kh input rows (kh x W x Cin/g elements; the classic sliding-window line buffer, e.g.
  Bosi et al., FPL 1999; the reuse analysis of Chen et al., ISCA 2016, Sec. IV). If Si is smaller, the
  vertical reuse is lost and each input is read ceil(kh/stride) times; if Si cannot hold even one
  kh x kw x Cin/g window, the horizontal reuse is lost too and the layer reads its im2col expansion
  (M x K elements). GEMMs have no such reuse (factor 1).
- Operand tiling and loop order: if the weights B[K,N] of one repeat fit in Sf, or the (re-used) input
  stream fits in Si, every operand crosses the DRAM interface once per repeat. Otherwise the better of
  two loop orders is taken: keep nt = Sf / (K b) columns of B on chip and re-stream the inputs
  ceil(N/nt) times, or keep mt = Si / (K b) rows of A and re-stream the weights ceil(M/mt) times, or keep
  nothing between folds and read each fold's slices of both operands (fold_passes; the least a buffer too
  small for one K-row of either operand can cost).
- Accumulators (ws, is): the array accumulates over K in ceil(K/R) row folds; the partial sums of one
  output strip (T x C accumulators of `PSUM_BYTES` each, T the temporal dimension of arXiv:1811.02883
  Table I) must stay in So between folds. If the strip does not fit, the schedule splits T into chunks
  that fit and re-loads the stationary operand once per extra chunk (R cycles per fold, counted as
  stalls); if not even one temporal step fits, partial sums spill to DRAM (written and read back once
  per extra fold). os keeps its partial sums in the PEs.
- Outputs are written once, at the operand width.
- Time: the first fold's stationary operand must arrive before the array starts (exposed fill); the
  rest of the traffic overlaps compute (double buffering), so
      stall cycles = fill cycles + max(0, remaining DRAM cycles - busy cycles) + DRAM latency + reloads,
  busy cycles = compute + accumulator-chunk reloads.
  An unlimited bandwidth (`math.inf`, SCALE-Sim's CALC mode) gives no stalls.
"""

from __future__ import annotations

import numpy as np

from accelopt.simulate.dataflow import LayerArrays, spatial_temporal
from accelopt.simulate.scalesim_trace import ConvShape, simulate_layer

PSUM_BYTES = 4
"""Accumulator width in bytes: 32-bit accumulators (TPU v1, Jouppi et al. 2017 Sec. 2; fp32 for floats)."""
ACTIVE_FRACTION = 0.5
"""Working part of a double-buffered SRAM (SCALE-Sim single_layer_sim.py, active_buf_frac = 0.5)."""


def input_reuse_factor(a: LayerArrays, bytes_per_elem: float, si_bytes: float) -> np.ndarray:
    """How many times each unique input element is read from DRAM per pass, given the working input buffer.

    1 if a kh-row line buffer fits; ceil(kh/stride) if only one kh x kw window fits; else the im2col
    expansion M*K / unique inputs (each window read whole). Shape (L,)."""
    b = bytes_per_elem
    line_bytes = a.kh * a.w_in * a.cin_g * b
    window_bytes = a.kh * a.kw * a.cin_g * b
    expansion = np.maximum(1.0, (a.m * a.k) / a.ifmap_elems)
    vertical = np.minimum(expansion, np.maximum(1.0, np.ceil(a.kh / a.stride)))
    return np.where(si_bytes >= line_bytes, 1.0, np.where(si_bytes >= window_bytes, vertical, expansion))


def dram_traffic(a: LayerArrays, bytes_per_elem: float, ifmap_sram_bytes: int, filter_sram_bytes: int,
                 ofmap_sram_bytes: int, rows: int, cols: int, dataflow: str) -> dict[str, np.ndarray]:
    """DRAM bytes per operand and per direction, per layer (all repeats). Shapes (L,)."""
    b = bytes_per_elem
    si, sf, so = (ACTIVE_FRACTION * x for x in (ifmap_sram_bytes, filter_sram_bytes, ofmap_sram_bytes))
    reuse = input_reuse_factor(a, b, si)
    a_bytes = a.ifmap_elems * b * reuse                      # one pass over the inputs
    w_bytes = a.k * a.n * b
    fits = (w_bytes <= sf) | (a_bytes <= si)
    nt = np.floor(sf / (a.k * b))                            # whole K-columns of B that fit (0: not one)
    mt = np.floor(si / (a.k * b))                            # whole K-rows of A that fit
    with np.errstate(divide="ignore"):
        order_n = np.where(nt >= 1, a_bytes * np.ceil(a.n / nt) + w_bytes, np.inf)  # B resident, A re-streamed
        order_m = np.where(mt >= 1, a_bytes + w_bytes * np.ceil(a.m / mt), np.inf)  # A resident, B re-streamed
    a_passes, w_passes = fold_passes(a, rows, cols, dataflow)
    order_f = a_bytes * a_passes + w_bytes * w_passes        # nothing kept between folds
    use_n = (order_n <= order_m) & (order_n <= order_f)
    use_m = ~use_n & (order_m <= order_f)
    ifmap_read = np.where(fits | use_m, a_bytes, np.where(use_n, order_n - w_bytes, a_bytes * a_passes))
    filter_read = np.where(fits | use_n, w_bytes, np.where(use_m, order_m - a_bytes, w_bytes * w_passes))
    spill = psum_spill_bytes(a, so, rows, cols, dataflow)
    rep = a.repeats
    return {"dram_ifmap_read_bytes": ifmap_read * rep, "dram_filter_read_bytes": filter_read * rep,
            "dram_ofmap_write_bytes": a.m * a.n * b * rep, "dram_psum_bytes": spill * rep,
            "input_reuse_factor": reuse}


def fold_passes(a: LayerArrays, rows: int, cols: int, dataflow: str) -> tuple[np.ndarray, np.ndarray]:
    """(input passes, weight passes) of the schedule that keeps no operand on chip between folds: each fold
    reads its own slice of both operands from DRAM, so an operand is read once per fold along the dimension it
    does not map to (arXiv:1811.02883 Table I: os maps M x N, re-reading A per N-fold and B per M-fold; ws
    maps K x N with B stationary, re-reading A per N-fold; is maps K x M with A stationary, re-reading B per
    M-fold). It needs no buffer beyond the array's edge, so no smaller SRAM can cost more traffic than it:
    the loop orders that keep a whole K-row of an operand on chip (dram_traffic) are taken only where they
    move less. Shapes (L,)."""
    ones = np.ones(len(a.m))
    if dataflow == "os":
        return np.ceil(a.n / cols), np.ceil(a.m / rows)
    if dataflow == "ws":
        return np.ceil(a.n / cols), ones
    return ones, np.ceil(a.m / cols)                         # is


def accumulator_chunks(a: LayerArrays, so_bytes: float, cols: int, dataflow: str) -> np.ndarray:
    """Chunks of the temporal dimension whose partial sums fit in the working output buffer (ws, is).

    The array accumulates over K in ceil(K/R) row folds; the partial sums of one output strip (T x C
    accumulators of `PSUM_BYTES`, T the temporal dimension of arXiv:1811.02883 Table I) must stay in the
    output buffer between folds. A scheduler that cannot hold the strip splits T into chunks that fit
    (TPU v1 does this with its 4096-row accumulators, Jouppi et al. 2017 Sec. 2) and re-loads the
    stationary operand once per extra chunk. os keeps its partial sums in the PEs: 1 chunk. Shape (L,)."""
    if dataflow == "os":
        return np.ones(len(a.m))
    _, sc, t = spatial_temporal(dataflow, a)
    row_bytes = np.minimum(sc, cols) * PSUM_BYTES             # accumulators of one temporal step
    t_chunk = np.maximum(1.0, np.floor(so_bytes / row_bytes))
    return np.ceil(t / t_chunk)


def psum_spill_bytes(a: LayerArrays, so_bytes: float, rows: int, cols: int, dataflow: str) -> np.ndarray:
    """Partial-sum bytes written to DRAM and read back (both directions), per repeat: only when the output
    buffer cannot hold even one temporal step of accumulators (C x PSUM_BYTES), so chunking cannot help."""
    if dataflow == "os":
        return np.zeros(len(a.m))
    _, sc, _ = spatial_temporal(dataflow, a)
    k_folds: np.ndarray = -(-a.k // rows)
    too_small = so_bytes < np.minimum(sc, cols) * PSUM_BYTES
    return np.where(too_small, 2.0 * (k_folds - 1) * a.m * a.n * PSUM_BYTES, 0.0)


def reload_cycles(a: LayerArrays, so_bytes: float, rows: int, cols: int, cores: int, dataflow: str,
                  folds: np.ndarray) -> np.ndarray:
    """Cycles spent re-loading the stationary operand (R cycles per fold, arXiv:1811.02883 eq. 3) once per
    extra accumulator chunk; 0 when the output strip fits. Counted as stalls, not compute. Shape (L,)."""
    chunks = accumulator_chunks(a, so_bytes, cols, dataflow)
    return np.ceil((chunks - 1) * folds / cores) * rows


def fill_bytes(a: LayerArrays, bytes_per_elem: float, rows: int, cols: int, dataflow: str) -> np.ndarray:
    """Bytes that must arrive before the array's first cycle (not hidden by double buffering): the first
    fold's stationary operand (ws: R x C weights, is: R x C inputs), or for os the first operand row and
    column that enter the array edges (R + C elements). Later tiles stream behind the compute. Shape (L,)."""
    sr, sc, _ = spatial_temporal(dataflow, a)
    if dataflow == "os":
        return (np.minimum(sr, rows) + np.minimum(sc, cols)) * bytes_per_elem
    return np.minimum(sr, rows) * np.minimum(sc, cols) * bytes_per_elem


def latency_cycles(latency_s: float, clock_hz: float) -> float:
    """Cycles a layer waits on the DRAM latency (once per layer, at any bandwidth)."""
    return float(np.ceil(latency_s * clock_hz))


def stalls(dram_bytes: np.ndarray, fill: np.ndarray, compute_cycles: np.ndarray, reloads: np.ndarray,
           bandwidth_byte_per_s: float, clock_hz: float, latency_s: float) -> tuple[np.ndarray, np.ndarray]:
    """(dram_cycles, stall_cycles) per layer; an infinite bandwidth gives no bandwidth stalls."""
    if np.isinf(bandwidth_byte_per_s):
        zero = np.zeros_like(compute_cycles, dtype=np.float64)
        return zero, reloads + latency_cycles(latency_s, clock_hz)
    cycles_per_byte = clock_hz / bandwidth_byte_per_s
    dram_cycles = np.ceil(dram_bytes * cycles_per_byte)
    fill_cycles = np.ceil(fill * cycles_per_byte)
    busy = compute_cycles + reloads
    latency = latency_cycles(latency_s, clock_hz)
    stall = fill_cycles + np.maximum(0.0, dram_cycles - fill_cycles - busy) + latency + reloads
    return dram_cycles, stall


# ---- `--convention scalesim-code`: SCALE-Sim 3.0.0's own buffers instead of the tiling model
def scalesim_shapes(a: LayerArrays) -> list[ConvShape | None]:
    """Each layer as the SCALE-Sim topology row it would be (None: not one SCALE-Sim layer, e.g. a conv whose
    output rows do not tile). The padded ifmap height is not in LayerArrays: a square output is taken to
    come from a square input (H = W, as in every built-in CNN), otherwise from the fewest rows its outputs
    need; SCALE-Sim then rounds the output size up as its topology reader does (scalesim_trace.ConvShape)."""
    out: list[ConvShape | None] = []
    for i in range(len(a.m)):
        m, n, k = int(a.m[i]), int(a.n[i]), int(a.k[i])
        kh, kw, s, w, c = (int(x[i]) for x in (a.kh, a.kw, a.stride, a.w_in, a.cin_g))
        if k != kh * kw * c:                                  # a GEMM: SCALE-Sim's M x K ifmap, 1 x K filter
            out.append(ConvShape(ifmap_h=m, ifmap_w=k, fh=1, fw=k, channels=1, filters=n, stride=1))
            continue
        # the true output width, or SCALE-Sim's rounded-up one (a layer read with scalesim_rounding)
        wo = next((x for x in ((w - kw) // s + 1, -(-(w - kw + s) // s)) if x > 0 and m % x == 0), 0)
        if not wo:
            out.append(None)
            continue
        h = w if m == wo * wo else (m // wo - 1) * s + kh
        out.append(ConvShape(ifmap_h=h, ifmap_w=w, fh=kh, fw=kw, channels=c, filters=n, stride=s))
    return out


MAX_REPLAY_ELEMS = 2**28
"""Largest demand matrix (rows x array width) replayed (about 1 GiB of int32 addresses); bigger layers keep the
tiling model, as do addresses beyond int32."""


def _demand_elems(s: ConvShape, rows: int, cols: int) -> int:
    """Upper bound on a layer's demand-matrix entries and operand addresses."""
    m, k, n = s.ofmap_h * s.ofmap_w, s.fh * s.fw * s.channels, s.filters
    demand = max((-(-sr // rows)) * (-(-sc // cols)) * (2 * rows + cols + t) * max(rows, cols)
                 for sr, sc, t in ((m, n, k), (k, n, m), (k, m, n)))        # os, ws, is (SCALE-Sim Table I)
    return max(demand, s.ifmap_h * s.ifmap_w * s.channels, k * n, m * k)


def scalesim_user_columns(a: LayerArrays, rows: int, cols: int, cores: int, dataflow: str, bytes_per_elem: float,
                          sram_bytes: tuple[int, int, int], bandwidth_byte_per_s: float,
                          clock_hz: float) -> dict[str, np.ndarray] | None:
    """DRAM bytes and stall cycles per layer from SCALE-Sim 3.0.0's USER-mode buffers (accelopt.simulate.
    scalesim_trace), each repeat run as its own SCALE-Sim layer; None where that model does not apply (an
    unlimited bandwidth, several cores, a bandwidth below one word per cycle). Layers it cannot replay
    have NaN and `scalesim_replayed` 0. Buffers and bandwidth are converted to SCALE-Sim words of
    `bytes_per_elem` bytes (SCALE-Sim itself fixes 1-byte words); the bandwidth is floored to whole words per
    cycle, as SCALE-Sim's integer Bandwidth field. SCALE-Sim has no DRAM latency beyond its 1-cycle read port,
    so the design's dram_latency_s is not added to replayed layers."""
    words_per_cycle = bandwidth_byte_per_s / clock_hz / bytes_per_elem
    if np.isinf(bandwidth_byte_per_s) or cores != 1 or words_per_cycle < 1:
        return None
    bw = int(words_per_cycle)
    if_words, fi_words, of_words = (int(x // bytes_per_elem) for x in sram_bytes)
    names = ("total", "stall", "ifmap", "filter", "ofmap")
    cols_out = {key: np.full(len(a.m), np.nan) for key in names}
    replayed = np.zeros(len(a.m))
    for i, shape in enumerate(scalesim_shapes(a)):
        if shape is None or _demand_elems(shape, rows, cols) > MAX_REPLAY_ELEMS:
            continue
        r = simulate_layer(shape, dataflow, rows, cols, if_words, fi_words, of_words, bw)
        for key, v in zip(names, (r.total_cycles, r.stall_cycles, r.ifmap_dram_reads, r.filter_dram_reads,
                                  r.ofmap_dram_writes), strict=True):
            cols_out[key][i] = v * a.repeats[i]
        replayed[i] = 1.0
    b = bytes_per_elem
    return {"scalesim_total_cycles": cols_out["total"], "scalesim_stall_cycles": cols_out["stall"],
            "dram_ifmap_read_bytes": cols_out["ifmap"] * b, "dram_filter_read_bytes": cols_out["filter"] * b,
            "dram_ofmap_write_bytes": cols_out["ofmap"] * b, "scalesim_replayed": replayed}
