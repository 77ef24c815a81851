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
