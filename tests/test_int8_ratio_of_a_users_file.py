"""plan serve --weight-dtype int8 --calibration FILE: the int8 weight-only read ratio the user's own [serving.*] table
gives was printed as 'a published int8 weight-only / bf16 bandwidth measurement, cited in its calibration file' (the
bundled Ampere table's torchao citation, said of any figure below 1), and a table leaving it out as 'no published
measurement for this family' with 'give it in a --calibration table' (the user had). The note now names the user's
file and table for its figure, as the framework-overhead note names a --calibration file's figure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

ARGV = ["plan", "serve", "--model", "llama2-7b", "--hardware", "a100-sxm-80gb", "--batch", "1", "--prompt", "5",
        "--output", "200", "--weight-dtype", "int8"]


def _int8_note(tmp_path: Path, capsys: pytest.CaptureFixture[str], ratio_line: str) -> tuple[str, float]:
    path = tmp_path / "cal.toml"
    path.write_text(f'[serving.my-a100]\nmatch = ["a100*"]\ndecode_bandwidth_efficiency = 0.69\n{ratio_line}',
                    encoding="utf-8")
    code, out, err = run_main([*ARGV, "--calibration", str(path), "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    notes = [n for n in doc["notes"] if "int8 weights are served weight-only" in n]
    assert len(notes) == 1
    return notes[0], doc["results"][0]["calibration"]["int8_weight_only_bandwidth_ratio"]


def test_a_users_ratio_is_named_as_the_users(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    note, ratio = _int8_note(tmp_path, capsys, "int8_weight_only_bandwidth_ratio = 0.5\n")
    assert ratio == 0.5
    assert "read at 0.5 x the decode bandwidth efficiency" in note
    assert f"[serving.my-a100] table of {tmp_path / 'cal.toml'}" in note
    assert "published" not in note and "cited" not in note


def test_a_users_table_without_the_ratio(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    note, ratio = _int8_note(tmp_path, capsys, "")
    assert ratio == 1.0
    assert f"[serving.my-a100] table of {tmp_path / 'cal.toml'}" in note
    assert "no published int8 weight-only bandwidth measurement for this family" not in note
