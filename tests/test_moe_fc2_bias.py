"""Biased routed experts on Megatron-Core's TEGroupedMLP add fc2's bias unfused (gptoss3's side commit, adopted by
fc2bias, 2026-12-05).

megatron/core/transformer/moe/experts.py at svcnemo-autobot/Megatron-LM@37b95c51a9883f8b852ed586160f06345ad7d946
(a Megatron-LM mirror): linear_fc2 is built with skip_bias_add True and forward ends with
self._apply_bias(output, output_bias, tokens_per_expert, permuted_probs), an eager loop over the local experts
(t + b * p, torch.cat): compute.moe_fc2_bias_s. GPT-OSS's experts carry biases (Megatron-Bridge GPTOSSProvider
add_bias_linear True); the runs file's moe_expert_bias cell says so on its GPT-OSS rows, and a Hugging Face config.json
by its model_type gpt_oss (transformers GptOssExperts: gate_up_proj_bias and down_proj_bias, modeling_gpt_oss.py at
huggingface/transformers@6edf5b311854175ff83c59179b3360beca1ceffc), so `validate --row`'s config.json carries it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from accelopt.predict import compute as C
from accelopt.predict import training
from accelopt.predict.query import predict_layout
from accelopt.predict.run_command import row_commands, row_config
from accelopt.predict.training import _device
from accelopt.predict.validation import read_runs, reproduce, run_model, run_query
from accelopt.workload.presets import load_hf_config

ROWS = {r["id"]: r for r in read_runs()}


def test_bytes_and_kernels_per_routed_element() -> None:
    res = predict_layout(run_query(ROWS["mb2604-h100-gptoss-120b"]))
    mdl, dev = res.setup.model, _device(res.spec, "bf16", res.cal, "delayed")
    a = np.asarray
    elems = 4096.0 * 4 * 2880  # T x top 4 x h, etp = tp = 1
    fwd, bwd = C.moe_fc2_bias_s(mdl, a(4096.0), a(1.0), a(1.0), a(8.0), dev)
    assert float(fwd) == float(C.memory_ops_s(12.0 * elems, dev, 2 * 16 + 1.0))
    assert float(bwd) == float(C.memory_ops_s(16.0 * elems, dev, 4 * 16 + 1.0))
    f32, b32 = C.moe_fc2_bias_s(mdl, a(4096.0), a(1.0), a(1.0), a(8.0), dev, fp32_probs=True)
    assert float(f32) == float(C.memory_ops_s(28.0 * elems, dev, 2 * 16 + 2.0))
    assert float(b32) == float(C.memory_ops_s(40.0 * elems, dev, 5 * 16 + 2.0))


def test_every_megatron_gptoss_row_pays_and_no_other_row(monkeypatch: pytest.MonkeyPatch) -> None:
    gptoss = [rid for rid in ROWS if "-gptoss-" in rid]
    assert all(ROWS[rid]["moe_expert_bias"] == "1" for rid in gptoss) and len(gptoss) == 28
    with_fc2 = {rid: reproduce(ROWS[rid]).predicted_step_s for rid in gptoss}
    # the charge itself taken away (utleft, 2026-12-06: a blank moe_expert_bias now also drops GPT-OSS's q, k, v and o
    # biases, validation.run_model's attn_bias, so that row moved the AutoModel rows' parameter count as well)
    monkeypatch.setattr(training, "moe_fc2_bias_s", lambda mdl, T, *_: (np.zeros_like(T), np.zeros_like(T)))
    for rid in gptoss:
        without = reproduce(ROWS[rid]).predicted_step_s
        with_ = with_fc2[rid]
        if rid.startswith("am-"):  # NeMo AutoModel: its own experts, not TEGroupedMLP
            assert with_ == without
        else:
            assert with_ > without
    assert not any((r.get("moe_expert_bias") or "").strip() for rid, r in ROWS.items() if rid not in gptoss)


# openai/gpt-oss-20b's config.json (the keys the reader uses; tests/test_plan_unseen_families.py has the whole file)
GPT_OSS_20B = {
    "architectures": ["GptOssForCausalLM"], "attention_bias": True, "experts_per_token": 4, "head_dim": 64,
    "hidden_act": "silu", "hidden_size": 2880, "intermediate_size": 2880,
    "layer_types": ["sliding_attention", "full_attention"] * 12, "max_position_embeddings": 131072,
    "model_type": "gpt_oss", "num_attention_heads": 64, "num_experts_per_tok": 4, "num_hidden_layers": 24,
    "num_key_value_heads": 8, "num_local_experts": 32, "sliding_window": 128, "tie_word_embeddings": False,
    "vocab_size": 201088}


def test_a_gpt_oss_config_has_biased_experts_and_a_mixtral_one_has_not(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(GPT_OSS_20B), encoding="utf-8")
    assert load_hf_config(path).expert_bias is True
    mixtral = {k: v for k, v in GPT_OSS_20B.items() if k not in ("layer_types", "sliding_window", "experts_per_token")}
    path.write_text(json.dumps(dict(mixtral, model_type="mixtral", architectures=["MixtralForCausalLM"])),
                    encoding="utf-8")
    assert load_hf_config(path).expert_bias is False


def test_a_rows_config_json_says_its_expert_bias(tmp_path: Path) -> None:
    """validate --row writes the row's architecture cells as a config.json and reads it back as `plan explain --model`
    does: a GPT-OSS row's biased experts come back (before, the round trip reported 'expert_bias: row True, config
    False'), and a row without the cell keeps the declared block."""
    row = ROWS["mb2604-h100-gptoss-120b"]
    assert row_config(row)["model_type"] == "gpt_oss" and run_model(row).expert_bias
    [rep] = row_commands(("mb2604-h100-gptoss-120b",), tmp_path)
    assert rep.command.gaps == []
    assert load_hf_config(str(rep.command.config_path)).expert_bias is True
    dense = next(r for r in ROWS.values() if not (r.get("moe_expert_bias") or "").strip()
                 and not (r.get("parallel") or "").strip() and not (r.get("model") or "").strip())
    assert "model_type" not in row_config(dense)
