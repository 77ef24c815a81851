"""A terminal narrower than a table never cuts a cell: rich squeezed tables below their longest word, printing
'3.28 TB/s' as '3…' (a wrong number) and, on 40 columns, emptying whole columns of `catalog list`. Such a table is
printed at its narrowest layout that keeps every word whole (the terminal wraps the long lines)."""

from __future__ import annotations

import io

import pytest
from conftest import run_main_expect
from rich.table import Table

import accelopt.report.console as console_mod
from accelopt.report.console import make_console


def _table() -> Table:
    t = Table(title="devices")
    for col in ("name", "bandwidth", "catalog entry"):
        t.add_column(col)
    t.add_row("mi250x", "3.28 TB/s", "none")
    t.add_row("a100-sxm-80gb", "2.04 TB/s", "a100-sxm-80gb")
    return t


def _words(text: str) -> set[str]:
    """The words of a printed table, borders left out."""
    return {w for w in text.replace("│", " ").replace("┃", " ").split() if not set(w) <= set("━─┏┓┗┛┡┩┳┻╇┴┬└┘┌┐")}


@pytest.mark.parametrize("width", [12, 20, 30])
def test_a_table_on_a_narrow_console_keeps_every_word(width: int) -> None:
    buf = io.StringIO()
    make_console(width=width, file=buf).print(_table())
    text = buf.getvalue()
    assert "…" not in text
    assert {"mi250x", "3.28", "2.04", "TB/s", "a100-sxm-80gb", "bandwidth", "catalog", "entry"} <= _words(text)
    # each line whole: the right border of every row is printed (not cropped at the console's width)
    rows = [ln for ln in text.splitlines() if ln.startswith("│")]
    assert rows and all(ln.rstrip().endswith("│") for ln in rows)


def test_a_table_that_fits_is_printed_as_before() -> None:
    wide, narrow = io.StringIO(), io.StringIO()
    t = _table()
    make_console(width=120, file=wide).print(t)
    assert [c.min_width for c in t.columns] == [None, None, None]  # untouched when it fits
    make_console(width=120, file=narrow).print(_table())
    assert wide.getvalue() == narrow.getvalue()


def test_catalog_list_on_40_columns_shows_every_figure(monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    wide, _ = run_main_expect(capsys, "catalog", "list")
    monkeypatch.setattr(console_mod, "PIPE_WIDTH", 40)  # what a 40-column terminal gives the console
    narrow, _ = run_main_expect(capsys, "catalog", "list")
    assert "…" not in narrow
    assert _words(wide) <= _words(narrow)
    assert "3.28" in _words(narrow) and "TB/s" in _words(narrow)
