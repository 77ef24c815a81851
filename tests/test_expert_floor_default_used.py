"""`plan` (training) of an MoE model on Hopper printed 'routed expert GEMMs: no per-expert floor for device family
'nvidia-hopper' (calibration expert_gemm_floor_s: no published figure); each expert's GEMM at its own time (a
default)', unlike every other figure the tool assumes, which reads 'default used: ... — give X to replace it'. The note
now says 'default used:' first, names the device and the setting that replaces the 0, and is the same text in the
console, the JSON notes and the HTML report (one list of notes on the result)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

_PLAN = ["plan", "--model", "mixtral-8x7b", "--hardware", "h100-sxm", "--devices", "64"]
_NOTE = ("default used: no per-expert floor for the routed expert GEMMs on h100-sxm (calibration expert_gemm_floor_s 0 "
         "for device family 'nvidia-hopper': no published figure), so each expert's GEMM takes its own time on the "
         "GEMM curve — set expert_gemm_floor_s in a --calibration file's [family.nvidia-hopper] table (a copy of the "
         "bundled one) to replace it")


def test_the_json_notes_say_default_used(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*_PLAN, "--json"], capsys)
    assert code == 0, err
    assert _NOTE in json.loads(out)["notes"]


def test_the_console_and_html_say_the_same(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    html = tmp_path / "plan.html"
    code, out, err = run_main([*_PLAN, "--html", str(html)], capsys)
    assert code == 0, err
    assert _NOTE in " ".join(out.split())
    assert "(a default)" not in out
    page = " ".join(html.read_text(encoding="utf-8").replace("&#x27;", "'").replace("&#39;", "'").split())
    assert _NOTE.replace("—", "&mdash;") in page or _NOTE in page


def test_a_layout_query_says_it_too() -> None:
    from accelopt.predict.query import predict_layout
    from accelopt.predict.validation import read_runs, run_query

    runs = {r["id"]: r for r in read_runs()}
    notes = predict_layout(run_query(runs["mb-h100-qwen3-30b"])).notes
    assert _NOTE in notes
