"""Every input of the predictors is a flag: the serving engine settings, fused attention, and what they change."""

from __future__ import annotations

import json

import pytest
from conftest import explain_terms, run_main

from accelopt.hardware.catalog import get_device

SERVE = ["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--prompt", "2048", "--output", "256",
         "--json"]


def _serve(capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    code, out, err = run_main([*SERVE, *extra], capsys)
    assert code == 0, err
    return json.loads(out)["results"][0]


def test_serve_engine_flags_reach_the_prediction(capsys: pytest.CaptureFixture[str]) -> None:
    base = _serve(capsys)
    half = _serve(capsys, "--memory-fraction", "0.5")
    cap = get_device("h100-sxm").memory_bytes
    assert half["points"][0]["usable_memory_bytes_per_device"] == pytest.approx(0.5 * cap, rel=1e-12)
    assert base["points"][0]["usable_memory_bytes_per_device"] == pytest.approx(0.9 * cap, rel=1e-12)
    assert half["max_batch"] < base["max_batch"]
    # A 2048-token prompt in 128-token chunks re-reads the 16 GB of weights 16 times: prefill turns memory-bound
    # (256 GB at 3.35 TB/s x 0.69 = 0.11 s against ~0.05 s of compute) and its workspace shrinks.
    small = _serve(capsys, "--max-prefill-tokens", "128", "--batch", "1")
    one = _serve(capsys, "--batch", "1")
    assert small["points"][0]["ttft_s"] > 1.5 * one["points"][0]["ttft_s"]
    assert small["points"][0]["workspace_bytes_per_device"] < one["points"][0]["workspace_bytes_per_device"]


def test_serve_engine_flag_out_of_range_is_an_input_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main([*SERVE, "--memory-fraction", "1.5"], capsys)
    assert code == 2 and "--memory-fraction 1.5" in err and "fix:" in err


def test_flash_flag_changes_plan_explain(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["plan", "explain", "--model", "gpt3-13b", "--hardware", "a100-sxm-80gb", "--devices", "8", "--tp", "8",
            "--recompute", "none", "--json"]
    got = {}
    for flag in ("--flash", "--no-flash"):
        code, out, err = run_main([*args, flag], capsys)
        assert code in (0, 2), err
        got[flag] = json.loads(out)
    assert got["--flash"]["flash"] is True and got["--no-flash"]["flash"] is False
    # Without a fused kernel the 5 a s^2 b score bytes per layer are kept (Korthikanti 2022 eq. 1).
    no_flash, flash = explain_terms(got["--no-flash"]), explain_terms(got["--flash"])
    assert no_flash["mem_activations_bytes"] > flash["mem_activations_bytes"]
    assert no_flash["step_time_s"] > flash["step_time_s"]
