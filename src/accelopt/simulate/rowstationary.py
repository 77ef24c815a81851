"""Row-stationary (RS) dataflow: Eyeriss's mapping of a convolution onto a 2-D PE array, per layer.

Sources:
- [ISCA16] Y.-H. Chen, J. Emer, V. Sze, "Eyeriss: A Spatial Architecture for Energy-Efficient Dataflow for
  Convolutional Neural Networks", ISCA 2016, Sec. IV (the RS dataflow).
- [JSSC17] Y.-H. Chen, T. Krishna, J. Emer, V. Sze, "Eyeriss: An Energy-Efficient Reconfigurable Accelerator
  for Deep Convolutional Neural Networks", IEEE JSSC 52(1):127-138, 2017, Sec. III-IV, Tables II-III.

The mapping, as the papers describe it (shape names of [JSSC17] Table I: N images, C channels, M filters,
H x W padded ifmap, R x S filter, E x F ofmap, stride U; all per group of a grouped convolution):
- 1-D primitive ([ISCA16] Sec. IV-A): a PE holds one filter row (S weights) and slides it along one ifmap
  row, producing one row of F partial sums: F x S MACs, one MAC per cycle.
- Logical PE set ([ISCA16] Sec. IV-B, Fig. 6): R x E PEs for one 2-D convolution; filter rows are reused
  horizontally across a PE row, ifmap rows diagonally, psums are accumulated vertically up a column.
- Folding onto the physical array ([JSSC17] Sec. IV-A, "strip mining"): a set of R x E is cut into
  strips of e ofmap rows (a physical set of R x e PEs, e <= E); a set wider than the array is folded into
  ceil(e / cols) segments stacked vertically (AlexNet CONV2: 5 x 27 -> two 5-row segments, 135 PEs).
  Sets are replicated: r sets work on different channels, t sets on different filters ([JSSC17] Table II).
  Filters taller than the array are split into row chunks processed one after another (our extension;
  Eyeriss supports R <= 12, [JSSC17] Table IV).
- Inside a PE ([JSSC17] Table II): p filters x q channels share the scratchpads: p*q*S filter words
  <= filter spad (224), q*S ifmap words <= ifmap spad (12), p psums <= psum spad (24); n images stream
  through one processing pass. One pass takes n x F x p x q x S cycles.
- Global buffer ([JSSC17] Table III, "Global Buffer Allocation": ifmap and psum only; filters go from
  DRAM to the filter spads): the ifmap rows of a strip for q*r channels and n images, and the psums of m
  ofmap channels (m a multiple of p*t) for the n images and e rows. All C channels are accumulated in the
  GLB before m ofmap channels leave for DRAM, so psums never spill.

Loop order of the schedule (outer to inner; our reading of [JSSC17] Sec. IV and Table III):
    for image group (n) / ofmap strip (e rows) / ofmap channel group (m):
        for channel group (q*r): ifmap strip -> GLB
            for filter group (p*t) within m: filters -> spads; one processing pass (psums in the GLB)
        m ofmap channels -> DRAM
Mapping choice ([ISCA16] Sec. VI-B searches the mappings for the least energy at a given parallelism; ours,
stated): the least energy x delay over the candidate e, n, q, r, t, energy in [ISCA16] Table IV's normalised
costs (DRAM 200, GLB 6, RF 1 per access); p is the most the scratchpads and the GLB allow, m the most the
GLB holds.

Counts (words of the operand width; psums are kept at the operand width as in Eyeriss, [JSSC17] Table IV):
- cycles = row chunks x strips x N x F x S x P x Q, P and Q the filters and channels one PE works through
  (ceil(M/t), ceil(C/r) when the groups divide evenly).
- DRAM: ifmap read once per ofmap-channel group (ceil(M/m)), times the strip-overlap halo (rows of all
  strips / H); filters once per (image group, strip) pass sequence, or once if one pass holds them all;
  ofmaps written once.
- GLB: ifmap written once per DRAM read, read once per filter group (multicast to every PE that needs it,
  [JSSC17] Sec. V-B); psums written after every pass, read back before every pass but the first, and the
  finished ofmaps read out to DRAM.
- Scratchpads ([ISCA16] Sec. VI-A, 1 RF access per operand): 4 accesses per MAC (filter read, ifmap read,
  psum read and write), plus the filter and ifmap words written into them each pass.
Not modelled: zero gating and RLC compression ([JSSC17] Sec. V; they save energy and DRAM bytes, not
cycles), inter-PE (NoC) transfer energy, pipeline bubbles, the time to load configurations.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from accelopt.errors import InputError
from accelopt.simulate.dataflow import LayerArrays
from accelopt.units import unit

IFMAP_SPAD_WORDS = 12
"""Ifmap scratchpad per PE, 12 x 16 b ([JSSC17] Sec. III / Table IV: 24 bytes of registers)."""
RF_ACCESSES_PER_MAC = 4
"""Filter read + ifmap read + psum read + psum write per MAC ([ISCA16] Sec. VI-A)."""
ENERGY_PER_ACCESS = {"dram": 200.0, "glb": 6.0, "rf": 1.0}
"""Normalised energy per access, relative to a MAC ([ISCA16] Table IV, 65 nm); used only to choose the mapping."""


@dataclass(frozen=True)
class RsShape:
    """One group of each layer as a convolution in [JSSC17] Table I names; int64 arrays of shape (L,).
    A GEMM C[M,N] = A[M,K] B[K,N] is a 1x1 convolution of M images of 1x1 pixels, K channels, N filters."""

    n: np.ndarray
    c: np.ndarray
    m: np.ndarray
    r: np.ndarray
    s: np.ndarray
    e: np.ndarray
    f: np.ndarray
    u: np.ndarray
    h_pad: np.ndarray
    w_pad: np.ndarray
    ifmap_words: np.ndarray
    """Unique (unpadded) ifmap words of one group in DRAM."""


def rs_shape(a: LayerArrays) -> RsShape:
    f = a.m // (a.batch * a.h_out)
    h_pad = (a.h_out - 1) * a.stride + a.kh  # ifmap rows the ofmap rows use
    return RsShape(n=a.batch, c=a.k // (a.kh * a.kw), m=a.n, r=a.kh, s=a.kw, e=a.h_out, f=f, u=a.stride, h_pad=h_pad,
                   w_pad=a.w_in, ifmap_words=a.ifmap_elems)


@dataclass(frozen=True)
class RsArray:
    """The PE array and its storage, in words."""

    rows: int
    cols: int
    filter_spad_words: int
    psum_spad_words: int
    glb_words: int
    bytes_per_word: float = 2.0
    """The operand width in bytes (Eyeriss: 16 b), so that a fix can give the design's byte fields in bytes."""

    @property
    def pes(self) -> int:
        return self.rows * self.cols

    def bytes_for(self, words: int) -> str:
        """`words` words as the bytes a design field takes, e.g. '3,696 bytes (1,848 words of 2 B)'."""
        b = self.bytes_per_word
        return f"{math.ceil(words * b):,} bytes ({words:,} words of {b:g} B)"


def rs_array(rows: int, cols: int, ifmap_sram_bytes: int, filter_sram_bytes: int, ofmap_sram_bytes: int,
             bytes_per_elem: float) -> RsArray:
    """For an rs design the three buffers are: ifmap_sram_bytes = the global buffer (ifmaps and psums),
    filter_sram_bytes = all PEs' filter spads, ofmap_sram_bytes = all PEs' psum spads (Eyeriss: 108 kB,
    168 x 224 x 16 b, 168 x 24 x 16 b)."""
    pes = rows * cols
    return RsArray(rows=rows, cols=cols, filter_spad_words=int(filter_sram_bytes / pes / bytes_per_elem),
                   psum_spad_words=int(ofmap_sram_bytes / pes / bytes_per_elem),
                   glb_words=int(ifmap_sram_bytes / bytes_per_elem), bytes_per_word=bytes_per_elem)


def _ceil(x: np.ndarray | int, y: np.ndarray | int) -> np.ndarray:
    return -(-np.asarray(x) // y)


def _strip_candidates(e_full: int, max_e: int) -> np.ndarray:
    """The smallest strip height for each strip count: the only e worth trying (others add idle rows)."""
    counts = np.arange(1, e_full + 1)
    e = np.unique(_ceil(e_full, counts))
    return e[e <= max_e]


def _useful(total: int, limit: int) -> np.ndarray:
    """Set counts worth trying: for each number of groups ceil(total / k), the smallest k giving it."""
    k = np.arange(1, min(total, limit) + 1)
    return np.unique(_ceil(total, _ceil(total, k)))


def _maximal(fit: np.ndarray) -> np.ndarray:
    """Of the fitting (e, t, r) candidates (axes in that order, t and r ascending), those that leave no set
    unused along t or r: for each (e, t) the largest fitting r, for each (e, r) the largest fitting t.
    A mapping with an idle set that could take more channels or filters is never faster; pruning them keeps
    the search small on large arrays."""
    keep = np.zeros_like(fit)
    for axis in (1, 2):
        last = fit.shape[axis] - 1 - np.argmax(np.flip(fit, axis=axis), axis=axis)   # largest fitting index
        any_fit = fit.any(axis=axis)
        idx = np.expand_dims(np.where(any_fit, last, 0), axis)
        np.put_along_axis(keep, idx, np.expand_dims(any_fit, axis), axis=axis)
    return keep & fit


def _image_candidates(n: int) -> np.ndarray:
    pw: np.ndarray = 2 ** np.arange(int(np.log2(n)) + 1)
    return np.unique(np.append(pw, n))


@dataclass(frozen=True, kw_only=True)
class RsMapping:
    """The mapping chosen for one layer ([JSSC17] Table II parameters) and its counts for one group (words)."""

    e: int = unit("count", "ofmap rows of a strip (width of the physical PE set)")
    n: int = unit("count", "images in a processing pass")
    p: int = unit("count", "filters per PE")
    q: int = unit("count", "channels per PE")
    r: int = unit("count", "PE sets on different channels")
    t: int = unit("count", "PE sets on different filters")
    m: int = unit("count", "ofmap channels whose psums the GLB holds")
    row_chunks: int = unit("count", "filter-row chunks (filters taller than the array)")
    active_pes: int = unit("count")
    strips: int = unit("count")
    passes: int = unit("count", "processing passes")
    cycles: int = unit("cycles")
    dram_ifmap_words: float = unit("count")
    dram_filter_words: float = unit("count")
    dram_ofmap_words: float = unit("count")
    glb_ifmap_reads: float = unit("count")
    glb_ifmap_writes: float = unit("count")
    glb_psum_reads: float = unit("count")
    glb_psum_writes: float = unit("count")
    glb_ofmap_reads: float = unit("count", "finished ofmaps read out to DRAM")
    spad_accesses: float = unit("count", "scratchpad (register-file) accesses")
    fill_words: float = unit("count", "words the first pass needs before it starts")
    ifmap_reuse: float = unit("x", "DRAM reads of each unique ifmap word")


class LayerMappingError(InputError):
    """No RS mapping of layer `layer_index` fits the storage (engine.simulate names the layer by its name)."""

    def __init__(self, layer_index: int, problem: str, fix: str) -> None:
        super().__init__(f"layer {layer_index}: {problem}", fix)
        self.layer_index = layer_index
        self.layer_problem = problem


def map_layer(sh: RsShape, i: int, arr: RsArray) -> RsMapping:
    """Search the RS mappings of layer i (vectorized over candidates); raise if none fits the storage."""
    dims = tuple(int(x[i]) for x in (sh.n, sh.c, sh.m, sh.r, sh.s, sh.e, sh.f, sh.u, sh.h_pad, sh.w_pad,
                                     sh.ifmap_words))
    try:
        return _map_shape(dims, arr)
    except InputError as err:
        raise LayerMappingError(i, err.problem, err.fix) from None


@functools.lru_cache(maxsize=4096)  # networks repeat layer shapes (ResNet-50: 54 layers, 23 shapes)
def _map_shape(dims: tuple[int, ...], arr: RsArray) -> RsMapping:
    n_img, c, m_f, r_f, s_f, e_full, f, u, h_pad, w_pad, ifmap_words = dims
    chunks = -(-r_f // arr.rows)                 # filter rows taller than the array: sequential chunks
    rr = -(-r_f // chunks)                       # physical set height per chunk
    if arr.psum_spad_words < 1:  # said apart: it read 'a filter row of 11 words does not fit a 224-word filter
        # scratchpad' and blamed filter_sram_bytes when the psum scratchpads (ofmap_sram_bytes) held no word
        raise InputError(f"the psum scratchpads hold no word per PE ({arr.pes} PEs share ofmap_sram_bytes)",
                         f"enlarge ofmap_sram_bytes (all PEs' psum spads) for rs to at least "
                         f"{arr.bytes_for(arr.pes)}, one word per PE (Eyeriss: 24 words per PE)")
    if s_f > arr.filter_spad_words:
        raise InputError(f"a filter row of {s_f} words does not fit a {arr.filter_spad_words}-word "
                         "filter scratchpad",
                         f"enlarge filter_sram_bytes (all PEs' filter spads) for rs to at least {s_f} x {arr.pes} = "
                         f"{arr.bytes_for(s_f * arr.pes)}, a filter row per PE")
    max_e = arr.cols * (arr.rows // rr)          # widest strip that folds into the array
    # candidates (e, t, r) whose r x t physical sets fit the array; then x images per pass x channels per PE
    e3: np.ndarray
    t3: np.ndarray
    r3: np.ndarray
    e3, t3, r3 = np.meshgrid(_strip_candidates(e_full, max_e), _useful(m_f, arr.pes), _useful(c, arr.pes),
                             indexing="ij")
    seg = _ceil(e3, arr.cols)                    # segments of a folded set, stacked vertically
    sets = (arr.rows // (rr * seg)) * (arr.cols // np.minimum(e3, arr.cols))
    keep = _maximal(r3 * t3 <= sets)
    e, t, r = (x[keep][:, None, None] for x in (e3, t3, r3))    # shape (K, 1, 1)
    n = _image_candidates(n_img)[None, :, None]
    c_r, m_t = _ceil(c, r), _ceil(m_f, t)
    q_max = max(1, min(IFMAP_SPAD_WORDS, arr.filter_spad_words) // s_f)
    q = np.minimum(np.arange(1, q_max + 1)[None, None, :], c_r)
    p = np.maximum(1, np.minimum(np.minimum(arr.psum_spad_words, arr.filter_spad_words // (q * s_f)), m_t))
    rows_strip = np.minimum((e - 1) * u + r_f, h_pad)
    glb_ifmap = n * q * r * rows_strip * w_pad
    psum_per_channel = n * e * f
    chan_fit = (arr.glb_words - glb_ifmap) // psum_per_channel      # ofmap channels the GLB's rest holds
    p = np.minimum(p, chan_fit // t)
    ok = p >= 1
    p = np.maximum(p, 1)
    g_m, g_c = _ceil(m_f, p * t), _ceil(c, q * r)
    m_grp = np.maximum(1, np.minimum(g_m * p * t, (chan_fit // (p * t)) * p * t))
    p_tot = (g_m - 1) * p + _ceil(m_f - (g_m - 1) * p * t, t)
    q_tot = (g_c - 1) * q + _ceil(c - (g_c - 1) * q * r, r)
    strips = _ceil(e_full, e)
    cycles = chunks * strips * n_img * f * s_f * p_tot * q_tot + 0 * n
    # DRAM words (per group)
    e_last = e_full - (strips - 1) * e
    halo = ((strips - 1) * rows_strip + (e_last - 1) * u + r_f) / h_pad
    ifmap_dram = ifmap_words * halo * _ceil(m_f, m_grp)
    one_pass = (g_m * g_c * chunks == 1)
    filter_dram = m_f * c * r_f * s_f * np.where(one_pass, 1, _ceil(n_img, n) * strips)
    ofmap_words = n_img * m_f * e_full * f
    dram = ifmap_dram + filter_dram + ofmap_words
    glb_ifmap_reads = ifmap_words * halo * g_m * chunks
    psum_writes: np.ndarray = ofmap_words * g_c * chunks
    glb = ifmap_dram + glb_ifmap_reads + 2 * psum_writes
    passes = _ceil(n_img, n) * strips * g_m * g_c * chunks
    active = rr * e * r * t
    spad_fill = (np.where(one_pass, 1, passes) * active * p * q * s_f   # filter words into the filter spads
                 + passes * active * n * q * w_pad)                       # ifmap rows into the ifmap spads
    spad = RF_ACCESSES_PER_MAC * n_img * m_f * c * e_full * f * r_f * s_f + spad_fill
    # the choice: least energy x delay, energy in [ISCA16] Table IV's normalised costs
    energy = ENERGY_PER_ACCESS["dram"] * dram + ENERGY_PER_ACCESS["glb"] * glb + ENERGY_PER_ACCESS["rf"] * spad
    shape = np.broadcast_shapes(ok.shape, cycles.shape, energy.shape)
    edp = np.broadcast_to(np.where(ok, energy * cycles.astype(np.float64), np.inf), shape).ravel()
    if not np.isfinite(edp).any():
        # the least buffer a mapping fits: its ifmap strip + one ofmap channel's psums per filter set (p = 1)
        least = int(np.min(np.broadcast_to(glb_ifmap + psum_per_channel * t, shape)))
        raise InputError(f"no row-stationary mapping fits a {arr.glb_words:,}-word global buffer "
                         f"(one strip of {w_pad}-wide ifmap rows and one row of psums)",
                         f"enlarge ifmap_sram_bytes (the global buffer of an rs design) to at least "
                         f"{arr.bytes_for(least)}")
    idx = np.unravel_index(int(np.argmin(edp)), shape)

    def at(x: np.ndarray | int) -> float:
        return float(np.broadcast_to(np.asarray(x), shape)[idx])

    ai, ni, pi, qi, ri, ti = (int(at(x)) for x in (e, n, p, q, r, t))
    fill = ni * qi * ri * at(rows_strip) * w_pad + pi * ti * qi * ri * r_f * s_f
    return RsMapping(e=ai, n=ni, p=pi, q=qi, r=ri, t=ti, m=int(at(m_grp)), row_chunks=chunks,
                     active_pes=int(at(active)), strips=int(at(strips)), passes=int(at(passes)), cycles=int(at(cycles)),
                     dram_ifmap_words=at(ifmap_dram), dram_filter_words=at(filter_dram),
                     dram_ofmap_words=float(ofmap_words), glb_ifmap_reads=at(glb_ifmap_reads),
                     glb_ifmap_writes=at(ifmap_dram), glb_psum_reads=at(psum_writes) - ofmap_words,
                     glb_psum_writes=at(psum_writes), glb_ofmap_reads=float(ofmap_words), spad_accesses=at(spad),
                     fill_words=fill, ifmap_reuse=at(halo * _ceil(m_f, m_grp)))


def compute(arr: RsArray, cores: int, a: LayerArrays, bytes_per_elem: float
            ) -> tuple[dict[str, np.ndarray], list[RsMapping]]:
    """Per-layer columns for the engine (all repeats; cycles spread over `cores`) and the mappings."""
    sh = rs_shape(a)
    maps = [map_layer(sh, i, arr) for i in range(len(a.m))]
    rep = a.repeats

    def col(name: str) -> np.ndarray:
        return np.array([getattr(x, name) for x in maps], dtype=np.float64)

    b = bytes_per_elem
    cycles = _ceil(col("cycles").astype(np.int64) * rep, cores)
    macs = a.macs
    out: dict[str, np.ndarray] = {
        "folds": col("passes").astype(np.int64) * rep, "row_folds": col("strips").astype(np.int64),
        "col_folds": (col("passes") / col("strips")).astype(np.int64),
        "compute_cycles": cycles, "mapping_efficiency": col("active_pes") / arr.pes,
        "compute_utilization": macs / (cycles * arr.pes * cores),
        "ifmap_sram_reads": (col("glb_ifmap_reads") * rep).astype(np.int64),
        "filter_sram_reads": np.zeros(len(maps), dtype=np.int64),   # filters bypass the GLB
        "ofmap_sram_writes": (col("glb_psum_writes") * rep).astype(np.int64),
        "psum_sram_reads": ((col("glb_psum_reads") + col("glb_ofmap_reads")) * rep).astype(np.int64),
        "rf_accesses": (col("spad_accesses") * rep).astype(np.int64),
        "dram_ifmap_read_bytes": col("dram_ifmap_words") * b * rep,
        "dram_filter_read_bytes": col("dram_filter_words") * b * rep,
        "dram_ofmap_write_bytes": col("dram_ofmap_words") * b * rep,
        "dram_psum_bytes": np.zeros(len(maps)), "input_reuse_factor": col("ifmap_reuse"),
        "fill_bytes": col("fill_words") * b, "reload_cycles": np.zeros(len(maps)),
        "glb_writes": (col("glb_ifmap_writes") + col("glb_psum_writes")) * rep,
    }
    return out, maps
