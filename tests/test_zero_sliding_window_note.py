"""A config's `"sliding_window": 0` (Mistral-style) is read as no window, and `plan` / `plan serve` now say so.

Before: 0 was taken as no window with no word, where transformers reads only null as no window (Mistral's mask
applies any non-null value as the window: huggingface/transformers@005a187, models/mistral/modeling_mistral.py,
_prepare_4d_causal_attention_mask_with_cache_position, `if config.sliding_window is not None`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.workload.presets import load_hf_config

MISTRAL = {"architectures": ["MistralForCausalLM"], "model_type": "mistral", "hidden_size": 4096,
           "intermediate_size": 14336, "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8,
           "max_position_embeddings": 32768, "vocab_size": 32000, "tie_word_embeddings": False}
NOTE = "the config's sliding_window = 0 is read as no sliding window"


def _write(tmp_path: Path, **extra: object) -> Path:
    path = tmp_path / "my-mistral" / "config.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps({**MISTRAL, **extra}))
    return path


def test_zero_is_no_window_and_said(tmp_path: Path) -> None:
    m = load_hf_config(_write(tmp_path, sliding_window=0))
    assert m.sliding_window is None
    (note,) = [n for n in m.config_defaults if NOTE in n]
    assert "transformers reads only null as no window" in note and "write null" in note


@pytest.mark.parametrize("extra", [{"sliding_window": None}, {"sliding_window": 4096}, {},
                                   {"model_type": "qwen2", "sliding_window": 0}])  # Qwen2: off unless switched on
def test_no_note_where_nothing_was_read_in_its_place(tmp_path: Path, extra: dict[str, object]) -> None:
    m = load_hf_config(_write(tmp_path, **extra))
    assert not [n for n in m.config_defaults if "sliding_window = 0" in n]


@pytest.mark.parametrize("argv", [["plan", "serve", "--batch", "1"], ["plan", "--devices", "8", "--top", "1"]])
def test_plan_and_serve_print_the_note(tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, sliding_window=0)
    code, out, err = run_main([*argv, "--model", str(path), "--hardware", "h100-sxm"], capsys)
    assert code == 0, err
    assert NOTE in " ".join(out.split())
    code, out, err = run_main([*argv, "--model", str(path), "--hardware", "h100-sxm", "--json"], capsys)
    assert code == 0, err
    assert NOTE in out
