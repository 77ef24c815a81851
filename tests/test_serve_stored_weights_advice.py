"""`plan serve` on a quantized checkpoint: the note 'pass `plan serve --weight-dtype fp8` to predict the weights as
stored' was printed even when --weight-dtype fp8 was given. It is printed only while it is advice not yet followed
(every flag it names, at the value it names; the int4 group the run used, typed or the table's default)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

ROOT = Path(__file__).resolve().parents[1]
ADVICE = "to predict the weights as stored"


def _config(tmp_path: Path, quant: dict) -> Path:
    cfg = json.loads((ROOT / "examples" / "hf_tiny_llama" / "config.json").read_text())
    p = tmp_path / "config.json"
    # MLP width 384 (344 as published): a whole number of the AWQ checkpoint's 64-weight groups
    p.write_text(json.dumps({**cfg, "intermediate_size": 384, "quantization_config": quant}))
    return p


def _notes(capsys: pytest.CaptureFixture[str], model: Path, *flags: str) -> list[str]:
    code, out, err = run_main(["plan", "serve", "--model", str(model), "--hardware", "h100-sxm", "--batch", "1",
                               "--json", *flags], capsys)
    assert code == 0, err
    return [n for n in json.loads(out)["notes"] if ADVICE in n]


FP8 = {"quant_method": "fp8", "fmt": "e4m3", "activation_scheme": "dynamic", "weight_block_size": [128, 128]}
AWQ64 = {"quant_method": "awq", "bits": 4, "group_size": 64, "zero_point": True, "version": "gemm"}


def test_fp8_advice_only_until_followed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = _config(tmp_path, FP8)
    notes = _notes(capsys, model)
    assert len(notes) == 1 and "pass `plan serve --weight-dtype fp8`" in notes[0], notes
    assert _notes(capsys, model, "--weight-dtype", "fp8") == []
    assert len(_notes(capsys, model, "--weight-dtype", "int8")) == 1  # another dtype: the advice stands


def test_int4_advice_needs_its_group_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = _config(tmp_path, AWQ64)
    notes = _notes(capsys, model, "--weight-dtype", "int4")  # the default group 128, not the checkpoint's 64
    assert len(notes) == 1 and "--weight-dtype int4 --int4-group-size 64" in notes[0], notes
    assert _notes(capsys, model, "--weight-dtype", "int4", "--int4-group-size", "64") == []
