"""An optimize run measured on a busy machine in `history list` and `history compare` (utopt5, 2026-12-05).

optimize said BUSY MACHINE only as the text of a note, which history does not read: `history list` marked busy
probe and profile runs but listed a busy optimize run like a quiet one, and `history compare` of a quiet and a busy
optimize run printed their speed-ups' ratio without a word. The result now carries `contention` (schema optimize
version 4), as profile's does, and both commands read it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import run_main_expect as _cli

from accelopt.measure.contention import ContentionReport
from accelopt.report.schema import result_class

WARNING = "other processes used 1.50 cores on average while measuring"
RUN = ("optimize", "mlp", "--size", "tiny", "--only", "bf16", "--rounds", "3", "--block-s", "0.01", "--warmup", "0",
       "--no-profile-bounds", "--json")


def _run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, busy: bool) -> dict[str, Any]:
    from accelopt.optimize import runner

    def contention(watch: Any, device: str) -> ContentionReport:
        report = ContentionReport(usable_cores=2)
        if busy:
            report.add(WARNING, "step time")
        return report

    monkeypatch.setattr(runner, "_contention", contention)
    doc: dict[str, Any] = json.loads(_cli(capsys, *RUN)[0])
    return doc


def test_a_busy_optimize_run_is_marked_in_list_and_compare(capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    quiet = _run(capsys, monkeypatch, busy=False)
    busy = _run(capsys, monkeypatch, busy=True)
    assert quiet["schema_version"] == result_class("optimize")[1] and quiet["contention"]["warnings"] == []
    assert busy["contention"]["warnings"] == [WARNING] and busy["contention"]["disturbed"] == ["step time"]
    assert any(n.startswith("BUSY MACHINE") for n in busy["notes"])  # the note is still there
    listed = json.loads(_cli(capsys, "history", "list", "--json")[0])["runs"]
    busy_run, quiet_run = listed[0], listed[1]  # newest first
    assert busy_run["busy_machine"] == [WARNING] and quiet_run["busy_machine"] == []
    out, _ = _cli(capsys, "history", "list")
    assert "BUSY machine (1 warning): baseline step time" in " ".join(out.split())
    compared = json.loads(_cli(capsys, "history", "compare", quiet_run["id"], busy_run["id"], "--json")[0])
    assert compared["disturbed"] == {"a": [], "b": [WARNING]}
    out, _ = _cli(capsys, "history", "compare", quiet_run["id"], busy_run["id"])
    assert f"B was measured on a busy machine: {WARNING}" in " ".join(out.split())


def test_a_version_3_record_still_reads(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A record written before contention (version 3) loads, as a quiet run: its figures are shown, not its JSON."""
    from accelopt.report import history

    doc = _run(capsys, monkeypatch, busy=False)
    old = {k: v for k, v in doc.items() if k != "contention"} | {"schema_version": 3}
    run_id = history.record("optimize", ["optimize", "mlp"], old)
    out, _ = _cli(capsys, "history", "show", run_id, "--json")
    shown = json.loads(out)
    assert shown["figures_note"] is None and "recommended speed-up" in {f["label"] for f in shown["figures"]}


def test_compare_of_runs_recommending_different_variants_is_one_row(capsys: pytest.CaptureFixture[str],
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """'recommended (baseline) step time (p50)' and 'recommended (bf16) step time (p50)' were two rows, each n/a on
    one side: the headline step time of two runs whose recommendations differ was never compared."""
    from accelopt.report import history

    doc = _run(capsys, monkeypatch, busy=False)
    measured = [v for v in doc["variants"] if v["status"] == "measured"]
    assert [v["name"] for v in measured] == ["baseline", "bf16"]
    ids = []
    for v in measured:
        rec = {**doc["recommendation"], "name": v["name"], "techniques": v["techniques"]}
        ids.append(history.record("optimize", ["optimize", "mlp"], {**doc, "recommendation": rec}))
    compared = json.loads(_cli(capsys, "history", "compare", *ids, "--json")[0])
    rows = [f for f in compared["figures"] if f["figure"].startswith("recommended step time")]
    assert [f["figure"] for f in rows] == ["recommended step time (p50) (A: variant baseline, B: variant bf16)"]
    assert rows[0]["a"] == measured[0]["step_time_p50_s"] and rows[0]["b"] == measured[1]["step_time_p50_s"]
    assert rows[0]["ratio_b_over_a"] is not None
