"""Two alternative keys of one figure in a config.json with different values (num_hidden_layers 24 beside GPT-2's
n_layer 12) are refused naming both: the first key was read and the other dropped without a word. Equal values
(Gemma 2 27B's sliding_window and sliding_window_size, both 4096) and GPT-2's n_ctx / n_positions still load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accelopt.errors import InputError
from accelopt.workload.presets import load_hf_config

# openai-community/gpt2 config.json (the keys that give its shape)
GPT2 = {"model_type": "gpt2", "n_layer": 12, "n_embd": 768, "n_head": 12, "vocab_size": 50257, "n_positions": 1024,
        "n_ctx": 1024}


def _load(tmp_path: Path, cfg: dict[str, object]) -> object:
    p = tmp_path / "config.json"
    p.write_text(json.dumps(cfg), encoding="utf-8")
    return load_hf_config(p)


@pytest.mark.parametrize("extra, named", [
    ({"num_hidden_layers": 24}, "n_layer = 12"),
    ({"hidden_size": 1024}, "n_embd = 768"),
    ({"n_inner": 3072, "intermediate_size": 4096}, "n_inner = 3072"),
    ({"sliding_window": 4096, "sliding_window_size": 1024}, "sliding_window_size = 1024"),
])
def test_conflicting_alternatives_are_refused(tmp_path: Path, extra: dict[str, int], named: str) -> None:
    with pytest.raises(InputError) as e:
        _load(tmp_path, {**GPT2, **extra})
    assert named in e.value.problem and "different values" in e.value.problem and "keep one" in e.value.fix


def test_equal_alternatives_load(tmp_path: Path) -> None:
    cfg = _load(tmp_path, {**GPT2, "num_hidden_layers": 12, "sliding_window": 4096, "sliding_window_size": 4096.0})
    assert cfg.layers == 12 and cfg.sliding_window == 4096  # type: ignore[attr-defined]


@pytest.mark.parametrize("extra, keys", [
    ({"num_key_value_heads": 5}, "kv_heads is num_key_value_heads"),
    ({"n_embd": 1001, "n_head": 8}, "hidden is n_embd"),  # GPT-2's own key: it has no hidden_size to fix
    ({"n_embd": 1001, "n_head": 8}, "heads is n_head"),
])
def test_shape_errors_name_the_file_and_the_config_keys(tmp_path: Path, extra: dict[str, int], keys: str) -> None:
    """TransformerConfig's checks said 'model X: kv_heads 5 must divide heads 12', naming neither the file nor the
    config.json key (num_key_value_heads) the user has to fix."""
    with pytest.raises(InputError) as e:
        _load(tmp_path, {**GPT2, **extra})
    assert str(tmp_path) in e.value.problem and keys in e.value.fix
