"""`plan explain --html` shows the GEMM efficiency curve its console headline prints (eff(F) = eff_max F / (F +
F_half), and the fp8 linear layers' own at --dtype fp8), from the result's gemm_curve (JSON, schema v19): the page
lacked it, the typed result carrying neither eff_max nor the half-size point (a user trial, uttrialC, session 34)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict.calibration import load_calibrations
from accelopt.predict.compute import fp8_cast_bytes

ARGS = ["plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "8", "--seq-len", "2048"]


def _run(capsys: pytest.CaptureFixture[str], tmp_path: Path, *more: str) -> tuple[dict, str, str]:
    code, out, err = run_main([*ARGS, *more, "--json"], capsys)
    assert code == 0, err
    page = tmp_path / "explain.html"
    code, text, err = run_main([*ARGS, *more, "--html", str(page)], capsys)
    assert code == 0, err
    cells = " ".join(re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8")).split())
    return json.loads(out), " ".join(text.split()), cells


def test_the_page_shows_the_headline_curve(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    doc, console, page = _run(capsys, tmp_path)
    cal = load_calibrations(None)["nvidia-hopper"]
    curve = doc["gemm_curve"]
    assert curve["eff_max"] == cal.matmul_eff_max and curve["half_flop"] == cal.matmul_half_flop
    assert curve["linear_dtype"] is None and curve["linear_eff_max"] is None
    said = f"eff(F) = {cal.matmul_eff_max} F / (F + {cal.matmul_half_flop:,.0f})"
    assert said in console and said in page
    assert f"GEMM efficiency curve GEMMs eff_max (fraction of peak) half-size point curve 16-bit " \
           f"{cal.matmul_eff_max} {cal.matmul_half_flop:,.0f} FLOP" in page


def test_fp8_linear_layers_have_their_own_row(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    doc, console, page = _run(capsys, tmp_path, "--dtype", "fp8")
    spec, cal = get_device("h100-sxm"), load_calibrations(None)["nvidia-hopper"]
    curve = doc["gemm_curve"]
    cast_b, _ = fp8_cast_bytes("delayed", cal.family, spec)
    # compute.linear_precision: the half-size point at the fp8 peak, the same fixed time as the 16-bit one
    half = cal.matmul_half_flop * (spec.peak("fp8") or 0) / (spec.peak("bf16") or 1)
    assert curve["linear_dtype"] == "fp8" and curve["linear_eff_max"] == cal.fp8_matmul_eff_max
    assert curve["linear_half_flop"] == pytest.approx(half) and curve["cast_bytes_per_input"] == cast_b
    said = (f"fp8 linear layers at {cal.fp8_matmul_eff_max} of the fp8 peak, delayed scaling: {cast_b:g} B moved per "
            "quantized input element")
    assert said in console and said in page
    assert f"fp8 linear layers {cal.fp8_matmul_eff_max} {half:,.0f} FLOP" in page


def test_a_version_18_document_reads_without_a_curve(capsys: pytest.CaptureFixture[str]) -> None:
    from accelopt.predict.results import ExplainResult
    from accelopt.report.schema import load

    code, out, err = run_main([*ARGS, "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    doc.pop("gemm_curve")
    doc["schema_version"] = 18
    old = load("plan-explain", doc)
    assert isinstance(old, ExplainResult) and old.gemm_curve is None


def test_a_time_half_size_point_is_the_devices(capsys: pytest.CaptureFixture[str]) -> None:
    """[family.cpu] gives its half-size point as a time, matmul_half_s (F_half = matmul_half_s x peak x eff_max,
    compute.Device.half_flop): the headline printed the family's matmul_half_flop (500,000,000) beside it, not the
    point the prediction uses (848,691,200 on xeon-8480plus)."""
    spec, cal = get_device("xeon-8480plus"), load_calibrations(None)["cpu"]
    assert cal.matmul_half_s > 0
    argv = ["plan", "explain", "--model", "gpt3-125m", "--hardware", "xeon-8480plus", "--devices", "1",
            "--seq-len", "1024"]
    code, out, err = run_main([*argv, "--json"], capsys)
    assert code == 0, err
    half = cal.matmul_half_s * (spec.peak("bf16") or 0) * cal.matmul_eff_max
    assert json.loads(out)["gemm_curve"]["half_flop"] == pytest.approx(half)
    code, out, err = run_main(argv, capsys)
    assert code == 0 and f"eff(F) = {cal.matmul_eff_max} F / (F + {half:,.0f})" in " ".join(out.split())
