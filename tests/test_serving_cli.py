"""`accelopt plan serve`, mounted on a throwaway typer app the way cli/plan.py mounts it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from accelopt.cli.plan_serve import register_serve
from accelopt.errors import InfeasibleError, InputError, UnknownNameError


@pytest.fixture(scope="module")
def app() -> typer.Typer:
    root = typer.Typer()
    plan = typer.Typer()
    root.add_typer(plan, name="plan")
    register_serve(plan)
    return root


def _run(app: typer.Typer, *args: str) -> tuple[int, str, BaseException | None]:
    r = CliRunner().invoke(app, ["plan", "serve", *args], env={"COLUMNS": "200"})
    return r.exit_code, r.output, r.exception


def test_json_output_is_pure_json(app: typer.Typer) -> None:
    code, out, exc = _run(app, "--model", "llama3-70b", "--hardware", "h100-sxm", "--tp", "8",
                          "--batch", "1,8,64", "--prompt", "1024", "--output", "128", "--json")
    assert code == 0, exc
    doc = json.loads(out)
    assert doc["estimate"] is True
    res = doc["results"][0]
    assert res["device"] == "h100-sxm" and res["max_batch"] > 64
    assert [p["batch"] for p in res["points"]] == [1, 8, 64]
    p1, p64 = res["points"][0], res["points"][2]
    assert p1["decode_step"]["bound"] == "memory"
    assert p64["decode_tokens_per_s"] > p1["decode_tokens_per_s"]
    eff = res["calibration"]["decode_bandwidth_efficiency"]
    assert 0 < eff <= 1
    # bf16 weights split over tp=8 (Llama 3 70B: 70.6e9 parameters, Llama Team 2024), each read once per
    # decode step from 3.35 TB/s HBM3 (H100 SXM datasheet) at the calibrated efficiency: a floor on memory
    # time. Only the input embedding table (vocab 128256 x hidden 8192, Table 3) is not read in full.
    w = res["points"][0]["weights_bytes_per_device"]
    assert w == pytest.approx(2 * 70.6e9 / 8, rel=0.01)
    read_floor = w - 2 * 128256 * 8192 / 8
    assert read_floor / (3.35e12 * eff) <= p1["decode_step"]["memory_s"] <= 1.1 * w / (3.35e12 * eff)


def test_table_labels_estimates_and_shows_every_batch(app: typer.Typer) -> None:
    code, out, exc = _run(app, "--model", "llama3-8b", "--hardware", "h100-sxm", "--batch", "1..8",
                          "--prompt", "512", "--output", "64", "--price-usd-per-hour", "2")
    assert code == 0, exc
    assert "estimates" in out and "TTFT" in out and "$/M out tok" in out
    for b in ("1", "2", "4", "8"):
        assert f"│     {b} │" in out
    # the price column is $2/h x request time / output tokens, recomputed here from the JSON's e2e latency
    code, js, exc = _run(app, "--model", "llama3-8b", "--hardware", "h100-sxm", "--batch", "1..8",
                         "--prompt", "512", "--output", "64", "--price-usd-per-hour", "2", "--json")
    assert code == 0, exc
    for pt in json.loads(js)["results"][0]["points"]:
        usd_per_m = 2.0 * pt["e2e_latency_s"] / 3600 / (pt["batch"] * 64) * 1e6
        assert pt["usd_per_million_output_tokens"] == pytest.approx(usd_per_m)
        assert f"${usd_per_m:.3g} │" in out, usd_per_m


def test_one_infeasible_device_is_reported_others_shown(app: typer.Typer, tmp_path: Path) -> None:
    # A device without an fp8 peak (user catalog file) next to one with it.
    cat = tmp_path / "mine.toml"
    cat.write_text('[[device]]\nname = "no-fp8"\nkind = "gpu"\n'
                   'peak_flop_per_s = { bf16 = [312e12, "test"] }\n'
                   'memory_bytes = [80e9, "test"]\nmemory_bandwidth_byte_per_s = [2.0e12, "test"]\n')
    code, out, exc = _run(app, "--model", "llama3-8b", "--hardware", "h100-sxm,no-fp8", "--weight-dtype", "fp8",
                          "--batch", "1", "--prompt", "256", "--output", "16", "--catalog", str(cat), "--json")
    assert code == 0, exc
    doc = json.loads(out)
    assert [r["device"] for r in doc["results"]] == ["h100-sxm"]
    assert doc["errors"][0]["device"] == "no-fp8" and "fp8" in doc["errors"][0]["problem"]


def test_bad_inputs_raise_accelopt_errors(app: typer.Typer) -> None:
    _, _, exc = _run(app, "--model", "llama3-70b", "--hardware", "h100-sxm", "--tp", "3")
    assert isinstance(exc, InfeasibleError)
    _, _, exc = _run(app, "--model", "llama3-70b", "--hardware", "h100-sxmm")
    assert isinstance(exc, UnknownNameError) and "h100-sxm" in exc.fix
    _, _, exc = _run(app, "--model", "llama9-70b", "--hardware", "h100-sxm")
    assert isinstance(exc, UnknownNameError)
    _, _, exc = _run(app, "--model", "llama3-8b", "--batch", "a,b")
    assert isinstance(exc, InputError)
    _, _, exc = _run(app, "--model", "llama3-8b", "--hardware", " , ")
    assert isinstance(exc, InputError)
    _, _, exc = _run(app, "--model", "llama3-8b", "--price-usd-per-hour", "-1")
    assert isinstance(exc, InputError)
