"""SCALE-Sim topology CSVs (scalesim 3.0.0, scalesim/topology_utils.py), read and written.

Conv format, header row then one layer per row:
    Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,
(or with `Stride height, Stride width` in place of `Strides`, as scale-sim-v2 writes it),
GEMM format:
    Layer, M, N, K,
Column names are matched case- and space-insensitively; extra columns (SCALE-Sim's optional sparsity
ratio, spreadsheet leftovers) are ignored. SCALE-Sim has no padding column: IFMAP Height/Width are the
(already padded) input. A conv layer whose name contains "DP" is depthwise, as in SCALE-Sim (it runs
one single-channel layer per channel): here one Conv with groups = Channels.
SCALE-Sim sizes the output as ceil((H - Fh + S) / S) (topology_utils.py, topo_calc_hyperparams), which
counts a partial last window when (H - Fh) is not a multiple of the stride; the usual (and PyTorch's)
rule is floor((H - Fh) / S) + 1. `scalesim_rounding=True` reproduces SCALE-Sim's count (used by
`--convention scalesim-code`); the default uses the floor rule.
SCALE-Sim 3.0.0 itself drops the last field of every row (`row.split(',')[:-1]`), so its files end
rows with a comma; `write_topology` does the same so that scalesim reads what we write.
"""

from __future__ import annotations

import csv
import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from accelopt.errors import InputError
from accelopt.simulate.layers import Layer, from_conv, from_gemm
from accelopt.userio import read_user_text, write_text_whole
from accelopt.workload.types import Conv, Gemm

CONV_COLUMNS = ("Layer name", "IFMAP Height", "IFMAP Width", "Filter Height", "Filter Width", "Channels",
                "Num Filter", "Strides")
GEMM_COLUMNS = ("Layer", "M", "N", "K")
STRIDE_HW_COLUMNS = ("Stride height", "Stride width")
CONV_COLUMNS_HW = (*CONV_COLUMNS[:-1], *STRIDE_HW_COLUMNS)
"""SCALE-Sim's other conv header (scale-sim-v2 topology_utils.py write_topo_file, and rows of 9 entries): a stride
per direction."""


def _strided_gemm(name: str, batch: int, h: int, w: int, fh: int, fw: int, ch: int, nf: int,
                  strides: tuple[int, int], scalesim_rounding: bool) -> Layer:
    """A conv row whose stride height and width differ, as its im2col GEMM (as a captured conv of unequal strides
    is, workload/opcount.conv_gemm): M = batch x Ho x Wo, N = Num Filter, K = Channels x Fh x Fw; a 'DP' row runs
    one such GEMM per channel (K = Fh x Fw). Output sizes as parse_topology counts them."""
    sh, sw = strides
    if scalesim_rounding:  # SCALE-Sim's ceil((H - F + S) / S) (module docstring)
        ho, wo = math.ceil((h - fh + sh) / sh), math.ceil((w - fw + sw) / sw)
    else:
        ho, wo = (h - fh) // sh + 1, (w - fw) // sw + 1
    depthwise = "DP" in name
    gemm = Gemm(m=batch * ho * wo, n=nf, k=(1 if depthwise else ch) * fh * fw, batch=ch if depthwise else 1)
    layer = from_gemm(name, gemm, kind="dwconv" if depthwise else "conv")
    return dataclasses.replace(layer, ifmap_elems=batch * (1 if depthwise else ch) * h * w)  # unique inputs


def _norm(s: str) -> str:
    return "".join(s.lower().split())


def _header_index(header: list[str], wanted: Sequence[str], where: str) -> list[int]:
    normed = [_norm(h) for h in header]
    missing = [w for w in wanted if _norm(w) not in normed]
    if missing:
        raise InputError(f"topology {where}: missing column(s) {', '.join(missing)}",
                         "SCALE-Sim conv header: " + ", ".join(CONV_COLUMNS) + " (or " + ", ".join(STRIDE_HW_COLUMNS)
                         + " in place of Strides); GEMM header: " + ", ".join(GEMM_COLUMNS))
    return [normed.index(_norm(w)) for w in wanted]


def _int(cell: str, col: str, row_no: int, where: str) -> int:
    try:
        v = int(str(cell).strip())
    except ValueError:
        raise InputError(f"topology {where}, row {row_no}: {col} = {str(cell).strip()!r} is not an integer",
                         "write a whole number") from None
    if v < 1:
        raise InputError(f"topology {where}, row {row_no}: {col} = {v} must be >= 1", "write a positive size")
    return v


def _scalesim_rounded(layer: Layer, conv: Conv) -> Layer:
    """The layer with M counted by SCALE-Sim's ceil((H - F + S) / S) output size."""
    ho = math.ceil((conv.h_in - conv.kh + conv.stride) / conv.stride)
    wo = math.ceil((conv.w_in - conv.kw + conv.stride) / conv.stride)
    return dataclasses.replace(layer, m=conv.n * ho * wo)


def looks_like_topology(text: str) -> bool:
    """Whether `text`'s first non-blank line is a SCALE-Sim topology header (GEMM's Layer, M, N, K or a conv's
    'Layer name, IFMAP Height, ...'), whatever the file is named: a topology saved as layers.txt and passed as a
    design was told 'not valid TOML' (rev2)."""
    line = next((ln for ln in text.splitlines() if ln.strip()), "")
    cells = {_norm(c) for c in line.split(",")}
    return {_norm(c) for c in GEMM_COLUMNS} <= cells or {_norm(c) for c in CONV_COLUMNS[:3]} <= cells


def parse_topology(text: str, where: str = "<text>", batch: int = 1, scalesim_rounding: bool = False) -> list[Layer]:
    """Layers from a SCALE-Sim topology (format chosen by the header)."""
    from accelopt.simulate.models import MAX_BATCH

    if not 1 <= batch <= MAX_BATCH:
        raise InputError(f"--batch {batch:,} must be 1..{MAX_BATCH:,}", "pass --batch 1 or more, within that range")
    try:
        rows = [r for r in csv.reader(text.splitlines()) if any(c.strip() for c in r)]
    except csv.Error as e:  # e.g. a field over csv's 128 KiB limit: not a topology
        raise InputError(f"topology {where} is not a readable CSV ({e})",
                         "write a header row and one row per layer (SCALE-Sim format)") from None
    if not rows:
        raise InputError(f"topology {where} is empty", "write a header row and one row per layer")
    header = rows[0]
    sep = next((c for c in (";", "\t", "|") if len([h for h in header if h.strip()]) == 1 and c in header[0]), None)
    if sep is not None:  # a spreadsheet's export with another separator: one cell, every column name missing
        raise InputError(f"topology {where}: its header {header[0].strip()[:80]!r} is one column: the file separates "
                         f"columns with {sep!r}", "save it with commas between columns, as SCALE-Sim topologies are "
                         "(e.g. 'Layer, M, N, K,')")
    is_gemm = _norm(header[0]) == "layer" and "m" in [_norm(h) for h in header]
    two_strides = not is_gemm and {_norm(c) for c in STRIDE_HW_COLUMNS} <= {_norm(h) for h in header}
    cols = GEMM_COLUMNS if is_gemm else CONV_COLUMNS_HW if two_strides else CONV_COLUMNS
    idx = _header_index(header, cols, where)
    layers: list[Layer] = []
    row_no = 1
    try:
        for row_no, row in enumerate(rows[1:], start=2):
            cells = row + [""] * (max(idx) + 1 - len(row))
            name = cells[idx[0]].strip() or f"layer{row_no - 1}"
            vals = [_int(cells[i], c, row_no, where) for i, c in zip(idx[1:], cols[1:], strict=True)]
            if is_gemm:
                m, n, k = vals
                layers.append(from_gemm(name, Gemm(m=m * batch, n=n, k=k)))
                continue
            h, w, fh, fw, ch, nf, stride, *stride_w = vals
            if fh > h or fw > w:
                raise InputError(f"topology {where}, row {row_no}: filter {fh}x{fw} larger than IFMAP {h}x{w}",
                                 "IFMAP Height/Width are the padded input; check the row")
            if stride_w and stride_w[0] != stride:  # Conv holds one stride: the layer runs as its im2col GEMM
                layers.append(_strided_gemm(name, batch, h, w, fh, fw, ch, nf, (stride, stride_w[0]),
                                            scalesim_rounding))
                continue
            if "DP" in name:  # SCALE-Sim: depthwise, one single-channel layer per channel
                conv = Conv(n=batch, c_in=ch, h_in=h, w_in=w, c_out=ch * nf, kh=fh, kw=fw, stride=stride, groups=ch)
            else:
                conv = Conv(n=batch, c_in=ch, h_in=h, w_in=w, c_out=nf, kh=fh, kw=fw, stride=stride)
            layer = from_conv(name, conv)
            layers.append(_scalesim_rounded(layer, conv) if scalesim_rounding else layer)
    except InputError as e:
        # a layer past the simulator's limits (Layer: 2**53 MACs) named neither the file nor the row, and its fix
        # said '--seq-len', which a topology does not take (ut4sim, 2026-12-06)
        if e.problem.startswith("topology "):
            raise
        raise InputError(f"topology {where}, row {row_no}: {e.problem}",
                         "check that row's sizes" + (f" (or a smaller --batch than {batch})" if batch > 1 else "")
                         ) from None
    if not layers:
        raise InputError(f"topology {where} has a header but no layer rows", "add one row per layer")
    return layers


def read_topology(path: Path | str, batch: int = 1, scalesim_rounding: bool = False) -> list[Layer]:
    text = read_user_text(path, "topology file", "check the path given to --topology", encoding="utf-8-sig")
    return parse_topology(text, str(path), batch, scalesim_rounding)


def write_topology(layers: Sequence[Layer], path: Path | str, gemm: bool = False) -> None:
    """Write layers as a SCALE-Sim CSV (conv layers need .conv, batch 1, groups 1 or depthwise)."""
    lines = [", ".join(GEMM_COLUMNS if gemm else CONV_COLUMNS) + ","]
    for x in layers:
        if gemm:
            if x.repeats != 1:
                raise InputError(f"layer {x.name!r} repeats {x.repeats}x", "SCALE-Sim GEMM rows are single GEMMs")
            lines.append(f"{x.name}, {x.m}, {x.n}, {x.k},")
            continue
        c = x.conv
        if c is None or c.n != 1 or (c.groups != 1 and c.groups != c.c_in):
            raise InputError(f"layer {x.name!r} cannot be written as a SCALE-Sim conv row",
                             "use batch 1 and groups 1 (or depthwise), or write the GEMM format")
        h, w = c.h_in + 2 * c.padding, c.w_in + 2 * c.padding
        name = x.name if c.groups == 1 else (x.name if "DP" in x.name else f"{x.name}_DP")
        nf = c.c_out // c.groups if c.groups > 1 else c.c_out
        lines.append(f"{name}, {h}, {w}, {c.kh}, {c.kw}, {c.c_in}, {nf}, {c.stride},")
    write_text_whole(path, "\n".join(lines) + "\n")  # all or nothing: a Ctrl-C leaves the earlier file


MAX_TOPOLOGY_ROWS = 1_000_000
"""Most rows `save_topology` writes (about 40 MB): one row per GEMM, and an LLM's attention is one GEMM per head and
layer (Llama 3 70B at batch 8: 80 layers x 64 heads x 8 = 40,960 rows for QK^T alone)."""


@dataclass(frozen=True, kw_only=True)
class SavedTopology:
    """What `save_topology` wrote."""

    path: str
    format: str
    """'conv' or 'gemm' (SCALE-Sim's two topology formats)."""
    rows: int
    notes: list[str] = field(default_factory=list)
    """What reading the file back does not reproduce exactly."""


def _safe_name(name: str, depthwise: bool) -> str:
    """A row name SCALE-Sim and parse_topology read back as written: no comma (the separator), and 'DP' only in a
    depthwise row's name (either reader takes 'DP' anywhere in the name as depthwise)."""
    name = " ".join(name.replace(",", ";").split()) or "layer"
    if depthwise:
        return name if "DP" in name else f"{name}_DP"
    return name.replace("DP", "Dp")


def _conv_rows(layers: Sequence[Layer]) -> list[str] | None:
    """SCALE-Sim conv rows for `layers`, or None where one of them is not a batch-1 convolution of groups 1 or
    depthwise (nor a GEMM of one row, which is a 1x1 convolution of one pixel: M = 1, N filters, K channels)."""
    rows: list[str] = []
    for x in layers:
        c = x.conv
        if c is None:
            if x.m != 1:
                return None
            rows += [f"{name}, 1, 1, 1, 1, {x.k}, {x.n}, 1," for name in _row_names(x.name, False, x.repeats)]
            continue
        depthwise = c.groups > 1 and c.groups == c.c_in
        if c.n != 1 or (c.groups != 1 and not depthwise) or x.repeats % c.groups:
            return None
        h, w = c.h_in + 2 * c.padding, c.w_in + 2 * c.padding
        nf = c.c_out // c.groups if depthwise else c.c_out
        rows += [f"{name}, {h}, {w}, {c.kh}, {c.kw}, {c.c_in}, {nf}, {c.stride},"
                 for name in _row_names(x.name, depthwise, x.repeats // c.groups)]
    return rows


def _row_names(name: str, depthwise: bool, count: int) -> list[str]:
    """One name per row of a layer that runs `count` times: 'fc', or 'fc.0', 'fc.1', ..."""
    base = _safe_name(name, depthwise)
    return [base] if count == 1 else [f"{base}.{i}" for i in range(count)]


def save_topology(layers: Sequence[Layer], path: Path | str) -> SavedTopology:
    """Write `layers` as a SCALE-Sim topology CSV that scalesim and `simulate run --topology` read back as the same
    GEMMs: the conv format where every layer is a batch-1 convolution (groups 1 or depthwise) or a one-row GEMM,
    else the GEMM format with one row per GEMM (a layer's `repeats`, its heads, groups and identical ops, each a row:
    SCALE-Sim has no repeat column). InputError past MAX_TOPOLOGY_ROWS rows, before anything is written."""
    conv = _conv_rows(layers)
    total = len(conv) if conv is not None else sum(x.repeats for x in layers)
    if total > MAX_TOPOLOGY_ROWS:
        raise InputError(f"--save-topology would write {total:,} rows, one per GEMM (SCALE-Sim has no repeat column), "
                         f"more than {MAX_TOPOLOGY_ROWS:,}", "simulate a smaller --batch or --seq-len for the file")
    notes: list[str] = []
    if conv is not None:
        lines = [", ".join(CONV_COLUMNS) + ",", *conv]
        partial = [x.name for x in layers if x.conv is not None
                   and (x.conv.h_in + 2 * x.conv.padding - x.conv.kh) % x.conv.stride]
        if partial:  # the two output-size rules of the module docstring
            notes.append(f"{len(partial)} strided layer(s) (first {partial[0]!r}) leave a partial last window: "
                         "SCALE-Sim, and --topology with --convention scalesim-code, count it (ceil), one more output "
                         "row and column than simulated here; read back with the default --convention paper, they "
                         "match")
        if any(x.conv is not None and x.conv.padding for x in layers):
            notes.append("padded convolutions are written with their padded input size (SCALE-Sim has no padding "
                         "column): read back, their input DRAM traffic counts the padding")
    else:
        lines = [", ".join(GEMM_COLUMNS) + ","]
        for x in layers:
            lines += [f"{name}, {x.m}, {x.n}, {x.k}," for name in _row_names(x.name, False, x.repeats)]
        if any(x.repeats > 1 for x in layers):
            notes.append("a layer's repeats (heads, groups, identical ops) are one row each: read back, each row pays "
                         "its own first DRAM fill, so the stall cycles can read higher")
        if any(x.ifmap_elems != x.m * x.k for x in layers):
            notes.append("convolutions are written as their im2col GEMMs: read back, their input DRAM traffic is "
                         "M x K elements, not the input tensor's")
        notes.append("read it back with --batch 1 (the default for --topology): its rows hold the batch")
    write_text_whole(path, "\n".join(lines) + "\n")
    return SavedTopology(path=str(path), format="conv" if conv is not None else "gemm", rows=len(lines) - 1,
                         notes=notes)
