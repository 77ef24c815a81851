"""A multimodal config whose text_config leaves its sizes to the text class: llava-hf/llava-1.5-7b-hf's config.json
gives its llama text model only max_position_embeddings and vocab_size (LlavaConfig builds LlamaConfig's defaults:
Vicuna-7B's widths), llava-hf/llava-v1.6-mistral-7b-hf its mistral text model no hidden_size, layers or heads. Both
stopped with 'holds no model sizes ... not a model's config.json (a generation_config.json?)'; they now read as
transformers builds them, each default named in a note."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.errors import InputError
from accelopt.workload.presets import load_hf_config

CLIP_L = {"hidden_size": 1024, "image_size": 336, "intermediate_size": 4096, "model_type": "clip_vision_model",
          "num_attention_heads": 16, "num_hidden_layers": 24, "patch_size": 14, "projection_dim": 768,
          "vocab_size": 32000}
# llava-hf/llava-1.5-7b-hf config.json (as transformers 4.41 logs it loading the checkpoint)
LLAVA = {"architectures": ["LlavaForConditionalGeneration"], "ignore_index": -100, "image_token_index": 32000,
         "model_type": "llava", "pad_token_id": 32001, "projector_hidden_act": "gelu",
         "text_config": {"_name_or_path": "lmsys/vicuna-7b-v1.5", "architectures": ["LlamaForCausalLM"],
                         "max_position_embeddings": 4096, "model_type": "llama", "rms_norm_eps": 1e-05,
                         "torch_dtype": "float16", "vocab_size": 32064},
         "tie_word_embeddings": False, "torch_dtype": "float16", "vision_config": CLIP_L,
         "vision_feature_layer": -2, "vision_feature_select_strategy": "default", "vocab_size": 32064}
# llava-hf/llava-v1.6-mistral-7b-hf config.json's text_config
MISTRAL_TEXT = {"_name_or_path": "mistralai/Mistral-7B-Instruct-v0.2", "architectures": ["MistralForCausalLM"],
                "intermediate_size": 14336, "max_position_embeddings": 32768, "model_type": "mistral",
                "num_key_value_heads": 8, "rms_norm_eps": 1e-05, "rope_theta": 1000000.0, "sliding_window": None,
                "torch_dtype": "bfloat16", "vocab_size": 32064}


def _write(tmp_path: Path, cfg: dict[str, object]) -> Path:
    p = tmp_path / "config.json"
    p.write_text(json.dumps(cfg))
    return p


def test_llava_text_model_is_llamaconfigs_7b(tmp_path: Path) -> None:
    m = load_hf_config(_write(tmp_path, LLAVA))
    # Llama 2 7B's 6,738,415,616 (its model card) with 64 more vocabulary rows in the embedding and the head
    assert m.params_total() == 6_738_415_616 + 2 * 64 * 4096
    assert m.context is not None and m.context.positions == 4096 and not m.tied_embeddings
    note = next(n for n in m.config_defaults if "LlamaConfig" in n)
    assert "hidden_size 4,096" in note and "num_hidden_layers 32" in note and "intermediate_size 11,008" in note


def test_llava_next_mistral_text_model(tmp_path: Path) -> None:
    m = load_hf_config(_write(tmp_path, {**LLAVA, "model_type": "llava_next", "text_config": MISTRAL_TEXT}))
    # Mistral 7B v0.2 (7,241,732,096: mistralai's model card 7.24B) with 64 more vocabulary rows; sliding_window
    # null is kept (MistralConfig's 4096 is not filled in over it)
    assert m.params_total() == 7_241_732_096 + 2 * 64 * 4096
    assert m.kv_heads == 8 and m.sliding_window is None
    assert any("MistralConfig" in n and "num_attention_heads 32" in n for n in m.config_defaults)


def test_plan_serve_reads_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "serve", "--model", str(_write(tmp_path, LLAVA)), "--hardware", "h100-sxm",
                               "--batch", "1", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["results"][0]["points"][0]["weights_bytes_per_device"] == 2 * (6_738_415_616 + 2 * 64 * 4096)
    assert "vision_config" in doc["unused_config_keys"] and any("LlamaConfig" in n for n in doc["notes"])


def test_a_top_level_config_without_sizes_is_still_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="holds no model sizes"):
        load_hf_config(_write(tmp_path, LLAVA["text_config"]))  # type: ignore[arg-type]


# OpenGVLab/InternVL2-8B config.json: its language model (InternLM2.5-7B) under llm_config
INTERNVL2 = {"architectures": ["InternVLChatModel"], "model_type": "internvl_chat", "downsample_ratio": 0.5,
             "force_image_size": 448, "template": "internlm2-chat",
             "llm_config": {"architectures": ["InternLM2ForCausalLM"], "model_type": "internlm2", "hidden_size": 4096,
                            "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32,
                            "num_key_value_heads": 8, "vocab_size": 92553, "max_position_embeddings": 32768,
                            "hidden_act": "silu", "bias": False, "tie_word_embeddings": False},
             "vision_config": {"architectures": ["InternVisionModel"], "hidden_size": 1024, "image_size": 448,
                               "num_hidden_layers": 24, "num_attention_heads": 16, "patch_size": 14}}


@pytest.mark.parametrize("key", ["llm_config", "language_config"])
def test_language_model_under_other_keys(tmp_path: Path, key: str) -> None:
    """InternVL's llm_config (DeepSeek-VL2's language_config) was not looked into: 'holds no model sizes'."""
    cfg = {k: v for k, v in INTERNVL2.items() if k != "llm_config"} | {key: INTERNVL2["llm_config"]}
    m = load_hf_config(_write(tmp_path, cfg))
    h, f, kv = 4096, 14336, 8 * 128
    # 32 x (q, o: h x h; k, v: h x 1024; gate, up, down: h x f; 2 norms) + embedding and head + final norm
    assert m.params_total() == 32 * (2 * h * h + 2 * h * kv + 3 * h * f + 2 * h) + 2 * 92553 * h + h
    assert {"vision_config", "force_image_size"} <= set(m.unused_keys) and key not in m.unused_keys


def test_named_as_the_multimodal_model(tmp_path: Path) -> None:
    """Named by the text_config's _name_or_path, LLaVA-1.5 was planned (and kept in the history) as
    'lmsys/vicuna-7b-v1.5'; it is named as the file's model: its folder, or the outer _name_or_path."""
    assert load_hf_config(_write(tmp_path, LLAVA)).name == tmp_path.name
    named = {**LLAVA, "_name_or_path": "llava-hf/llava-1.5-7b-hf"}
    assert load_hf_config(_write(tmp_path, named)).name == "llava-hf/llava-1.5-7b-hf"
