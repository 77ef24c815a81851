"""`probe --collectives` says when its figures are not to be trusted, as the probe's device figures do: each
figure keeps p10/p90 and its spread, a figure whose repeats are spread (> contention.SPREAD_MAX) or bimodal is
named in a warning, a machine busy with other processes during the run names every figure, and the link figures
saved for `plan` are named as disturbed when the all-reduce times they come from are. Before, the table showed
the median alone and no warning, however noisy the repeats (issue: 'probe --collectives shows no spread/busy-machine
warning')."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from accelopt.distributed import collectives
from accelopt.distributed.collectives import ALL_FIGURES, LINK_FIGURES, build_result
from accelopt.measure import contention
from accelopt.measure.contention import ContentionReport, CpuTimes

SIZES = [1024, 65536, 4 * 2**20]


def _rank0(noisy_size: int | None = None) -> dict[str, Any]:
    """Ring all-reduce and all-gather times on 2 ranks, steady to 1%; `noisy_size`'s all-reduce spread 3x."""
    def times(op: str, s: int) -> list[float]:
        t = 40e-6 + s / 1e9
        if op == "all_reduce" and s == noisy_size:
            return [t * (1 + 0.3 * i) for i in range(10)]  # 1.0x .. 3.7x: (p90 - p10) / median about 130%
        return [t * (1 + 0.001 * i) for i in range(10)]
    return {"times": [{"op": op, "size_bytes": s, "times_s": times(op, s)} for op in ("all_reduce", "all_gather")
                      for s in SIZES]}


def test_steady_repeats_keep_their_spread_and_warn_of_nothing() -> None:
    res = build_result(_rank0(), "gloo", "cpu", 2)
    fig = res.of("all_reduce")[0]
    assert fig.p10_s is not None and fig.p90_s is not None and fig.p10_s <= fig.time_s <= fig.p90_s
    assert fig.spread == pytest.approx((fig.p90_s - fig.p10_s) / fig.time_s) and fig.spread < 0.01
    assert not res.contention.warnings and not res.contention.disturbed


def test_a_spread_all_reduce_is_named_and_so_are_the_link_figures() -> None:
    res = build_result(_rank0(noisy_size=4 * 2**20), "gloo", "cpu", 2)
    noisy = res.of("all_reduce")[-1]
    assert noisy.spread is not None and noisy.spread > contention.SPREAD_MAX
    assert any(w.startswith("all_reduce 4 MiB: spread") for w in res.contention.warnings)
    assert res.contention.disturbed == ["all_reduce 4 MiB", LINK_FIGURES]


def test_a_machine_busy_during_the_run_names_every_figure(monkeypatch: pytest.MonkeyPatch) -> None:
    """/proc/stat says other processes kept 1.5 cores busy over the 10 s run: every figure and the link."""
    ticks = iter([CpuTimes(busy_s=100.0, steal_s=0.0, total_s=1000.0, self_s=10.0),
                  CpuTimes(busy_s=100.0 + 15.0 + 4.0, steal_s=0.0, total_s=1000.0 + 10.0 * 2, self_s=14.0)])
    monkeypatch.setattr(contention, "read_cpu_times", lambda proc_stat=None: next(ticks))
    monkeypatch.setattr(contention.os, "cpu_count", lambda: 2)

    from accelopt.distributed.launch import RawRun

    raw = RawRun(ranks=[{"rank": 0, **_rank0()}], out_dir=Path("."))
    monkeypatch.setattr("accelopt.distributed.launch.check_local_ranks", lambda *a, **k: None)
    monkeypatch.setattr("accelopt.distributed.launch.launch_job", lambda job, launch: raw)
    res = collectives.measure_collectives(2, quick=True)
    assert res.contention.others_busy_cores == pytest.approx(1.5)
    assert "other processes used 1.50 cores" in res.contention.warnings[0]
    assert res.contention.disturbed == [ALL_FIGURES, LINK_FIGURES]


def test_console_and_html_show_the_spread_and_the_warnings_as_plain_text(tmp_path: Path) -> None:
    from rich.console import Console

    from accelopt.hardware.detect import find_device
    from accelopt.measure.probe import ProbeResult
    from accelopt.report.distributed_view import render_collectives
    from accelopt.report.html import write_html

    res = build_result(_rank0(noisy_size=1024), "gloo", "cpu", 2, ContentionReport())
    res.contention.add("[bold]not markup[/bold]", "x")
    buf = io.StringIO()
    render_collectives(res, Console(file=buf, width=200, markup=False, color_system=None))
    text = buf.getvalue()
    assert "spread" in text and "warning collectives: all_reduce 1 KiB: spread" in text
    assert "[bold]not markup[/bold]" in text and "these figures may be off: all_reduce 1 KiB" in text
    probe = ProbeResult(device=find_device("cpu"), host="h", date="2026-01-01", torch_version="x", quick=True,
                        threads=1, collectives=res)
    page = write_html(tmp_path / "p.html", "probe", probe, title="t", argv=[]).read_text()
    assert "collectives warnings" in page and "all_reduce 1 KiB: spread" in page and "p90" in page


def test_a_version_2_probe_record_still_loads() -> None:
    """A record written before p10_s/p90_s/contention existed re-renders as the typed result."""
    from accelopt.hardware.detect import find_device
    from accelopt.measure.probe import ProbeResult
    from accelopt.report.figures import typed
    from accelopt.report.jsonout import to_jsonable

    probe = ProbeResult(device=find_device("cpu"), host="h", date="2026-01-01", torch_version="x", quick=True,
                        threads=1, collectives=build_result(_rank0(), "gloo", "cpu", 2))
    doc = to_jsonable(probe)
    doc["schema_version"] = 2
    del doc["collectives"]["contention"]
    for f in doc["collectives"]["figures"]:
        for k in ("p10_s", "p90_s", "spread"):
            del f[k]
    old = typed("probe", doc)
    assert old is not None and old.collectives.figures[0].spread is None and not old.collectives.contention.warnings
