"""Qwen2-family attention biases (issue 10, s31 rqkv).

Qwen2's attention puts biases on q, k and v and none on the out-projection (transformers Qwen2Attention:
q_proj / k_proj / v_proj bias=True, o_proj bias=False; models/qwen2/modeling_qwen2.py @63bb723); Qwen2-VL and
Qwen2.5-VL's text attention the same; Qwen2-MoE by its config's qkv_bias (Qwen2MoeConfig default True, @008e574);
Qwen3 has none (Qwen3Config attention_bias default False, @008e574). The qwen2.5-0.5b preset quoted its card's
'Attention QKV bias' but was built without them, and a Qwen2 config.json lost them: 24 x (896 + 2 x 128) = 27,648
parameters of Qwen2.5-0.5B. Counts below are by hand from the config's sizes; the card's figures (0.49B, 0.36B
non-embedding) are rounded to 0.01B, so they are met within 0.005B.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import write_hf_config

from accelopt.errors import InputError
from accelopt.predict.serving_validation import read_serving_runs, reproduce
from accelopt.workload import presets
from accelopt.workload.presets import get_model, load_hf_config

# Qwen/Qwen2.5-0.5B-Instruct config.json, the keys that give its shape (as the preset's source quotes them)
QWEN25_05B: dict[str, Any] = {
    "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_act": "silu", "hidden_size": 896,
    "intermediate_size": 4864, "max_position_embeddings": 32768, "max_window_layers": 21, "num_attention_heads": 14,
    "num_hidden_layers": 24, "num_key_value_heads": 2, "rope_theta": 1000000.0, "sliding_window": 32768,
    "tie_word_embeddings": True, "use_sliding_window": False, "vocab_size": 151936}
# Qwen/Qwen3-8B config.json (the preset qwen3-8b's source): no attention_bias key, the class's False
QWEN3_8B: dict[str, Any] = {
    "architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "hidden_act": "silu", "hidden_size": 4096,
    "head_dim": 128, "intermediate_size": 12288, "max_position_embeddings": 40960, "num_attention_heads": 32,
    "num_hidden_layers": 36, "num_key_value_heads": 8, "tie_word_embeddings": False, "vocab_size": 151936}
# Qwen/Qwen1.5-MoE-A2.7B config.json (qwen2_moe; no qkv_bias key: the class's True)
QWEN15_MOE: dict[str, Any] = {
    "model_type": "qwen2_moe", "decoder_sparse_step": 1, "hidden_act": "silu", "hidden_size": 2048,
    "intermediate_size": 5632, "max_position_embeddings": 8192, "moe_intermediate_size": 1408,
    "num_attention_heads": 16, "num_experts": 60, "num_experts_per_tok": 4, "num_hidden_layers": 24,
    "num_key_value_heads": 16, "shared_expert_intermediate_size": 5632, "tie_word_embeddings": False,
    "use_sliding_window": False, "vocab_size": 151936}

BIAS_PER_LAYER = 896 + 2 * 2 * 64  # q outputs (14 x 64) + k and v outputs (2 KV heads x 64 each)
# by hand, per layer: q, o 896 x 896; k, v 896 x 128; gate, up, down 896 x 4864; two RMSNorms of 896
LAYER = 2 * 896 * 896 + 2 * 896 * 128 + 3 * 896 * 4864 + 2 * 896 + BIAS_PER_LAYER
NON_EMBEDDING = 24 * LAYER + 896  # + the final norm
TOTAL = NON_EMBEDDING + 151936 * 896  # tied: one 151,936 x 896 table


def test_qwen2_config_gets_qkv_biases(tmp_path: Path) -> None:
    m = load_hf_config(write_hf_config(tmp_path, "m", QWEN25_05B))
    assert m.qkv_bias and not m.biases and m.attn_bias_params() == BIAS_PER_LAYER == 1152
    assert m.params_total() == TOTAL == 494_032_768  # the hand count above (357,898,112 non-embedding)
    assert m.params_total() - m.vocab * m.hidden == NON_EMBEDDING == 357_898_112
    assert m.params_total() - replace(m, qkv_bias=False).params_total() == 27648
    assert "qkv_bias" not in " ".join(m.unused_keys)


def test_preset_counts_them_and_meets_the_card() -> None:
    m = get_model("qwen2.5-0.5b")
    assert m.qkv_bias and m.params_total() == TOTAL
    # Qwen/Qwen2.5-0.5B-Instruct model card: 0.49B parameters, 0.36B non-embedding (0.01B rounding)
    assert abs(m.params_total() - 0.49e9) <= 0.005e9
    assert abs(m.params_total() - m.vocab * m.hidden - 0.36e9) <= 0.005e9
    assert presets.PUBLISHED_PARAMS["qwen2.5-0.5b"][0] == 0.49e9


def test_qwen3_config_gets_none(tmp_path: Path) -> None:
    m = load_hf_config(write_hf_config(tmp_path, "m", QWEN3_8B))
    assert not m.qkv_bias and m.attn_bias_params() == 0
    assert m.params_total() == get_model("qwen3-8b").params_total()


@pytest.mark.parametrize(("given", "expected"), [({}, True), ({"qkv_bias": True}, True), ({"qkv_bias": False}, False)])
def test_qwen2_moe_reads_its_qkv_bias_key(tmp_path: Path, given: dict[str, Any], expected: bool) -> None:
    m = load_hf_config(write_hf_config(tmp_path, "m", {**QWEN15_MOE, **given}))
    assert m.qkv_bias is expected and "qkv_bias" not in m.unused_keys
    assert m.attn_bias_params() == (24 * 0 + 3 * 2048 if expected else 0)  # 16 heads x 128, MHA: q, k, v of 2048


def test_qwen2_moe_qkv_bias_as_text_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"qkv_bias = 'false' is not true or false"):
        load_hf_config(write_hf_config(tmp_path, "m", {**QWEN15_MOE, "qkv_bias": "false"}))


def test_another_familys_qkv_bias_key_is_listed_not_read(tmp_path: Path) -> None:
    llama = {**{k: v for k, v in QWEN3_8B.items() if k != "architectures"}, "model_type": "llama", "qkv_bias": True}
    m = load_hf_config(write_hf_config(tmp_path, "m", llama))
    assert not m.qkv_bias and "qkv_bias" in m.unused_keys


def test_qwen2_vl_text_models_get_them(tmp_path: Path) -> None:
    text = {k: v for k, v in QWEN25_05B.items() if k != "architectures"}
    flat = load_hf_config(write_hf_config(tmp_path, "flat", {**text, "model_type": "qwen2_vl"}))
    nested = load_hf_config(write_hf_config(tmp_path, "nested", {"model_type": "qwen2_5_vl", "text_config": {
        **text, "model_type": "qwen2_5_vl_text"}, "vision_config": {"depth": 32, "hidden_size": 1280}}))
    assert flat.qkv_bias and nested.qkv_bias
    assert flat.attn_bias_params() == nested.attn_bias_params() == BIAS_PER_LAYER


def _l4_row(run_id: str) -> dict[str, str]:
    rows, _ = read_serving_runs()
    return next(r for r in rows if r["id"] == f"wmx-l4-q25-05b-256-128-{run_id}")


def _cycle_ms() -> float:
    """The C 32 request cycle the row's note quotes: the model's TTFT + 127 decode steps."""
    _, sources = read_serving_runs()
    ttft, itl = (reproduce(_l4_row(f"c32-{m}"), sources).predicted for m in ("ttft", "itl"))
    assert ttft is not None and itl is not None
    return ttft + 127 * itl


def test_the_l4_note_figures_this_moved(monkeypatch: pytest.MonkeyPatch) -> None:
    """The one L4 note figure the biases move at its printed precision (the C 32 cycle, 765 -> 766 ms), and the rl4
    record's whole-batch TTFT (82.13 -> 82.14 ms): both quoted with their old value, recomputed here."""
    now_ms = _cycle_ms()
    _, sources = read_serving_runs()
    ttft_now = reproduce(_l4_row("c32-ttft"), sources).predicted
    monkeypatch.setitem(presets._PRESETS, "qwen2.5-0.5b", replace(get_model("qwen2.5-0.5b"), qkv_bias=False))
    before_ms = _cycle_ms()
    ttft_before = reproduce(_l4_row("c32-ttft"), sources).predicted
    assert ttft_now is not None and ttft_before is not None
    assert (f"{before_ms:.0f}", f"{now_ms:.0f}", f"{before_ms:.2f}", f"{now_ms:.2f}") == ("765", "766", "765.50",
                                                                                           "765.54")
    note = _l4_row("c32-tput")["note"]
    assert f"is {now_ms:.0f} ms against the published" in note
    assert f"the cycle was {before_ms:.0f} ms ({before_ms:.2f}) before" in note and f"; {now_ms:.2f} now]" in note
    assert (f"{ttft_before:.2f}", f"{ttft_now:.2f}") == ("82.13", "82.14")
    runs = (Path(__file__).resolve().parent.parent / "src/accelopt/predict/data/published_serving_runs.csv").read_text(
        encoding="utf-8")
    record = " ".join(line.lstrip("#").strip() for line in runs.splitlines() if line.startswith("#"))
    assert (f"({ttft_now:.2f} ms at C 32 either way: its chunks are compute-bound; {ttft_before:.2f} before rqkv, "
            "2026-12-05, counted the preset's q/k/v biases)") in record
