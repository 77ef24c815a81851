"""report.console.fits_surely: PlainConsole.print reads a table's cells for an upper bound of its narrowest width and
measures the table (rich renders every cell, twice) only where that bound passes the console's width. A long table
that fits (`plan --top 99999999999999999999`: all 708 layouts) was measured for nothing before it was printed."""

from __future__ import annotations

import io

import pytest
from rich import box
from rich.table import Table
from rich.text import Text

from accelopt.report import console as console_mod
from accelopt.report.console import PlainConsole, make_console


def _tables() -> list[Table]:
    out = []
    for kwargs in ({}, {"box": None}, {"show_edge": False}, {"pad_edge": False}, {"collapse_padding": True},
                   {"padding": (0, 3)}, {"box": box.SIMPLE, "show_header": False}, {"min_width": 90}):
        t = Table(title="a title wider than the table's columns", **kwargs)
        t.add_column("hardware")
        t.add_column("n", justify="right", min_width=7)
        t.add_column("recomp words", max_width=5)
        t.add_column("multi")
        t.add_row(Text("h100-sxm (fitted on x)"), "8", "full 24 layers", "one\ntwo lines here")
        t.add_row("日本語のデバイス 名前", "64", Text("none+mlp"), "\x1b[31mred")
        out.append(t)
    empty = Table(show_header=False)  # columns with no cells: rich counts each 1 wide
    empty.add_column()
    empty.add_column()
    out.append(empty)
    return out


@pytest.mark.parametrize("table", _tables())
def test_the_bound_never_claims_a_fit_the_table_does_not_have(table: Table) -> None:
    con = make_console(file=io.StringIO(), width=200)
    least = con.narrowest(table)  # rich's own measurement
    assert not console_mod.fits_surely(table, least - 1)
    assert console_mod.fits_surely(table, least + 200)  # and it is not refused for a table this simple


def test_a_long_table_that_fits_is_printed_without_measuring_it_first(monkeypatch: pytest.MonkeyPatch) -> None:
    t = Table(title="best 2000 by time")
    for c in ("hardware", "n", "tp", "step", "MFU"):
        t.add_column(c, justify="left" if c == "hardware" else "right")
    for i in range(2000):
        t.add_row(Text(f"h100-sxm ({i % 7})"), str(8 * (i % 5 + 1)), str(i % 8), f"{i / 7:.3g} s", f"{i % 61}%")

    def printed() -> str:
        con = make_console(file=io.StringIO(), width=200)
        con.print(t)
        return con.file.getvalue()

    measured: list[Table] = []
    real = PlainConsole.narrowest
    monkeypatch.setattr(PlainConsole, "narrowest", lambda self, table: measured.append(table) or real(self, table))
    fast = printed()
    assert measured == []  # before: measured once per print
    monkeypatch.setattr(console_mod, "fits_surely", lambda table, width: False)  # the measuring path
    assert printed() == fast and measured == [t]


def test_a_table_wider_than_the_console_is_still_measured_and_kept_whole() -> None:
    t = Table()
    for i in range(12):
        t.add_column(f"column-{i}")
    t.add_row(*(f"value-{i}-long-word" for i in range(12)))
    assert not console_mod.fits_surely(t, 80)
    con = make_console(file=io.StringIO(), width=80)
    con.print(t)
    assert "value-11-long-word" in con.file.getvalue()  # no cell cut (test_console_narrow has the rest)


def test_a_rich_without_the_private_names_is_measured_not_crashed() -> None:
    """fits_surely reads rich's private Column._cells: where a rich version has no such list, it answers False (the
    table is measured as before) instead of raising from every table printed (review, 2026-12-05)."""
    t = _tables()[0]
    assert console_mod.fits_surely(t, 10**6)
    t.columns[0]._cells = None  # type: ignore[assignment]
    assert not console_mod.fits_surely(t, 10**6)
