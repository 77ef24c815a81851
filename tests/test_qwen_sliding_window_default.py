"""A Qwen2 / Qwen3 config windows its attention only where it switches `use_sliding_window` on, from layer
`max_window_layers` on (28 when left out), as transformers builds it: Qwen2Config / Qwen3Config default
use_sliding_window=False and max_window_layers=28, and set `sliding_window = sliding_window if use_sliding_window else
None` (transformers models/qwen2/configuration_qwen2.py @caa3177, models/qwen3/configuration_qwen3.py @008e574).

Before: a Qwen2-7B-shaped config with "sliding_window": 4096 and no use_sliding_window key windowed all 28 layers, so
`plan serve` held a 32,000-token prompt's KV cache at 4,096 tokens a layer, 7.8x too little.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.workload.presets import load_hf_config

QWEN2_7B = {"model_type": "qwen2", "architectures": ["Qwen2ForCausalLM"], "hidden_size": 3584,
            "intermediate_size": 18944, "num_attention_heads": 28, "num_hidden_layers": 28, "num_key_value_heads": 4,
            "max_position_embeddings": 32768, "sliding_window": 4096, "tie_word_embeddings": False,
            "vocab_size": 152064}


def _write(tmp_path: Path, **extra: object) -> Path:
    path = tmp_path / "Qwen2-7B" / "config.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps({**QWEN2_7B, **extra}))
    return path


@pytest.mark.parametrize(("extra", "window", "windowed"), [
    ({}, None, 0),                                               # use_sliding_window left out: False
    ({"model_type": "qwen3", "head_dim": 128}, None, 0),
    ({"use_sliding_window": True}, 4096, 0),                     # max_window_layers left out: 28 of 28 full
    ({"use_sliding_window": True, "num_hidden_layers": 32}, 4096, 4),
    ({"use_sliding_window": True, "max_window_layers": 21}, 4096, 7),
])
def test_windows_as_transformers_builds_them(tmp_path: Path, extra: dict[str, object], window: int | None,
                                             windowed: int) -> None:
    m = load_hf_config(_write(tmp_path, **extra))
    assert (m.sliding_window, m.windowed_layers if m.sliding_window else 0) == (window, windowed)


def test_serve_holds_the_whole_prompt_in_every_layer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "serve", "--model", str(_write(tmp_path)), "--hardware", "h100-sxm",
                               "--prompt", "32000", "--output", "2", "--batch", "1", "--json"], capsys)
    assert code == 0, err
    point = json.loads(out)["results"][0]["points"][0]
    per_token = 2 * 28 * 4 * 128 * 2  # K and V, 28 layers, 4 KV heads of 3584 / 28 = 128, bf16
    assert point["kv_cache_bytes_per_token"] == per_token
    assert point["kv_cache_bytes_per_device"] == per_token * (32000 + 2)  # 4,096 a layer before


@pytest.mark.parametrize(("layers", "windowed"), [(28, 0), (32, 4)])
def test_the_class_default_max_window_layers_is_said(tmp_path: Path, layers: int, windowed: int) -> None:
    """use_sliding_window on and max_window_layers left out: the class's 28 decides which layers use the window;
    it was taken without a word, as a 'default used' the config's notes now name (a given value needs none)."""
    m = load_hf_config(_write(tmp_path, use_sliding_window=True, num_hidden_layers=layers))
    (note,) = [n for n in m.config_defaults if "max_window_layers" in n]
    assert "default 28 used" in note and f"{windowed} of the {layers} layers use the 4,096-token window" in note
    given = load_hf_config(_write(tmp_path, use_sliding_window=True, num_hidden_layers=layers, max_window_layers=28))
    assert not [n for n in given.config_defaults if "max_window_layers" in n]
