"""`plan` / `plan infer` on hand-written configs of three architectures not tried before: StableLM 2, MiniCPM and
InternLM2. Tolerance, fixed before the counts were computed: the total parameters within 1% of the published or
hand-counted total; every config key is read or listed in unused_config_keys (warned), and no type is read under the
'has no rule in this reader' note.

What broke (each asserted below): MiniCPM's config.json gives no tie_word_embeddings and its MiniCPMConfig ties them,
so the 282,822,912-weight table was counted twice (3,007,703,808 for 2,724,880,896, +10.4%) and its muP scalars
(scale_emb, scale_depth, dim_model_base) were warned as not modelled; StableLM's LayerNorm biases and use_qkv_bias
were not counted (warned) and it, MiniCPM and InternLM2 carried the unknown-type note.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main, write_hf_config

# stabilityai/stablelm-2-1_6b config.json
STABLELM2_1_6B: dict[str, Any] = {
    "architectures": ["StableLmForCausalLM"], "bos_token_id": 100257, "eos_token_id": 100257, "hidden_act": "silu",
    "hidden_dropout": 0.0, "hidden_size": 2048, "initializer_range": 0.02, "intermediate_size": 5632,
    "layer_norm_eps": 1e-05, "max_position_embeddings": 4096, "model_type": "stablelm", "num_attention_heads": 32,
    "num_hidden_layers": 24, "num_key_value_heads": 32, "partial_rotary_factor": 0.25, "qk_layernorm": False,
    "rope_scaling": None, "rope_theta": 10000, "tie_word_embeddings": False, "torch_dtype": "bfloat16",
    "transformers_version": "4.38.0", "use_cache": True, "use_parallel_residual": False, "use_qkv_bias": True,
    "vocab_size": 100352, "attention_dropout": 0.0}
# openbmb/MiniCPM-2B-sft-bf16 config.json (auto_map left out; model_type as its remote code registers it)
MINICPM_2B: dict[str, Any] = {
    "architectures": ["MiniCPMForCausalLM"], "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu",
    "hidden_size": 2304, "initializer_range": 0.1, "intermediate_size": 5760, "max_position_embeddings": 4096,
    "num_attention_heads": 36, "num_hidden_layers": 40, "num_key_value_heads": 36, "rms_norm_eps": 1e-05,
    "rope_scaling": None, "torch_dtype": "bfloat16", "transformers_version": "4.36.0", "use_cache": True,
    "vocab_size": 122753, "scale_emb": 12, "dim_model_base": 256, "scale_depth": 1.4, "model_type": "minicpm"}
# internlm/internlm2-7b config.json (auto_map left out)
INTERNLM2_7B: dict[str, Any] = {
    "architectures": ["InternLM2ForCausalLM"], "attn_implementation": "eager", "bias": False, "bos_token_id": 1,
    "eos_token_id": 2, "hidden_act": "silu", "hidden_size": 4096, "initializer_range": 0.02,
    "intermediate_size": 14336, "max_position_embeddings": 32768, "model_type": "internlm2",
    "num_attention_heads": 32, "num_hidden_layers": 32, "num_key_value_heads": 8, "pad_token_id": 2,
    "rms_norm_eps": 1e-05, "rope_scaling": {"factor": 1.0, "type": "dynamic"}, "rope_theta": 1000000,
    "tie_word_embeddings": False, "torch_dtype": "bfloat16", "transformers_version": "4.33.2", "use_cache": True,
    "vocab_size": 92544}

# name -> (config, reference total, source, keys warned as not modelled)
REFERENCE = {
    # model card, 'Model Architecture': Parameters 1,644,417,024. The architecture (transformers
    # models/stablelm/modeling_stablelm.py @00dcc6d: q/k/v with bias, o_proj without, gated MLP, two nn.LayerNorm per
    # block and a final one, untied head) gives 1,644,515,328 (+0.006%): 2 x 100352 x 2048 embeddings + 24 x
    # (4 x 2048^2 + 3 x 2048 qkv biases + 3 x 2048 x 5632 + 2 x 2 x 2048) + 2 x 2048.
    "stablelm-2-1_6b": (STABLELM2_1_6B, 1_644_417_024, "stabilityai/stablelm-2-1_6b model card", []),
    # MiniCPM report (arXiv 2404.06395) Table 4: MiniCPM-2.4B N = 2,442,057,984 non-embedding parameters; plus one
    # tied 122,753 x 2304 table (MiniCPMConfig tie_word_embeddings True; the MiniCPM-2B-128k card: 'removed
    # tie_embedding' for that variant only) = 2,724,880,896.
    "minicpm-2b": (MINICPM_2B, 2_442_057_984 + 122_753 * 2304, "MiniCPM report Table 4 + the tied embedding", []),
    # No published exact count found (the card says 7B): the architecture, internlm/internlm2-7b modeling_internlm2.py
    # (wqkv for 32 q + 2 x 8 kv heads of 128, wo, w1 / w3 / w2 of 14336, two RMSNorms, tok_embeddings and an untied
    # output): 2 x 92544 x 4096 + 32 x (2 x 4096^2 + 2 x 4096 x 1024 + 3 x 4096 x 14336 + 2 x 4096) + 4096.
    "internlm2-7b": (INTERNLM2_7B, 7_737_708_544, "hand count of modeling_internlm2.py", ["attn_implementation"]),
}



@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_plan_counts_and_keys(name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg, total, _, warned = REFERENCE[name]
    path = write_hf_config(tmp_path, name, cfg)
    code, out, err = run_main(["plan", "--model", str(path), "--hardware", "h100-sxm", "--devices", "8", "--top", "1",
                               "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["model_figures"]["params_total"] == pytest.approx(total, rel=0.01), data["model_figures"]
    assert data["unused_config_keys"] == warned, data["unused_config_keys"]
    assert not [n for n in data["notes"] if "has no rule in this reader" in n], data["notes"]


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_plan_infer_refuses_cleanly_where_transformers_lacks_the_type(name: str, tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """`plan infer` builds a config on the meta device with the installed transformers; one that does not know the
    type (4.31.0 knows none of the three: stablelm came in 4.38, MiniCPM and InternLM2 load as remote code) exits 2
    naming the type and the version, never a traceback. With a transformers that knows it the build runs."""
    tf = pytest.importorskip("transformers")
    cfg, *_ = REFERENCE[name]
    path = write_hf_config(tmp_path, name, cfg)
    code, _, err = run_main(["plan", "infer", str(path), "--hardware", "h100-sxm", "--json"], capsys)
    if code == 0:
        return
    assert code == 2, err
    assert f"model_type {cfg['model_type']!r}" in err and tf.__version__ in err, err


def test_stablelm_counts_its_biases(tmp_path: Path) -> None:
    """StableLM's two LayerNorms per block and the final one carry biases, and use_qkv_bias puts biases on q, k and
    v: 24 x (2 x 2048 + 3 x 2048) + 2048 = 247,808 parameters beside the weights; with use_parallel_residual one
    LayerNorm per block (StableLmDecoderLayer: no post_attention_layernorm)."""
    from accelopt.workload.presets import load_hf_config

    m = load_hf_config(write_hf_config(tmp_path, "a", STABLELM2_1_6B))
    assert m.norm_bias and m.qkv_bias and not m.biases and m.norms_per_layer == 2 and not m.parallel_block
    assert m.params_total() == 1_644_515_328
    parallel = {**STABLELM2_1_6B, "use_parallel_residual": True, "use_qkv_bias": False}
    p = load_hf_config(write_hf_config(tmp_path, "b", parallel))
    assert p.parallel_block and p.norms_per_layer == 1 and not p.qkv_bias
    assert m.params_total() - p.params_total() == 24 * (2 * 2048 + 3 * 2048)


def test_minicpm_ties_its_embeddings(tmp_path: Path) -> None:
    from accelopt.workload.presets import load_hf_config

    m = load_hf_config(write_hf_config(tmp_path, "a", MINICPM_2B))
    assert m.tied_embeddings
    assert m.params_total() - 122_753 * 2304 == 2_442_057_984
