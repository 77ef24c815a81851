"""`probe --collectives` prints plan's model of every measured collective beside it, size by size, in seconds, with
its error (ut4dist, 2026-12-06). The table showed the measured times only; plan's model with the run's own link was
judged at each collective's worst size alone ('-51% at 64 KiB, its worst size'), so a user asking what plan would
predict on this host for 1 KiB, 4 MiB or 64 MiB had to redo the ring arithmetic by hand. Now each row carries plan's
time (predict/comm.py: all-reduce 2(p-1) alpha + 2(p-1)/p S / B, the others (p-1) alpha + (p-1)/p S / B, with the
link figures the run saves for plan) and model / measured - 1, on the console, the page and in the JSON
(collectives.figures[].model_time_s and model_error, probe schema 12)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from rich.console import Console
from test_distributed_units import _probe_result

from accelopt.distributed.collectives import build_result
from accelopt.report import schema
from accelopt.report.distributed_view import render_collectives

SIZES = [1024, 65536, 4 * 2**20]


def _rank0() -> dict[str, Any]:
    """2 ranks. All-reduce on the line 40 us + S / 1 GB/s (alpha 20 us, B 1 GB/s), except 64 KiB twice as slow; the
    all-gather at 3 x the half-ring model's 20 us + S / 2 GB/s."""
    times = []
    for op in ("all_reduce", "all_gather"):
        for s in SIZES:
            t = 40e-6 + s / 1e9 if op == "all_reduce" else 3 * (20e-6 + s / 2e9)
            t *= 2.0 if (op, s) == ("all_reduce", 65536) else 1.0
            times.append({"op": op, "size_bytes": s, "asked_size_bytes": None, "times_s": [t] * 10})
    return {"times": times}


def _model(op: str, size: int) -> float:
    """The model by hand: alpha 20 us, B 1 GB/s (the line through 1 KiB and 4 MiB), p = 2."""
    return 2 * 20e-6 + size / 1e9 if op == "all_reduce" else 20e-6 + size / 2e9


def test_each_figure_carries_plans_model_and_its_error() -> None:
    res = build_result(_rank0(), "gloo", "cpu", 2)
    for f in res.figures:
        assert f.model_time_s is not None and abs(f.model_time_s / _model(f.op, f.size_bytes) - 1) < 1e-9, f
    ar64 = next(f for f in res.figures if (f.op, f.size_bytes) == ("all_reduce", 65536))
    assert ar64.model_error is not None and abs(ar64.model_error + 0.5) < 1e-9  # half the measured time
    ag = [f.model_error for f in res.of("all_gather")]
    assert all(e is not None and abs(e + 2 / 3) < 1e-9 for e in ag), ag


def test_console_prints_the_model_beside_each_measured_time() -> None:
    rows = _rows(build_result(_rank0(), "gloo", "cpu", 2))
    assert rows[("collective", "size")][-2:] == ["plan's model", "model error"]
    # 40 us + 65536 B / 1 GB/s = 105.5 us against 211 us measured
    assert rows[("all_reduce", "64 KiB")][-2:] == ["106 µs", "-50%"], rows
    assert rows[("all_reduce", "4 MiB")][-2:] == ["4.23 ms", "+0%"]
    assert rows[("all_gather", "1 KiB")][-2:] == ["20.5 µs", "-67%"]  # 20 us + 1024 B / 2 GB/s


def _rows(result: Any) -> dict[tuple[str, str], list[str]]:
    """The printed table's cells by (collective, size), the header's too; the footnote checked."""
    console = Console(record=True, width=400)
    render_collectives(result, console)
    text = console.export_text()
    assert "model error: model / measured - 1" in " ".join(text.split())
    cells = [[c.strip() for c in line.replace("┃", "│").split("│")[1:-1]] for line in text.splitlines()
             if line.startswith(("│", "┃"))]
    return {(c[0], c[1]): c for c in cells}


def test_json_keeps_the_model_and_an_older_document_shows_it_computed(tmp_path: Path) -> None:
    from accelopt.report.html import write_html

    probe = dataclasses.replace(_probe_result(), collectives=build_result(_rank0(), "gloo", "cpu", 2))
    doc = schema.dump("probe", probe)
    fig = doc["collectives"]["figures"][0]
    assert abs(fig["model_time_s"] / _model("all_reduce", 1024) - 1) < 1e-9
    assert "model_error" in fig
    for f in doc["collectives"]["figures"]:  # a version-11 record: no model kept
        del f["model_time_s"], f["model_error"]
    doc["schema_version"] = 11
    old = schema.load("probe", doc)
    assert old.collectives is not None and old.collectives.figures[0].model_time_s is None
    rows = _rows(old.collectives)
    assert rows[("all_reduce", "64 KiB")][-2:] == ["106 µs", "-50%"]  # computed from the link the record holds
    page = write_html(tmp_path / "p.html", "probe", old, title="t", argv=["probe"]).read_text()
    assert "model error" in page and "106 µs" in page  # 64 KiB all-reduce's model: in no other cell or line
