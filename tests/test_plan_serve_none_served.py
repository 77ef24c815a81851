"""utserve2 (2026-12-05): where no device of several serves the model, the exit-2 error was the first device's own
reason. `plan serve --hardware all` with a model too big for any one device ended on "device 'groq-lpu' has no bf16
peak ...; fix: use --weight-dtype fp16 or w8a8 or int8 or int4", a fix that serves it on no device, and `--hardware
h100-sxm,b200` named the H100's memory alone. The error now counts the devices and why (memory, or another reason),
names the one closest to holding a request with its fix, and the console lists every device's reason once."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import run_main, write_config

HUGE = {"model_type": "llama", "hidden_size": 32768, "num_hidden_layers": 200, "num_attention_heads": 256,
        "num_key_value_heads": 16, "intermediate_size": 131072, "vocab_size": 256000,
        "max_position_embeddings": 8192}


def _error_line(err: str) -> str:
    return " ".join(err.split("error:", 1)[1].split())


def test_memory_and_dtype_refusals_are_counted_not_the_first_device_alone(
        tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write_config(tmp_path, HUGE)
    code, out, err = run_main(["plan", "serve", "-m", str(cfg), "--hardware", "groq-lpu,h100-sxm,b200", "--batch",
                               "1"], capsys)
    said = _error_line(err)
    assert code == 2 and "none of the 3 devices" in said, err
    assert "2 cannot hold one request in memory (the closest, b200:" in said and "1 for another reason" in said, said
    fix = said.split("fix:", 1)[1]
    assert fix.strip().startswith("b200: raise --tp/--pp") and "--weight-dtype fp16" not in fix, fix
    listed = " ".join((out + err).split())
    for device in ("groq-lpu", "h100-sxm", "b200"):  # each device's own reason, once
        assert listed.count(f"{device}: infeasible") == 1, listed


def test_json_carries_every_device_and_stderr_the_count(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write_config(tmp_path, HUGE)
    code, out, err = run_main(["plan", "serve", "-m", str(cfg), "--hardware", "h100-sxm,b200", "--json"], capsys)
    doc = json.loads(out)
    assert code == 2 and [e["device"] for e in doc["errors"]] == ["h100-sxm", "b200"], doc["errors"]
    assert "none of the 2 devices" in _error_line(err), err


def test_one_device_keeps_its_own_error(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write_config(tmp_path, HUGE)
    code, _, err = run_main(["plan", "serve", "-m", str(cfg), "--hardware", "h100-sxm"], capsys)
    said = _error_line(err)
    assert code == 2 and "the weights alone need" in said and "none of" not in said, err


def test_a_device_independent_layout_error_is_said_once(capsys: pytest.CaptureFixture[str]) -> None:
    """utsmall (2026-12-06): `--tp 5` on a 32-head model does not depend on the device, yet `--hardware all` printed
    it once a device (45 lines) before an error saying '45 for another reason' with 'each device's own fix'. It is
    said once, named as device-independent, with its own fix; JSON keeps one entry a device (history's summary,
    tests/test_history_serve_errors_figure.py, counts them)."""
    argv = ["plan", "serve", "--model", "llama3-8b", "--hardware", "all", "--tp", "5", "--batch", "1"]
    code, out, err = run_main(argv, capsys)
    text = out + err
    assert code == 2 and text.count("does not divide the 32 attention heads") == 1, text
    said = _error_line(err)
    assert "for one reason that does not depend on the device" in said and "none of the 45 devices" in said, said
    assert said.split("fix:", 1)[1].strip().startswith("give a --tp that divides the head count"), said
    code, out, _ = run_main([*argv, "--json"], capsys)
    errors = json.loads(out)["errors"]
    assert code == 2 and len(errors) == 45 and len({e["device"] for e in errors}) == 45


def test_devices_with_the_same_words_share_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    from accelopt.cli.plan_serve import _print_errors
    from accelopt.predict.serving import ServeError, device_independent_error

    same = [ServeError(device=d, problem="--tp 5 does not divide the 32 attention heads", fix="give --tp 4")
            for d in ("h100-sxm", "b200")]
    own = ServeError(device="groq-lpu", problem="groq-lpu has no bf16 peak", fix="use --weight-dtype fp16")
    _print_errors([same[0], own, same[1]])
    out = " ".join(capsys.readouterr().out.split())
    assert out.count("does not divide") == 1 and "h100-sxm, b200: infeasible" in out, out
    assert "groq-lpu: infeasible" in out
    assert device_independent_error(same) is same[0]
    assert device_independent_error([*same, own]) is None  # the devices differ: each says its own
    named = [ServeError(device=d, problem=f"no fp8 peak on {d}", fix="x") for d in ("h100-sxm", "b200")]
    # the same words, but they name one of the devices: not device-independent
    assert device_independent_error([named[0], ServeError(device="b200", problem=named[0].problem, fix="x")]) is None
