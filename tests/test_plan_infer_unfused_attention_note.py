"""plan infer times attention as the model was captured: an HF config under transformers' eager attention writes
and reads its T x T scores per head (a softmax op over (B, heads, T, T)), which an inference engine's fused kernel
(FlashAttention, Dao et al. 2022, sec. 3.1) keeps on chip. Nothing said so: the figures looked like an engine's.
The note now names the ops; a CNN gets none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

TINY = Path(__file__).resolve().parents[1] / "examples" / "hf_tiny_llama"


def _notes(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code, out, err = run_main([*argv, "--hardware", "h100-sxm", "--batch", "1", "--json"], capsys)
    assert code == 0, err
    return " | ".join(json.loads(out)["notes"])


def test_an_hf_config_says_its_attention_is_unfused(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("transformers")
    notes = _notes(["plan", "infer", str(TINY), "--input-size", "64"], capsys)
    # examples/hf_tiny_llama: 4 layers of 4 heads; one softmax per layer over (1, 4, 64, 64)
    assert "attention as captured: 4 softmax op(s) over 64 x 64 scores per head" in notes, notes
    assert "(1, 4, 64, 64)" in notes and "FlashAttention" in notes, notes


def test_a_cnn_has_no_such_note(capsys: pytest.CaptureFixture[str]) -> None:
    assert "attention as captured" not in _notes(["plan", "infer", "resnet50"], capsys)
