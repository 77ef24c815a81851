"""SmolLM3 with use_sliding_window true and no layer_types windowed every layer (36 of SmolLM3-3B's 36). Its config
class puts the window only on the NoPE layers: SmolLM3Config.__post_init__ appends 'sliding_attention' for layer i
only where use_sliding_window, sliding_window is not None and no_rope_layers[i] is 0, and builds no_rope_layers, when
left out, as int((i + 1) % no_rope_layer_interval != 0), interval 4 by default (huggingface/transformers
src/transformers/models/smollm3/configuration_smollm3.py @008e5743). The reader now follows it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from accelopt.errors import InputError
from accelopt.workload.presets import load_hf_config

# HuggingFaceTB/SmolLM3-3B's sizes (tests/test_plan_config_notes_utmodels.py), its NoPE keys left to the class
BASE = {"architectures": ["SmolLM3ForCausalLM"], "model_type": "smollm3", "hidden_size": 2048,
        "intermediate_size": 11008, "max_position_embeddings": 65536, "num_attention_heads": 16,
        "num_hidden_layers": 36, "num_key_value_heads": 4, "vocab_size": 128256, "tie_word_embeddings": True,
        "sliding_window": 4096}


def _load(tmp_path: Path, **extra: Any) -> Any:
    p = tmp_path / "config.json"
    p.write_text(json.dumps({**BASE, **extra}), encoding="utf-8")
    return load_hf_config(p)


def _class_layer_types(layers: int, use: bool, window: int | None, rope: list[int] | None, interval: int = 4
                       ) -> list[str]:
    """SmolLM3Config.__post_init__'s layer_types, as the class writes them (cited above)."""
    rope = rope if rope is not None else [int((i + 1) % interval != 0) for i in range(layers)]
    return ["sliding_attention" if use and window is not None and not rope[i] else "full_attention"
            for i in range(layers)]


@pytest.mark.parametrize(("extra", "rope", "interval"), [
    ({}, None, 4),
    ({"no_rope_layer_interval": 3}, None, 3),
    ({"no_rope_layers": [i % 2 for i in range(36)]}, [i % 2 for i in range(36)], 4),
])
def test_windows_on_the_nope_layers(extra: dict, rope: list[int] | None, interval: int, tmp_path: Path) -> None:
    cfg = _load(tmp_path, use_sliding_window=True, **extra)
    want = _class_layer_types(36, True, 4096, rope, interval).count("sliding_attention")
    assert cfg.sliding_window == 4096 and cfg.sliding_window_layers == want
    assert "no_rope_layers" not in cfg.unused_keys and "no_rope_layer_interval" not in cfg.unused_keys


def test_the_class_default_is_no_window(tmp_path: Path) -> None:
    assert _load(tmp_path).sliding_window_layers == 0  # use_sliding_window left out: the class's False


def test_layer_types_given_win(tmp_path: Path) -> None:
    types = ["sliding_attention"] * 30 + ["full_attention"] * 6
    assert _load(tmp_path, use_sliding_window=True, layer_types=types).sliding_window_layers == 30


def test_a_bad_nope_list_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no_rope_layers must list at least 36 entries"):
        _load(tmp_path, use_sliding_window=True, no_rope_layers=[1, 0])
    with pytest.raises(InputError, match="no_rope_layer_interval = 0"):
        _load(tmp_path, use_sliding_window=True, no_rope_layer_interval=0)


def test_the_class_interval_is_said_where_used(tmp_path: Path) -> None:
    # no_rope_layers and no_rope_layer_interval both left out: the class's interval 4 set 9 of 36 windowed layers,
    # unsaid (the Qwen class's max_window_layers default is said so)
    said = [n for n in _load(tmp_path, use_sliding_window=True).config_defaults if "no_rope_layer_interval" in n]
    assert said == ["the config leaves out no_rope_layers and no_rope_layer_interval: SmolLM3Config's default "
                    "interval 4 used (every 4th layer NoPE), so 9 of the 36 layers use the 4,096-token window (give "
                    "no_rope_layers or no_rope_layer_interval to change it)"]
    for given in ({"no_rope_layer_interval": 4}, {"no_rope_layers": [int((i + 1) % 4 != 0) for i in range(36)]}):
        assert not any("no_rope" in n for n in _load(tmp_path, use_sliding_window=True, **given).config_defaults)
    assert not any("no_rope" in n for n in _load(tmp_path).config_defaults)  # no window: nothing to say
