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
    assert res["calibration"]["decode_bandwidth_efficiency"] > 0


def test_table_labels_estimates_and_shows_every_batch(app: typer.Typer) -> None:
    code, out, exc = _run(app, "--model", "llama3-8b", "--hardware", "h100-sxm", "--batch", "1..8",
                          "--prompt", "512", "--output", "64", "--price-usd-per-hour", "2")
    assert code == 0, exc
    assert "estimates" in out and "TTFT" in out and "$/M out tok" in out
    for b in ("1", "2", "4", "8"):
        assert f"│     {b} │" in out


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
