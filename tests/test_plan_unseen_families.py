"""Config.json files of model families the project had not seen (rvmodels): Gemma 3, Llama 4, gpt-oss.

Each config is written from the published file named beside it (the Hub's config.json, trimmed of keys the reader
lists as not modelled); each count is checked against the model card or technical report it cites, with the
tolerance stated before it was measured.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main

from accelopt.errors import InputError
from accelopt.workload.presets import load_hf_config

# google/gemma-3-27b-it config.json: its text_config leaves vocab_size, max_position_embeddings and
# sliding_window_pattern to transformers' Gemma3TextConfig defaults (262,208; 131,072; 6).
GEMMA3_27B = {
    "architectures": ["Gemma3ForConditionalGeneration"], "boi_token_index": 255999, "eoi_token_index": 256000,
    "image_token_index": 262144, "model_type": "gemma3", "mm_tokens_per_image": 256,
    "text_config": {"head_dim": 128, "hidden_size": 5376, "intermediate_size": 21504, "model_type": "gemma3_text",
                    "num_attention_heads": 32, "num_hidden_layers": 62, "num_key_value_heads": 16,
                    "query_pre_attn_scalar": 168, "rope_scaling": {"factor": 8.0, "rope_type": "linear"},
                    "sliding_window": 1024},
    "vision_config": {"hidden_size": 1152, "image_size": 896, "intermediate_size": 4304, "patch_size": 14,
                      "model_type": "siglip_vision_model", "num_attention_heads": 16, "num_hidden_layers": 27}}
# meta-llama/Llama-4-Scout-17B-16E-Instruct config.json (text_config; the vision tower's keys trimmed)
LLAMA4_SCOUT_TEXT = {
    "attention_chunk_size": 8192, "head_dim": 128, "hidden_act": "silu", "hidden_size": 5120,
    "interleave_moe_layer_step": 1, "intermediate_size": 8192, "intermediate_size_mlp": 16384,
    "max_position_embeddings": 10485760, "model_type": "llama4_text", "num_attention_heads": 40,
    "num_experts_per_tok": 1, "num_hidden_layers": 48, "num_key_value_heads": 8, "num_local_experts": 16,
    "rope_scaling": {"factor": 16.0, "high_freq_factor": 1.0, "low_freq_factor": 1.0,
                     "original_max_position_embeddings": 8192, "rope_type": "llama3"},
    "tie_word_embeddings": False, "use_qk_norm": True, "vocab_size": 202048,
    "no_rope_layers": [0 if (i + 1) % 4 == 0 else 1 for i in range(48)]}
LLAMA4_SCOUT = {"architectures": ["Llama4ForConditionalGeneration"], "model_type": "llama4",
                "text_config": LLAMA4_SCOUT_TEXT, "vision_config": {"image_size": 336, "patch_size": 14}}
# openai/gpt-oss-20b config.json (quantization_config kept: the reader lists it as not modelled)
GPT_OSS_20B = {
    "architectures": ["GptOssForCausalLM"], "attention_bias": True, "experts_per_token": 4, "head_dim": 64,
    "hidden_act": "silu", "hidden_size": 2880, "initial_context_length": 4096, "intermediate_size": 2880,
    "layer_types": ["sliding_attention", "full_attention"] * 12, "max_position_embeddings": 131072,
    "model_type": "gpt_oss", "num_attention_heads": 64, "num_experts_per_tok": 4, "num_hidden_layers": 24,
    "num_key_value_heads": 8, "num_local_experts": 32, "quantization_config": {"quant_method": "mxfp4"},
    "rope_scaling": {"beta_fast": 32.0, "beta_slow": 1.0, "factor": 32.0, "original_max_position_embeddings": 4096,
                     "rope_type": "yarn", "truncate": False},
    "sliding_window": 128, "swiglu_limit": 7.0, "tie_word_embeddings": False, "vocab_size": 201088}


def _write(tmp_path: Path, cfg: dict[str, Any], name: str = "config.json") -> Path:
    p = tmp_path / name
    p.write_text(json.dumps(cfg), encoding="utf-8")
    return p


def test_gemma3_27b_reads_its_class_defaults(tmp_path: Path) -> None:
    """The published multimodal config stopped at 'none of vocab_size is set'. Gemma Team 2025, 'Gemma 3 Technical
    Report', Table 1: 27B has 1,416M embedding + 25,600M non-embedding parameters = 27.016B (tolerance 0.5%: QK-norm
    weights are not counted); 5 local layers of window 1024 per global one: 62 - 62 // 6 = 52 windowed."""
    cfg = load_hf_config(_write(tmp_path, GEMMA3_27B))
    assert cfg.vocab == 262_208
    assert cfg.params_total() == pytest.approx(27.016e9, rel=5e-3)
    assert (cfg.sliding_window, cfg.windowed_layers) == (1024, 52)
    assert cfg.kv_cache_elems_per_token_layer() == 2 * 16 * 128
    assert any("vocab_size 262,208" in n and "Gemma3TextConfig" in n for n in cfg.config_defaults)


def test_gemma3_explicit_key_is_kept(tmp_path: Path) -> None:
    """A key the config gives (even a window pattern of 2) is read, not replaced by the class default."""
    text = {**GEMMA3_27B["text_config"], "vocab_size": 1000, "sliding_window_pattern": 2}
    cfg = load_hf_config(_write(tmp_path, {**GEMMA3_27B, "text_config": text}))
    assert (cfg.vocab, cfg.windowed_layers) == (1000, 31)
    assert not any("vocab_size" in n for n in cfg.config_defaults)


def test_llama4_scout_counts_the_shared_expert(tmp_path: Path) -> None:
    """Meta's Llama 4 model card: Scout 17B active, 109B total (with its vision tower, ~1B, not modelled here). The
    shared expert of every MoE layer was left out (101.7B / 11.1B); tolerance 2% on active, total within 107-109B."""
    cfg = load_hf_config(_write(tmp_path, LLAMA4_SCOUT))
    assert (cfg.experts, cfg.top_k, cfg.shared_experts, cfg.moe_layers) == (16, 1, 1, 48)
    assert cfg.params_active() == pytest.approx(17e9, rel=0.02)
    assert 107e9 < cfg.params_total() < 109e9
    # chunked attention on the 36 RoPE layers (no_rope_layers 1), global on every 4th: cache capped at a chunk
    assert (cfg.sliding_window, cfg.windowed_layers) == (8192, 36)
    assert not {"interleave_moe_layer_step", "intermediate_size_mlp", "attention_chunk_size"} & set(cfg.unused_keys)
    assert any("chunked-attention" in n for n in cfg.config_defaults)


def test_llama4_maverick_interleaves_dense_layers(tmp_path: Path) -> None:
    """Maverick: 128 experts on every other layer, dense layers of intermediate_size_mlp 16384; Meta's model card:
    400B total, 17B active (tolerance 2%)."""
    text = {**LLAMA4_SCOUT_TEXT, "num_local_experts": 128, "interleave_moe_layer_step": 2}
    cfg = load_hf_config(_write(tmp_path, {**LLAMA4_SCOUT, "text_config": text}))
    assert (cfg.moe_layers, cfg.moe_every, cfg.dense_ffn) == (24, 2, 16384)
    assert cfg.params_total() == pytest.approx(400e9, rel=0.02)
    assert cfg.params_active() == pytest.approx(17e9, rel=0.02)


def test_llama4_moe_layers_off_the_interval_is_refused(tmp_path: Path) -> None:
    text = {**LLAMA4_SCOUT_TEXT, "moe_layers": [0, 5, 9]}
    with pytest.raises(InputError, match=r"moe_layers .* is not every 1-th layer"):
        load_hf_config(_write(tmp_path, {**LLAMA4_SCOUT, "text_config": text}))


def test_gpt_oss_20b_is_a_known_family(tmp_path: Path) -> None:
    """OpenAI 2025, gpt-oss model card, Table 1: gpt-oss-20b 20.91B total, 3.61B active (the input embedding, 0.58B,
    not counted as active there; tolerance 0.5%). Alternating 128-token windows: 12 of 24 layers."""
    cfg = load_hf_config(_write(tmp_path, GPT_OSS_20B))
    assert cfg.params_total() == pytest.approx(20.91e9, rel=5e-3)
    assert cfg.params_active() - cfg.vocab * cfg.hidden == pytest.approx(3.61e9, rel=5e-3)
    assert (cfg.sliding_window, cfg.windowed_layers, cfg.top_k) == (128, 12, 4)
    assert not any("has no rule" in n for n in cfg.config_defaults)
    assert "experts_per_token" not in cfg.unused_keys and "quantization_config" in cfg.unused_keys


def test_gpt_oss_disagreeing_top_k_spellings_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="experts_per_token = 2"):
        load_hf_config(_write(tmp_path, {**GPT_OSS_20B, "experts_per_token": 2}))


def test_plan_serve_gemma3_27b_at_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The published Gemma 3 config plans at the CLI (exit 2 before), the defaults used printed beside it."""
    p = _write(tmp_path, GEMMA3_27B)
    code, out, err = run_main(["plan", "serve", "-m", str(p), "--batch", "1", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert any("Gemma3TextConfig" in n for n in doc["notes"])


def test_explain_summary_prints_the_typed_prediction(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`plan explain`'s summary line prints the result's LayoutRow (the figures of its JSON `prediction`), read from
    the typed result rather than the raw row by key; a Gemma 3 config, one layout."""
    from accelopt.units import fmt_count, fmt_quantity, fmt_seconds

    args = ["plan", "explain", "--model", str(_write(tmp_path, GEMMA3_27B)), "--hardware", "h100-sxm",
            "--devices", "64", "--tp", "8", "--pp", "1", "--zero", "1"]
    code, out, err = run_main([*args, "--json"], capsys)
    assert code == 0, err
    pred = json.loads(out)["prediction"]
    code, text, err = run_main(args, capsys)
    assert code == 0, err
    summary = next(ln for ln in text.splitlines() if ln.startswith("tokens/s "))
    assert summary.startswith(f"tokens/s {fmt_quantity(pred['tokens_per_s'], 'tok/s')}; time to train "
                              f"{fmt_seconds(pred['train_time_s'])}; device-hours {fmt_count(pred['device_hours'])}")


@pytest.mark.parametrize(("quant", "flag"), [
    ({"quant_method": "mxfp4"}, "mxfp4"),  # openai/gpt-oss-20b
    ({"activation_scheme": "dynamic", "fmt": "e4m3", "quant_method": "fp8", "weight_block_size": [128, 128]},
     "fp8"),  # deepseek-ai/DeepSeek-V3 config.json
    ({"bits": 4, "group_size": 128, "quant_method": "awq", "version": "gemm", "zero_point": True},
     "int4 --int4-group-size 128"),
    ({"bits": 8, "quant_method": "gptq"}, "int8"),
    # compressed-tensors (llm-compressor): neuralmagic/Meta-Llama-3.1-8B-Instruct-FP8 and -quantized.w4a16 configs
    ({"quant_method": "compressed-tensors", "format": "float-quantized", "ignore": ["lm_head"],
      "config_groups": {"group_0": {"targets": ["Linear"], "weights": {"num_bits": 8, "type": "float",
                                                                       "strategy": "channel"},
                                    "input_activations": {"num_bits": 8, "type": "float", "dynamic": True}}}}, "fp8"),
    ({"quant_method": "compressed-tensors", "format": "pack-quantized",
      "config_groups": {"group_0": {"targets": ["Linear"], "weights": {"num_bits": 4, "type": "int",
                                                                       "group_size": 128}}}},
     "int4 --int4-group-size 128"),
    ({"quant_method": "modelopt", "quant_algo": "NVFP4"}, "nvfp4"),  # nvidia/Llama-3.3-70B-Instruct-FP4
])
def test_quantized_checkpoint_names_the_weight_dtype(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     quant: dict[str, Any], flag: str) -> None:
    """A quantized checkpoint's config was planned at bf16 weights with only 'ignored: quantization_config': the
    note now says serving is predicted at --weight-dtype and names the flag for the stored format."""
    p = _write(tmp_path, {**GPT_OSS_20B, "quantization_config": quant})
    code, out, err = run_main(["plan", "serve", "-m", str(p), "--batch", "1", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert "quantization_config" in doc["unused_config_keys"]
    assert any(f"--weight-dtype {flag}`" in n for n in doc["notes"]), doc["notes"]


def test_experts_only_checkpoint_names_the_expert_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """gpt-oss keeps attention, router, embeddings and lm_head in bf16 (modules_to_not_convert): the note named
    `--weight-dtype mxfp4` (every linear layer 4-bit) and int4 on H100; it now names the experts' own flag, and the
    command it names runs on H100 (weight-only 4-bit there)."""
    quant = {"quant_method": "mxfp4", "modules_to_not_convert": [  # openai/gpt-oss-20b config.json
        "model.layers.*.self_attn", "model.layers.*.mlp.router", "model.embed_tokens", "lm_head"]}
    p = _write(tmp_path, {**GPT_OSS_20B, "quantization_config": quant})
    code, out, err = run_main(["plan", "serve", "-m", str(p), "--batch", "1", "--json"], capsys)
    assert code == 0, err
    notes = json.loads(out)["notes"]
    assert any("--weight-dtype bf16 --expert-weight-dtype mxfp4`" in n for n in notes), notes
    assert not any("int4" in n for n in notes), notes
    code, out, err = run_main(["plan", "serve", "-m", str(p), "--batch", "1", "--hardware", "h100-sxm",
                               "--weight-dtype", "bf16", "--expert-weight-dtype", "mxfp4"], capsys)
    assert code == 0, err


def test_unknown_quantization_asks_for_the_closest_dtype(tmp_path: Path) -> None:
    cfg = load_hf_config(_write(tmp_path, {**GPT_OSS_20B, "quantization_config": {"quant_method": "hqq"}}))
    assert any("quant_method hqq" in n and "closest to its format" in n for n in cfg.config_defaults)


# Qwen/Qwen3-4B config.json (dense, tied embeddings, head_dim 128)
QWEN3_4B = {"architectures": ["Qwen3ForCausalLM"], "head_dim": 128, "hidden_act": "silu", "hidden_size": 2560,
            "intermediate_size": 9728, "max_position_embeddings": 40960, "max_window_layers": 36, "model_type": "qwen3",
            "num_attention_heads": 32, "num_hidden_layers": 36, "num_key_value_heads": 8, "rope_theta": 1000000,
            "sliding_window": None, "tie_word_embeddings": True, "use_sliding_window": False, "vocab_size": 151936}


def test_plan_prints_the_params_and_flops_it_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`plan` on a config.json printed no parameter count or FLOPs to check against the model card. Qwen3-4B's
    card: 4.0B parameters (tolerance 1%). Training FLOPs per token by hand, 6 N + 12 L s (heads x head_dim)
    (Narayanan et al. 2021 eq. 3's attention term, keys over the whole sequence), within 0.1% (the norms' weights
    are in N but do no multiply)."""
    from accelopt.units import fmt_count

    p = _write(tmp_path, QWEN3_4B)
    code, out, err = run_main(["plan", "--model", str(p), "--devices", "8", "--top", "1", "--seq-len", "4096",
                               "--json"], capsys)
    assert code == 0, err
    note = next(n for n in json.loads(out)["notes"] if "as read from its config" in n)
    n_params = load_hf_config(p).params_total()
    assert n_params == pytest.approx(4.0e9, rel=0.01)
    assert f"{fmt_count(n_params)} parameters" in note
    flops = float(note.split("; ")[1].split(" training FLOPs")[0].replace(",", ""))
    assert flops == pytest.approx(6 * n_params + 12 * 36 * 4096 * 32 * 128, rel=1e-3)
    code, text, err = run_main(["plan", "--model", str(p), "--devices", "8", "--top", "1", "--seq-len", "4096"], capsys)
    assert code == 0 and f"{fmt_count(n_params)} parameters" in text.replace("\n", " ")


# Qwen/Qwen3-30B-A3B config.json
QWEN3_30B_A3B = {"architectures": ["Qwen3MoeForCausalLM"], "decoder_sparse_step": 1, "head_dim": 128,
                 "hidden_act": "silu", "hidden_size": 2048, "intermediate_size": 6144,
                 "max_position_embeddings": 40960, "mlp_only_layers": [], "model_type": "qwen3_moe",
                 "moe_intermediate_size": 768, "num_attention_heads": 32, "num_experts": 128,
                 "num_experts_per_tok": 8, "num_hidden_layers": 48, "num_key_value_heads": 4,
                 "tie_word_embeddings": False, "vocab_size": 151936}


def test_qwen3_moe_published_counts(tmp_path: Path) -> None:
    """Qwen/Qwen3-30B-A3B model card: 30.5B total, 3.3B activated (tolerance 1%)."""
    cfg = load_hf_config(_write(tmp_path, QWEN3_30B_A3B))
    assert cfg.params_total() == pytest.approx(30.5e9, rel=0.01)
    assert cfg.params_active() == pytest.approx(3.3e9, rel=0.02)


def test_mlp_only_layers_are_dense(tmp_path: Path) -> None:
    """mlp_only_layers [0, 1, 2] (transformers Qwen3MoeDecoderLayer: a dense MLP of intermediate_size there) was
    listed as ignored and the three layers counted as MoE: by hand, each trades 128 experts of 3 x 2048 x 768 and the
    router 2048 x 128 for one MLP of 3 x 2048 x 6144."""
    base = load_hf_config(_write(tmp_path, QWEN3_30B_A3B, "base.json"))
    cfg = load_hf_config(_write(tmp_path, {**QWEN3_30B_A3B, "mlp_only_layers": [0, 1, 2]}))
    per_layer = 128 * 3 * 2048 * 768 + 2048 * 128 - 3 * 2048 * 6144
    assert base.params_total() - cfg.params_total() == 3 * per_layer
    assert cfg.moe_layers == 45 and "mlp_only_layers" not in cfg.unused_keys
    assert any("mlp_only_layers: 3 dense layers" in n for n in cfg.config_defaults)


def test_mlp_only_layers_with_a_sparse_step_refused(tmp_path: Path) -> None:
    bad = {**QWEN3_30B_A3B, "mlp_only_layers": [0], "decoder_sparse_step": 2}
    with pytest.raises(InputError, match="mlp_only_layers with first_k_dense_replace or a decoder_sparse_step"):
        load_hf_config(_write(tmp_path, bad))


def test_missing_size_key_names_the_key_to_add(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A config without vocab_size was told to 'pass a Hugging Face config.json of a llama/mistral/... model' (it
    was one): the fix names the key to add. Exit 2, no traceback."""
    p = _write(tmp_path, {k: v for k, v in QWEN3_4B.items() if k != "vocab_size"})
    code, _out, err = run_main(["plan", "serve", "-m", str(p), "--batch", "1"], capsys)
    assert code == 2 and "Traceback" not in err
    assert "none of vocab_size is set" in err and "add vocab_size to the config" in err


def test_hybrid_layer_types_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A config whose layer_types has layers other than attention (Qwen3-Next's 'linear_attention', 3 of every 4
    layers) was read, under an unknown model_type, as a transformer with a KV cache on every layer: exit 2 now,
    naming the layer kind, whatever the model_type says."""
    kinds = (["linear_attention"] * 3 + ["full_attention"]) * 9
    cfg = {**QWEN3_4B, "model_type": "my_hybrid", "layer_types": kinds}
    code, _out, err = run_main(["plan", "serve", "-m", str(_write(tmp_path, cfg)), "--batch", "1"], capsys)
    assert code == 2 and "Traceback" not in err
    assert "'linear_attention' layers beside attention" in err


@pytest.mark.parametrize("mtype", ["qwen3_next", "nemotron_h", "falcon_h1", "bamba"])
def test_hybrid_families_refused(tmp_path: Path, mtype: str) -> None:
    with pytest.raises(InputError, match=f"model_type '{mtype}' has .* beside"):
        load_hf_config(_write(tmp_path, {**QWEN3_4B, "model_type": mtype}))


def test_text_config_without_model_type_reads_as_its_class(tmp_path: Path) -> None:
    """A Gemma 3 text_config naming no model_type is built by transformers as Gemma3TextConfig all the same; it was
    read as an unnamed type and stopped at 'none of vocab_size is set'."""
    text = {k: v for k, v in GEMMA3_27B["text_config"].items() if k != "model_type"}
    cfg = load_hf_config(_write(tmp_path, {**GEMMA3_27B, "text_config": text}))
    assert (cfg.vocab, cfg.windowed_layers, cfg.norms_per_layer) == (262_208, 52, 4)


def test_olmo2_is_a_known_family(tmp_path: Path) -> None:
    """allenai/OLMo-2-1124-7B config.json; its model card: 7.3B parameters (tolerance 1%). Read with the gated-MLP,
    untied rule (no 'has no rule' note)."""
    olmo2 = {"architectures": ["Olmo2ForCausalLM"], "hidden_act": "silu", "hidden_size": 4096,
             "intermediate_size": 11008, "max_position_embeddings": 4096, "model_type": "olmo2",
             "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 32, "rope_theta": 500000,
             "tie_word_embeddings": False, "vocab_size": 100352}
    cfg = load_hf_config(_write(tmp_path, olmo2))
    assert cfg.params_total() == pytest.approx(7.3e9, rel=0.01)
    assert cfg.mlp == "swiglu" and not any("has no rule" in n for n in cfg.config_defaults)
