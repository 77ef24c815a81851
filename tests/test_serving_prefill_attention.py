"""`plan serve`'s prefill times the attention core it counts: MLA's naive (up-projected) form and the exact causal
sum over sliding windows, not decode's latent-space form or a capped mean context.

Before the fix, a DeepSeek-V2-Lite prompt of 100,000 tokens had a TTFT of 0.56 s on one H100 while its attention
core alone is 1.38e15 FLOPs (1.40 s at the bf16 peak): the prefill split took the absorbed (decode) attention,
3.4x the naive one, off the linear FLOPs, whose term went negative (compute_s -0.53 s), and memory set the time.
"""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from accelopt.cli.main import app
from accelopt.hardware.catalog import get_device
from accelopt.predict import serving as sv
from accelopt.workload.presets import get_model, load_hf_config

# deepseek-ai/DeepSeek-V2-Lite config.json (the sizes the model reads; 15.7B parameters, 2.4B active)
DSV2_LITE = {
    "model_type": "deepseek_v2", "architectures": ["DeepseekV2ForCausalLM"], "hidden_size": 2048,
    "intermediate_size": 10944, "moe_intermediate_size": 1408, "num_hidden_layers": 27, "num_attention_heads": 16,
    "num_key_value_heads": 16, "n_routed_experts": 64, "n_shared_experts": 2, "num_experts_per_tok": 6,
    "first_k_dense_replace": 1, "moe_layer_freq": 1, "kv_lora_rank": 512, "q_lora_rank": None,
    "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128, "vocab_size": 102400,
    "max_position_embeddings": 163840, "tie_word_embeddings": False, "hidden_act": "silu",
    "rope_scaling": {"type": "yarn", "factor": 40, "original_max_position_embeddings": 4096}}


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "DeepSeek-V2-Lite" / "config.json"
    path.parent.mkdir()
    path.write_text(json.dumps(DSV2_LITE))
    return path


def _naive_attention_flops(prompt: int) -> float:
    # per query per key and head: q.k over qk_nope + qk_rope = 192 and p.v over v_head_dim = 128, 2 FLOPs per MAC;
    # 16 heads, 27 layers, causal: P(P+1)/2 query-key pairs (DeepSeek-V2 sec. 2.1.2: the up-projected K and V)
    return 2.0 * 16 * (192 + 128) * 27 * prompt * (prompt + 1) / 2


def test_mla_ttft_is_at_least_its_attention_at_peak(tmp_path: Path) -> None:
    peak = get_device("h100-sxm").peak("bf16")
    assert peak is not None
    out = CliRunner().invoke(app, ["plan", "serve", "--model", str(_config(tmp_path)), "--hardware", "h100-sxm",
                                   "--prompt", "100000", "--output", "2", "--batch", "1", "--json"])
    assert out.exit_code == 0, out.output
    ttft = json.loads(out.stdout)["results"][0]["points"][0]["ttft_s"]
    floor = _naive_attention_flops(100_000) / peak  # 1.40 s: no kernel beats the peak
    assert ttft >= floor, (ttft, floor)


def test_mla_prefill_compute_term_holds_its_naive_attention(tmp_path: Path) -> None:
    m = load_hf_config(_config(tmp_path))
    spec = get_device("h100-sxm")
    s = sv._setup(m, spec, 1, 1, "bf16", "bf16", sv.calibration_for_spec(spec))
    for prompt in (2048, 32768, 100_000):
        attn_s = _naive_attention_flops(prompt) / (s.attention_peak_flop_per_s * s.cal.attention_compute_efficiency)
        compute_s = sv._prefill_time(s, 1, prompt).compute_s
        # the linear GEMMs add time on top of the attention core; before: -0.53 s at 100,000 tokens
        assert compute_s > attn_s > 0, (prompt, compute_s, attn_s)


def test_windowed_prefill_counts_the_exact_causal_keys() -> None:
    # Mistral 7B v0.1: 32 layers, 32 heads of 128, every layer a 4096-key window (Jiang et al. 2023 sec. 2).
    # A 16384-token prompt: position i attends to min(i, w) keys, sum = w(w+1)/2 + (P - w) w, not P x min((P+1)/2, w).
    m = get_model("mistral-7b")
    assert m.sliding_window == 4096 and m.windowed_layers == m.layers
    spec = get_device("h100-sxm")
    s = sv._setup(m, spec, 1, 1, "bf16", "bf16", sv.calibration_for_spec(spec))
    p, w = 16384, 4096
    attn = 4.0 * 32 * 4096 * (w * (w + 1) / 2 + (p - w) * w)
    linear = sv.prefill_flops(m, 1, p) - attn
    want = (linear / (s.peak_flop_per_s * s.cal.prefill_compute_efficiency)
            + attn / (s.attention_peak_flop_per_s * s.cal.attention_compute_efficiency))
    got = sv._prefill_time(s, 1, p).compute_s
    assert abs(got - want) <= 1e-9 * want, (got, want)
