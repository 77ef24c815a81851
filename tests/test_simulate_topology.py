"""SCALE-Sim topology CSVs: both formats, depthwise, SCALE-Sim's output rounding, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelopt.errors import InputError
from accelopt.simulate.layers import resnet50_layers
from accelopt.simulate.topology import parse_topology, read_topology, write_topology

CONV = """Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,
Conv1, 224, 224, 7, 7, 3, 64, 2,
Conv2_DP, 112, 112, 3, 3, 32, 1, 1,
"""
GEMM = "Layer,M,N,K\nQKT,1024,1024,64\nLinear1,1024,4800,1600\n"  # as in SCALE-Sim's GEMM_mnk/gpt2.csv


def test_conv_format_and_depthwise() -> None:
    conv1, dw = parse_topology(CONV)
    assert (conv1.m, conv1.n, conv1.k) == (109 * 109, 64, 147)
    assert dw.kind == "dwconv" and dw.repeats == 32 and (dw.n, dw.k) == (1, 9)


def test_gemm_format_and_batch() -> None:
    qkt, lin = parse_topology(GEMM)
    assert (qkt.m, qkt.n, qkt.k) == (1024, 1024, 64)
    assert parse_topology(GEMM, batch=2)[1].m == 2048 and lin.k == 1600


def test_scalesim_output_rounding() -> None:
    text = CONV.splitlines()[0] + "\nL, 14, 14, 3, 3, 4, 8, 2,\n"
    (floor,) = parse_topology(text)
    (ceil,) = parse_topology(text, scalesim_rounding=True)
    assert floor.m == 6 * 6  # floor((14 - 3) / 2) + 1
    assert ceil.m == 7 * 7   # SCALE-Sim: ceil((14 - 3 + 2) / 2)


def test_roundtrip_write_read(tmp_path: Path) -> None:
    layers = [x for x in resnet50_layers() if x.conv is not None]
    p = tmp_path / "r50.csv"
    write_topology(layers, p)
    back = read_topology(p)
    assert [(x.m, x.n, x.k) for x in back] == [(x.m, x.n, x.k) for x in layers]


@pytest.mark.parametrize(("text", "needle"), [
    ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Channels, Num Filter, Strides,\nA,8,8,3,3,4,1,\n",
     "Filter Width"),
    ("Layer, M, N\nA, 1, 2\n", "K"),
    (CONV.splitlines()[0] + "\nA, 8, 8, 3, 3, -4, 8, 1,\n", "Channels"),
    (CONV.splitlines()[0] + "\nA, 8, 8, 3, x, 4, 8, 1,\n", "Filter Width"),
    (CONV.splitlines()[0] + "\nA, 2, 2, 3, 3, 4, 8, 1,\n", "larger"),
    ("", "empty"),
    (CONV.splitlines()[0] + "\n", "no layer rows"),
])
def test_bad_topology(text: str, needle: str) -> None:
    with pytest.raises(InputError) as e:
        parse_topology(text, "t.csv")
    assert needle in str(e.value)


def test_missing_topology_file() -> None:
    with pytest.raises(InputError, match="does not exist"):
        read_topology("/nonexistent.csv")


@pytest.mark.parametrize("batch, fix", [(1, "check that row's sizes"),
                                        (4, "check that row's sizes (or a smaller --batch than 4)")])
def test_a_row_past_the_simulators_limit_names_the_file_and_row(tmp_path: Path, batch: int, fix: str) -> None:
    """A row of 4.8e20 MACs (past 2**53) was refused as "layer 'g1': ..." with the fix 'a smaller --batch or
    --seq-len': no file or row named, and --seq-len is refused with a topology (ut4sim, 2026-12-06)."""
    p = tmp_path / "t.csv"
    p.write_text("Layer, M, N, K,\nsmall, 8, 8, 8,\ng1, 99999999999, 99999999, 48,\n")
    with pytest.raises(InputError) as e:
        read_topology(p, batch=batch)
    assert e.value.problem.startswith(f"topology {p}, row 3: layer 'g1': ")
    assert e.value.fix == fix and "--seq-len" not in e.value.fix
