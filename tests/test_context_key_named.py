"""A config.json that gives its context length as n_positions (GPT-2) or n_ctx: the note on a prompt beyond it named
'its config's max_position_embeddings', a key the file does not have (utmisc 2026-12-04)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

_GPT2 = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "n_embd": 768, "n_layer": 12, "n_head": 12,
         "vocab_size": 50257, "tie_word_embeddings": True}


@pytest.mark.parametrize(("key", "other"), [("n_positions", "max_position_embeddings"),
                                            ("max_position_embeddings", "n_positions")])
def test_the_note_names_the_key_the_config_gives(tmp_path: Path, capsys: pytest.CaptureFixture[str], key: str,
                                                 other: str) -> None:
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({**_GPT2, key: 1024}), encoding="utf-8")
    code, out, err = run_main(["plan", "serve", "--model", str(cfg), "--batch", "1", "--prompt", "2000", "--output",
                             "10"], capsys)
    assert code == 0, err
    text = " ".join((out + err).split())
    assert f"beyond the model's 1024 positions (its config's {key})" in text
    assert f"its config's {other}" not in text
