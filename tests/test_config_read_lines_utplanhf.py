"""What `plan`, `plan explain` and `plan serve` say they read from a user's config.json (a user trial, utplanhf).

`plan` and `plan explain` printed the parameter count read from a config.json, `plan serve` none (its weights' memory
was the only trace of it), and none of them the architecture the count comes from: a sliding window on half the
layers, a head_dim other than hidden / heads, multi-head latent attention or the MoE layout could only be checked by
reading the code. Each command now prints the same count and one line of that architecture.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main

from accelopt.units import fmt_count
from accelopt.workload.presets import load_hf_config

# google/gemma-2-9b config.json (the keys the count reads; softcaps and token ids kept as published)
GEMMA2_9B = {"architectures": ["Gemma2ForCausalLM"], "model_type": "gemma2", "attn_logit_softcapping": 50.0,
             "final_logit_softcapping": 30.0, "head_dim": 256, "hidden_activation": "gelu_pytorch_tanh",
             "hidden_size": 3584, "intermediate_size": 14336, "max_position_embeddings": 8192,
             "num_attention_heads": 16, "num_hidden_layers": 42, "num_key_value_heads": 8,
             "query_pre_attn_scalar": 256, "rms_norm_eps": 1e-06, "rope_theta": 10000.0, "sliding_window": 4096,
             "vocab_size": 256000, "cache_implementation": "hybrid", "bos_token_id": 2, "eos_token_id": 1,
             "pad_token_id": 0}
# deepseek-ai/DeepSeek-V2-Lite config.json (rope_scaling and the routing switches as published)
DSV2_LITE = {"architectures": ["DeepseekV2ForCausalLM"], "model_type": "deepseek_v2", "first_k_dense_replace": 1,
             "hidden_act": "silu", "hidden_size": 2048, "intermediate_size": 10944, "kv_lora_rank": 512,
             "max_position_embeddings": 163840, "moe_intermediate_size": 1408, "moe_layer_freq": 1, "n_group": 1,
             "n_routed_experts": 64, "n_shared_experts": 2, "norm_topk_prob": False, "num_attention_heads": 16,
             "num_experts_per_tok": 6, "num_hidden_layers": 27, "num_key_value_heads": 16, "q_lora_rank": None,
             "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "rms_norm_eps": 1e-06,
             "rope_scaling": {"beta_fast": 32, "beta_slow": 1, "factor": 40, "mscale": 0.707, "mscale_all_dim": 0.707,
                              "original_max_position_embeddings": 4096, "type": "yarn"},
             "rope_theta": 10000, "routed_scaling_factor": 1.0, "scoring_func": "softmax", "seq_aux": True,
             "tie_word_embeddings": False, "topk_group": 1, "topk_method": "greedy", "v_head_dim": 128,
             "vocab_size": 102400}


def _write(tmp_path: Path, name: str, cfg: dict[str, Any]) -> Path:
    (tmp_path / name).mkdir()
    p = tmp_path / name / "config.json"
    p.write_text(json.dumps(cfg), encoding="utf-8")
    return p


def _notes(capsys: pytest.CaptureFixture[str], argv: list[str]) -> list[str]:
    code, out, err = run_main([*argv, "--json"], capsys)
    assert code == 0, err
    return list(json.loads(out)["notes"])


def _read(notes: list[str]) -> tuple[str, str]:
    """(the count line, the architecture line) among `notes`."""
    count = [n for n in notes if " as read from its config: " in n and "'s architecture" not in n]
    shape = [n for n in notes if "'s architecture as read from its config: " in n]
    assert len(count) == 1 and len(shape) == 1, notes
    return count[0], shape[0]


@pytest.mark.parametrize("cfg", [GEMMA2_9B, DSV2_LITE], ids=["gemma2-9b", "deepseek-v2-lite"])
def test_plan_explain_and_serve_print_the_same_count(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     cfg: dict[str, Any]) -> None:
    p = _write(tmp_path, "m", cfg)
    n = load_hf_config(p).params_total()
    plan = _notes(capsys, ["plan", "--model", str(p), "--devices", "8", "--top", "1", "--seq-len", "4096"])
    explain = _notes(capsys, ["plan", "explain", "--model", str(p), "--hardware", "h100-sxm", "--devices", "8",
                              "--seq-len", "4096", "--zero", "3"])
    serve = _notes(capsys, ["plan", "serve", "--model", str(p), "--hardware", "h100-sxm", "--batch", "1"])
    for notes in (plan, explain, serve):
        count = _read(notes)[0]
        assert f"m as read from its config: {fmt_count(n)} parameters" in count
    assert _read(plan)[1] == _read(explain)[1] == _read(serve)[1]


def test_gemma2_architecture_line_names_its_window_head_dim_and_norms(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    p = _write(tmp_path, "gemma-2-9b", GEMMA2_9B)
    # 9,241,705,984: the checkpoint's count (google/gemma-2-9b on the Hugging Face Hub, 9.24B params; transformers
    # 4.57.1 counts the same from this config: tests/test_workload_architectures.py HF_PARAMS)
    assert load_hf_config(p).params_total() == 9_241_705_984
    _, shape = _read(_notes(capsys, ["plan", "explain", "--model", str(p), "--hardware", "h100-sxm", "--devices",
                                     "8", "--seq-len", "4096"]))
    # Gemma 2: 16 query heads of head_dim 256 on hidden 3584 (not 3584 / 16 = 224), 8 K/V heads; local (4096-key
    # window) and global attention alternate, so 21 of its 42 layers are windowed (Gemma Team 2024, "Gemma 2",
    # Table 1 and sec. 2); pre- and post-norms around both sublayers: 4 norms per layer; tied embeddings
    for words in ("42 layers, hidden 3,584", "16 heads x 256, 8 K/V heads (grouped-query)",
                  "a sliding window of 4,096 keys on 21 of 42 layers", "MLP 14,336 wide (gated, 3 matrices)",
                  "4 norms per layer", "vocab 256,000, output layer tied to the input embedding"):
        assert words in shape, shape


def test_deepseek_v2_lite_architecture_line_names_mla_and_its_experts(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    p = _write(tmp_path, "DeepSeek-V2-Lite", DSV2_LITE)
    m = load_hf_config(p)
    # DeepSeek-AI 2024, "DeepSeek-V2" (arXiv 2405.04434), Appendix B.1: DeepSeek-V2-Lite has 15.7B total parameters,
    # 2.4B activated per token (the count less its input embedding, 102,400 x 2,048); 0.1B rounding
    assert m.params_total() == pytest.approx(15.7e9, abs=0.05e9)
    assert m.params_active() - m.vocab * m.hidden == pytest.approx(2.4e9, abs=0.1e9)
    _, shape = _read(_notes(capsys, ["plan", "serve", "--model", str(p), "--hardware", "h100-sxm", "--batch", "1"]))
    # same appendix: 27 layers, MLA with d_c 512 and no query compression, heads of 128 + 64 rotary; every layer but
    # the first MoE, 2 shared + 64 routed experts of 1,408, 6 routed per token
    for words in ("27 layers, hidden 2,048", "multi-head latent attention, 16 heads (q/k 128 + rotary 64, v 128)",
                  "kv_lora_rank 512, q_lora_rank none", "26 MoE layers of 64 experts x 1,408", "top 6 + 2 shared",
                  "1 dense layer x 10,944", "untied output layer"):
        assert words in shape, shape


def test_a_preset_prints_no_read_lines(capsys: pytest.CaptureFixture[str]) -> None:
    # a preset's count is tested against its published one (workload/presets.py PUBLISHED_PARAMS): nothing to check
    notes = _notes(capsys, ["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--batch", "1"])
    assert not any("as read from its config" in n for n in notes), notes
