"""`accelopt history compare` of two saved `validate` runs compared the three held-out medians only (ut4left's
note, session 36): a user who changed a calibration file could not see which runs moved. The comparison
(history-compare v4) carries `validate`: every run whose error moved by more than 0.05 point (id, family, role,
error before -> after, largest change first), the held-out counts within 6% / beyond 25% and per-family medians on
each side; the console prints them below the table (30 moved runs at most, then 'and N more'), the page the same
lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main_expect as _cli
from test_runs_file_every_bad_row import SERVING_CELLS, SERVING_HEADER

from accelopt.report import history
from accelopt.report.history_documents import MOVED_ON_CONSOLE, MovedRun, ValidateChanges, validate_change_lines

BUNDLED = Path(__file__).resolve().parents[1] / "src" / "accelopt" / "predict" / "data" / "calibration.toml"


def _runs(tmp_path: Path) -> Path:
    """A Hopper row and an Ampere row, batch 1 (decode-bound: the bandwidth efficiency moves its prediction)."""
    p = tmp_path / "serving.csv"
    rows = [{**SERVING_CELLS, "id": "mine-h100"},
            {**SERVING_CELLS, "id": "mine-a100", "hardware": "a100-sxm-80gb", "role": "fit"}]
    p.write_text(SERVING_HEADER + "\n" + "\n".join(",".join(r.values()) for r in rows) + "\n")
    return p


def _calibration(tmp_path: Path, name: str, hopper_bandwidth: str) -> Path:
    """The bundled table with [serving.nvidia-hopper]'s decode_bandwidth_efficiency set (one family's value)."""
    text = BUNDLED.read_text()
    head, sep, rest = text.partition("[serving.nvidia-hopper]")
    assert sep and "decode_bandwidth_efficiency = 0.85\n" in rest
    p = tmp_path / name
    p.write_text(head + sep + rest.replace("decode_bandwidth_efficiency = 0.85\n",
                                           f"decode_bandwidth_efficiency = {hopper_bandwidth}\n", 1))
    return p


def test_two_validate_runs_on_different_calibrations_name_the_runs_that_moved(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    runs = _runs(tmp_path)
    docs = []
    for name, value in (("a.toml", "0.85"), ("b.toml", "0.5")):
        docs.append(json.loads(_cli(capsys, "validate", "--serving", "--runs", str(runs), "--calibration",
                                    str(_calibration(tmp_path, name, value)), "--json")[0]))
    err = {side: {r["id"]: r["error"] for r in d["runs"]} for side, d in zip("ab", docs, strict=True)}
    assert err["a"]["mine-a100"] == err["b"]["mine-a100"]  # the Ampere row's table did not change
    assert err["a"]["mine-h100"] != err["b"]["mine-h100"]

    id_b, id_a = (r.id for r in history.list_runs(limit=2))
    doc = json.loads(_cli(capsys, "history", "compare", id_a, id_b, "--json")[0])
    assert doc["schema_version"] == 4
    v = doc["validate"]
    assert [m["id"] for m in v["moved"]] == ["mine-h100"]
    m = v["moved"][0]
    assert (m["family"], m["role"]) == ("nvidia-hopper", "held-out")
    assert m["error_a"] == pytest.approx(err["a"]["mine-h100"])
    assert m["error_b"] == pytest.approx(err["b"]["mine-h100"])
    assert m["change_points"] == pytest.approx(100 * (err["b"]["mine-h100"] - err["a"]["mine-h100"]))
    assert (v["held_out_a"], v["held_out_b"]) == (1, 1)  # the A100 row is a fit row
    assert [(f["family"], f["a"], f["b"]) for f in v["families"]] == [
        ("nvidia-hopper", pytest.approx(abs(err["a"]["mine-h100"])), pytest.approx(abs(err["b"]["mine-h100"])))]

    out, _ = _cli(capsys, "history", "compare", id_a, id_b)
    text = " ".join(out.split())
    assert (f"mine-h100 (nvidia-hopper, held-out): {100 * err['a']['mine-h100']:+.2f}% -> "
            f"{100 * err['b']['mine-h100']:+.2f}%") in text
    assert "mine-a100" not in text.split("B vs A")[-1]

    page = tmp_path / "c.html"
    _cli(capsys, "history", "compare", id_a, id_b, "--html", str(page))
    assert "mine-h100 (nvidia-hopper, held-out)" in page.read_text()


def test_the_console_caps_the_moved_runs_and_counts_the_rest() -> None:
    moved = [MovedRun(id=f"r{i}", family="f", role="held-out", error_a=0.0, error_b=i / 100, change_points=float(i))
             for i in range(MOVED_ON_CONSOLE + 5, 0, -1)]
    v = ValidateChanges(held_out_a=0, held_out_b=0, within_6pct_a=0, within_6pct_b=0, beyond_25pct_a=0,
                        beyond_25pct_b=0, families=[], moved=moved)
    lines = validate_change_lines(v)
    assert sum(line.startswith("  r") for line in lines) == MOVED_ON_CONSOLE
    assert "  and 5 more (all in --json: validate.moved)" in lines
