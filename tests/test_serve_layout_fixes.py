"""`plan serve --pp 0` said "give --pp 1, 2, 4 or 8", though any count up to the model's layers is accepted (3, 5, 32
on llama2-7b) and 8 is refused past the layers of a smaller model; `--tp 0` said the same, though --tp must divide the
attention heads. Each fix now names what the checks accept, and what it names runs."""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import run_main, write_config

SERVE = ["plan", "serve", "--hardware", "h100-sxm", "--batch", "1", "--prompt", "128", "--output", "16"]


def _fix(err: str) -> str:
    return err.split("fix:", 1)[1]


@pytest.mark.parametrize("pp", ["0", "-2"])
def test_pp_fix_names_the_layers_and_a_count_it_names_runs(pp: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main([*SERVE, "-m", "llama2-7b", "--pp", pp], capsys)
    assert code == 2 and "--pp from 1 to 32" in _fix(err), err
    for ok in ("3", "32"):  # a count that does not divide the 32 layers, and the most the fix names
        code, _, err = run_main([*SERVE, "-m", "llama2-7b", "--pp", ok], capsys)
        assert code == 0, err


def test_pp_fix_of_a_small_model_names_its_own_layers(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write_config(tmp_path, {"model_type": "llama", "hidden_size": 256, "num_hidden_layers": 4,
                                  "num_attention_heads": 4, "intermediate_size": 512, "vocab_size": 1000,
                                  "max_position_embeddings": 512})
    code, _, err = run_main([*SERVE, "-m", str(cfg), "--pp", "0"], capsys)
    assert code == 2 and "--pp from 1 to 4" in _fix(err) and "8" not in _fix(err), err


def test_tp_fix_names_only_values_the_head_rules_accept(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """48 heads, 12 KV heads: 8 divides the heads but neither divides nor is a multiple of the KV heads."""
    cfg = write_config(tmp_path, {"model_type": "llama", "hidden_size": 768, "num_hidden_layers": 4,
                                  "num_attention_heads": 48, "num_key_value_heads": 12, "intermediate_size": 1536,
                                  "vocab_size": 1000, "max_position_embeddings": 512})
    for bad in ("0", "5"):
        code, _, err = run_main([*SERVE, "-m", str(cfg), "--tp", bad], capsys)
        assert code == 2, err
        named = re.findall(r"\d+", _fix(err).split("e.g.", 1)[1])
        assert named and "8" not in named, err
        for tp in named:
            code, _, err = run_main([*SERVE, "-m", str(cfg), "--tp", tp], capsys)
            assert code == 0, (tp, err)


def test_kv_head_refusal_names_values_that_run(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """utserve2 (2026-12-05): 24 heads, 6 KV heads, head_dim 160: `--tp 4` was refused with no value to try, and the
    hint of `--tp 5` named '1, 2' alone (powers of two up to 16), leaving out 3, 6, 12 and 24. Its MLP width is 8448
    (24 x 352; 8192 until utserve 2026-12-06, which --tp 3 does not split: refused since, tests/
    test_serve_tp_splits_the_mlp.py)."""
    cfg = write_config(tmp_path, {"model_type": "llama", "hidden_size": 3072, "num_hidden_layers": 4,
                                  "num_attention_heads": 24, "num_key_value_heads": 6, "head_dim": 160,
                                  "intermediate_size": 8448, "vocab_size": 1000, "max_position_embeddings": 512})
    for bad in ("4", "5"):
        code, _, err = run_main([*SERVE, "-m", str(cfg), "--tp", bad], capsys)
        assert code == 2 and "e.g." in _fix(err), err
        named = re.findall(r"\d+", _fix(err).split("e.g.", 1)[1])
        assert named == ["1", "2", "3", "6", "12", "24"], err
    for tp in ("3", "6"):
        code, _, err = run_main([*SERVE, "-m", str(cfg), "--tp", tp], capsys)
        assert code == 0, (tp, err)
