"""User trial utplan: `plan` / `plan explain` / `plan serve` on hand-written Hugging Face configs of architectures the
authors had not run (values copied from each model's published config.json), and bad inputs. Parameter counts are
checked against the published counts within 1% (the tolerance fixed before the counts were computed); the bad-input
cases failed before their fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main, write_hf_config

PHI3_MINI = {  # microsoft/Phi-3-mini-4k-instruct config.json
    "model_type": "phi3", "hidden_act": "silu", "hidden_size": 3072, "intermediate_size": 8192,
    "max_position_embeddings": 4096, "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 32,
    "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "sliding_window": 2047, "tie_word_embeddings": False,
    "vocab_size": 32064}
GEMMA2_9B = {  # google/gemma-2-9b config.json
    "model_type": "gemma2", "attn_logit_softcapping": 50.0, "final_logit_softcapping": 30.0, "head_dim": 256,
    "hidden_activation": "gelu_pytorch_tanh", "hidden_size": 3584, "intermediate_size": 14336,
    "max_position_embeddings": 8192, "num_attention_heads": 16, "num_hidden_layers": 42, "num_key_value_heads": 8,
    "query_pre_attn_scalar": 256, "rms_norm_eps": 1e-06, "rope_theta": 10000.0, "sliding_window": 4096,
    "vocab_size": 256000}
MIXTRAL_8X7B = {  # mistralai/Mixtral-8x7B-v0.1 config.json
    "model_type": "mixtral", "hidden_act": "silu", "hidden_size": 4096, "intermediate_size": 14336,
    "max_position_embeddings": 32768, "num_attention_heads": 32, "num_experts_per_tok": 2, "num_hidden_layers": 32,
    "num_key_value_heads": 8, "num_local_experts": 8, "rms_norm_eps": 1e-05, "rope_theta": 1e6,
    "router_aux_loss_coef": 0.02, "sliding_window": None, "tie_word_embeddings": False, "vocab_size": 32000}
DEEPSEEK_V2_LITE = {  # deepseek-ai/DeepSeek-V2-Lite config.json (MLA without a query down-projection, MoE)
    "model_type": "deepseek_v2", "first_k_dense_replace": 1, "hidden_act": "silu", "hidden_size": 2048,
    "intermediate_size": 10944, "kv_lora_rank": 512, "max_position_embeddings": 163840, "moe_intermediate_size": 1408,
    "moe_layer_freq": 1, "n_routed_experts": 64, "n_shared_experts": 2, "num_attention_heads": 16,
    "num_experts_per_tok": 6, "num_hidden_layers": 27, "num_key_value_heads": 16, "q_lora_rank": None,
    "qk_nope_head_dim": 128, "qk_rope_head_dim": 64, "v_head_dim": 128, "tie_word_embeddings": False,
    "topk_method": "greedy", "vocab_size": 102400}
QWEN15_MOE_A27B = {  # Qwen/Qwen1.5-MoE-A2.7B config.json (qwen2_moe: shared expert)
    "model_type": "qwen2_moe", "decoder_sparse_step": 1, "hidden_act": "silu", "hidden_size": 2048,
    "intermediate_size": 5632, "max_position_embeddings": 8192, "max_window_layers": 21, "moe_intermediate_size": 1408,
    "num_attention_heads": 16, "num_experts": 60, "num_experts_per_tok": 4, "num_hidden_layers": 24,
    "num_key_value_heads": 16, "shared_expert_intermediate_size": 5632, "sliding_window": 32768,
    "tie_word_embeddings": False, "use_sliding_window": False, "vocab_size": 151936}
FALCON_7B = {  # tiiuae/falcon-7b config.json (parallel attention + MLP, multi-query)
    "model_type": "falcon", "alibi": False, "bias": False, "hidden_size": 4544, "multi_query": True,
    "new_decoder_architecture": False, "num_attention_heads": 71, "num_hidden_layers": 32, "parallel_attn": True,
    "vocab_size": 65024}
LLAMA32_1B = {  # meta-llama/Llama-3.2-1B config.json (tied embeddings)
    "model_type": "llama", "head_dim": 64, "hidden_act": "silu", "hidden_size": 2048, "intermediate_size": 8192,
    "max_position_embeddings": 131072, "num_attention_heads": 32, "num_hidden_layers": 16, "num_key_value_heads": 8,
    "rope_theta": 500000.0, "tie_word_embeddings": True, "vocab_size": 128256}

# (config, published total, published active or None, source). 1% tolerance, fixed before the counts were computed.
PUBLISHED = {
    "phi3-mini": (PHI3_MINI, 3.8e9, None, "Phi-3 technical report (arXiv 2404.14219) abstract: '3.8 billion'"),
    "gemma2-9b": (GEMMA2_9B, 9_241_705_984, None, "Gemma 2 report (arXiv 2408.00118) Table 2: 8,324,201,984 "
                  "non-embedding + 917,504,000 embedding parameters"),
    "mixtral-8x7b": (MIXTRAL_8X7B, 46.7e9, 12.9e9, "Mixtral of Experts (arXiv 2401.04088) sec. 2: '47B "
                     "parameters' / '13B active'; Mistral AI's release post: 46.7B total, 12.9B per token"),
    "deepseek-v2-lite": (DEEPSEEK_V2_LITE, 15.7e9, None, "DeepSeek-V2 README: DeepSeek-V2-Lite 15.7B total"),
    "qwen1.5-moe-a2.7b": (QWEN15_MOE_A27B, 14.3e9, 2.7e9, "Qwen1.5-MoE-A2.7B model card: 14.3B parameters, "
                          "2.7B activated"),
    "falcon-7b": (FALCON_7B, 6_921_720_704, None, "hand count of tiiuae/falcon-7b's modules (LayerNorms with bias)"),
    "llama3.2-1b": (LLAMA32_1B, 1.23e9, None, "Llama 3.2 model card: 1.23B parameters"),
}



@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_parameter_counts_match_the_published_ones(name: str, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Total (and, where the card gives it, active) parameters within 1% of the published count, and no key of the
    config dropped without a word. DeepSeek-V2-Lite's '2.4B activated' is not asserted: the model counts the
    embedding table in the active parameters (2.66B; 2.45B without it), DeepSeek's card does not."""
    cfg, total, active, _ = PUBLISHED[name]
    path = write_hf_config(tmp_path, name, cfg)
    code, out, err = run_main(["plan", "--model", str(path), "--hardware", "h100-sxm", "--devices", "64", "--top",
                               "1", "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    figures = data["model_figures"]
    assert figures["params_total"] == pytest.approx(total, rel=0.01), figures
    if active is not None:
        assert figures["params_active"] == pytest.approx(active, rel=0.01), figures
    assert data["unused_config_keys"] == [], data["unused_config_keys"]


def test_a_layout_that_does_not_fit_exits_2_in_plan_explain_and_plan_serve(tmp_path: Path,
                                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """Mixtral 8x7B (46.7B parameters, 87 GiB of bf16 weights) on one H100: neither trains (ZeRO 1, 8 devices) nor
    serves (tp 1); both exit 2 naming what does not fit and the fix."""
    path = write_hf_config(tmp_path, "mixtral", MIXTRAL_8X7B)
    code, _, err = run_main(["plan", "explain", "--model", str(path), "--hardware", "h100-sxm", "--devices", "8"],
                            capsys)
    assert code == 2 and "does not fit" in err and "fix:" in err, err
    code, _, err = run_main(["plan", "serve", "--model", str(path), "--hardware", "h100-sxm", "--tp", "1"], capsys)
    assert code == 2 and "87.0 GiB" in err and "fix:" in err, err


CAL_FAMILY = '[family.mine]\nmatch = ["h100*"]\nmatmul_eff_max = 0.6\n'


@pytest.mark.parametrize("text, key", [
    ("gemm_eff = 0.5\n" + CAL_FAMILY, "'gemm_eff'"),  # a value above the first table: TOML's top level
    (CAL_FAMILY.replace("[family.", "[famly."), "'famly'"),  # a misspelt table: its family was never read
])
def test_a_calibration_key_outside_its_tables_is_refused(text: str, key: str, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """A --calibration file's key outside [family.*] / [serving.*] was read by neither predictor and dropped without
    a word (exit 0 on the bundled values). It now exits 2 in plan, plan explain and plan serve naming the key."""
    cal = tmp_path / "cal.toml"
    cal.write_text(text, encoding="utf-8")
    path = write_hf_config(tmp_path, "llama", LLAMA32_1B)
    for argv in (["plan", "explain", "--devices", "8"], ["plan", "--devices", "8"], ["plan", "serve"]):
        code, _, err = run_main([*argv, "--model", str(path), "--hardware", "h100-sxm", "--calibration", str(cal)],
                                capsys)
        assert code == 2, (argv, err)
        assert key in err and "outside its family and serving tables" in err, (argv, err)
    if "famly" in text:
        assert "did you mean 'family'" in err, err


def test_zero_experts_with_a_top_k_names_the_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """num_local_experts = 0 with num_experts_per_tok = 2 said '... with one expert', a count the user never wrote."""
    path = write_hf_config(tmp_path, "mixtral", {**MIXTRAL_8X7B, "num_local_experts": 0})
    code, _, err = run_main(["plan", "explain", "--model", str(path), "--hardware", "h100-sxm", "--devices", "8"],
                            capsys)
    assert code == 2 and "num_local_experts = 0" in err, err


def test_a_config_newer_than_transformers_says_upgrade(tmp_path: Path) -> None:
    """`plan infer` on Llama 3.2 1B's published config.json (rope_scaling of rope_type llama3, written by transformers
    4.45.0.dev0) under an older transformers (4.31 refuses it: 'must be a dictionary with two fields') said 'fix
    that field of config.json', sending the user to edit a correct file. The fix now says to upgrade transformers,
    naming both versions."""
    tf = pytest.importorskip("transformers")
    from packaging.version import Version

    from accelopt.errors import InputError
    from accelopt.workload.hf import build_from_hf_config

    if Version(tf.__version__) >= Version("4.43"):
        pytest.skip("this transformers reads rope_type llama3 (4.43 on)")
    rope = {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0, "original_max_position_embeddings": 8192,
            "rope_type": "llama3"}
    path = write_hf_config(tmp_path, "llama",
                           {**LLAMA32_1B, "rope_scaling": rope, "transformers_version": "4.45.0.dev0"})
    with pytest.raises(InputError) as e:
        build_from_hf_config(str(path), meta=True)
    assert "upgrade transformers" in e.value.fix and "4.45.0.dev0" in e.value.fix, e.value.fix
    assert tf.__version__ in e.value.fix, e.value.fix


def test_newer_version() -> None:
    from accelopt.workload.hf import _newer_version

    assert _newer_version("4.45.0.dev0", "4.31.0") and not _newer_version("4.31.0", "4.45.0.dev0")
    assert not _newer_version("not a version", "4.31.0") and not _newer_version(None, "4.31.0")


@pytest.mark.parametrize("groups, top, listed", [(8, 3, True), (1, 1, False), (8, 8, False)])
def test_group_limited_routing_is_listed_as_not_modelled(groups: int, top: int, listed: bool, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    """DeepSeek-V2's device-limited routing (n_group 8, topk_group 3: a token's experts on at most 3 of 8 groups;
    DeepSeek-V2 report sec. 2.2.2) bounds the expert dispatch, which the predictors time as if every group could be
    chosen. The keys were in the irrelevant list, dropped without a word; a binding limit is now warned and listed
    in `unused_config_keys`. V2-Lite's n_group 1 limits nothing and stays quiet."""
    path = write_hf_config(tmp_path, "dsv2", {**DEEPSEEK_V2_LITE, "n_group": groups, "topk_group": top})
    code, out, err = run_main(["plan", "--model", str(path), "--hardware", "h100-sxm", "--devices", "64", "--top", "1",
                               "--json"], capsys)
    assert code == 0, err
    unused = json.loads(out)["unused_config_keys"]
    assert (unused == ["n_group", "topk_group"]) is listed, unused
    assert ("n_group" in err) is listed, err
