"""utserve2 (2026-12-05): `plan infer config.json` without --input-size planned a Hugging Face config at 128 tokens
per inference (workload/hf.py _DEFAULT_SEQ_LEN, or the model's positions if fewer) and said so nowhere: the help
reads 'default: the model's', and a 3B model with 8192 positions was timed at 128 tokens. The length used is now a
'default used:' note (text and JSON), and no such note is printed when --input-size is given."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import run_main, write_config

TINY = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 64, "num_attention_heads": 4,
        "num_key_value_heads": 2, "num_hidden_layers": 2, "intermediate_size": 128, "vocab_size": 1000,
        "max_position_embeddings": 512}
INFER = ["plan", "infer", "--hardware", "h100-sxm", "--batch", "1", "--json"]


def _length_notes(doc: dict[str, Any]) -> list[str]:
    return [n for n in doc["notes"] if "tokens per inference" in n]


def test_default_length_is_said(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write_config(tmp_path, TINY)
    code, out, err = run_main([*INFER, str(cfg)], capsys)
    notes = _length_notes(json.loads(out))
    assert code == 0 and len(notes) == 1, (out, err)
    assert notes[0].startswith("default used: 128 tokens") and "up to 512" in notes[0] and "--input-size" in notes[0]


def test_positions_below_the_default_are_the_length(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write_config(tmp_path, {**TINY, "max_position_embeddings": 64})
    code, out, _ = run_main([*INFER, str(cfg)], capsys)
    notes = _length_notes(json.loads(out))
    assert code == 0 and len(notes) == 1 and notes[0].startswith("default used: 64 tokens"), notes


def test_given_length_adds_no_note(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write_config(tmp_path, TINY)
    code, out, _ = run_main([*INFER, str(cfg), "--input-size", "96"], capsys)
    assert code == 0 and not _length_notes(json.loads(out)), out
