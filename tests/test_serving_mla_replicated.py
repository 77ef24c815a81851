"""A serving engine holds MLA's down-projections whole on every tensor-parallel rank (vLLM
vllm/model_executor/models/deepseek_v2.py DeepseekV2Attention: q_a_proj and kv_a_proj_with_mqa are ReplicatedLinear,
q_b_proj / kv_b_proj ColumnParallelLinear, o_proj RowParallelLinear; SGLang's deepseek_v2.py the same). `plan serve`
split them by tp with the rest: DeepSeek-V2-Lite at tp 8 printed 3,926,621,056 B of weights per device, exactly its
bf16 weights / 8, 55.8 MB (1.4%) short of what each rank holds, and each rank's per-token GEMMs likewise."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

# deepseek-ai/DeepSeek-V2-Lite config.json: the sizes and MLA keys (q_lora_rank null: no Q down-projection)
LITE = {"model_type": "deepseek_v2", "hidden_size": 2048, "intermediate_size": 10944, "moe_intermediate_size": 1408,
        "num_hidden_layers": 27, "num_attention_heads": 16, "num_key_value_heads": 16, "n_routed_experts": 64,
        "n_shared_experts": 2, "num_experts_per_tok": 6, "first_k_dense_replace": 1, "moe_layer_freq": 1,
        "kv_lora_rank": 512, "q_lora_rank": None, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64,
        "v_head_dim": 128, "vocab_size": 102400, "max_position_embeddings": 163840, "tie_word_embeddings": False,
        "hidden_act": "silu"}


def _weights(capsys: pytest.CaptureFixture[str], p: Path, tp: int) -> float:
    code, out, err = run_main(["plan", "serve", "--model", str(p), "--hardware", "h100-sxm", "--tp", str(tp),
                               "--batch", "1", "--json"], capsys)
    assert code == 0, err
    return float(json.loads(out)["results"][0]["points"][0]["weights_bytes_per_device"])


def test_mla_down_projections_are_whole_on_every_rank(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "config.json"
    p.write_text(json.dumps(LITE))
    whole = _weights(capsys, p, 1)
    assert whole == 2 * 15_706_484_224  # bf16, the parameters as read (model card: 15.7B)
    # W^DKV,W^KR [2048, 512 + 64] and the kv latent norm (512) per layer, held by each of the 8 ranks, 7/8 of it
    # beyond the rank's 1/8 share
    replicated = 27 * (2048 * (512 + 64) + 512) * 2
    assert _weights(capsys, p, 8) == pytest.approx(whole / 8 + replicated * 7 / 8, rel=1e-12)
