"""ut3srv (2026-12-06): `plan serve` charged a table's host-side costs, per_step_overhead_s on every forward and
per_request_overhead_s in every TTFT, without printing either: [serving.nvidia-hopper]'s 4.5 ms a decode step is
46% of Llama 3 8B's TPOT on one H100 at batch 1 and was seen only in the JSON's calibration. Now a line names both
figures and the table that gave each (text and JSON notes), read from the same calibration the figures use."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.predict.calibration import load_serving_tables

SERVE = ["plan", "serve", "--model", "llama3-8b", "--batch", "1", "--prompt", "128", "--output", "128"]


def _doc(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[dict, str]:
    code, out, err = run_main([*SERVE, *extra, "--json"], capsys)
    assert code == 0, err
    return json.loads(out), err


def _said(doc: dict, device: str) -> list[tuple[float, float]]:
    """(per forward, per request) in seconds from each host-overheads note of `device`."""
    found = [re.search(r"host overheads: ([\d.]+) ms a forward .*?, ([\d.]+) ms a request", n)
             for n in doc["notes"] if n.startswith(f"{device}: host overheads:")]
    return [(float(m.group(1)) / 1e3, float(m.group(2)) / 1e3) for m in found if m]


def test_the_fitted_tables_overheads_are_said_with_their_table(capsys: pytest.CaptureFixture[str]) -> None:
    doc, _ = _doc(capsys, "--hardware", "h100-sxm,l40s")
    for r in doc["results"]:
        cal, p = r["calibration"], r["points"][0]
        assert _said(doc, r["device"]) == [(pytest.approx(cal["per_step_overhead_s"]),
                                            pytest.approx(cal["per_request_overhead_s"]))]
        assert p["decode_step"]["overhead_s"] == pytest.approx(cal["per_step_overhead_s"])  # what it charged
    notes = " ".join(doc["notes"])
    assert "4.5 ms a forward" in notes and "both of the [serving.nvidia-hopper] table" in notes
    assert "per_step_overhead_s of the [serving.nvidia-ada] table" in notes  # 1.5 ms, its own; the request's carried
    code, out, err = run_main([*SERVE, "--hardware", "h100-sxm"], capsys)
    assert code == 0 and "h100-sxm: host overheads: 4.5 ms a forward" in " ".join(out.split() + err.split())


def test_a_calibration_files_request_overhead_is_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    t = load_serving_tables()["nvidia-hopper"]
    values = {**t.values, "per_request_overhead_s": 0.005}
    path = tmp_path / "serving.toml"
    path.write_text("\n".join(["[serving.nvidia-hopper]", f"match = {json.dumps(list(t.match))}",
                               *(f"{k} = {json.dumps(v)}" for k, v in values.items())]) + "\n", encoding="utf-8")
    doc, _ = _doc(capsys, "--hardware", "h100-sxm", "--calibration", str(path))
    assert _said(doc, "h100-sxm") == [(0.0045, 0.005)]
    assert f"both of the [serving.nvidia-hopper] table of {path})" in " ".join(doc["notes"])


def test_an_engine_charged_per_layer_keeps_its_own_line(capsys: pytest.CaptureFixture[str]) -> None:
    """trtllm-session charges the overhead per layer: its per-forward line says so, and no second line does."""
    doc, _ = _doc(capsys, "--hardware", "h100-sxm", "--engine", "trtllm-session")
    assert _said(doc, "h100-sxm") == []
    assert any("per-forward overhead" in n for n in doc["notes"])
