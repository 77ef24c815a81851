"""A vision-language config's figures say, in a sentence beside the result, that its vision tower is left out.

Found by a usertest of `plan serve` on Qwen2-VL-7B-Instruct (ut_plan3): its text model sits at the top level beside
vision_config, which was only one name in the 'config key(s) not modelled' list; the weights memory (the language
model's 7.6B) and TTFT (no image encoded) said nothing of the 675M-parameter tower."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.workload.presets import load_hf_config

# Qwen/Qwen2-VL-7B-Instruct config.json (huggingface.co/Qwen/Qwen2-VL-7B-Instruct/blob/main/config.json), the keys
# that give its shape and its vision tower
QWEN2_VL_7B = {"architectures": ["Qwen2VLForConditionalGeneration"], "model_type": "qwen2_vl", "hidden_act": "silu",
               "hidden_size": 3584, "intermediate_size": 18944, "max_position_embeddings": 32768,
               "max_window_layers": 28, "num_attention_heads": 28, "num_hidden_layers": 28, "num_key_value_heads": 4,
               "rope_theta": 1000000.0, "sliding_window": 32768, "tie_word_embeddings": False,
               "use_sliding_window": False, "vocab_size": 152064, "image_token_id": 151655,
               "vision_config": {"depth": 32, "embed_dim": 1280, "mlp_ratio": 4, "num_heads": 16, "in_chans": 3,
                                 "hidden_size": 3584, "patch_size": 14, "spatial_merge_size": 2,
                                 "temporal_patch_size": 2},
               "rope_scaling": {"type": "mrope", "mrope_section": [16, 24, 24]}}
NOTE = "the vision tower (vision_config: 32 layers of width 1,280) is not modelled"


def _write(tmp_path: Path, cfg: dict[str, object]) -> Path:
    path = tmp_path / "qwen2-vl-7b" / "config.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(cfg), encoding="utf-8")
    return path


def test_the_tower_is_named_with_its_size_and_the_text_model_is_counted(tmp_path: Path) -> None:
    m = load_hf_config(_write(tmp_path, QWEN2_VL_7B))
    assert any(n.startswith(NOTE) for n in m.config_defaults), m.config_defaults
    # Qwen2-VL report (Wang et al. 2024, arXiv 2409.12191, Table 1): the 7B's LLM 7.6B (rounded to 0.1B: within 1%)
    # beside a 675M vision encoder, which is not counted
    assert m.params_total() == pytest.approx(7.6e9, rel=0.01)
    assert "vision_config" in m.unused_keys


def test_a_language_model_gets_no_tower_note(tmp_path: Path) -> None:
    text_only = {k: v for k, v in QWEN2_VL_7B.items() if k != "vision_config"}
    assert not any("tower" in n for n in load_hf_config(_write(tmp_path, text_only)).config_defaults)


def test_plan_serve_prints_it_in_text_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _write(tmp_path, QWEN2_VL_7B)
    code, out, err = run_main(["plan", "serve", "--model", str(path), "--hardware", "h100-sxm", "--batch", "1",
                               "--json"], capsys)
    assert code == 0, err
    assert any(n.startswith(NOTE) for n in json.loads(out)["notes"])
    code, out, err = run_main(["plan", "serve", "--model", str(path), "--hardware", "h100-sxm", "--batch", "1"],
                              capsys)
    assert code == 0 and NOTE in " ".join((out + err).split())


def test_the_original_llava_config_names_its_tower_by_checkpoint(tmp_path: Path) -> None:
    # liuhaotian/llava-v1.5-13b config.json (the LLaVA repository's format): the Llama keys at the top level and the
    # tower named by its checkpoint, mm_vision_tower, with no vision_config
    llava = {"architectures": ["LlavaLlamaForCausalLM"], "model_type": "llava", "hidden_act": "silu",
             "hidden_size": 5120, "intermediate_size": 13824, "max_position_embeddings": 4096, "mm_hidden_size": 1024,
             "mm_projector_type": "mlp2x_gelu", "mm_vision_tower": "openai/clip-vit-large-patch14-336",
             "num_attention_heads": 40, "num_hidden_layers": 40, "num_key_value_heads": 40,
             "tie_word_embeddings": False, "vocab_size": 32000}
    m = load_hf_config(_write(tmp_path, llava))
    assert any(n.startswith("the vision tower (mm_vision_tower openai/clip-vit-large-patch14-336) is not modelled")
               for n in m.config_defaults), m.config_defaults
    assert "mm_vision_tower" in m.unused_keys
