"""Notes on a config.json under `plan` (utmodels). A quantized checkpoint's config.json under `plan` / `plan explain`
(training): the config reader's note for it said 'serving is predicted at --weight-dtype (bf16 unless given); pass
`plan serve --weight-dtype int4 ...`', printed under a training plan that said nothing of how it treats the stored
int4 weights (a user trial, utmodels). It now says the plan is full training at --dtype, that adapter training over
frozen quantized weights (QLoRA) is not modelled, and names the `plan serve` flags; `plan serve` keeps its own note."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

# a Llama-style config (meta-llama/Llama-2-7b-hf sizes) as AutoAWQ writes one: 4-bit weights in groups of 128
AWQ_LLAMA = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 4096,
             "intermediate_size": 11008, "num_hidden_layers": 32, "num_attention_heads": 32,
             "num_key_value_heads": 32, "vocab_size": 32000, "max_position_embeddings": 4096, "hidden_act": "silu",
             "quantization_config": {"quant_method": "awq", "bits": 4, "group_size": 128, "zero_point": True,
                                     "version": "gemm"}}


def _write(tmp_path: Path) -> str:
    p = tmp_path / "config.json"
    p.write_text(json.dumps(AWQ_LLAMA), encoding="utf-8")
    return str(p)


@pytest.mark.parametrize("args", [["plan", "--model", "{p}", "--tokens", "1e10", "--hardware", "h100-sxm",
                                   "--devices", "8", "--top", "1", "--json"],
                                  ["plan", "explain", "--model", "{p}", "--hardware", "h100-sxm", "--devices", "8",
                                   "--tp", "8", "--json"]])
def test_training_plan_says_how_it_treats_quantized_weights(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            args: list[str]) -> None:
    path = _write(tmp_path)
    code, out, err = run_main([a.format(p=path) for a in args], capsys)
    assert code == 0, err
    notes = [n for n in json.loads(out)["notes"] if "stores its weights quantized" in n]
    assert len(notes) == 1, notes
    assert "serving is predicted" not in notes[0]
    assert "training is planned as full training at --dtype" in notes[0] and "(QLoRA) is not modelled" in notes[0]
    assert "`plan serve --weight-dtype int4 --int4-group-size 128`" in notes[0]


def test_plan_serve_keeps_its_serving_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "serve", "-m", _write(tmp_path), "--batch", "1", "--json"], capsys)
    assert code == 0, err
    notes = [n for n in json.loads(out)["notes"] if "stores its weights quantized" in n]
    assert len(notes) == 1 and "serving is predicted at --weight-dtype" in notes[0], notes


def test_a_one_layer_models_architecture_line_reads_as_english(tmp_path: Path) -> None:
    # a 1-layer, 1-head model (hidden 64) was '1 layers, hidden 64; attention 1 heads x 64'
    from accelopt.workload.presets import load_hf_config
    from accelopt.workload.transformer import architecture_text

    p = tmp_path / "config.json"
    p.write_text(json.dumps({"model_type": "llama", "hidden_size": 64, "intermediate_size": 128,
                             "num_hidden_layers": 1, "num_attention_heads": 1, "vocab_size": 256,
                             "max_position_embeddings": 128}), encoding="utf-8")
    text = architecture_text(load_hf_config(p))
    assert "1 layer, hidden 64; attention 1 head x 64, 1 K/V head" in text, text


# HuggingFaceTB/SmolLM3-3B config.json (the sizes and its NoPE layout: RoPE off on every 4th layer)
SMOLLM3_3B = {"architectures": ["SmolLM3ForCausalLM"], "model_type": "smollm3", "hidden_act": "silu",
              "hidden_size": 2048, "intermediate_size": 11008, "max_position_embeddings": 65536,
              "num_attention_heads": 16, "num_hidden_layers": 36, "num_key_value_heads": 4, "vocab_size": 128256,
              "tie_word_embeddings": True, "no_rope_layer_interval": 4, "use_sliding_window": False,
              "sliding_window": None, "no_rope_layers": [0 if (i + 1) % 4 == 0 else 1 for i in range(36)]}


def test_nope_layers_are_not_listed_as_unmodelled(tmp_path: Path) -> None:
    # SmolLM3Attention reads no_rope_layers only to leave the rotary off (elementwise): both keys were in the
    # unused-keys warning; with use_sliding_window the config class makes those layers the sliding ones, read so
    # (tests/test_smollm3_windows.py)
    from accelopt.workload.presets import load_hf_config

    p = tmp_path / "config.json"
    p.write_text(json.dumps(SMOLLM3_3B), encoding="utf-8")
    m = load_hf_config(p)
    assert m.unused_keys == (), m.unused_keys
    assert m.params_total() == 3_075_098_624  # its safetensors metadata total_parameters (tied embeddings)
    p.write_text(json.dumps({**SMOLLM3_3B, "use_sliding_window": True, "sliding_window": 4096}), encoding="utf-8")
    windowed = load_hf_config(p)
    assert windowed.unused_keys == () and windowed.sliding_window_layers == 9


# openbmb/MiniCPM3-4B config.json (the sizes; its rope_scaling longrope factors and muP scalars left out): no
# v_head_dim and no tie_word_embeddings, both left to MiniCPM3Config (configuration_minicpm.py: v_head_dim =
# qk_nope_head_dim when None; tie_word_embeddings True)
MINICPM3_4B = {"architectures": ["MiniCPM3ForCausalLM"], "model_type": "minicpm3", "hidden_act": "silu",
               "hidden_size": 2560, "num_hidden_layers": 62, "intermediate_size": 6400,
               "max_position_embeddings": 32768, "num_attention_heads": 40, "num_key_value_heads": 40,
               "qk_nope_head_dim": 64, "qk_rope_head_dim": 32, "q_lora_rank": 768, "kv_lora_rank": 256,
               "vocab_size": 73448}


def test_minicpm3_reads_as_its_config_class_builds_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # it stopped with 'none of v_head_dim is set', told to add the value of the published config.json (none there)
    p = tmp_path / "config.json"
    p.write_text(json.dumps(MINICPM3_4B), encoding="utf-8")
    code, out, err = run_main(["plan", "serve", "-m", str(p), "--batch", "1", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    # by hand, per layer: q_a 2560 x 768 + its norm 768 + q_b 768 x 40 x 96 + kv_a 2560 x (256 + 32) + its norm 256
    # + kv_b 256 x 40 x (64 + 64) + o 40 x 64 x 2560 + MLP 3 x 2560 x 6400 + 2 norms x 2560; x 62 layers, + one tied
    # 73448 x 2560 table + the final norm: 4,073,875,968 (the model card: 4B)
    per_layer = (2560 * 768 + 768 + 768 * 40 * 96 + 2560 * 288 + 256 + 256 * 40 * 128 + 40 * 64 * 2560
                 + 3 * 2560 * 6400 + 2 * 2560)
    assert doc["results"][0]["points"][0]["weights_bytes_per_device"] == 2 * (62 * per_layer + 73448 * 2560 + 2560)
    # MLA caches kv_lora_rank + qk_rope_head_dim values per token per layer (DeepSeek-V2's latent cache), 2 B each
    assert doc["results"][0]["points"][0]["kv_cache_bytes_per_token"] == 62 * (256 + 32) * 2
    assert any("gives no v_head_dim" in n and "qk_nope_head_dim (64)" in n for n in doc["notes"]), doc["notes"]
    assert not any("has no rule in this reader" in n or "no tie_word_embeddings" in n for n in doc["notes"])


def test_the_training_note_is_built_from_the_readers_parts(tmp_path: Path) -> None:
    """utcode (2026-12-05): _trained_quantized_note cut the reader's serving note at '): serving is predicted' (string
    surgery on another module's prose); the reader now gives what the checkpoint stores as its own field."""
    from accelopt.cli.plan import _trained_quantized_note
    from accelopt.workload.presets import get_model

    mdl = get_model(_write(tmp_path))
    stored = "the checkpoint stores its weights quantized (quantization_config: quant_method awq)"
    assert mdl.stored_weights_text == stored and mdl.stored_weights_note.startswith(stored + ": serving")
    assert _trained_quantized_note(mdl).startswith(stored + ": training is planned")
