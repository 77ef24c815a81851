"""SCALE-Sim 3.0.0's bandwidth-limited (USER mode) memory, reproduced: its double-buffered read buffers and
its write buffer replayed over the same demand streams, vectorised with numpy.

This is `--convention scalesim-code`'s memory model. It reproduces SCALE-Sim's own bookkeeping, quirks
included, so that its "Total Cycles", "Stall Cycles" and DRAM reads/writes come out the same; the default
convention keeps the tiling-scheduler model of accelopt.simulate.memory, which is what a real scheduler
moves. The two differ by design: SCALE-Sim re-reads operands many times (below), a tiled schedule does not.

What SCALE-Sim does (scalesim 3.0.0, files under scalesim/):
- Operands (compute/operand_matrix.py): ifmap address of im2col element (i, j) with i = output pixel,
  j = (filter row, filter col, channel); filter address j * fh*fw*C + i; ofmap address N*i + j. A GEMM
  row (M, N, K) is run as a conv with an M x K ifmap, a 1 x K filter, 1 channel (topology_utils.py).
- Output-stationary demand (compute/systolic_compute_os.py): per fold (col folds outer, row folds inner)
  the ifmap fold (T x R, T = K) plus C-1 idle rows, the filter fold (T x C) plus R-1 idle rows and the
  ofmap fold (R x C, flipped) after T-1 idle rows, each skewed one cycle per array column; one demand row
  per cycle, T + R + C - 2 rows per fold. Prefetch order: the operand folds stacked and read by
  anti-diagonals. Weight- and input-stationary (systolic_compute_{ws,is}.py) hold the filter (ws) or ifmap
  (is) tile unskewed and flipped, stream the other operand after R idle rows and write outputs after 2R - 1:
  2R + C + T - 2 rows per fold; their stationary operand is prefetched row by row, not by anti-diagonals.
- Read buffer (memory/read_buffer.py): the prefetch stream is cut into "lines" of ceil(size/100) valid
  addresses; the active half holds nA lines, the prefetch half nP. A demanded address hits if any line of
  the active window holds it; on a miss the window moves forward by nP lines (circularly) until it hits,
  each move a DRAM read of ceil(prefetch/bw) * bw words that completes ceil(prefetch/bw) + 1 cycles
  after the previous one (the fill chain does not wait for demand). A row's service time X starts at
  cycle + 1; after each move, with p = fill end - X: X becomes fill end, plus p again when p > 0 (the
  stall is counted twice, read_buffer.py service_reads). The first fill (the active half) ends at -1.
- Write buffer (memory/write_buffer.py, write_port.py latency 0): outputs fill lines of bw words; once
  fewer than the active half are free, the lines written so far (the partial one closed) are drained,
  ceil(drain/bw) lines per drain, taking that many cycles; with no free space before a drain ends, the
  array waits for it. DRAM writes count each drained line as full except the last one of each drain.
- Double-buffered scratchpad (memory/double_buffered_scratchpad_mem.py): each demand row is served at
  cycle = row + stalls so far; the row adds max(ifmap stall, filter stall, ofmap stall) stalls;
  "Total Cycles" is the latest ofmap service cycle.

Scope: os, ws and is; layers SCALE-Sim can run as one layer (a conv with batch 1 and groups 1, or a single
GEMM). accelopt.simulate.memory.scalesim_shapes says which; the engine keeps the tiling model for the others
and says so. Checked for equality against scalesim runs in tests/test_simulate_scalesim_user.py.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

HIT_LATENCY = 1
"""read_buffer.py hit_latency (cycles)."""
READ_PORT_LATENCY = 1
"""read_port.py latency without a Ramulator trace (cycles)."""
LINES_PER_BUFFER = 100
"""read_buffer.py prepare_hashed_buffer: elems_per_set = ceil(total_size_elems / 100)."""


@dataclass(frozen=True)
class ConvShape:
    """A layer as SCALE-Sim's topology row: padded ifmap H x W, filter fh x fw, channels, filters, stride."""

    ifmap_h: int
    ifmap_w: int
    fh: int
    fw: int
    channels: int
    filters: int
    stride: int

    @property
    def ofmap_h(self) -> int:
        """SCALE-Sim's ceil((H - F + S) / S) (topology_utils.py): one more than the true output when S does not
        divide H - F; the extra windows run off the ifmap and demand nothing (-1)."""
        return -(-(self.ifmap_h - self.fh + self.stride) // self.stride)

    @property
    def ofmap_w(self) -> int:
        return -(-(self.ifmap_w - self.fw + self.stride) // self.stride)


@dataclass(frozen=True)
class TraceResult:
    """One layer's SCALE-Sim USER-mode figures: cycles and DRAM words (1-byte words)."""

    total_cycles: int
    stall_cycles: int
    ifmap_dram_reads: int
    filter_dram_reads: int
    ofmap_dram_writes: int


# ---------------------------------------------------------------- operands and demand (compute/)
def operand_matrices(s: ConvShape) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ifmap M x K, filter K x N, ofmap M x N) addresses, offsets 0, -1 off the ifmap (operand_matrix.py)."""
    m, k = s.ofmap_h * s.ofmap_w, s.fh * s.fw * s.channels
    i = np.arange(m)[:, None]
    j = np.arange(k)[None, :]
    orow, ocol = np.divmod(i, s.ofmap_w)
    irow, icol = orow * s.stride, ocol * s.stride
    crow, rest = np.divmod(j, s.fw * s.channels)
    ccol, cch = np.divmod(rest, s.channels)
    ifmap = (irow * s.ifmap_w + icol) * s.channels + (crow * s.ifmap_w + ccol) * s.channels + cch   # (M, K)
    ifmap = np.where((crow + irow < s.ifmap_h) & (ccol + icol < s.ifmap_w), ifmap, -1)
    filt = np.arange(s.filters)[None, :] * k + np.arange(k)[:, None]          # (K, N)
    ofmap = s.filters * np.arange(m)[:, None] + np.arange(s.filters)[None, :]  # (M, N)
    return ifmap, filt, ofmap


def _fold_stack(mat: np.ndarray, width: int) -> np.ndarray:
    """Columns of `mat` (T x S) cut into folds of `width`, padded with -1, stacked: (folds*T, width)."""
    t, s = mat.shape
    folds = -(-s // width)
    padded = np.full((t, folds * width), -1, dtype=np.int32)
    padded[:, :s] = mat
    return padded.reshape(t, folds, width).transpose(1, 0, 2).reshape(folds * t, width)


def _antidiagonal(mat: np.ndarray) -> np.ndarray:
    """Elements in SCALE-Sim's prefetch order: by anti-diagonal, row descending within one (flattened)."""
    m, n = mat.shape
    r, c = np.indices(mat.shape)
    d = r + c                                                # the anti-diagonal of each element
    diag_len = np.minimum(np.arange(m + n - 1), m - 1) - np.maximum(0, np.arange(m + n - 1) - n + 1) + 1
    before = np.concatenate(([0], np.cumsum(diag_len)[:-1]))
    pos = before[d] + c - np.maximum(0, d - m + 1)           # row descending = col ascending in a diagonal
    out = np.empty(m * n, dtype=mat.dtype)
    out[pos.ravel()] = mat.ravel()
    return out


def _stationary_folds(mat: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """(Fc*Fr, R, C) tiles of `mat` (Sr x Sc), padded with -1, col folds outer, each flipped upside down."""
    sr, sc = mat.shape
    fr, fc = -(-sr // rows), -(-sc // cols)
    padded = np.full((fr * rows, fc * cols), -1, dtype=np.int32)
    padded[:sr, :sc] = mat
    return padded.reshape(fr, rows, fc, cols).transpose(2, 0, 1, 3)[:, :, ::-1, :].reshape(fc * fr, rows, cols)


def _skewed_stream(base: np.ndarray, lead: int, tail: int, skew: bool = True, copies: int = 1,
                   interleave: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Demand (row index, address) of a fold sequence: the folds `base` (B, T, W) repeated `copies` times,
    whole (b0 b1 .. b0 b1 ..) or each fold in turn (b0 b0 .. b1 b1 ..) when `interleave`. Each fold gets
    `lead` idle rows before and `tail` after, then (skew) column c is delayed c cycles (skew_matrix); rows
    are numbered across folds. Row-major order, -1 dropped."""
    f, t, w = base.shape
    per_fold = lead + t + tail + (w - 1 if skew else 0)
    mat = np.full((f, per_fold, w), -1, dtype=np.int32)                     # the demand matrix, by fold
    if skew:
        tt, cc = np.indices((t, w))
        mat[:, lead + tt + cc, cc] = base
    else:
        mat[:, lead:lead + t, :] = base
    flat = mat.reshape(-1)
    keep = np.flatnonzero(flat >= 0)
    rows: np.ndarray = keep // w                              # fold * per_fold + row in fold
    addr: np.ndarray = flat[keep]
    if copies == 1:
        return rows, addr
    if not interleave:
        shift = np.arange(copies, dtype=np.int64)[:, None] * (f * per_fold)
        return (rows[None, :] + shift).ravel(), np.broadcast_to(addr, (copies, len(addr))).ravel()
    fold_of_row: np.ndarray = rows // per_fold
    bounds = [0, *np.cumsum(np.bincount(fold_of_row, minlength=f)).tolist()]
    out_rows, out_addr = [], []
    for b in range(f):                                        # fold b becomes folds b*copies .. b*copies+copies-1
        seg_rows, seg_addr = rows[bounds[b]:bounds[b + 1]], addr[bounds[b]:bounds[b + 1]]
        shift = (np.arange(copies, dtype=np.int64)[:, None] + b * (copies - 1)) * per_fold
        out_rows.append((seg_rows[None, :] + shift).ravel())
        out_addr.append(np.broadcast_to(seg_addr, (copies, len(seg_addr))).ravel())
    return np.concatenate(out_rows), np.concatenate(out_addr)


Stream = tuple[np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Demand:
    """A layer's demand and prefetch streams as SCALE-Sim's compute module lays them out."""

    n_rows: int
    ifmap: Stream
    filter: Stream
    ofmap: Stream
    ifmap_prefetch: np.ndarray      # flattened, -1 = no element
    filter_prefetch: np.ndarray


def demand(dataflow: str, ifmap: np.ndarray, filt: np.ndarray, ofmap: np.ndarray, rows: int, cols: int) -> Demand:
    """Demand rows of one layer (compute/systolic_compute_{os,ws,is}.py, no sparsity).

    Per fold (col folds outer, row folds inner) each operand is one of: the row-folded stream (T x R,
    skewed), the col-folded stream (T x C, skewed) or the stationary tile (R x C, flipped); idle rows
    before/after make every fold T + R + C - 2 rows (os) or 2R + C + T - 2 rows (ws, is)."""
    if dataflow == "os":         # Sr = M, Sc = N, T = K
        sr, sc, t = ifmap.shape[0], filt.shape[1], ifmap.shape[1]
        row_op, col_op, stat = ifmap.T, filt, ofmap
    elif dataflow == "ws":       # Sr = K, Sc = N, T = M
        sr, sc, t = ifmap.shape[1], filt.shape[1], ifmap.shape[0]
        row_op, col_op, stat = ifmap, ofmap, filt
    else:                        # is: Sr = K, Sc = M, T = N
        sr, sc, t = ifmap.shape[1], ifmap.shape[0], filt.shape[1]
        row_op, col_op, stat = filt.T, ofmap.T, ifmap.T
    fr, fc = -(-sr // rows), -(-sc // cols)
    row_stack, col_stack = _fold_stack(row_op, rows), _fold_stack(col_op, cols)
    row_folds = row_stack.reshape(fr, t, rows)               # repeated whole for each col fold
    col_folds = col_stack.reshape(fc, t, cols)               # each repeated for the row folds
    tiles = _stationary_folds(stat, rows, cols)
    if dataflow == "os":
        n_rows = fc * fr * (t + rows + cols - 2)
        return Demand(n_rows, _skewed_stream(row_folds, 0, cols - 1, copies=fc),
                      _skewed_stream(col_folds, 0, rows - 1, copies=fr, interleave=True),
                      _skewed_stream(tiles, t - 1, 0), _antidiagonal(row_stack), _antidiagonal(col_stack))
    n_rows = fc * fr * (2 * rows + cols + t - 2)
    streamed = _skewed_stream(row_folds, rows, cols - 1, copies=fc)
    held = _skewed_stream(tiles, 0, rows + cols + t - 2, skew=False)
    out = _skewed_stream(col_folds, 2 * rows - 1, 0, copies=fr, interleave=True)
    if dataflow == "ws":
        return Demand(n_rows, streamed, held, out, _antidiagonal(row_stack),
                      _fold_stack(filt, cols).ravel())
    return Demand(n_rows, held, streamed, out, _fold_stack(ifmap.T, cols).ravel(), _antidiagonal(row_stack))


# ---------------------------------------------------------------- read buffer (memory/read_buffer.py)
@dataclass
class ReadBuffer:
    """One read buffer over its prefetch stream: static layout, and the moving active window."""

    stream: np.ndarray      # valid prefetched addresses in order; line l is stream[l*eps:(l+1)*eps]
    eps: int                # addresses per line
    lines: np.ndarray       # distinct line ids of every address, grouped by address, ascending
    first: np.ndarray       # per address (dense): index of its first entry in `lines`
    count: np.ndarray       # per address: how many distinct lines hold it (0: never prefetched)
    n_lines: int
    active_lines: int
    prefetch_lines: int
    first_fill_words: int
    fill_words: int         # per window move
    fill_cycles: int        # per window move

    @classmethod
    def build(cls, prefetch: np.ndarray, size_bytes: int, bw_words: int) -> ReadBuffer:
        total = size_bytes                                   # word size 1 byte
        active = math.ceil(total * 0.5)
        pre = total - active
        eps = math.ceil(total / LINES_PER_BUFFER)
        valid = prefetch[prefetch >= 0]
        n_lines = len(valid) // eps + 1
        line: np.ndarray = np.arange(len(valid)) // eps
        keys = np.sort(valid.astype(np.int64) * n_lines + line)
        keys = keys[np.concatenate(([True], np.diff(keys) != 0))] if len(keys) else keys
        size = int(valid.max()) + 1 if len(valid) else 1
        count = np.bincount(keys // n_lines, minlength=size)
        first = np.concatenate(([0], np.cumsum(count)[:-1]))
        na = min(math.ceil(active / eps), n_lines)
        npf = min(math.ceil(pre / eps), n_lines - na)
        fetch_rows = -(-len(prefetch) // bw_words)
        first_fill = min(math.ceil(active / bw_words), fetch_rows) * bw_words
        fill_lines = math.ceil(pre / bw_words)
        return cls(stream=valid, eps=eps, lines=keys % n_lines, first=first, count=count, n_lines=n_lines,
                   active_lines=na, prefetch_lines=npf, first_fill_words=first_fill,
                   fill_words=fill_lines * bw_words, fill_cycles=fill_lines + READ_PORT_LATENCY)

    def _span(self, start: int, n: int) -> np.ndarray:
        """Addresses of lines [start, start + n) (circular)."""
        end = start + n
        parts = [self.stream[start * self.eps:min(end, self.n_lines) * self.eps]]
        if end > self.n_lines:
            parts.append(self.stream[:(end - self.n_lines) * self.eps])
        return np.concatenate(parts)

    def _window_counts(self, start: int) -> np.ndarray:
        """Per address: copies in the active window starting at line `start` (> 0 = a hit)."""
        return np.bincount(self._span(start, self.active_lines), minlength=len(self.count))

    def _moves_to_hit(self, addr: int, start: int) -> int:
        """Window moves (nP lines each, circular) until a line of `addr` is in the active window."""
        if not self.count[addr] or not self.prefetch_lines:
            raise RuntimeError(f"address {addr} is never prefetched")  # SCALE-Sim would loop for ever
        f = int(self.first[addr])
        held = self.lines[f:f + int(self.count[addr])].tolist()
        n, na, step = self.n_lines, self.active_lines, self.prefetch_lines
        for j in range(1, n + 1):
            s = (start + j * step) % n
            if any((line - s) % n < na for line in held):
                return j
        raise RuntimeError(f"address {addr} is never in the window")  # pragma: no cover - step divides n badly

    def moves(self, rows: np.ndarray, addr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Window moves per demand row: (rows with moves, moves in that row), in demand order."""
        if np.any(addr >= len(self.count)):
            raise RuntimeError("a demanded address is never prefetched")  # SCALE-Sim would loop for ever
        start, p, chunk = 0, 0, 4096
        held = self._window_counts(start)
        ev_rows: list[int] = []
        ev_n: list[int] = []
        while p < len(addr):
            seg = addr[p:p + chunk]
            miss = np.flatnonzero(held[seg] == 0)
            if not len(miss):
                p += len(seg)
                chunk = min(chunk * 2, 1 << 18)
                continue
            q = p + int(miss[0])
            j = self._moves_to_hit(int(addr[q]), start)
            shift = j * self.prefetch_lines
            if shift < self.active_lines:                    # slide: drop the lines left behind, add the new ones
                np.subtract.at(held, self._span(start, shift), 1)
                np.add.at(held, self._span((start + self.active_lines) % self.n_lines, shift), 1)
                start = (start + shift) % self.n_lines
            else:
                start = (start + shift) % self.n_lines
                held = self._window_counts(start)
            r = int(rows[q])
            if ev_rows and ev_rows[-1] == r:
                ev_n[-1] += j
            else:
                ev_rows.append(r)
                ev_n.append(j)
            p, chunk = q + 1, max(4096, 2 * int(miss[0]))   # misses come about as far apart again
        return np.array(ev_rows, dtype=np.int64), np.array(ev_n, dtype=np.int64)


# ---------------------------------------------------------------- write buffer (memory/write_buffer.py)
class WriteBuffer:
    """Sequential state of SCALE-Sim's ofmap write buffer (element counts, not addresses)."""

    def __init__(self, size_bytes: int, bw_words: int) -> None:
        self.total = size_bytes
        self.active = math.ceil(size_bytes * 0.5)
        self.drain_size = self.total - self.active
        self.bw = bw_words
        self.free = self.total
        self.line_fill = 0                  # elements in the open line
        self.lines: list[int] = []          # elements per closed line, in order
        self.drain_start = 0
        self.drain_end = 0
        self.words = 0

    def store(self, k: int) -> None:
        """Store k outputs (no drain, no stall)."""
        self.free -= k
        full, self.line_fill = divmod(self.line_fill + k, self.bw)
        self.lines.extend([self.bw] * full)

    def _close_line(self) -> None:
        if self.line_fill:
            self.lines.append(self.line_fill)
            self.line_fill = 0

    def _drain(self, cycle: int) -> int:
        n = math.ceil(self.drain_size / self.bw)
        end = min(self.drain_start + n, len(self.lines))
        got = end - self.drain_start
        data = (got - 1) * self.bw + self.lines[end - 1]     # only the last line's padding is discounted
        self.words += data
        self.free += data
        self.drain_start = end
        return cycle + got - 1                               # write_port latency 0

    def write_row(self, count: int, cycle: int) -> int:
        """Store `count` outputs demanded at `cycle`; the cycle the row is served."""
        cur = cycle
        while count > 0:
            if cur < self.drain_end:
                k = count if self.free - count > 0 else max(self.free, 1)
                self.store(k)
                count -= k
                if self.free <= 0:
                    cur = self.drain_end
            else:
                k = max(self.free - self.active + 1, 1)
                if count < k:
                    self.store(count)
                    break
                self.store(k)
                count -= k
                self._close_line()
                self.drain_end = self._drain(cur)
        return cur

    def flush(self) -> None:
        """empty_all_buffers: drain what is left (counts DRAM writes, no cycles)."""
        self._close_line()
        while self.drain_start < len(self.lines):
            self._drain(0)


# ---------------------------------------------------------------- the scratchpad (double_buffered_scratchpad_mem.py)
def _read_stall(x: int, cycle: int, fill_end: int, moves: int, fill_cycles: int) -> tuple[int, int]:
    """(stall, fill end) of a row whose read needed `moves` window moves (read_buffer.service_reads)."""
    for _ in range(moves):
        fill_end += fill_cycles
        p = fill_end - x
        x = fill_end + max(p, 0)
    return x - cycle - HIT_LATENCY, fill_end


def _plain_rows(wbuf: WriteBuffer, rows: np.ndarray, counts: np.ndarray, stalls: int) -> int:
    """How many of these ofmap-only rows (from the first) store their outputs with no drain and no stall:
    before the drain in flight ends a row stalls only when the buffer fills; after it, a row drains
    once fewer than the active half are free (write_buffer.service_writes)."""
    free_after = wbuf.free - np.cumsum(counts)
    plain = np.where(rows + stalls < wbuf.drain_end, free_after > 0, free_after >= wbuf.active)
    return len(plain) if plain.all() else int(np.argmin(plain))


def replay(n_rows: int, if_moves: tuple[np.ndarray, np.ndarray], fi_moves: tuple[np.ndarray, np.ndarray],
           of_rows: np.ndarray, ifbuf: ReadBuffer, fibuf: ReadBuffer, wbuf: WriteBuffer) -> tuple[int, int]:
    """(total cycles, stall cycles): the row loop, visiting only rows where something can stall; runs of
    ofmap rows that neither drain nor stall are stored in one step."""
    starts = np.flatnonzero(np.diff(of_rows, prepend=-1))   # of_rows is sorted: run-length encode it
    of_r: np.ndarray = of_rows[starts]
    of_n: np.ndarray = np.diff(np.append(starts, len(of_rows)))
    reads = np.sort(np.concatenate((if_moves[0], fi_moves[0])))
    reads = [*reads[np.diff(reads, prepend=-1) != 0].tolist(), n_rows]   # n_rows: a sentinel
    if_map = dict(zip(if_moves[0].tolist(), if_moves[1].tolist(), strict=True))
    fi_map = dict(zip(fi_moves[0].tolist(), fi_moves[1].tolist(), strict=True))
    stalls, if_end, fi_end, last_out, i, k = 0, -1, -1, 0, 0, 0
    while i < len(of_r) or reads[k] < n_rows:
        r_read = reads[k]
        if i < len(of_r) and of_r[i] < r_read:               # ofmap-only rows before the next read miss
            j = min(int(np.searchsorted(of_r, r_read)), i + 4096)
            plain = _plain_rows(wbuf, of_r[i:j], of_n[i:j], stalls)
            if plain:
                wbuf.store(int(of_n[i:i + plain].sum()))
                last_out = max(last_out, int(of_r[i + plain - 1]) + stalls)
                i += plain
                continue
            r, n_out, moves_if, moves_fi = int(of_r[i]), int(of_n[i]), 0, 0
            i += 1
        else:                                                # a read-miss row (maybe with outputs)
            r, moves_if, moves_fi = r_read, if_map.get(r_read, 0), fi_map.get(r_read, 0)
            n_out = int(of_n[i]) if i < len(of_r) and of_r[i] == r else 0
            i += n_out > 0
            k += 1
        cycle = r + stalls
        s_if = s_fi = 0
        if moves_if:
            s_if, if_end = _read_stall(cycle + HIT_LATENCY, cycle, if_end, moves_if, ifbuf.fill_cycles)
        if moves_fi:
            s_fi, fi_end = _read_stall(cycle + HIT_LATENCY, cycle, fi_end, moves_fi, fibuf.fill_cycles)
        out = wbuf.write_row(n_out, cycle) if n_out else cycle
        stalls += max(s_if, s_fi, out - cycle)
        last_out = max(last_out, out)
    last_row_seen = (len(of_r) and of_r[-1] == n_rows - 1) or (len(reads) > 1 and reads[-2] == n_rows - 1)
    if not last_row_seen:
        last_out = max(last_out, n_rows - 1 + stalls)         # the last row, served without a stall
    wbuf.flush()
    return last_out, stalls


@functools.lru_cache(maxsize=512)
def simulate_layer(s: ConvShape, dataflow: str, rows: int, cols: int, ifmap_bytes: int, filter_bytes: int,
                   ofmap_bytes: int, bw_words: int) -> TraceResult:
    """SCALE-Sim USER-mode cycles and DRAM words of one layer (1-byte words, bw_words per cycle). Cached:
    networks repeat layers (ResNet-50's identical bottleneck blocks) and sweeps repeat designs."""
    d = demand(dataflow, *operand_matrices(s), rows, cols)
    ifbuf = ReadBuffer.build(d.ifmap_prefetch, ifmap_bytes, bw_words)
    fibuf = ReadBuffer.build(d.filter_prefetch, filter_bytes, bw_words)
    wbuf = WriteBuffer(ofmap_bytes, bw_words)
    if_ev, fi_ev = ifbuf.moves(*d.ifmap), fibuf.moves(*d.filter)
    total, stalls = replay(d.n_rows, if_ev, fi_ev, d.ofmap[0], ifbuf, fibuf, wbuf)
    return TraceResult(total_cycles=int(total), stall_cycles=int(stalls),
                       ifmap_dram_reads=int(ifbuf.first_fill_words + if_ev[1].sum() * ifbuf.fill_words),
                       filter_dram_reads=int(fibuf.first_fill_words + fi_ev[1].sum() * fibuf.fill_words),
                       ofmap_dram_writes=int(wbuf.words))

