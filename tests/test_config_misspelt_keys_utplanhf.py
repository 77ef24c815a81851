"""A misspelt key of a config.json is named as the key it was meant to be (a user trial, utplanhf).

The warning listed 'num_key_value_head' as a key the predictor ignores and a note said the config gives no
num_key_value_heads (multi-head attention assumed), with nothing tying the one to the other: Mistral 7B planned as
8,047,038,464 parameters for its 7,241,732,096 (Jiang et al. 2023, "Mistral 7B", Table 1: 8 K/V heads).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main

from accelopt.workload.presets import load_hf_config

# mistralai/Mistral-7B-v0.1 config.json
MISTRAL_7B = {"architectures": ["MistralForCausalLM"], "model_type": "mistral", "hidden_size": 4096,
              "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32,
              "num_key_value_heads": 8, "vocab_size": 32000, "max_position_embeddings": 32768, "sliding_window": 4096,
              "rope_theta": 10000.0, "rms_norm_eps": 1e-05, "hidden_act": "silu", "tie_word_embeddings": False,
              "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "bfloat16"}
# google/gemma-3-4b-it config.json, its text_config as published (sizes it leaves out are Gemma3TextConfig's)
GEMMA3_4B = {"architectures": ["Gemma3ForConditionalGeneration"], "model_type": "gemma3", "mm_tokens_per_image": 256,
             "text_config": {"hidden_size": 2560, "intermediate_size": 10240, "model_type": "gemma3_text",
                             "num_hidden_layers": 34, "rope_scaling": {"factor": 8.0, "rope_type": "linear"},
                             "sliding_window": 1024},
             "vision_config": {"hidden_size": 1152, "image_size": 896, "intermediate_size": 4304,
                               "model_type": "siglip_vision_model", "num_attention_heads": 16,
                               "num_hidden_layers": 27, "patch_size": 14, "vision_use_head": False}}


def _write(tmp_path: Path, cfg: dict[str, Any]) -> Path:
    p = tmp_path / "config.json"
    p.write_text(json.dumps(cfg), encoding="utf-8")
    return p


def _misspelt(tmp_path: Path, cfg: dict[str, Any]) -> list[str]:
    return [n for n in load_hf_config(_write(tmp_path, cfg)).config_defaults if "did you mean" in n]


def test_a_misspelt_kv_heads_key_is_named_as_the_key_meant(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = {k: v for k, v in MISTRAL_7B.items() if k != "num_key_value_heads"} | {"num_key_value_head": 8}
    p = _write(tmp_path, cfg)
    code, out, err = run_main(["plan", "--model", str(p), "--devices", "8", "--top", "1", "--json"], capsys)
    assert code == 0, err
    notes = [n for n in json.loads(out)["notes"] if "did you mean" in n]
    assert len(notes) == 1 and "config key num_key_value_head " in notes[0], notes
    assert "did you mean num_key_value_heads?" in notes[0] and "rename the key to num_key_value_heads" in notes[0]
    # the key left out is MistralConfig's default, 8 K/V heads, as transformers builds it (it was read as 32, MHA,
    # before the class defaults of tests/test_config_class_kv_heads_utplan3.py): the published count
    assert load_hf_config(p).params_total() == 7_241_732_096


def test_a_misspelt_key_in_text_config_is_named_where_a_class_default_filled_it(tmp_path: Path) -> None:
    # vocab_size left to Gemma3TextConfig's default 262,208 when misspelt: the default filled the figure, and the
    # misspelling is still named (the config as written gives no vocab_size)
    cfg = json.loads(json.dumps(GEMMA3_4B))
    cfg["text_config"]["vocab_sise"] = 1000
    notes = _misspelt(tmp_path, cfg)
    assert len(notes) == 1 and "config key vocab_sise " in notes[0] and "did you mean vocab_size?" in notes[0]


@pytest.mark.parametrize(("key", "meant"), [("intermediat_size", "intermediate_size"),
                                            ("sliding_windows", "sliding_window"),
                                            ("num_hiden_layers", None)])
def test_only_a_key_the_config_leaves_out_is_suggested(tmp_path: Path, key: str, meant: str | None) -> None:
    cfg = {k: v for k, v in MISTRAL_7B.items() if k != meant} | {key: 1}
    notes = _misspelt(tmp_path, cfg)
    if meant is None:  # num_hidden_layers is given: the stray key is only listed as ignored
        assert notes == []
    else:
        assert len(notes) == 1 and f"did you mean {meant}?" in notes[0], notes


def test_published_configs_have_no_misspelt_keys(tmp_path: Path) -> None:
    # the published configs the tests carry (tests/hf_configs.py): none of their keys reads as a misspelling
    import hf_configs

    configs = {n: v for n, v in vars(hf_configs).items() if isinstance(v, dict) and "model_type" in v}
    assert len(configs) >= 5
    for name, cfg in configs.items():
        (tmp_path / name).mkdir()
        p = tmp_path / name / "config.json"
        p.write_text(json.dumps(cfg), encoding="utf-8")
        assert not [n for n in load_hf_config(p).config_defaults if "did you mean" in n], name
