"""`plan serve` on a device that lists no 16-bit peak (an int8-only accelerator served with --weight-dtype w8a8)
times its attention at the int8 peak (predict/serving.py _setup): the assumption is now a note in the console and
the JSON. It was taken without a word."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

INT8_ONLY = """[[device]]
name = "i8-asic"
kind = "asic"
peak_flop_per_s = { int8 = [400e12, "design review"] }
memory_bytes = [32e9, "design review"]
memory_bandwidth_byte_per_s = [1e12, "design review"]
"""
ARGS = ["plan", "serve", "-m", "gpt3-125m", "--batch", "1", "--prompt", "1024", "--output", "128"]


def _notes(capsys: pytest.CaptureFixture[str], hardware: str, *extra: str) -> list[str]:
    code, out, err = run_main([*ARGS, "--hardware", hardware, *extra, "--json"], capsys)
    assert code == 0, err
    return [n for n in json.loads(out)["notes"] if "no bf16/fp16 peak" in n]


def test_int8_only_device_notes_its_attention_peak(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "i8.toml"
    spec.write_text(INT8_ONLY, encoding="utf-8")
    [note] = _notes(capsys, str(spec), "--weight-dtype", "w8a8")
    assert "i8-asic" in note and "int8 peak" in note
    code, out, err = run_main([*ARGS, "--hardware", str(spec), "--weight-dtype", "w8a8"], capsys)
    assert code == 0 and note in " ".join(out.split()), err


def test_a_device_with_a_16_bit_peak_gets_no_such_note(capsys: pytest.CaptureFixture[str]) -> None:
    assert not _notes(capsys, "h100-sxm", "--weight-dtype", "w8a8")
