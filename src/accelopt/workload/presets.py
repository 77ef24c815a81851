"""Model presets with their published architectures, and a reader for Hugging Face config.json.

Every preset cites the table or file its numbers come from. `PUBLISHED_PARAMS` holds the
parameter counts the authors state, which tests compare against `params_total()` /
`params_active()`. Learned position tables are counted (GPT-2/GPT-3's, BERT's 512 rows), and biases where the
model's class has them: GPT-2/GPT-3's on every linear layer and LayerNorm; Falcon's and StableLM's LayerNorm biases;
the q, k and v biases of StableLM (use_qkv_bias), Qwen2, Qwen2-VL, Qwen2.5-VL (the qwen2.5-0.5b preset's) and
Qwen2-MoE (qkv_bias) and a GLM-4-MoE config's attention_bias; the q, k, v and o biases of a Llama, Qwen3, Qwen3-MoE,
OLMo 2, Granite, GraniteMoE or PhiMoE config's attention_bias, and of a GPT-OSS config (its attention_bias, true
where left out), and the gate, up and down biases of a Llama or Granite
config's mlp_bias. Not counted: BERT's biases and pooler, GPT-OSS's expert
biases (TransformerConfig.expert_bias, timed where Megatron adds them unfused), and another family's attention_bias /
mlp_bias, which a config.json's read lists as not modelled; the tolerance in the tests says how much that costs.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from accelopt.errors import InputError, unknown_name
from accelopt.units import MAX_COUNT
from accelopt.userio import looked_in, looks_like_file, near_files, path_kind, read_user_json
from accelopt.workload.context import ContextLimit, context_limit
from accelopt.workload.transformer import MLAConfig, TransformerConfig

_MISTRAL = ("Jiang et al. 2023, 'Mistral 7B', Table 1 (dim 4096, n_layers 32, head_dim 128, hidden_dim 14336, "
            "n_heads 32, n_kv_heads 8, window_size 4096, context_len 8192, vocab_size 32000) = "
            "mistralai/Mistral-7B-v0.1 config.json (sliding_window 4096)")
_GEMMA2 = ("Gemma Team 2024, 'Gemma 2', Table 1 (9B: d_model 3584, 42 layers, GeGLU feed-forward 28672 = 2 x 14336, "
           "16 heads, 8 KV heads, head size 256, pre- and post-norm, local sliding window 4096 alternating with "
           "global attention, span 8192) + google/gemma-2-9b config.json (vocab_size 256000, head_dim 256, "
           "sliding_window 4096, attn_logit_softcapping 50.0, tied embeddings)")
_GPTJ = ("Wang & Komatsuzaki 2021, GPT-J-6B (kingoflolz/mesh-transformer-jax README: n_layers 28, d_model 4096, "
         "n_heads 16, d_head 256, n_ctx 2048, n_vocab 50257 padded to 50400, RoPE dimensions 64 of each 256-wide head; "
         "attention and feed-forward computed in parallel) = EleutherAI/gpt-j-6b config.json (rotary_dim 64)")
_DSV3 = ("DeepSeek-AI 2024, 'DeepSeek-V3 Technical Report', sec. 4.2 (61 layers, hidden 7168, 128 heads, MLA d_c 512, "
         "d_c' 1536, per-head 128 + rotary 64, first 3 layers dense, then 1 shared + 256 routed experts of width 2048, "
         "8 activated; pre-training sequence 4K) + deepseek-ai/DeepSeek-V3 config.json (vocab 129280, dense "
         "intermediate 18432, v_head_dim 128); the multi-token-prediction module is not included")

_GPT3 = "Brown et al. 2020, 'Language Models are Few-Shot Learners', Table 2.1 (n_layers, d_model, n_heads, d_head); vocab 50257 and tied embeddings as GPT-2"  # noqa: E501
_LLAMA2 = "Touvron et al. 2023, 'Llama 2', Table 1 + Meta's config.json for meta-llama/Llama-2-{7,13,70}b-hf"
_LLAMA3 = ("Llama Team 2024, 'The Llama 3 Herd of Models', Table 3 (layers, model dim, FFN dim, heads, KV heads, "
           "vocab 128,000+256)")
_BERT = "Devlin et al. 2019, 'BERT', section 3 (L, H, A); vocab 30522 and intermediate 4H from google-research/bert configs"  # noqa: E501
_MIXTRAL = ("Jiang et al. 2024, 'Mixtral of Experts', Table 1 "
            "(dim 4096, n_layers 32, hidden_dim 14336, 8 experts, top-2)")
_QWEN3_MOE = ("Qwen Team 2025, 'Qwen3 Technical Report', Table 2 (Qwen3-235B-A22B: 94 layers, 64 query / 4 KV heads, "
              "128 experts, 8 activated) + Qwen/Qwen3-235B-A22B config.json (hidden 4096, head_dim 128, "
              "moe_intermediate_size 1536, every layer MoE, vocab 151936, untied embeddings)")
# s-tpusrv (issue 10): the dense Qwen3 configs as Qwen's config.json gives them (QK-norm is not modelled).
_QWEN3_8B = ("Qwen/Qwen3-8B config.json (as copied in the Hugging Face commit 'Copy config.json from Qwen/Qwen3-8B', "
             "thejaminator/qwen-hook-layer-9-step-500@81c952f9): num_hidden_layers 36, hidden_size 4096, "
             "num_attention_heads 32, num_key_value_heads 8, head_dim 128, intermediate_size 12288, vocab_size 151936, "
             "tie_word_embeddings false, max_position_embeddings 40960")
_QWEN3_32B = ("Qwen/Qwen3-32B config.json (as quoted in public repositories' checks of the pinned checkpoint, e.g. "
              "'expected_architecture' of a Qwen3-32B preflight: model_type qwen3, hidden_size 5120, intermediate_size "
              "25600, num_attention_heads 64, num_key_value_heads 8, head_dim 128, vocab_size 151936; a verl NPU "
              "note's copy of the config: 64 layers, tie_word_embeddings false, max_position_embeddings 40960)")
# s-data (issue 10): Qwen2.5-0.5B(-Instruct), same weights shape for base and instruct. Its q, k and v biases (896 +
# 2 x 128 = 1,152 per layer, 27,648 in all; the model card's 'Attention QKV bias', transformers Qwen2Attention
# bias=True: _QKV_BIAS_TYPES) are counted since s31 (rqkv); before, the preset was built without them.
_QWEN25_05B = ("Qwen/Qwen2.5-0.5B-Instruct config.json (as pinned in public repositories' checks, e.g. a Qwen2 "
               "'VERIFIED' table and a config-loading test): num_hidden_layers 24, hidden_size 896, "
               "num_attention_heads 14, num_key_value_heads 2 (head_dim 64), intermediate_size 4864, vocab_size "
               "151936, tie_word_embeddings true, max_position_embeddings 32768, hidden_act silu; model card: "
               "'transformers with RoPE, SwiGLU, RMSNorm, Attention QKV bias and tied word embeddings'")
_DSMOE = ("Dai et al. 2024, 'DeepSeekMoE', section 5 / Appendix A + deepseek-ai/deepseek-moe-16b-base config.json "
          "(28 layers, hidden 2048, 16 heads, first layer dense ffn 10944, 64 routed + 2 shared experts "
          "of 1408, top-6)")


def _softcap_note(cfg: dict[str, Any]) -> tuple[str, ...]:
    """A note for attention-logit soft-capping (Gemma 2's attn_logit_softcapping: cap x tanh(scores / cap) before the
    softmax). Its arithmetic is elementwise, so the figures leave it out (_IRRELEVANT_KEYS), but it decides the
    kernel: Transformer Engine disqualifies cuDNN FusedAttention when softcap != 0 and picks FlashAttention-2 or the
    unfused path (NVIDIA/TransformerEngine PR #3391, get_attention_backend; Megatron-LM PR #6590), so the default
    --attention-kernel fused is not what such a training run executes."""
    cap = _softcap_of(cfg)
    attn = () if cap is None else (
        f"attn_logit_softcapping {cap:g}: the attention core is timed without the cap (elementwise); cuDNN fused "
        "attention does not take one (Transformer Engine then runs FlashAttention-2 or unfused attention, "
        "NVIDIA/TransformerEngine PR #3391), so where --attention-kernel is left out `plan` / `plan explain` "
        "time a training run of it with --attention-kernel flash2 on NVIDIA GPUs of Ampere or newer and say "
        "which kernel each device got",)
    return (*attn, *_final_softcap_note(cfg))


def _final_softcap_note(cfg: dict[str, Any]) -> tuple[str, ...]:
    """A note for Gemma 2's final_logit_softcapping, read without a word before (a user trial, s33): the output
    logits are divided by the cap, put through tanh and multiplied by it (transformers Gemma2ForCausalLM.forward,
    models/gemma2/modeling_gemma2.py @008e574), three elementwise passes over the (tokens x vocab) logits forward
    and their gradients backward, which the figures do not time (their FLOPs are 3 per logit against the head's
    2 x hidden; an unfused run pays them as memory traffic on the logits)."""
    cap = cfg.get("final_logit_softcapping")
    if isinstance(cap, bool) or not isinstance(cap, int | float) or not cap:
        return ()
    return (f"final_logit_softcapping {cap:g}: the cap on the output logits (/ cap, tanh, x cap: transformers "
            "Gemma2ForCausalLM) is not modelled: its elementwise passes over the tokens x vocab logits, forward and "
            "backward, are not timed",)


# Gemma2Config's final_logit_softcapping 30.0 and attn_logit_softcapping 50.0 (transformers @008e574
# models/gemma2/configuration_gemma2.py): a gemma2 config without a key is built with its cap, where only an explicit
# key got _softcap_note (utcfg, s33, the final cap; the attention cap, which picks the attention kernel, s34).
_GEMMA2_CAPS = {"final_logit_softcapping": 30.0, "attn_logit_softcapping": 50.0}


def _softcap_class_defaults(cfg: dict[str, Any], mtype: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    """(the config with Gemma2Config's final_logit_softcapping and attn_logit_softcapping where a gemma2 config
    leaves a key out, a note saying which); a key present, even null, is the config's (transformers keeps a null: no
    cap)."""
    filled = {k: v for k, v in _GEMMA2_CAPS.items() if k not in cfg} if mtype == "gemma2" else {}
    if not filled:
        return cfg, ()
    given = ", ".join(f"{k} {v:g}" for k, v in filled.items())
    return {**cfg, **filled}, (f"the config leaves out {given}: the default{'s' if len(filled) > 1 else ''} of "
                               f"{_GEMMA2_SRC} used, as transformers builds it (give it in the config to change it)",)


def _softcap_of(cfg: dict[str, Any]) -> float | None:
    """The config's attn_logit_softcapping as TransformerConfig.attn_logit_softcap (None: absent, null or 0)."""
    cap = cfg.get("attn_logit_softcapping")
    if isinstance(cap, bool) or not isinstance(cap, int | float) or not cap:
        return None
    return float(cap)


def _rotary_dim_of(cfg: dict[str, Any], head_dim: int, where: str) -> int | None:
    """The rotated width of a query/key head when RoPE rotates only part of it (TransformerConfig.rotary_dim; None:
    the whole head). transformers reads it three ways: GPTNeoXAttention rotary_ndims = int(head_size x rotary_pct)
    (models/gpt_neox/modeling_gpt_neox.py), PhiConfig / StableLmConfig partial_rotary_factor, dim = int(head_dim x
    factor) (the default RoPE init, modeling_rope_utils.py; top level or in rope_parameters), and GPT-J's rotary_dim
    (GPTJAttention: rotary_dim = config.rotary_dim; old PhiAttention too: apply_rotary_pos_emb rotates
    q[..., :rotary_dim] and passes q[..., rotary_dim:] through, huggingface/transformers@
    007750f36c2d23bbf9ecc769e49bc6b1a04f7393 src/transformers/models/phi/modeling_phi.py)."""
    given = cfg.get("rope_parameters")
    rope: dict[str, Any] = given if isinstance(given, dict) else {}
    for key, value in (("rotary_dim", cfg.get("rotary_dim")), ("rotary_pct", cfg.get("rotary_pct")),
                       ("partial_rotary_factor", cfg.get("partial_rotary_factor", rope.get("partial_rotary_factor")))):
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0 \
                or (key != "rotary_dim" and value > 1) or (key == "rotary_dim" and value != int(value)):
            raise InputError(f"{where}: {key} = {value!r} is not a rotary width",
                             "give rotary_dim as a whole number of dimensions, or rotary_pct / "
                             "partial_rotary_factor as a fraction in (0, 1]")
        rot = int(value) if key == "rotary_dim" else int(head_dim * value)
        if not 0 < rot <= head_dim:
            raise InputError(f"{where}: {key} = {value!r} gives a rotated width of {rot} on a {head_dim}-wide head",
                             f"give a rotary width in 1..{head_dim}")
        return None if rot == head_dim else rot
    return None


def _alibi_of(cfg: dict[str, Any], mtype: str) -> bool:
    """ALiBi positions (TransformerConfig.alibi): BLOOM always (BloomAttention adds the alibi bias, no rotary;
    transformers models/bloom/modeling_bloom.py), MPT with attn_config.alibi (llm-foundry; _mpt_sizes lifts it to
    the top level), Falcon with alibi true (FalconConfig.alibi; then FalconAttention builds no rotary embedding)."""
    return mtype == "bloom" or (mtype in _FALCON_TYPES | {"mpt"} and cfg.get("alibi") is True)


def _positions(n: int, basis: str = "its config's max_position_embeddings") -> ContextLimit:
    return ContextLimit(positions=n, supported_tokens=n, basis=basis)


# The positions of each preset (`plan serve` notes a prompt + output beyond them), from the source named beside it.
# BERT (base and large): 512 learned positions. google-research/bert modeling.py, BertConfig(
# max_position_embeddings=512), the size of its position-embedding table; its README ('Pre-training tips') pre-trains
# the last 10,000 steps at sequence length 512, 'mostly needed to learn positional embeddings'; Hugging Face's
# BertConfig (defaults 'similar to google-bert/bert-base-uncased', transformers
# src/transformers/models/bert/configuration_bert.py) also gives 512. Added 2026-11-30 (s-params; before, these
# presets skipped the check).
_CTX_BERT = _positions(512, "its position-embedding table, max_position_embeddings")
# DeepSeekMoE 16B: deepseek-ai/DeepSeek-MoE README, '3. Model Downloads' table: DeepSeekMoE 16B Base, Sequence Length
# 4096 (its Hugging Face config.json was not read here). Added 2026-11-30 (s-params).
_CTX_DSMOE = _positions(4096, "its Sequence Length, DeepSeek-MoE README")
_CTX_GPT3 = _positions(2048, "n_ctx")  # Brown et al. 2020, sec. 2.1: a context window of n_ctx = 2048 tokens
_CTX_LLAMA2 = _positions(4096, "its context window")  # Touvron et al. 2023, Llama 2, A.2.1: 2048 -> 4096 tokens
# meta-llama/Meta-Llama-3-8B config.json: max_position_embeddings 8192 (tests/test_plan_presets.py copies it); the
# Llama 3 release (8B and 70B) was trained on sequences of up to 8K tokens.
_CTX_LLAMA3 = _positions(8192)
# meta-llama/Llama-3.1-8B config.json: max_position_embeddings 131072, rope_scaling llama3, factor 8, original 8192
# (the 128K context of Llama Team 2024, 'The Llama 3 Herd of Models', for 8B, 70B and 405B); the factor is already
# counted in max_position_embeddings (workload/context.py).
_CTX_LLAMA31 = ContextLimit(positions=131072, supported_tokens=131072, rope="llama3, factor 8 x original 8192")
# Qwen/Qwen3-235B-A22B model card: "Context Length: 32,768 natively and 131,072 tokens with YaRN".
_CTX_QWEN3 = ContextLimit(positions=32768, supported_tokens=131072, rope="yarn, factor 4, per the model card",
                          basis="its native context, model card")


def _gpt3(name: str, layers: int, hidden: int, heads: int) -> TransformerConfig:
    # GPT-3 is GPT-2's architecture (Brown et al. 2020 sec. 2.1: "the same model and architecture as GPT-2"):
    # learned positions over its n_ctx 2048, biases on every projection and LayerNorm
    return TransformerConfig(name=name, layers=layers, hidden=hidden, heads=heads, ffn=4 * hidden, vocab=50257,
                             seq_len=2048, tied_embeddings=True, learned_positions=2048, biases=True, source=_GPT3,
                             context=_CTX_GPT3)


_PRESETS: dict[str, TransformerConfig] = {
    # GPT-3 family, Brown et al. 2020 Table 2.1. The 13B row prints d_model 5140 (a typo: 40 heads x 128 = 5120).
    "gpt3-125m": _gpt3("gpt3-125m", 12, 768, 12),
    "gpt3-350m": _gpt3("gpt3-350m", 24, 1024, 16),
    "gpt3-760m": _gpt3("gpt3-760m", 24, 1536, 16),
    # Table 2.1 lists 24 heads for 1.3B with d_head 128 (24 x 128 != 2048); we keep d_head 128 -> 16 heads.
    "gpt3-1.3b": _gpt3("gpt3-1.3b", 24, 2048, 16),
    "gpt3-2.7b": _gpt3("gpt3-2.7b", 32, 2560, 32),
    "gpt3-6.7b": _gpt3("gpt3-6.7b", 32, 4096, 32),
    "gpt3-13b": _gpt3("gpt3-13b", 40, 5120, 40),
    "gpt3-175b": _gpt3("gpt3-175b", 96, 12288, 96),
    "llama2-7b": TransformerConfig(name="llama2-7b", layers=32, hidden=4096, heads=32, ffn=11008, vocab=32000,
                                   seq_len=4096, mlp="swiglu", source=_LLAMA2, context=_CTX_LLAMA2),
    "llama2-13b": TransformerConfig(name="llama2-13b", layers=40, hidden=5120, heads=40, ffn=13824, vocab=32000,
                                    seq_len=4096, mlp="swiglu", source=_LLAMA2, context=_CTX_LLAMA2),
    "llama2-70b": TransformerConfig(name="llama2-70b", layers=80, hidden=8192, heads=64, kv_heads=8, ffn=28672,
                                    vocab=32000, seq_len=4096, mlp="swiglu", source=_LLAMA2,
                                    context=_CTX_LLAMA2),
    "llama3-8b": TransformerConfig(name="llama3-8b", layers=32, hidden=4096, heads=32, kv_heads=8, ffn=14336,
                                   vocab=128256, seq_len=8192, mlp="swiglu", source=_LLAMA3, context=_CTX_LLAMA3),
    "llama3-70b": TransformerConfig(name="llama3-70b", layers=80, hidden=8192, heads=64, kv_heads=8, ffn=28672,
                                    vocab=128256, seq_len=8192, mlp="swiglu", source=_LLAMA3, context=_CTX_LLAMA3),
    "llama3.1-405b": TransformerConfig(name="llama3.1-405b", layers=126, hidden=16384, heads=128, kv_heads=8,
                                       ffn=53248, vocab=128256, seq_len=8192, mlp="swiglu", source=_LLAMA3,
                                       context=_CTX_LLAMA31),
    "bert-base": TransformerConfig(name="bert-base", layers=12, hidden=768, heads=12, ffn=3072, vocab=30522,
                                   seq_len=512, tied_embeddings=True, encoder_only=True, source=_BERT,
                                   context=_CTX_BERT, learned_positions=512),  # its 512-row table (_CTX_BERT)
    "bert-large": TransformerConfig(name="bert-large", layers=24, hidden=1024, heads=16, ffn=4096, vocab=30522,
                                    seq_len=512, tied_embeddings=True, encoder_only=True, source=_BERT,
                                    context=_CTX_BERT, learned_positions=512),
    "mixtral-8x7b": TransformerConfig(name="mixtral-8x7b", layers=32, hidden=4096, heads=32, kv_heads=8, ffn=14336,
                                      vocab=32000, seq_len=4096, mlp="swiglu", experts=8, top_k=2,
                                      source=_MIXTRAL,  # Table 1: context_len 32768 ("a fully dense context of 32k")
                                      context=_positions(32768, "context_len, Table 1")),
    "deepseek-moe-16b": TransformerConfig(name="deepseek-moe-16b", layers=28, hidden=2048, heads=16, ffn=1408,
                                          vocab=102400, seq_len=4096, mlp="swiglu", experts=64, top_k=6,
                                          shared_experts=2, first_dense_layers=1, dense_ffn=10944, source=_DSMOE,
                                          context=_CTX_DSMOE),
    "mistral-7b": TransformerConfig(name="mistral-7b", layers=32, hidden=4096, heads=32, kv_heads=8, ffn=14336,
                                    vocab=32000, seq_len=8192, mlp="swiglu", sliding_window=4096, source=_MISTRAL,
                                    context=_positions(32768)),  # Mistral-7B-v0.1 config.json (tests/hf_configs.py)
    "gemma2-9b": TransformerConfig(name="gemma2-9b", layers=42, hidden=3584, heads=16, kv_heads=8, attn_head_dim=256,
                                   ffn=14336, vocab=256000, seq_len=8192, mlp="swiglu", sliding_window=4096,
                                   sliding_window_layers=21, norms_per_layer=4, tied_embeddings=True,
                                   source=_GEMMA2, context=_positions(8192),  # config.json: tests/hf_configs.py
                                   # the config's attn_logit_softcapping, said as its config.json says it
                                   attn_logit_softcap=50.0,
                                   config_defaults=_softcap_note({"attn_logit_softcapping": 50.0,
                                                                  "final_logit_softcapping": 30.0})),
    "gptj-6b": TransformerConfig(name="gptj-6b", layers=28, hidden=4096, heads=16, ffn=16384, vocab=50400,
                                 seq_len=2048, parallel_block=True, norms_per_layer=1, source=_GPTJ,
                                 rotary_dim=64,  # README 'RoPE dimensions 64'; without it (utsmall to rvs32c,
                                 # 2026-12-06) --rope-fusion unfused charged the whole 256-wide head, 4x its config's
                                 context=_positions(2048, "its config's n_positions")),  # tests/hf_configs.py
    "qwen3-235b-a22b": TransformerConfig(name="qwen3-235b-a22b", layers=94, hidden=4096, heads=64, kv_heads=4,
                                         attn_head_dim=128, ffn=1536, vocab=151936, seq_len=40960, mlp="swiglu",
                                         experts=128, top_k=8, source=_QWEN3_MOE, context=_CTX_QWEN3, qk_norm=True),
    "deepseek-v3": TransformerConfig(name="deepseek-v3", layers=61, hidden=7168, heads=128, ffn=2048, vocab=129280,
                                     seq_len=4096, mlp="swiglu", experts=256, top_k=8, shared_experts=1,
                                     first_dense_layers=3, dense_ffn=18432,
                                     mla=MLAConfig(q_lora_rank=1536, kv_lora_rank=512, qk_nope_head_dim=128,
                                                   qk_rope_head_dim=64, v_head_dim=128), source=_DSV3,
                                     context=_positions(163840)),  # DeepSeek-V3 config.json: tests/hf_configs.py
    # --- s-tpusrv (issue 10): the dense Qwen3 models of the TPU v6e serving rows (published_serving_runs.csv) ------
    "qwen3-8b": TransformerConfig(name="qwen3-8b", layers=36, hidden=4096, heads=32, kv_heads=8, attn_head_dim=128,
                                  ffn=12288, vocab=151936, seq_len=40960, mlp="swiglu", source=_QWEN3_8B,
                                  context=_CTX_QWEN3, qk_norm=True),
    "qwen3-32b": TransformerConfig(name="qwen3-32b", layers=64, hidden=5120, heads=64, kv_heads=8, attn_head_dim=128,
                                   ffn=25600, vocab=151936, seq_len=40960, mlp="swiglu", source=_QWEN3_32B,
                                   context=_CTX_QWEN3, qk_norm=True),
    # --- end s-tpusrv ---------------------------------------------------------------------------------------------
    # s-neusrv (issue 10): AWS Neuron's Trn1 inference tables run Mistral-7B-Instruct-v0.2 to 16k tokens. Its
    # config.json (mistralai/Mistral-7B-Instruct-v0.2, commit 41b61a33, as quoted in the Hugging Face PR
    # migtissera/Tess-7B-v2.0 discussion 4 "Set sliding window to null to match Mistral-7B-Instruct-v0.2"):
    # mistral-7b's dimensions (hidden 4096, 32 layers, 32 heads, 8 KV heads, intermediate 14336, vocab 32000) with
    # "sliding_window": null (full attention) and rope_theta 1e6, max_position_embeddings 32768.
    "mistral-7b-v0.2": TransformerConfig(name="mistral-7b-v0.2", layers=32, hidden=4096, heads=32, kv_heads=8,
                                         ffn=14336, vocab=32000, seq_len=32768, mlp="swiglu",
                                         source=_MISTRAL + "; v0.2: sliding_window null, rope_theta 1e6 "
                                         "(mistralai/Mistral-7B-Instruct-v0.2 config.json)",
                                         context=_positions(32768)),
    # s-data (issue 10): the model of the L4 vLLM serving rows (published_serving_runs.csv, block 'NVIDIA L4').
    "qwen2.5-0.5b": TransformerConfig(name="qwen2.5-0.5b", layers=24, hidden=896, heads=14, kv_heads=2, ffn=4864,
                                      vocab=151936, seq_len=32768, mlp="swiglu", tied_embeddings=True,
                                      qkv_bias=True, source=_QWEN25_05B, context=_positions(32768)),
}

# Llama 3.1 8B/70B keep the Llama 3 architecture (Llama 3 paper, Table 3); 405B only exists as 3.1.
_ALIASES = {"llama3.1-8b": "llama3-8b", "llama3.1-70b": "llama3-70b", "llama3-405b": "llama3.1-405b",
            "gpt3": "gpt3-175b", "mixtral": "mixtral-8x7b", "deepseekmoe-16b": "deepseek-moe-16b",
            "mistral-7b-v0.1": "mistral-7b", "gemma-2-9b": "gemma2-9b", "gpt-j-6b": "gptj-6b",
            "deepseek-v3-671b": "deepseek-v3"}
_LLAMA31_ALIASES = frozenset({"llama3.1-8b", "llama3.1-70b"})

# Published parameter counts (total, active), with where each is stated.
PUBLISHED_PARAMS: dict[str, tuple[float, float | None, str]] = {
    "gpt3-125m": (125e6, None, "Brown et al. 2020, Table 2.1"),
    "gpt3-350m": (350e6, None, "Brown et al. 2020, Table 2.1"),
    "gpt3-760m": (760e6, None, "Brown et al. 2020, Table 2.1"),
    "gpt3-1.3b": (1.3e9, None, "Brown et al. 2020, Table 2.1"),
    "gpt3-2.7b": (2.7e9, None, "Brown et al. 2020, Table 2.1"),
    "gpt3-6.7b": (6.7e9, None, "Brown et al. 2020, Table 2.1"),
    "gpt3-13b": (13.0e9, None, "Brown et al. 2020, Table 2.1"),
    "gpt3-175b": (175.0e9, None, "Brown et al. 2020, Table 2.1"),
    "llama2-7b": (6.74e9, None, "Hugging Face model card meta-llama/Llama-2-7b-hf: 6,738,415,616 parameters"),
    "llama2-13b": (13.0e9, None, "Touvron et al. 2023, Table 1"),
    "llama2-70b": (69.0e9, None, "Hugging Face model card meta-llama/Llama-2-70b-hf: 68,976,648,192 parameters"),
    "llama3-8b": (8.03e9, None, "Hugging Face model card meta-llama/Meta-Llama-3-8B: 8.03B parameters"),
    "llama3-70b": (70.6e9, None, "Hugging Face model card meta-llama/Meta-Llama-3-70B: 70.6B parameters"),
    "llama3.1-405b": (405e9, None, "Llama Team 2024, Table 3: 405B"),
    "bert-base": (110e6, None, "Devlin et al. 2019, section 3: 110M"),
    "bert-large": (340e6, None, "Devlin et al. 2019, section 3: 340M"),
    "mixtral-8x7b": (46.7e9, 12.9e9,
                     "Jiang et al. 2024, section 2: 47B total, 13B active; Mistral AI blog: 46.7B / 12.9B"),
    "deepseek-moe-16b": (16.4e9, 2.8e9, "Dai et al. 2024, Table 3 / section 5: 16.4B total, 2.8B activated"),
    "mistral-7b": (7.24e9, None, "Hugging Face model card mistralai/Mistral-7B-v0.1: 7.24B params (Jiang et al. "
                   "2023 round it to 7B)"),
    "gemma2-9b": (9.24e9, None, "Gemma Team 2024, Table 2: 917,962,752 embedding + 8,324,201,984 non-embedding "
                  "parameters (vocab 256128; the released vocab 256000 has 458,752 fewer)"),
    "gptj-6b": (6.053e9, None, "kingoflolz/mesh-transformer-jax README, GPT-J-6B: n_parameters 6,053,381,344"),
    "qwen3-235b-a22b": (235e9, 22e9, "Qwen Team 2025, Qwen3 Technical Report, Table 2: 235B total, 22B activated"),
    "qwen3-8b": (8.2e9, None, "Qwen3-8B model card (unsloth/Qwen3-8B copy on featherless.ai): 'an 8.2 billion "
                 "parameter causal language model' (s-tpusrv)"),
    "qwen2.5-0.5b": (0.49e9, None, "Qwen/Qwen2.5-0.5B-Instruct model card: 'Number of Parameters: 0.49B', "
                     "'Number of Paramaters (Non-Embedding): 0.36B' (s-data)"),
    "deepseek-v3": (671e9, 37e9, "DeepSeek-AI 2024, DeepSeek-V3 Technical Report, abstract and sec. 4.2: 671B "
                    "total, 37B activated per token (the 14B multi-token-prediction module excluded)"),
}


def preset_params_text(model: TransformerConfig) -> str | None:
    """'NAME preset: N parameters[, A active ...] (published: P[ total, A' active], SOURCE)': the count `plan`, `plan
    explain` and `plan serve` print for a preset beside its published one (PUBLISHED_PARAMS), so that a user can check
    it without reading the tests (they printed it for a config.json only: a user checking Llama-2-7B's 6.74B against
    `plan --model llama2-7b` found no count). None for a model that is not a preset."""
    from accelopt.workload.transformer import params_text, read_from_config

    if read_from_config(model) or model.name not in _PRESETS:
        return None
    line = params_text(model, f"{model.name} preset")
    if model.name not in PUBLISHED_PARAMS:
        return f"{line} (no published count held for it)"
    total, active, source = PUBLISHED_PARAMS[model.name]
    published = _billions(total) + (f" total, {_billions(active)} active" if active is not None else "")
    return f"{line} (published: {published}; {source})"


def _billions(n: float) -> str:
    """A published count as its source rounds it: '6.74B', '110M'."""
    return f"{n / 1e9:g}B" if n >= 1e9 else f"{n / 1e6:g}M"


def list_models() -> list[str]:
    """Names of the built-in presets (aliases not included)."""
    return sorted(_PRESETS)


def _not_a_config_fix(key: str) -> str:
    """What --model takes (plan, plan serve, plan explain), and where a device spec TOML goes."""
    where = "a device spec TOML goes in --hardware (or --catalog); " if key.endswith(".toml") else ""
    return (f"{where}--model takes a preset name (`accelopt plan --list-models`) or a Hugging Face config.json (a "
            "config saved under another name: rename it to .json)")


def get_model(name: str) -> TransformerConfig:
    """A preset by name or alias (case-insensitive), or a path to a Hugging Face config.json."""
    key = name.strip().lower()
    if not key:  # Path('') is the working folder: `--model "$UNSET"` planned ./config.json as a model named 'config'
        raise InputError(f"--model {name!r} is empty", "give a preset name (`accelopt plan --list-models`) or the "
                         "path of a Hugging Face config.json")
    if key in _LLAMA31_ALIASES:  # the Llama 3 architecture with Llama 3.1's 128K positions, under its own name
        return replace(_PRESETS[_ALIASES[key]], name=key, context=_CTX_LLAMA31)
    key = _ALIASES.get(key, key)
    if key in _PRESETS:
        return _PRESETS[key]
    p = Path(name)
    try:
        kind = path_kind(p, "--model")
    except InputError:  # e.g. too long for a path: an error only when it was meant as one
        if key.endswith(".json") or "/" in name:
            raise
        kind = "missing"
    if kind == "folder" and path_kind(p / "config.json", "--model") != "missing":  # a Hugging Face model folder
        return load_hf_config(p / "config.json")
    near = near_files(name) if kind == "missing" and looks_like_file(name) else []
    meant = f"did you mean {' or '.join(repr(f) for f in near)}? " if near else ""
    if key.endswith(".json"):
        if kind == "missing":
            raise InputError(f"--model {name!r}: no such file{looked_in(name)}", f"{meant}give the path of a local "
                             "config.json (or a workload JSON from `accelopt profile --save-workload`), or a preset "
                             "name")
        return load_hf_config(name)
    if kind == "folder":
        raise InputError(f"--model {name!r} is a folder without a config.json",
                         "give the path of the model's config.json")
    if kind == "file" and name.endswith("/"):  # 'config.json/' was told it is 'a file, but not a .json config'
        raise InputError(f"--model {name!r} ends in '/' (a folder), but {name.rstrip('/')!r} is a file",
                         f"drop the trailing '/': --model {name.rstrip('/')}")
    if kind in ("file", "other"):  # a file on disk was listed as an unknown preset name beside every preset
        raise InputError(f"--model {name!r} is a file, but not a .json config", _not_a_config_fix(key))
    if near:  # a typo in a path ('qwen3moe.jsn', 'cfg/qwen3moe'): it was told the closest preset names (uttrialC)
        raise InputError(f"--model {name!r}: no such file or preset{looked_in(name)}",
                         f"{meant}(`accelopt plan --list-models` lists the presets)")
    err = unknown_name("model", name, [*list_models(), *_ALIASES])
    if name.count("/") == 1 and not name.startswith((".", "/")):  # 'org/model': a Hugging Face Hub id, typed as such
        raise type(err)(f"{err.problem} (a Hugging Face Hub id is not downloaded: nothing is fetched from the network)",
                        f"save the model's config.json locally and pass its path; or a preset: {err.fix}")
    raise err


def _agree(cfg: dict[str, Any], keys: tuple[str, ...], where: str) -> None:
    """An InputError when two of the alternative keys of one figure are set to different values: the first would
    be read and the other dropped without a word."""
    given = {k: cfg[k] for k in keys if cfg.get(k) is not None}
    # one key alone agrees with itself: hidden_size NaN (NaN != NaN) was told it named 'the same figure with
    # different values' and to 'keep one of hidden_size'; a bad lone value is named by the caller's own check
    if len(given) > 1 and any(v != next(iter(given.values())) for v in given.values()):  # 4096 == 4096.0
        raise InputError(f"{where}: {' and '.join(f'{k} = {v!r}' for k, v in given.items())} name the same figure "
                         "with different values", f"keep one of {', '.join(given)} (or give them the same value)")


def _req(cfg: dict[str, Any], keys: tuple[str, ...], where: str) -> int:
    _agree(cfg, keys, where)
    for k in keys:
        if cfg.get(k) is not None:
            v = cfg[k]
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise InputError(f"{where}: {k} = {v!r} is not a positive integer", f"fix {k} in the config")
            return v
    # the fix names the key to add: a config of a known family that left one out was told to be another family's
    raise InputError(f"{where}: none of {', '.join(keys)} is set",
                     f"add {keys[0]} to the config, with the value of the model's published config.json (a "
                     "Hugging Face config.json of a decoder or encoder transformer has it)")


def _opt(cfg: dict[str, Any], keys: tuple[str, ...], default: int | None, where: str = "config") -> int | None:
    if keys != _CONTEXT_KEYS:  # GPT-2-era configs may set n_ctx and n_positions apart (CTRL): read as before
        _agree(cfg, keys, where)
    for k in keys:
        if cfg.get(k) is not None:
            v = cfg[k]
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v != int(v) or v < 0:
                raise InputError(f"{where}: {k} = {v!r} is not a whole number >= 0", f"fix {k} in the config")
            if v > MAX_COUNT:  # max_position_embeddings = 1e30 was read, and printed as a 31-digit context length
                raise InputError(f"{where}: {k} = {v!r} is past any model (at most {MAX_COUNT:,})",
                                 f"fix {k} in the config")
            return int(v)
    return default


# Keys load_hf_config reads (any one of the alternatives of a field).
_USED_KEYS = frozenset({
    "model_type", "num_hidden_layers", "n_layer", "num_layers", "hidden_size", "n_embd", "d_model",
    "num_attention_heads", "n_head", "vocab_size", "hidden_act", "intermediate_size", "n_inner", "ffn_dim",
    "max_position_embeddings", "n_positions", "n_ctx", "tie_word_embeddings", "num_local_experts", "n_routed_experts",
    "num_experts", "num_experts_per_tok", "moe_intermediate_size", "n_shared_experts", "num_shared_experts",
    "first_k_dense_replace", "moe_layer_freq", "shared_expert_intermediate_size", "decoder_sparse_step",
    "moe_shared_expert_intermediate_size", "shared_intermediate_size",  # _shared_experts (the latter Granite's only)
    "_name_or_path", "num_key_value_heads", "hidden_activation",
    "embedding_size",  # read only where it equals hidden_size (_check_weights_countable refuses another)
    # attention shape: explicit head width, sliding windows, multi-head latent attention
    "head_dim", "sliding_window", "sliding_window_size", "use_sliding_window", "max_window_layers", "layer_types",
    "sliding_window_pattern", "q_lora_rank", "kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim",
    # parallel attention + MLP blocks and the Falcon/GPT-NeoX attention layout
    "parallel_attn", "use_parallel_residual", "new_decoder_architecture", "multi_query", "num_kv_heads",
    "n_head_kv",
    "alibi",  # Falcon's ALiBi positions (TransformerConfig.alibi, _alibi_of)
    "use_qkv_bias",  # StableLM: biases on q, k and v (TransformerConfig.qkv_bias)
    "qkv_bias",  # Qwen2-MoE: the same (_qkv_bias)
    # Llama-style biases on q, k, v and o, and on the MLP's gate, up and down (_ATTENTION_BIAS_TYPES, _MLP_BIAS_TYPES)
    "attention_bias", "mlp_bias",
    # how far the positions reach with rope scaling (workload/context.py)
    "rope_scaling", "rope_parameters", "original_max_position_embeddings",
    # gpt-oss's second spelling of num_experts_per_tok; Llama 4's MoE interleave, dense width and chunked attention
    "experts_per_token", "interleave_moe_layer_step", "moe_layers", "intermediate_size_mlp", "attention_chunk_size",
    "no_rope_layers", "no_rope_layer_interval",
    "mlp_only_layers",  # Qwen2-MoE / Qwen3-MoE: dense layers among the MoE ones
    "num_heads", "attention_layers", "attention_types", "window_size",  # GPT-Neo: heads, its local-window layers
    "activation_function",  # GPT-2/GPT-J/EXAONE: the activation (_ACTIVATION_KEYS; silu: a gated MLP)
    "accelopt_block",  # DECLARED_BLOCK_KEY: a config declaring the common pre-norm block (`validate --row` writes it)
})
# Keys that change neither FLOPs, bytes nor memory at the level the predictors model: token ids, numerics
# of norms and initialisation, dropout (off at inference, a few elementwise ops in training), bookkeeping,
# rotary position settings (elementwise on q and k).
_IRRELEVANT_KEYS = frozenset({
    "architectures", "transformers_version", "torch_dtype", "bos_token_id", "eos_token_id", "pad_token_id",
    "sep_token_id", "decoder_start_token_id", "initializer_range", "initializer_factor", "rms_norm_eps",
    "layer_norm_eps", "layer_norm_epsilon", "use_cache", "attention_dropout", "hidden_dropout",
    "hidden_dropout_prob", "attention_probs_dropout_prob", "resid_pdrop", "embd_pdrop", "attn_pdrop",
    "summary_activation", "summary_first_dropout", "summary_proj_to_labels", "summary_type", "summary_use_proj",
    "rope_theta", "rotary_emb_base", "position_embedding_type", "type_vocab_size",
    "pretraining_tp", "tokenizer_class", "output_attentions", "output_hidden_states", "return_dict",
    "task_specific_params", "id2label", "label2id", "problem_type", "auto_map", "quantization_config_version",
    "gradient_checkpointing", "classifier_dropout", "scale_attn_weights", "reorder_and_upcast_attn",
    "scale_attn_by_inverse_layer_idx", "is_decoder", "router_aux_loss_coef",
    # transformers' runtime choice of attention backend, saved into some published config.json files
    # (meta-llama/Llama-4-Scout-17B-16E's text_config and vision_config: _attn_implementation_autoset true); it was
    # printed as a key 'not modelled by the predictor' (a user trial, ut3hf)
    "_attn_implementation", "_attn_implementation_autoset",
    # torch_dtype's new name since transformers 4.56 (huggingface/transformers PR #39782 'Use `dtype` instead of
    # `torch_dtype` everywhere!'), which config.json files saved since carry (Qwen/Qwen3-VL-30B-A3B-Instruct's
    # text_config): printed as a key not modelled where torch_dtype never was (a user trial, ut3hf)
    "dtype",
    "output_router_logits", "router_jitter_noise", "aux_loss_alpha", "seq_aux", "norm_topk_prob",
    "routed_scaling_factor", "scoring_func", "topk_method",
    # rotary width, numerics of the scores/logits (elementwise), how HF caches, the checkpoint's own EP size
    "rotary", "rotary_dim", "rotary_pct", "partial_rotary_factor", "query_pre_attn_scalar", "attn_logit_softcapping",
    "final_logit_softcapping", "cache_implementation", "ep_size", "rope_local_base_freq",
    # Llama 4: weightless L2 norm of q and k, the attention temperature's schedule (elementwise on the scores);
    # gpt-oss: the clamp of the SwiGLU input (elementwise)
    "use_qk_norm", "attn_temperature_tuning", "attn_scale", "floor_scale", "swiglu_limit",
    # other families' spellings of a norm's epsilon, dropout and the initialiser's scale (NemotronConfig norm_eps,
    # Starcoder2Config norm_epsilon / embedding_dropout / residual_dropout, OPTConfig dropout / activation_dropout /
    # init_std, ModernBertConfig mlp_dropout / initializer_cutoff_factor): listed as not modelled, they buried the
    # keys that are (a usertest pass on Nemotron-Mini-4B, StarCoder2-7B, OPT-6.7B, ModernBERT-base configs)
    "norm_eps", "norm_epsilon", "dropout", "activation_dropout", "embedding_dropout", "residual_dropout",
    "mlp_dropout", "init_std", "initializer_cutoff_factor",
    # Megatron-DeepSpeed's kernel-fusion and softmax-precision switches that BLOOM's config.json carries (BloomConfig
    # defines none of them: bigscience/bloom-7b1 config.json), PhiMoE's training-time input jitter, and Granite's
    # scalar multipliers of the embeddings, residuals, scores and logits (elementwise; GraniteMoeConfig): listed as
    # not modelled, they were every key of BLOOM's warning and four of Granite-3.0-MoE's (a usertest, ut_plan3)
    "attention_softmax_in_fp32", "masked_softmax_fusion", "bias_dropout_fusion", "skip_bias_add", "skip_bias_add_qkv",
    "offset_alibi", "input_jitter_noise", "attention_multiplier", "embedding_multiplier", "residual_multiplier",
    "logits_scaling",
    # MiniCPM's muP scalars, the same kind as Granite's: the embeddings times scale_emb, each residual branch times
    # scale_depth / sqrt(num_hidden_layers), the logits' input divided by hidden_size / dim_model_base (elementwise;
    # openbmb/MiniCPM-2B-sft-bf16 modeling_minicpm.py; MiniCPM report arXiv 2404.06395 sec. 3.1)
    "scale_emb", "scale_depth", "dim_model_base",
    # Cohere's scalar on the logits (CohereForCausalLM: self.logit_scale = config.logit_scale, logits * it;
    # huggingface/transformers@015bfeb src/transformers/models/cohere/modeling_cohere.py) and GPT-BigCode's switch
    # scaling the softmax in fp32 (GPTBigCodeConfig.scale_attention_softmax_in_fp32, beside attention_softmax_in_fp32
    # above): elementwise numerics, listed as not modelled in Command-R's and StarCoder's warnings (utmodels)
    "logit_scale", "scale_attention_softmax_in_fp32",
})


# Families whose config's attention_bias puts biases on all four attention projections, q, k, v and o
# (TransformerConfig.attn_bias; the config class's default False): transformers LlamaAttention
# (src/transformers/models/llama/modeling_llama.py @5dd4a63548857797727ae73eeb6a6e886ea02a3e: q_proj / k_proj / v_proj
# / o_proj bias=config.attention_bias), Qwen3Attention (models/qwen3/modeling_qwen3.py
# @9ee3f431c32e9e5f6c0888f6b2b0ca3f6c289dd6, the same four) and Qwen3MoeAttention (models/qwen3_moe/
# modeling_qwen3_moe.py @16b6c53c8ec3a720bd45c1c377bf94e1d01249c5, the same four) and Olmo2Attention
# (models/olmo2/modeling_olmo2.py @7264638d7b0ab5841670813ebed806189b8f7b71, the same four; its q/k norms are not
# counted, _GATED_TYPES); GraniteAttention (models/granite/modeling_granite.py
# @b6dd89b47daad100034ac4e3b7beb2101f07d7f1), GraniteMoeAttention (models/granitemoe/modeling_granitemoe.py
# @c7a438e9d42b8c427670de4a674d06b7a728aa1b) and PhimoeAttention (models/phimoe/modeling_phimoe.py
# @c4cdd1a0d93642f0143c66609d4273efc74c22cf), the same four (GraniteConfig, GraniteMoeConfig and PhimoeConfig
# attention_bias default False; phimoe/configuration_phimoe.py @23925e16). GLM-4-MoE's puts biases on q, k and v only
# (Glm4MoeAttention o_proj bias=False, models/glm4_moe/modeling_glm4_moe.py @a0699c971daff96403489086fcfd07469d20b17f):
# read as qkv_bias (_QKV_BIAS_KEYS). Another family's attention_bias stays listed as not modelled: DeepSeek-V2's sits
# on its latent projections, transformers' MistralAttention builds all four bias=False whatever the config says
# (models/mistral/modeling_mistral.py @93e0020c96f1aaf6c380491c943fcf57502c5e19). GPT-OSS's GptOssAttention builds
# the same four (modeling_gpt_oss.py @6edf5b311854175ff83c59179b3360beca1ceffc) and GptOssConfig sets
# attention_bias = True before a config's own value (configuration_gpt_oss.py
# @828a27fd326e49d4a1c4b08210bfd32c107facc9), so a gpt_oss config without the key is read biased
# (_ATTENTION_BIAS_DEFAULT_TRUE); read since utleft (2026-12-06), with the runs files' GPT-OSS rows (validation
# run_model: a row with moe_expert_bias, written as model_type gpt_oss by predict/run_command.py). Before s31 (rbias)
# every attention_bias was listed.
# Per-head q_norm / k_norm of head_dim weights each a layer (TransformerConfig.qk_norm): transformers @008e574
# Qwen3Attention and Qwen3MoeAttention (models/qwen3/modeling_qwen3.py, models/qwen3_moe/modeling_qwen3_moe.py).
# Gemma3Attention sets q_norm / k_norm (Gemma3RMSNorm of head_dim) always (transformers@f14d0cbc
# src/transformers/models/gemma3/modeling_gemma3.py); Glm4MoeAttention only where use_qk_norm is true (GLM-4.5 sets
# it, GLM-4.5-Air does not; transformers@000c33fd src/transformers/models/glm4_moe/modeling_glm4_moe.py), which was
# dropped as irrelevant (Llama 4's use_qk_norm is a weightless L2 norm) until ut5hf (2026-12-06). HunYuanMoEV1Attention
# sets query_layernorm / key_layernorm (HunYuanMoEV1RMSNorm of head_dim) always (transformers@008cd60e
# src/transformers/models/hunyuan_v1_moe/modeling_hunyuan_v1_moe.py); Tencent's own 'hunyuan' code only under
# use_qk_norm. Another family's use_qk_norm is listed as not modelled (_FAMILY_KEYS), not dropped.
_QK_NORM_TYPES = frozenset({"qwen3", "qwen3_moe", "gemma3", "gemma3_text", "hunyuan_v1_moe", "hunyuan_v1_dense"})
_USE_QK_NORM_TYPES = frozenset({"glm4_moe", "hunyuan"})
_ATTENTION_BIAS_TYPES = frozenset({"llama", "qwen3", "qwen3_moe", "olmo2", "granite", "granitemoe", "phimoe",
                                   "gpt_oss"})
_ATTENTION_BIAS_DEFAULT_TRUE = frozenset({"gpt_oss"})
"""The families whose config class makes attention_bias true where the config.json leaves it out."""
# Families whose config's mlp_bias puts biases on the MLP's gate, up and down projections (TransformerConfig.mlp_bias;
# default False): LlamaMLP (modeling_llama.py @5dd4a63: gate_proj / up_proj / down_proj bias=config.mlp_bias) and
# GraniteMLP (modeling_granite.py @b6dd89b4, the same three). Qwen3's, Qwen3-MoE's and OLMo 2's MLPs are bias-free
# whatever the config says (Qwen3MLP, Qwen3MoeMLP, Olmo2MLP bias=False at the commits above), as are GraniteMoe's
# and PhiMoE's experts (GraniteMoeParallelExperts: weights only; PhimoeBlockSparseTop2MLP w1 / w2 / w3 bias=False):
# a mlp_bias in their configs stays listed.
_MLP_BIAS_TYPES = frozenset({"llama", "granite"})

# Keys read for some families only (load_hf_config's _kv_heads and _block_layout): in another family's config they
# are not modelled, and listed as such rather than taken as read.
_FALCON_TYPES = frozenset({"falcon", "refinedweb", "refinedwebmodel"})
_FAMILY_KEYS = {"multi_query": _FALCON_TYPES | {"gpt_bigcode"}, "parallel_attn": _FALCON_TYPES,
                "new_decoder_architecture": _FALCON_TYPES, "num_kv_heads": _FALCON_TYPES, "n_head_kv": _FALCON_TYPES,
                "alibi": _FALCON_TYPES | {"mpt"},
                "use_parallel_residual": frozenset({"gpt_neox", "stablelm"}),
                "use_qkv_bias": frozenset({"stablelm"}), "qkv_bias": frozenset({"qwen2_moe"}),
                "attention_bias": _ATTENTION_BIAS_TYPES | {"glm4_moe", "glm4"}, "mlp_bias": _MLP_BIAS_TYPES,
                # GraniteMoeShared's shared MLP width (_shared_experts); MiniMax-M3's key of that name is another
                # layout (with n_shared_experts), listed there as not modelled
                "shared_intermediate_size": frozenset({"granitemoeshared"}),
                # read where it puts q/k norm weights of head_dim (_USE_QK_NORM_TYPES; Hunyuan's class always has
                # them); Llama 4's is weightless (Llama4TextL2Norm)
                "use_qk_norm": frozenset({"llama4", "llama4_text", "glm4_moe", "hunyuan", "hunyuan_v1_moe",
                                          "hunyuan_v1_dense"}),
                **dict.fromkeys(("interleave_moe_layer_step", "moe_layers", "intermediate_size_mlp",
                                 "attention_chunk_size"), frozenset({"llama4", "llama4_text"})),
                # SmolLM3's NoPE layers: its sliding-window layers under use_sliding_window (_smollm3_window_layers)
                **dict.fromkeys(("no_rope_layers", "no_rope_layer_interval"),
                                frozenset({"llama4", "llama4_text", "smollm3"}))}


# DeepSeek's group-limited routing: a token's top-k experts come from at most topk_group of the n_group expert groups
# (DeepSeek-V2 report sec. 2.2.2 'Device-Limited Routing', M = 3 devices; DeepSeek-V3 report sec. 2.1.2, at most 4
# nodes). The expert dispatch is timed as if each token's experts were drawn from every group (predict/serving_moe.py,
# 'Not modelled: ... node-limited routing'; comm.expected_nodes_per_token), so a limit that binds is listed as not
# modelled. They were in _IRRELEVANT_KEYS, dropped without a word (user trial utplan). n_group 1 limits nothing.
_ROUTING_LIMIT_KEYS = frozenset({"n_group", "topk_group"})


def _routing_limited(cfg: dict[str, Any]) -> bool:
    groups, top = cfg.get("n_group"), cfg.get("topk_group")
    if not isinstance(groups, int) or not isinstance(top, int) or isinstance(groups, bool) or isinstance(top, bool):
        return False
    return 0 < top < groups


def reads_config_key(key: str) -> bool:
    """Whether load_hf_config reads `key` of a config.json (as one of the alternatives of a field)."""
    return key in _USED_KEYS


# NoPE layers outside Llama 4: SmolLM3 leaves the rotary off its every 4th layer (SmolLM3Attention: self.use_rope =
# config.no_rope_layers[layer_idx], transformers models/smollm3/modular_smollm3.py), elementwise on q and k like
# rotary_pct. With use_sliding_window SmolLM3Config makes those layers the sliding-window ones (read so:
# _smollm3_window_layers). HuggingFaceTB/SmolLM3-3B's warning listed both (utmodels).
_NOPE_KEYS = frozenset({"no_rope_layers", "no_rope_layer_interval"})


def unused_config_keys(cfg: dict[str, Any], mtype: str | None = None) -> tuple[str, ...]:
    """Keys of a config.json the predictors do not model, with a value that matters (not null/false/0); with the
    model type `mtype`, also the family keys of other families (_FAMILY_KEYS)."""
    out = []
    for key, value in cfg.items():
        if key in _ROUTING_LIMIT_KEYS and not _routing_limited(cfg):
            continue
        if key in _NOPE_KEYS and cfg.get("use_sliding_window") is not True:  # _NOPE_KEYS: rotary off, elementwise
            continue
        # a per-layer mixer list whose every entry is softmax attention was read (_check_modelled refuses any other):
        # MiniMaxAI/MiniMax-M2's attn_type_list of 62 ones was listed as not modelled (a user trial, ut3hf)
        if key in _MIXER_LIST_ATTENTION and isinstance(value, list) and value \
                and not _entries_besides(value, _MIXER_LIST_ATTENTION[key]):
            continue
        if mtype is not None and key in _FAMILY_KEYS and mtype not in _FAMILY_KEYS[key] \
                and value not in (None, False, 0):
            out.append(key)
            continue
        if key in _USED_KEYS or key in _IRRELEVANT_KEYS or value in (None, False, 0, [], {}):
            continue
        if key.endswith(("_token_id", "_token_index")):  # token ids (image/begin-of-image markers): no cost
            continue
        out.append(key)
    return tuple(sorted(out))


# Mixture-of-experts families read as Mixtral is: a pre-norm block (2 norms), gated experts (gate, up, down; their
# classes' hidden_act default silu), untied (OLMoE: OlmoeSparseMoeBlock; Phi-3.5-MoE: PhimoeBlockSparseTop2MLP w1, w3,
# w2; Granite MoE: GraniteMoeParallelExperts input_linear of 2 x ffn). They had the unknown-type note, which asked
# to check counts that match the published ones (tests/test_config_families_plan3.py).
_SILU_MOE_TYPES = frozenset({"olmoe", "phimoe", "granitemoe", "granitemoeshared"})
# Families whose MLP is gated (three matrices: SwiGLU or GeGLU; Shazeer 2020, "GLU Variants").
_GATED_TYPES = _SILU_MOE_TYPES | frozenset({
                          "llama", "mistral", "mixtral", "qwen2", "qwen2_moe", "qwen3", "qwen3_moe", "deepseek",
                          "deepseek_v2", "deepseek_v3", "gemma", "gemma2", "gemma3", "gemma3_text", "phi3",
                          # transformers Llama4TextMLP/Llama4TextExperts and GptOssExperts: gate and up projections
                          "llama4", "llama4_text", "gpt_oss",
                          # Olmo2MLP: gate, up, down; its two norms per block come after attention and after the
                          # MLP (Olmo2DecoderLayer), the same weights as two pre-norms; the QK norms (hidden +
                          # kv width per layer, < 0.01%) are not counted
                          "olmo2",
                          "dbrx",  # DbrxExpertGLU: w1 (gate), v1 (up), w2 (down)
                          "chatglm",  # GLM MLP: dense_h_to_4h (2 x ffn, SwiGLU), dense_4h_to_h
                          "qwen",  # QWenMLP: w1, w2 (intermediate_size // 2 each, _qwen1_config), c_proj
                          # ModernBertMLP: Wi = Linear(hidden, 2 x intermediate_size), chunked into input and gate
                          # (GeGLU), Wo = Linear(intermediate_size, hidden) (transformers
                          # models/modernbert/modeling_modernbert.py @000c33f)
                          "modernbert",
                          "phi3small",  # Phi3SmallMLP: up_proj of 2 x ff_intermediate_size (GeGLU), down_proj
                          # StableLmMLP: gate_proj, up_proj, down_proj (transformers models/stablelm/
                          # modeling_stablelm.py @00dcc6d); MiniCPMMLP and InternLM2MLP (w1, w3, w2) the same,
                          # as Llama's (openbmb/MiniCPM-2B-sft-bf16 modeling_minicpm.py, internlm/internlm2-7b
                          # modeling_internlm2.py)
                          "stablelm", "minicpm", "internlm2",
                          # MiniCPM3: MiniCPM's Llama MLP (gate, up, down) under DeepSeek-V2's multi-head latent
                          # attention (vllm-project/vllm model_executor/models/minicpm3.py: MiniCPM3DecoderLayer
                          # builds MiniCPM3Attention over MiniCPMDecoderLayer's MLP)
                          "minicpm3",
                          # Ernie4_5_MoeMLP / Ernie4_5_MoeExperts: gate_proj, up_proj, down_proj (transformers
                          # models/ernie4_5_moe/modeling_ernie4_5_moe.py; _ernie_moe_config)
                          "ernie4_5", "ernie4_5_moe",
                          # HunYuanMLP: gate_and_up_proj (2 x width, SwiGLU), down_proj (tencent/Hunyuan-A13B-Instruct
                          # modeling_hunyuan.py; _hunyuan_config)
                          "hunyuan_v1_moe", "hunyuan_v1_dense", "hunyuan",
                          # Glm4MoeMLP: gate_proj, up_proj, down_proj (transformers models/glm4_moe/
                          # modeling_glm4_moe.py); DeepSeek-V3.2-Exp's MLP and Expert: w1, w2, w3 as DeepSeek-V3's
                          # (deepseek-ai/DeepSeek-V3.2-Exp inference/model.py), its indexer keys listed as not modelled
                          "glm4_moe", "deepseek_v32",
                          # BailingMoeMLP (Ling's dense MLP, its experts and its shared MLP): gate_proj, up_proj,
                          # down_proj (mlx-lm mlx_lm/models/bailing_moe.py @0506aad; _shared_experts)
                          "bailing_moe",
                          # CohereMLP: gate_proj, up_proj, down_proj whatever hidden_act names (CohereConfig's
                          # default "silu"; transformers models/cohere/modeling_cohere.py, stored commit 015bfeb): a
                          # Command R config without hidden_act was read as a plain MLP, 27.6B of its 35B (uttrial)
                          "cohere",
                          # Cohere2MLP is CohereMLP (gate_proj, up_proj, down_proj; modular_cohere2.py @64c2ae8)
                          "cohere2",
                          "glm4"})  # Glm4MLP: gate_up_proj (2 x intermediate_size, SwiGLU), down_proj (@257314f)
# Families whose MLP class is two matrices whatever its activation (transformers GPTNeoXMLP dense_h_to_4h /
# dense_4h_to_h, BertIntermediate + BertOutput and its encoder kin, GPT2MLP c_fc / c_proj, OPTDecoderLayer fc1 / fc2,
# FalconMLP, BloomMLP, PhiMLP fc1 / fc2, MPTMLP up_proj / down_proj, ...): a silu there changes the elementwise op,
# not the layer count, so the silu rule below (gated where a type has no rule) does not apply. A GPT-NeoX config with
# hidden_act silu was read as a gated MLP, 50% more MLP weights, without a word (uttrial). GPT-J keeps the rule:
# `validate --row` writes model_type gptj for a runs-file row's parallel attention + MLP block, with hidden_act silu
# for its SwiGLU (PaLM's; predict/run_command.py).
_PLAIN_MLP_TYPES = frozenset({
    "gpt_neox", "bert", "roberta", "xlm-roberta", "camembert", "electra", "distilbert", "gpt2", "gpt_bigcode",
    "gpt_neo", "codegen", "bloom", "falcon", "refinedweb", "refinedwebmodel", "mpt", "opt", "phi"})
_ERNIE_MOE_TYPES = frozenset({"ernie4_5_moe"})
# Gemma 2/3 normalise both before and after attention and the MLP (Gemma Team 2024, "Gemma 2", Table 1:
# pre-norm and post-norm): 4 RMSNorms per block.
# GLM-4-0414 (model_type glm4) the same: Glm4DecoderLayer's input_layernorm, post_self_attn_layernorm,
# post_attention_layernorm and post_mlp_layernorm (huggingface/transformers@257314f
# src/transformers/models/glm4/modeling_glm4.py); it had no rule and was read with 2 (a user trial, ut3hf).
_FOUR_NORM_TYPES = frozenset({"gemma2", "gemma3", "gemma3_text", "glm4"})


# transformers Qwen2Config / Qwen2MoeConfig / Qwen3Config / Qwen3MoeConfig (models/qwen3/configuration_qwen3.py
# @008e574, models/qwen2/configuration_qwen2.py @caa3177): use_sliding_window=False, max_window_layers=28, and
# `sliding_window = sliding_window if use_sliding_window else None`: a window only where the config switches it on
_QWEN_MAX_WINDOW_LAYERS = 28


def _window_layers(cfg: dict[str, Any], mtype: str, layers: int, where: str) -> tuple[int | None, int]:
    """(sliding window, layers that use it) from a config's window keys, or (None, 0)."""
    if mtype == "gpt_neo":  # GPTNeoConfig: attention_layers lists 'global' / 'local' (window_size) per layer
        return _gpt_neo_windows(cfg, layers, where)
    window = _opt(cfg, ("sliding_window", "sliding_window_size"), None, where)
    if not window or cfg.get("use_sliding_window") is False:  # Qwen2: a window listed but switched off
        return None, 0
    if mtype.startswith("qwen") and cfg.get("use_sliding_window") is not True:  # off unless switched on (above):
        return None, 0  # a Qwen2 config with sliding_window 4096 and no use_sliding_window windowed all its layers
    types = cfg.get("layer_types")
    if isinstance(types, list) and types:  # transformers >= 4.53 lists every layer's kind
        if len(types) != layers or not all(t in ("sliding_attention", "full_attention") for t in types):
            raise InputError(f"{where}: layer_types must list {layers} entries of 'sliding_attention' or "
                             "'full_attention'", "fix layer_types in the config")
        return window, sum(t == "sliding_attention" for t in types)
    if mtype == "smollm3":  # layer_types left out: SmolLM3Config builds it (_smollm3_window_layers)
        return (window, _smollm3_window_layers(cfg, layers, where)) if cfg.get("use_sliding_window") is True \
            else (None, 0)
    pattern = _opt(cfg, ("sliding_window_pattern",), None, where)
    if pattern == 0:  # was read as 'left out' (every layer windowed); transformers divides by it (Gemma 3 layers)
        raise InputError(f"{where}: sliding_window_pattern = 0", "give the period of the global layers (Gemma 3: 6, "
                         "every 6th layer global), or leave the key out")
    if pattern:  # Gemma 3: every `pattern`-th layer is global, the others local (5:1)
        return window, layers - layers // pattern
    if mtype == "gemma2":  # Gemma 2 alternates, local first (transformers Gemma2DecoderLayer: layer_idx % 2 == 0)
        return window, (layers + 1) // 2
    if mtype.startswith("qwen"):  # Qwen2: layers from max_window_layers on use the window (left out: the class's 28)
        max_window = _opt(cfg, ("max_window_layers",), _QWEN_MAX_WINDOW_LAYERS, where) or 0
        return window, max(0, layers - max_window)
    return window, layers


def _smollm3_window_layers(cfg: dict[str, Any], layers: int, where: str) -> int:
    """The sliding-window layers of a SmolLM3 config with use_sliding_window true and no layer_types: the NoPE ones
    alone. SmolLM3Config.__post_init__ makes layer i 'sliding_attention' only where no_rope_layers[i] is 0 (no
    rotary), and builds no_rope_layers, when left out, as int((i + 1) % no_rope_layer_interval != 0) (default 4:
    every 4th layer NoPE) (huggingface/transformers src/transformers/models/smollm3/configuration_smollm3.py
    @008e5743). Every layer was windowed here before: 36 of SmolLM3-3B's 36 where the class builds 9."""
    rope = cfg.get("no_rope_layers")
    if rope is None:
        interval = _opt(cfg, ("no_rope_layer_interval",), 4, where)
        if not interval:  # the class divides by it
            raise InputError(f"{where}: no_rope_layer_interval = 0", "give the period of the NoPE layers (SmolLM3: "
                             "4, every 4th layer), or leave the key out for 4")
        return layers // interval  # layers i with (i + 1) % interval == 0
    if not isinstance(rope, list) or len(rope) < layers or any(isinstance(r, bool) or r not in (0, 1) for r in rope):
        raise InputError(f"{where}: no_rope_layers must list at least {layers} entries of 1 (RoPE) or 0 (NoPE, a "
                         "sliding-window layer under use_sliding_window)", "fix no_rope_layers in the config")
    return sum(r == 0 for r in rope[:layers])


def _zero_window_note(cfg: dict[str, Any], mtype: str) -> tuple[str, ...]:
    """The note for a window key of 0 (`"sliding_window": 0`, Mistral-style), read as no window with no word before.
    transformers reads only null as no window: Mistral's mask masks every key at or before position - sliding_window
    wherever `config.sliding_window is not None`, and its flash path passes the value as the window
    (huggingface/transformers@005a187, models/mistral/modeling_mistral.py,
    _prepare_4d_causal_attention_mask_with_cache_position and MistralFlashAttention2.forward), so 0 there is a
    window of no keys, which no model is trained with; read as the full attention it most likely means, and said."""
    off = cfg.get("use_sliding_window") is False or (mtype.startswith("qwen") and cfg.get("use_sliding_window")
                                                      is not True)  # Qwen2: switched off anyway (_window_layers)
    if mtype == "gpt_neo" or off:  # GPT-Neo's window is window_size
        return ()
    key = next((k for k in ("sliding_window", "sliding_window_size") if cfg.get(k) is not None), None)
    if key is None or cfg[key] != 0 or isinstance(cfg[key], bool):
        return ()
    return (f"the config's {key} = 0 is read as no sliding window: full attention over the whole context in every "
            "layer (transformers reads only null as no window; 0 there would be a window of no keys); write null "
            "to say so, or the window in tokens (Mistral-7B-v0.1: 4096)",)


def _gpt_neo_windows(cfg: dict[str, Any], layers: int, where: str) -> tuple[int | None, int]:
    """(window_size, its 'local' layers) of a GPT-Neo config: attention_layers as written by GPTNeoConfig (one entry
    per layer, expanded from attention_types: [[['global', 'local'], 12]] = 24 alternating layers), else (None, 0)."""
    kinds = cfg.get("attention_layers")
    if kinds is None and isinstance(cfg.get("attention_types"), list):  # GPTNeoConfig.expand_attention_types_params
        try:
            kinds = [k for pattern, times in cfg["attention_types"] for _ in range(times) for k in pattern]
        except (TypeError, ValueError):
            kinds = ["?"]
    if kinds is None:
        return None, 0
    if not isinstance(kinds, list) or len(kinds) != layers or not set(kinds) <= {"global", "local"}:
        raise InputError(f"{where}: attention_layers (attention_types) must give {layers} layers of 'global' or "
                         "'local'", "fix attention_types / attention_layers as in GPT-Neo's config.json")
    window = _opt(cfg, ("window_size",), 256, where)  # GPTNeoConfig's default window_size
    return (window, kinds.count("local")) if window and "local" in kinds else (None, 0)


def _shared_experts(cfg: dict[str, Any], expert_ffn: int, where: str, mtype: str = "") -> int:
    """Shared experts in units of one routed expert's width: DeepSeek's n_shared_experts, or Qwen2-MoE's one shared
    expert of shared_expert_intermediate_size (transformers Qwen2MoeSparseMoeBlock: a gated MLP of that width beside
    the routed experts; Qwen1.5-MoE-A2.7B 5632 = 4 x 1408). Both run as one MLP of shared x width (compute.py).
    Ling's (bailing_moe) num_shared_experts is DeepSeek's n_shared_experts: one gated MLP of moe_intermediate_size x
    num_shared_experts (mlx-lm mlx_lm/models/bailing_moe.py @0506aad, BailingMoeSparseMoeBlock); listed as not
    modelled, Ling-lite-1.5 counted 2.27B of its 2.75B active parameters (a user trial, utconfigs).
    Ling 2.0 gives each shared expert its own width, moe_shared_expert_intermediate_size (left out: the routed
    experts'): one gated MLP of that width x num_shared_experts (mlx-lm mlx_lm/models/bailing_moe.py @a3f0eb4,
    BailingMoeSparseMoeBlock: shared_dim = moe_shared_expert_intermediate_size or moe_intermediate_size).
    GraniteMoeShared's shared_intermediate_size is one gated MLP of that width beside the experts, none at 0
    (transformers models/granitemoeshared/modular_granitemoeshared.py @a878fc0, GraniteMoeSharedMLP: input_linear
    of 2 x width). Both keys were listed as not modelled, their MLP's weights and FLOPs left out (configs2)."""
    n = _opt(cfg, ("n_shared_experts", "num_shared_experts"), 0, where) or 0
    each = _opt(cfg, ("moe_shared_expert_intermediate_size",), None, where)
    if n and each:
        if each * n % expert_ffn:
            raise InputError(f"{where}: moe_shared_expert_intermediate_size {each} x {n} shared experts is not a "
                             f"multiple of the routed experts' width {expert_ffn} (moe_intermediate_size)",
                             "the predictor models a shared expert as whole routed-expert widths: fix the config")
        n = each * n // expert_ffn
    keys = ("shared_expert_intermediate_size", "shared_intermediate_size") if mtype == "granitemoeshared" \
        else ("shared_expert_intermediate_size",)
    key = next((k for k in keys if cfg.get(k) is not None), keys[0])
    width = _opt(cfg, (key,), 0, where) or 0
    if width and width % expert_ffn:
        ffn_key = "intermediate_size" if key == "shared_intermediate_size" else "moe_intermediate_size"
        raise InputError(f"{where}: {key} {width} is not a multiple of the routed experts' width {expert_ffn} "
                         f"({ffn_key})", "the predictor models a shared expert as whole routed-expert widths: fix "
                         "the config")
    return n + width // expert_ffn


_TOP_K_KEYS = ("num_experts_per_tok", "experts_per_token")  # gpt-oss's config writes both (openai/gpt-oss-20b)
_LLAMA4_TYPES = frozenset({"llama4", "llama4_text"})

# The defaults of a config class whose published configs leave sizes to it: google/gemma-3-{4b,12b,27b}-it nest a
# text_config without vocab_size, max_position_embeddings or sliding_window_pattern (the 4B one without heads or
# head_dim either), which transformers fills from Gemma3TextConfig; reading such a file stopped at 'none of
# vocab_size is set', and with vocab_size added every layer was read as windowed (the 5-local : 1-global pattern
# is the class's default). Only the keys this reader uses; each one filled is printed beside the result.
_GEMMA3_SRC = "transformers Gemma3TextConfig (models/gemma3/configuration_gemma3.py @008f5c8)"
_LLAMA4_SRC = "transformers Llama4TextConfig (models/llama4/configuration_llama4.py @008e574)"
# A head width or window the reader would otherwise take otherwise than transformers: GemmaConfig and Gemma2Config
# default head_dim to 256 and Qwen3Config to 128 (not hidden / heads), Gemma2Config sliding_window to 4096 (every
# other layer local); a hand-written Gemma 2 9B config without head_dim counted 9,010,494,976 parameters (heads of
# 3584 / 16 = 224) for its 9,241,705,984, and one without sliding_window no window, with no word (a user trial,
# utplanhf). Only these keys: a top-level config without its sizes is still refused.
_GEMMA_SRC = "transformers GemmaConfig (models/gemma/configuration_gemma.py @008e574)"
_GEMMA2_SRC = "transformers Gemma2Config (models/gemma2/configuration_gemma2.py @008e574)"
_QWEN3_SRC = "transformers Qwen3Config (models/qwen3/configuration_qwen3.py @008e574)"
# num_key_value_heads where the class's default is a number, not None (None: = num_attention_heads, multi-head, as
# LlamaConfig, Phi3Config, OlmoeConfig, Olmo2Config, HunYuanMoEV1Config; _kv_heads_note says so): a config that leaves
# the key out gets that number from transformers (and so from vLLM, which builds the config class), not its heads.
# A Qwen3 config without it was read as multi-head attention (64 K/V heads for Qwen3Config's 32; a user trial,
# utplan3). The defaults: transformers @008e574 models/<type>/configuration_<type>.py for mistral 8, mixtral 8, qwen2
# 32, qwen2_moe 16, qwen3 32, qwen3_moe 4, gemma 16, gemma2 4, glm4_moe 8, ernie4_5 2, ernie4_5_moe 4; StableLmConfig 32
# (@05cd1ec), PhimoeConfig 8 (@040e1a7), GptOssConfig 8 (@02b8f42).
_KV_SRC = "transformers {} (models/{}/configuration_{}.py @{})"
_CLASS_DEFAULTS: dict[str, tuple[str, dict[str, int]]] = {
    "gemma": (_GEMMA_SRC, {"head_dim": 256, "num_key_value_heads": 16}),
    "gemma2": (_GEMMA2_SRC, {"head_dim": 256, "sliding_window": 4096, "num_key_value_heads": 4}),
    "qwen3": (_QWEN3_SRC, {"head_dim": 128, "num_key_value_heads": 32}),
    # MistralConfig's sliding_window is 4096 too (null: none): a config without the key was read with no window
    "mistral": (_KV_SRC.format("MistralConfig", "mistral", "mistral", "008e574"),
                {"num_key_value_heads": 8, "sliding_window": 4096}),
    **{t: (_KV_SRC.format(cls, t, t, at), {"num_key_value_heads": kv}) for t, cls, kv, at in (
        ("mixtral", "MixtralConfig", 8, "008e574"),
        ("qwen2", "Qwen2Config", 32, "008e574"), ("qwen2_moe", "Qwen2MoeConfig", 16, "008e574"),
        ("qwen3_moe", "Qwen3MoeConfig", 4, "008e574"), ("glm4_moe", "Glm4MoeConfig", 8, "008e574"),
        ("ernie4_5", "Ernie4_5Config", 2, "008e574"), ("ernie4_5_moe", "Ernie4_5_MoeConfig", 4, "008e574"),
        ("stablelm", "StableLmConfig", 32, "05cd1ec"), ("phimoe", "PhimoeConfig", 8, "040e1a7"),
        ("gpt_oss", "GptOssConfig", 8, "02b8f42"))},
    "gemma3_text": (_GEMMA3_SRC, {
        "vocab_size": 262_208, "hidden_size": 2304, "intermediate_size": 9216, "num_hidden_layers": 26,
        "num_attention_heads": 8, "num_key_value_heads": 4, "head_dim": 256, "max_position_embeddings": 131_072,
        "sliding_window": 4096, "sliding_window_pattern": 6}),
    "llama4_text": (_LLAMA4_SRC, {
        "vocab_size": 202_048, "hidden_size": 5120, "intermediate_size": 8192, "intermediate_size_mlp": 16384,
        "num_hidden_layers": 48, "num_attention_heads": 40, "num_key_value_heads": 8, "head_dim": 128,
        "max_position_embeddings": 131_072, "num_experts_per_tok": 1, "num_local_experts": 16,
        "interleave_moe_layer_step": 1, "attention_chunk_size": 8192}),
}


# The MoE widths of the families whose config class defines them: a config that names its experts but leaves out the
# experts' width gets the class's number from transformers, where it was read as intermediate_size (the dense width)
# without a word: Qwen3-30B-A3B's config less moe_intermediate_size came out at 233B parameters for 30.5B, Qwen1.5-MoE's
# at 51.7B for 14.3B (a user trial, utplan s33). Qwen2MoeConfig's shared expert (shared_expert_intermediate_size 5632)
# and DeepseekV3Config's n_shared_experts 1 and first_k_dense_replace 3 likewise (read as none). transformers @008e574
# models/qwen2_moe/configuration_qwen2_moe.py (moe_intermediate_size 1408, shared_expert_intermediate_size 5632),
# models/qwen3_moe/configuration_qwen3_moe.py (moe_intermediate_size 768),
# models/deepseek_v3/configuration_deepseek_v3.py (moe_intermediate_size 2048, n_shared_experts 1,
# first_k_dense_replace 3); commit 008e574391258935f3ecc3035c882e73bbcac419. Filled only where the config names an
# expert count (_EXPERT_COUNT_KEYS); a null in one of them is refused (_check_moe_width_given).
_MOE_CLASS_DEFAULTS: dict[str, tuple[str, dict[str, int]]] = {
    "qwen2_moe": (_KV_SRC.format("Qwen2MoeConfig", "qwen2_moe", "qwen2_moe", "008e574"),
                  {"moe_intermediate_size": 1408, "shared_expert_intermediate_size": 5632}),
    "qwen3_moe": (_KV_SRC.format("Qwen3MoeConfig", "qwen3_moe", "qwen3_moe", "008e574"),
                  {"moe_intermediate_size": 768}),
    "deepseek_v3": (_KV_SRC.format("DeepseekV3Config", "deepseek_v3", "deepseek_v3", "008e574"),
                    {"moe_intermediate_size": 2048, "n_shared_experts": 1, "first_k_dense_replace": 3}),
}
_EXPERT_COUNT_KEYS = ("num_experts", "n_routed_experts", "num_local_experts")
# The expert counts of the same classes: a qwen2_moe / qwen3_moe config with no expert-count key at all builds the
# class's experts (Qwen2MoeConfig num_experts 60, num_experts_per_tok 4; Qwen3MoeConfig 128 and 8; transformers
# @008e574 models/qwen2_moe/configuration_qwen2_moe.py, models/qwen3_moe/configuration_qwen3_moe.py), where it was read
# as a dense model without a word (utcfg, s33). A key present, even null, is the config's (transformers keeps it).
# DeepseekV3Config's n_routed_experts 256 and num_experts_per_tok 8 (transformers @008e574
# models/deepseek_v3/configuration_deepseek_v3.py, commit 008e574391258935f3ecc3035c882e73bbcac419): a deepseek_v3
# config without n_routed_experts was refused ('num_experts_per_tok = 8 with one expert', s34). The top-k of these
# classes is filled where the config names its experts but not its top-k too: it was read as top-1 with a note.
_MOE_CLASS_COUNTS: dict[str, dict[str, int]] = {
    "qwen2_moe": {"num_experts": 60, "num_experts_per_tok": 4},
    "qwen3_moe": {"num_experts": 128, "num_experts_per_tok": 8},
    "deepseek_v3": {"n_routed_experts": 256, "num_experts_per_tok": 8},
}


def _moe_class_defaults(cfg: dict[str, Any], mtype: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    """(the config with its class's MoE widths for the keys it leaves out, a note naming them): _MOE_CLASS_DEFAULTS,
    for a config naming more than one expert, or none where _MOE_CLASS_COUNTS gives its class's count (a key
    present, even null, keeps its value, as transformers). One expert is read as a dense model (load_hf_config),
    which uses no expert width: a default filled there was noted as used and then listed as an unused key the
    config does not have (rvB, s33)."""
    table = _MOE_CLASS_COUNTS.get(mtype, {})
    counts = {} if any(k in cfg for k in _EXPERT_COUNT_KEYS) else table
    counts = {k: v for k, v in counts.items() if k not in cfg}  # num_experts_per_tok given alone is kept
    cfg = {**cfg, **counts}
    count = next((cfg[k] for k in _EXPERT_COUNT_KEYS[::-1] if cfg.get(k) is not None), None)  # load_hf_config's order
    routed = isinstance(count, int) and not isinstance(count, bool) and count > 1
    if routed and "num_experts_per_tok" in table and not any(k in cfg for k in _TOP_K_KEYS):  # the experts named
        counts = {**counts, "num_experts_per_tok": table["num_experts_per_tok"]}
        cfg = {**cfg, **counts}
    if mtype not in _MOE_CLASS_DEFAULTS or not routed:
        return cfg, ()
    src, table = _MOE_CLASS_DEFAULTS[mtype]
    filled = {**counts, **{k: v for k, v in table.items() if k not in cfg}}
    if not filled:
        return cfg, ()
    given = ", ".join(f"{k} {v:,}" for k, v in filled.items())
    return {**cfg, **filled}, (f"the config leaves out {given}: the defaults of {src} used, as transformers builds "
                               "it (give them in the config to change them)",)


def _check_moe_width_given(cfg: dict[str, Any], mtype: str, where: str) -> None:
    """An InputError for a null in a width _MOE_CLASS_DEFAULTS names: transformers keeps the null and cannot build
    the experts (nn.Linear of None), where it was read as intermediate_size without a word."""
    if mtype not in _MOE_CLASS_DEFAULTS:
        return
    for key in _MOE_CLASS_DEFAULTS[mtype][1]:
        if key in cfg and cfg[key] is None:
            raise InputError(f"{where}: {key} is null (transformers keeps a null and cannot build the model from it)",
                             f"give {key} as a whole number, or leave the key out for the default of "
                             f"{_MOE_CLASS_DEFAULTS[mtype][0]}, {_MOE_CLASS_DEFAULTS[mtype][1][key]:,}")


# A multimodal config's text_config may leave its sizes to the text class as well: llava-hf/llava-1.5-7b-hf gives
# model_type llama with max_position_embeddings and vocab_size only (LlavaConfig builds LlamaConfig's 7B widths),
# llava-hf/llava-v1.6-mistral-7b-hf a mistral without hidden_size, layers or heads. Read alone, such a file stopped
# with 'holds no model sizes ... not a model's config.json (a generation_config.json?)'. Only for a nested text
# model (a top-level file without sizes is still refused); num_key_value_heads left to LlamaConfig's None = heads.
_LLAMA_SRC = "transformers LlamaConfig (models/llama/configuration_llama.py; 4.31.0 installed here, and @001f85b)"
_MISTRAL_SRC = "transformers MistralConfig (models/mistral/configuration_mistral.py @001f85b)"
_NESTED_CLASS_DEFAULTS: dict[str, tuple[str, dict[str, int]]] = {
    "llama": (_LLAMA_SRC, {
        "vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 11008, "num_hidden_layers": 32,
        "num_attention_heads": 32, "max_position_embeddings": 2048}),
    "mistral": (_MISTRAL_SRC, {
        "vocab_size": 32000, "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
        "num_attention_heads": 32, "num_key_value_heads": 8, "max_position_embeddings": 4096 * 32,
        "sliding_window": 4096}),
}


# The MLP width (intermediate_size) a config that leaves it out gets from its config class, where it was read as
# 4 x hidden_size with a note: a Llama config.json without intermediate_size planned a 4 x 4096 = 16,384-wide MLP where
# LlamaConfig builds 11,008 (a user trial, s33). transformers @008e574391258935f3ecc3035c882e73bbcac419
# models/<type>/configuration_<type>.py: LlamaConfig 11008, MistralConfig 14336, MixtralConfig 14336, Qwen2Config
# 22016, Qwen3Config 22016, GemmaConfig 24576, Gemma2Config 9216, Phi3Config 8192, DeepseekV3Config 18432,
# DeepseekV2Config 11008 (the dense layers' width: a DeepSeek-V3 config without it planned 4 x 7168). FalconConfig's
# max_position_embeddings 2048 ('Pretrained Falcon models with RoPE support up to 2048 tokens'; transformers
# @5fd8edad2a672d6a10d6352b62b823d56c3032bf models/falcon/configuration_falcon.py): Falcon's config.json files give
# none, and the context length was reported unknown. Filled only where the config gives none of the width's (or
# the context's) spellings; the note names each value filled.
_FFN_CLASS_DEFAULTS: dict[str, tuple[str, dict[str, int]]] = {
    **{t: (_KV_SRC.format(cls, t, t, "008e574"), {"intermediate_size": ffn}) for t, cls, ffn in (
        ("llama", "LlamaConfig", 11008), ("mistral", "MistralConfig", 14336), ("mixtral", "MixtralConfig", 14336),
        ("qwen2", "Qwen2Config", 22016), ("qwen3", "Qwen3Config", 22016), ("gemma", "GemmaConfig", 24576),
        ("gemma2", "Gemma2Config", 9216), ("phi3", "Phi3Config", 8192), ("deepseek_v3", "DeepseekV3Config", 18432),
        ("deepseek_v2", "DeepseekV2Config", 11008))},
    **dict.fromkeys(_FALCON_TYPES, (_KV_SRC.format("FalconConfig", "falcon", "falcon", "5fd8eda"),
                                    {"max_position_embeddings": 2048})),
}
_WIDTH_KEYS = {"intermediate_size": ("intermediate_size", "n_inner", "ffn_dim"),
              "max_position_embeddings": ("max_position_embeddings", "n_positions", "n_ctx")}


def _ffn_class_defaults(mtype: str, cfg: dict[str, Any]) -> dict[str, int]:
    """_FFN_CLASS_DEFAULTS' values for mtype that the config gives under none of the key's spellings."""
    table = _FFN_CLASS_DEFAULTS.get(mtype, ("", {}))[1]
    return {k: v for k, v in table.items() if not any(s in cfg for s in _WIDTH_KEYS[k])}


def _class_defaults(cfg: dict[str, Any], mtype: str, nested: bool = False) -> tuple[dict[str, Any], tuple[str, ...]]:
    """(the config with its class's defaults for the keys it leaves out, a note naming them). As transformers, a
    key present (even null) keeps its value; a window pattern is not filled where layer_types lists the layers.
    `nested`: the config is a multimodal config's text_config (_NESTED_CLASS_DEFAULTS apply too)."""
    src, table = _CLASS_DEFAULTS.get(mtype) or ("", {})
    if _ffn_class_defaults(mtype, cfg):
        src, table = src or _FFN_CLASS_DEFAULTS[mtype][0], {**table, **_ffn_class_defaults(mtype, cfg)}
    if nested and mtype in _NESTED_CLASS_DEFAULTS:  # a text_config's sizes too (its class's K/V heads kept)
        src, more = _NESTED_CLASS_DEFAULTS[mtype]
        table = {**table, **more}
    filled = {k: v for k, v in table.items() if k not in cfg
              and not (k == "sliding_window_pattern" and cfg.get("layer_types"))}
    if not filled:
        return cfg, ()
    given = ", ".join(f"{k} {v:,}" for k, v in filled.items())
    return {**cfg, **filled}, (f"the config leaves out {given}: the defaults of {src} used, as transformers builds "
                               "it (give them in the config to change them)",)


def _check_class_kv_heads(as_written: dict[str, Any], cfg: dict[str, Any], mtype: str, heads: int,
                          where: str) -> None:
    """An InputError when the config leaves num_key_value_heads to its class's default (_CLASS_DEFAULTS) and that
    default does not divide its attention heads: transformers would build that many K/V heads and fail to group the
    query heads over them (num_key_value_groups = heads // kv_heads), so no count of it is right."""
    kv = cfg.get("num_key_value_heads")
    if "num_key_value_heads" in as_written or not isinstance(kv, int) or not isinstance(heads, int) or heads < 1:
        return
    if heads % kv == 0:
        return
    src = _CLASS_DEFAULTS[mtype][0] if mtype in _CLASS_DEFAULTS else f"model_type {mtype!r}'s config class"
    raise InputError(f"{where}: the config leaves out num_key_value_heads, and the default of {src}, {kv} K/V heads, "
                     f"does not divide its {heads} attention heads (transformers would build {kv} K/V heads and "
                     "could not group the query heads over them)",
                     "give num_key_value_heads in the config: a divisor of num_attention_heads (num_attention_heads "
                     "itself for multi-head attention)")


def _llama4_moe(cfg: dict[str, Any], layers: int, expert_ffn: int, where: str) -> dict[str, Any]:
    """Llama 4's MoE layout (transformers Llama4TextDecoderLayer / Llama4TextMoe): every interleave_moe_layer_step-th
    layer is MoE (moe_layers = range(step - 1, layers, step) unless listed) with one shared expert as wide as a
    routed one (shared_expert = Llama4TextMLP(config), intermediate_size); the other layers are dense MLPs of
    intermediate_size_mlp. Scout: 16 experts on all 48 layers (109B total, 17B active); Maverick: 128 on every other."""
    step = _opt(cfg, ("interleave_moe_layer_step",), 1, where)
    if not step:
        raise InputError(f"{where}: interleave_moe_layer_step = 0", "give the spacing of the MoE layers (Scout 1, "
                         "Maverick 2), or leave it out for every layer")
    listed = cfg.get("moe_layers")
    if listed is not None and listed != list(range(step - 1, layers, step)):
        raise InputError(f"{where}: moe_layers {listed!r} is not every {step}-th layer (range({step - 1}, {layers}, "
                         f"{step}), from interleave_moe_layer_step {step}): the predictors model MoE layers at a fixed "
                         "interval", "leave moe_layers out (then interleave_moe_layer_step places them), or give "
                         "interleave_moe_layer_step the spacing moe_layers has")
    return {"moe_every": step, "shared_experts": 1,
            "dense_ffn": _opt(cfg, ("intermediate_size_mlp",), None, where) or expert_ffn}


def _llama4_chunks(cfg: dict[str, Any], layers: int, where: str) -> tuple[int | None, int, tuple[str, ...]]:
    """(window, layers with it, its note) for Llama 4's chunked attention: the RoPE layers (no_rope_layers 1, by
    default all but every no_rope_layer_interval-th; layer_types 'chunked_attention') attend within chunks of
    attention_chunk_size tokens, the NoPE layers globally (transformers Llama4TextConfig / Llama4TextAttention)."""
    chunk = _opt(cfg, ("attention_chunk_size",), None, where)
    if not chunk:
        return None, 0, ()
    types, rope = cfg.get("layer_types"), cfg.get("no_rope_layers")
    if isinstance(types, list) and types:
        if len(types) != layers or not all(t in ("chunked_attention", "full_attention") for t in types):
            raise InputError(f"{where}: layer_types must list {layers} entries of 'chunked_attention' or "
                             "'full_attention'", "fix layer_types in the config")
        n = sum(t == "chunked_attention" for t in types)
    elif isinstance(rope, list) and rope:
        if len(rope) < layers or not all(v in (0, 1) for v in rope[:layers]):
            raise InputError(f"{where}: no_rope_layers must list {layers} entries of 1 (RoPE, chunked attention) "
                             "or 0 (NoPE, global attention)", "fix no_rope_layers in the config")
        n = sum(rope[:layers])
    else:
        interval = _opt(cfg, ("no_rope_layer_interval",), 4, where) or 4  # Llama4TextConfig's default: 4
        n = layers - layers // interval
    return chunk, n, (f"attention_chunk_size {chunk:,}: the {n} chunked-attention layers are read as sliding windows "
                      f"of {chunk:,} keys: the KV cache one keeps is the same (at most one chunk), its attention FLOPs "
                      f"past {chunk:,} tokens are a window's, up to 2 x the chunked ones (a query attends to the "
                      f"earlier keys of its own chunk only, {chunk // 2:,} on average)",)


def _stored_weight_dtype(q: dict[str, Any]) -> str | None:
    """The `plan serve --weight-dtype` of a checkpoint's quantization_config, None when none fits: fp8 (DeepSeek-V3:
    quant_method fp8, e4m3 128 x 128 blocks), mxfp4 (gpt-oss), AWQ/GPTQ at 4 or 8 bits (weight-only: int4, int8),
    bitsandbytes 4-bit (int4) and 8-bit (w8a8: LLM.int8() multiplies int8 weights by int8-quantized activations,
    its fp16 outlier columns aside; Dettmers et al. 2022, sec. 3)."""
    method = str(q.get("quant_method", "")).lower()
    if method in ("fp8", "fbgemm_fp8"):
        return "fp8"
    if method == "mxfp4":
        return "mxfp4"
    if method == "bitsandbytes":
        return "int4" if q.get("load_in_4bit") else "w8a8" if q.get("load_in_8bit") else None
    if method == "compressed-tensors":
        return _compressed_tensors_dtype(q)
    if method == "modelopt":  # NVIDIA ModelOpt checkpoints (nvidia/Llama-3.1-8B-Instruct-FP8, ...-FP4)
        return {"FP8": "fp8", "NVFP4": "nvfp4"}.get(str(q.get("quant_algo", "")).upper())
    bits = q.get("bits", q.get("w_bit"))
    if method not in ("awq", "gptq") or bits not in (4, 8):
        return None
    return "int4" if bits == 4 else "int8"


def _compressed_tensors_dtype(q: dict[str, Any]) -> str | None:
    """The --weight-dtype of a compressed-tensors checkpoint (llm-compressor / Neural Magic: FP8, W8A8, W8A16, W4A16,
    NVFP4): the weights' num_bits and type of every config group, when they agree (8 float: fp8; 8 int: w8a8 where
    the group quantizes its input_activations to 8 bits too, else int8, weight-only; 4 int: int4; 4 float: nvfp4);
    None when a group says otherwise or they differ."""
    groups = q.get("config_groups")
    kinds = {(w.get("num_bits"), w.get("type"), isinstance(a := g.get("input_activations"), dict)
              and a.get("num_bits") == 8) for g in (groups.values() if isinstance(groups, dict) else ())
             if isinstance(g, dict) and isinstance(w := g.get("weights"), dict)}
    table: dict[tuple[Any, Any, bool], str] = {(8, "float", True): "fp8", (8, "float", False): "fp8",
                                               (8, "int", True): "w8a8", (8, "int", False): "int8",
                                               (4, "int", False): "int4", (4, "float", True): "nvfp4",
                                               (4, "float", False): "nvfp4"}
    return table.get(kinds.pop()) if len(kinds) == 1 else None


def _stored_weight_flags(cfg: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The `plan serve` flags (flag, value) that predict a quantized checkpoint's weights as stored; () where its
    quantization_config names no format a flag says (TransformerConfig.stored_weight_flags)."""
    q = cfg.get("quantization_config")
    if not isinstance(q, dict) or not q or (dtype := _stored_weight_dtype(q)) is None:
        return ()
    method = str(q.get("quant_method", "")).lower()
    # gpt-oss stores only its experts in MXFP4: modules_to_not_convert keeps attention, router, embeddings and lm_head
    # in bf16 (openai/gpt-oss-20b config.json), which plan serve's --expert-weight-dtype says
    kept = " ".join(str(m) for m in q.get("modules_to_not_convert") or ())
    experts_only = "attn" in kept and any(cfg.get(k) for k in ("num_local_experts", "num_experts", "n_routed_experts"))
    flags: tuple[tuple[str, str], ...] = ((("--weight-dtype", "bf16"), ("--expert-weight-dtype", dtype))
                                          if experts_only else (("--weight-dtype", dtype),))
    group = _int4_group(q, cfg) if dtype == "int4" else None
    if group is not None:  # else plan serve takes its default 128 ('default used:') for an AWQ group of 64
        flags += (("--int4-group-size", str(group)),)
    # llm-compressor's FP8 KV-cache checkpoints (kv_cache_scheme: 8-bit float, e.g. Meta-Llama-3-8B-Instruct-FP8-KV)
    # carry calibrated K/V scales that vLLM serves with kv_cache_dtype="fp8" (docs.vllm.ai features/quantization/
    # quantized_kvcache, 'Calibration with a dataset (via llm-compressor)'); the weight flags alone said nothing of
    # it, and the key was said to be read through them (ut4fix)
    kv = q.get("kv_cache_scheme")
    if method == "compressed-tensors" and isinstance(kv, dict) and (kv.get("num_bits"), kv.get("type")) == (8, "float"):
        flags += (("--kv-dtype", "fp8"),)
    return flags


def _quantization_note(cfg: dict[str, Any]) -> tuple[str, ...]:
    """A note for a checkpoint that stores its weights quantized: its quantization_config is not modelled (listed with
    the unused keys), and serving is predicted at --weight-dtype (bf16 unless given), so the note names the flags that
    predict the weights as stored (_stored_weight_flags)."""
    stored = _stored_weights_text(cfg)
    if not stored:
        return ()
    flags = " ".join(f"{flag} {value}" for flag, value in _stored_weight_flags(cfg))
    # on a device without fp4 matmuls (H100 and older) mxfp4/nvfp4 weights run weight-only: 4-bit weights, 16-bit
    # compute (plan serve prints it), as vLLM serves gpt-oss on Hopper
    fix = (f"pass `plan serve {flags}` to predict the weights as stored" if flags
           else "give `plan serve` the --weight-dtype closest to its format (bf16, fp16, fp8, int8 (weight-only), "
           "w8a8, int4, nvfp4, mxfp4)")
    return (f"{stored}: serving is predicted at --weight-dtype (bf16 unless given); {fix}",)


def _stored_weights_text(cfg: dict[str, Any]) -> str:
    """What a quantized checkpoint stores, the head of its note (TransformerConfig.stored_weights_text), which
    `plan` ends in its own words; '' where the config stores no quantized weights."""
    q = cfg.get("quantization_config")
    if not isinstance(q, dict) or not q:
        return ""
    method = q.get("quant_method", "unnamed")
    return f"the checkpoint stores its weights quantized (quantization_config: quant_method {method})"


def _int4_group(q: dict[str, Any], cfg: dict[str, Any]) -> int | None:
    """`plan serve --int4-group-size` of a 4-bit checkpoint: AWQ/GPTQ's group_size (AutoAWQ's q_group_size), or the
    compressed-tensors weights' group_size; group_size -1 (GPTQ per-channel: one scale per output row) is the layer
    width, the hidden size (the flag's help). None when the config gives none."""
    groups = q.get("config_groups")
    sizes = {w.get("group_size") for g in (groups.values() if isinstance(groups, dict) else ())
             if isinstance(g, dict) and isinstance(w := g.get("weights"), dict)}
    size = q.get("group_size", q.get("q_group_size")) if not sizes else sizes.pop() if len(sizes) == 1 else None
    if size == -1 and isinstance(hidden := cfg.get("hidden_size"), int) and not isinstance(hidden, bool):
        return hidden
    return size if isinstance(size, int) and not isinstance(size, bool) and size > 0 else None


def _mlp_only_layers(cfg: dict[str, Any], layers: int, moe: dict[str, Any], where: str) -> tuple[int, tuple[str, ...]]:
    """(dense layers, their note) for Qwen2-MoE/Qwen3-MoE's mlp_only_layers: the layers listed run a dense MLP of
    intermediate_size instead of the experts (transformers Qwen2MoeDecoderLayer: `layer_idx not in
    config.mlp_only_layers and (layer_idx + 1) % config.decoder_sparse_step == 0`). The predictors count dense layers
    as the first ones; listed elsewhere, their count is right and their place (pipeline stages) is not."""
    listed = cfg["mlp_only_layers"]
    if not isinstance(listed, list) or not all(isinstance(i, int) and 0 <= i < layers for i in listed):
        raise InputError(f"{where}: mlp_only_layers = {listed!r} is not a list of layer indices in 0..{layers - 1}",
                         "list the indices of the dense layers, or leave mlp_only_layers empty")
    if moe.get("first_dense_layers") or moe.get("moe_every", 1) != 1:
        raise InputError(f"{where}: mlp_only_layers with first_k_dense_replace or a decoder_sparse_step above 1",
                         "the predictors model dense layers first and then MoE layers at a fixed interval: give one "
                         "of them")
    n = len(set(listed))
    return n, (f"mlp_only_layers: {n} dense layers (of intermediate_size) counted as the first {n}; their count of "
               "parameters and FLOPs is the config's, their place in a pipeline is not",)


# The keys _moe_layout reads for an MoE model's layout: with one expert or none (a dense read) none of them is read.
_MOE_LAYOUT_KEYS = ("moe_intermediate_size", "n_shared_experts", "num_shared_experts",
                    "shared_expert_intermediate_size", "moe_shared_expert_intermediate_size",
                    "first_k_dense_replace", "moe_layer_freq", "decoder_sparse_step", "mlp_only_layers",
                    "interleave_moe_layer_step", "moe_layers")


def _moe_keys_unread(cfg: dict[str, Any], experts: int) -> tuple[str, ...]:
    """The MoE layout keys a config gives (not null, not an empty list) that a dense read (experts <= 1) leaves
    unread: listed with the unused keys and said, since before utserve (s33, 2026-12-06) a Qwen3-MoE config with
    num_experts 1 was read as a dense MLP of intermediate_size 6,144 and its moe_intermediate_size 768 dropped
    without a word. () for an MoE model (_moe_layout reads them)."""
    if experts > 1:
        return ()
    return tuple(k for k in _MOE_LAYOUT_KEYS if cfg.get(k) not in (None, [], ()))


# transformers' Qwen2MoeDecoderLayer / Qwen3MoeDecoderLayer build their SparseMoeBlock wherever `num_experts > 0 and
# (layer_idx + 1) % decoder_sparse_step == 0` and the layer is not in mlp_only_layers (models/qwen3_moe/
# modeling_qwen3_moe.py @00d4b3d, models/qwen2_moe/modeling_qwen2_moe.py), so num_experts 1 is ONE expert of
# moe_intermediate_size (Qwen2-MoE: beside its shared expert of shared_expert_intermediate_size), not a dense MLP of
# intermediate_size as it was read (utcfg, s33). Softmax over one router logit weighs that expert 1.0 (top-1 of 1).
_ONE_EXPERT_TYPES = frozenset({"qwen2_moe", "qwen3_moe"})


def _one_expert_mlp(cfg: dict[str, Any], mtype: str, experts: int, ffn: int,
                    sizes: tuple[int, int]) -> tuple[int, tuple[str, ...], tuple[str, ...]]:
    """(the MLP width, the MoE keys read, notes) of a qwen2_moe / qwen3_moe config with one expert on every layer:
    the expert's width (+ the shared expert's), its class default where the config leaves it out. A layout with
    dense layers too (mlp_only_layers, a decoder_sparse_step other than 1) mixes two widths the dense read cannot
    hold: it stays the dense read of intermediate_size, its note naming the keys not used. `sizes`: (layers,
    hidden)."""
    given = any(cfg.get(k) == 1 for k in _EXPERT_COUNT_KEYS)
    if mtype not in _ONE_EXPERT_TYPES or experts != 1 or not given:
        return ffn, (), ()
    if cfg.get("mlp_only_layers") or cfg.get("decoder_sparse_step", 1) not in (1, None):
        return ffn, (), ()
    src, table = _MOE_CLASS_DEFAULTS[mtype]
    widths = {k: cfg[k] if cfg.get(k) is not None else v for k, v in table.items()}
    left_out = ", ".join(f"{k} {v:,}" for k, v in table.items() if cfg.get(k) is None)
    default = f"; the config leaves out {left_out}: the default of {src} used" if left_out else ""
    layers, hidden = sizes
    gates = layers * hidden * (2 if mtype == "qwen2_moe" else 1)  # router Linear(hidden, 1) [+ shared_expert_gate]
    shared = (f" + its shared expert {widths['shared_expert_intermediate_size']:,}"
              if "shared_expert_intermediate_size" in widths else "")
    note = (f"one routed expert: transformers builds its sparse MLP block on every layer (num_experts > 0), so the MLP "
            f"is the expert's moe_intermediate_size {widths['moe_intermediate_size']:,}{shared} wide, not "
            f"intermediate_size {ffn:,}{default}; its router weights ({gates:,} parameters) are not counted")
    read = ("moe_intermediate_size", "shared_expert_intermediate_size", "decoder_sparse_step", "mlp_only_layers")
    return sum(widths.values()), read, (note,)


def _moe_layout(cfg: dict[str, Any], mtype: str, layers: int, ffn: int,
                where: str) -> tuple[dict[str, Any], int, tuple[str, ...]]:
    """(TransformerConfig's MoE fields, the expert width, notes) of an MoE config. A 0 in a width or a spacing is
    refused, not read as 'left out' (it became the dense width, or MoE on every layer, without a word)."""
    kwargs: dict[str, Any] = {}
    notes: tuple[str, ...] = ()
    moe_ffn = _opt(cfg, ("moe_intermediate_size",), None, where)
    if moe_ffn == 0:
        raise InputError(f"{where}: moe_intermediate_size = 0 (the experts' MLP width)",
                         "give the experts' hidden width, or leave moe_intermediate_size out (then the experts are "
                         "intermediate_size wide)")
    if moe_ffn:
        kwargs["dense_ffn"], ffn = ffn, moe_ffn
    kwargs["shared_experts"] = _shared_experts(cfg, ffn, where, mtype)
    # Qwen2MoeSparseMoeBlock's shared_expert_gate, Linear(hidden, 1) beside its shared expert (TransformerConfig)
    kwargs["shared_expert_gate"] = mtype == "qwen2_moe" and kwargs["shared_experts"] > 0
    kwargs["first_dense_layers"] = _opt(cfg, ("first_k_dense_replace",), 0, where) or 0
    kwargs["moe_every"] = _moe_every(cfg, where)
    if mtype in _LLAMA4_TYPES:
        kwargs.update(_llama4_moe(cfg, layers, ffn, where))
    if cfg.get("mlp_only_layers"):
        kwargs["first_dense_layers"], notes = _mlp_only_layers(cfg, layers, kwargs, where)
    return kwargs, ffn, notes


def _moe_every(cfg: dict[str, Any], where: str) -> int:
    """The MoE layers' spacing (decoder_sparse_step / moe_layer_freq); 0 is refused: transformers' Qwen2-MoE/Qwen3-MoE
    take (layer_idx + 1) % decoder_sparse_step and DeepSeek layer_idx % moe_layer_freq, a division by zero."""
    keys = ("moe_layer_freq", "decoder_sparse_step")
    every = _opt(cfg, keys, 1, where)
    if every == 0:
        key = next(k for k in keys if cfg.get(k) is not None)
        raise InputError(f"{where}: {key} = 0 (the spacing of the MoE layers; transformers divides by it)",
                         f"give {key} 1 for an MoE layer on every layer (2: every other one), or leave it out")
    return every or 1


def _all_dense_note(cfg: dict[str, Any], layers: int, experts: int, moe: dict[str, Any]) -> tuple[str, ...]:
    """The note of an MoE config none of whose layers is MoE (mlp_only_layers listing them all, first_k_dense_replace
    >= the layers, or a spacing past them): it is planned as the dense model it is, so that no expert count is
    printed and --ep is refused as for any dense model."""
    why = ("mlp_only_layers lists every layer" if cfg.get("mlp_only_layers")
           else f"first_k_dense_replace {moe['first_dense_layers']} covers them" if moe["first_dense_layers"]
           else f"an MoE layer every {moe['moe_every']} layers places none")
    return (f"no MoE layer: of the {layers} layers none runs the {experts} experts ({why}); planned as a dense model "
            "(no expert parallelism)",)


_LAYER_KEYS = ("num_hidden_layers", "n_layer", "num_layers")
_HEAD_KEYS = ("num_attention_heads", "n_head", "num_heads")  # num_heads: GPTNeoConfig (EleutherAI/gpt-neo-*)
_CONTEXT_KEYS = ("max_position_embeddings", "n_positions", "n_ctx")

# Families that name their sizes their own way and nest the attention (and MoE) ones, each key read as the common one:
# DBRX (databricks/dbrx-base; transformers DbrxConfig: d_model, n_heads, n_layers, max_seq_len; DbrxAttentionConfig:
# kv_n_heads; DbrxFFNConfig: ffn_hidden_size, moe_num_experts, moe_top_k; models/dbrx/configuration_dbrx.py) and
# MPT (mosaicml/mpt-7b, llm-foundry's MPTConfig: the same top-level names, attn_config.kv_n_heads for its grouped-query
# attention). DBRX's experts are GLUs (DbrxExpertGLU: w1, v1, w2) with ffn_act_fn silu, its embeddings untied
# (DbrxConfig default); MPT's MLP is up_proj, GELU, down_proj of expansion_ratio x d_model, no biases (no_bias),
# ALiBi positions (no table), its logits read through the input embedding (tied; transformers MptForCausalLM
# _tied_weights_keys, llm-foundry MPTForCausalLM).
_RENAMED_KEYS = {"n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
                 "max_seq_len": "max_position_embeddings"}
_NESTED_KEYS: dict[str, dict[str, dict[str, str]]] = {
    "dbrx": {"attn_config": {"kv_n_heads": "num_key_value_heads"},
             "ffn_config": {"ffn_hidden_size": "intermediate_size", "moe_num_experts": "num_local_experts",
                            "moe_top_k": "num_experts_per_tok"}},
    "mpt": {"attn_config": {"kv_n_heads": "num_key_value_heads"}}}
# nested and top-level keys that change no FLOPs, bytes or memory: the clamp of q/k/v, the rotary base, ALiBi's slopes,
# the softmax scale and the q/k LayerNorm (elementwise), dropout, the router's jitter, loss weight and weight
# normalisation, the activation (read from the family), which kernel runs, sub-config and tokenizer bookkeeping
_NESTED_IRRELEVANT = frozenset({
    "clip_qkv", "rope_theta", "attn_pdrop", "moe_jitter_eps", "moe_loss_weight", "moe_normalize_expert_weights",
    "ffn_act_fn", "model_type", "uniform_expert_assignment", "alibi", "alibi_bias_max", "attn_impl", "softmax_scale",
    "qk_ln", "qk_gn", "prefix_lm", "attn_uses_sequence_id", "rope", "rope_impl", "rope_dail_config",
    "rope_hf_config", "attn_type", "fused_qkv", "sliding_window_size"})
_MPT_IRRELEVANT = frozenset({"init_device", "tokenizer_name", "verbose", "embedding_fraction", "norm_type",
                             "expansion_ratio", "emb_pdrop", "resid_pdrop", "logit_scale", "init_config"})


def _nested_config(cfg: dict[str, Any], mtype: str, where: str) -> dict[str, Any]:
    """A DBRX or MPT config with its sizes under the common keys (the nested ones named by their path in any error),
    and a nested key not read listed as `attn_config.KEY` among the keys not modelled."""
    out = {k: v for k, v in cfg.items() if k not in _RENAMED_KEYS and k not in _NESTED_KEYS[mtype]}
    out.update({common: cfg[k] for k, common in _RENAMED_KEYS.items() if k in cfg})
    unread: dict[str, Any] = {}
    for outer, keys in _NESTED_KEYS[mtype].items():
        sub = cfg.get(outer) or {}
        if not isinstance(sub, dict):
            raise InputError(f"{where}: {outer} is not a JSON object", f"fix {outer} as in the model's config.json")
        for key, value in sub.items():
            if key in keys:
                _opt({f"{outer}.{key}": value}, (f"{outer}.{key}",), None, where)  # names the nested key if bad
                out[keys[key]] = value
            elif key not in _NESTED_IRRELEVANT or (key == "sliding_window_size" and value not in (None, -1)):
                unread[f"{outer}.{key}"] = value
    return {**(_mpt_sizes(cfg, out, where) if mtype == "mpt" else out), **unread}


# THUDM ChatGLM / GLM-4 (remote code, model_type chatglm; THUDM/glm-4-9b-chat configuration_chatglm.py ChatGLMConfig):
# its own names for the common sizes, K/V heads = multi_query_group_num with multi_query_attention (else every head),
# head width kv_channels; its MLP is a SwiGLU (dense_h_to_4h of 2 x ffn_hidden_size), its output layer untied. It
# stopped at 'none of vocab_size is set', asking for a key the model does not have.
_CHATGLM_KEYS = {"padded_vocab_size": "vocab_size", "ffn_hidden_size": "intermediate_size", "kv_channels": "head_dim",
                 "seq_length": "max_position_embeddings"}
# keys of no cost at the predictors' level: norm kind and epsilon, where the residual is taken, fused-kernel and
# numerics switches, the rotary variant and base, dropout; add_qkv_bias / add_bias_linear stay listed (biases)
_CHATGLM_IRRELEVANT = frozenset({"rmsnorm", "layernorm_epsilon", "post_layer_norm", "bias_dropout_fusion",
                                 "apply_query_key_layer_scaling", "attention_softmax_in_fp32", "original_rope",
                                 "rope_ratio", "fp32_residual_connection", "apply_residual_connection_post_layernorm",
                                 "multi_query_attention", "multi_query_group_num", "hidden_dropout"})


def _chatglm_config(cfg: dict[str, Any], where: str) -> dict[str, Any]:
    """A ChatGLM config with its sizes under the common keys (a bad value named by its own key)."""
    out = {k: v for k, v in cfg.items() if k not in _CHATGLM_KEYS and k not in _CHATGLM_IRRELEVANT}
    for key, common in _CHATGLM_KEYS.items():
        if cfg.get(key) is not None:
            _opt(cfg, (key,), None, where)
            out[common] = cfg[key]
    if cfg.get("multi_query_attention"):
        out["num_key_value_heads"] = _req(cfg, ("multi_query_group_num",), where)
    # RoPE on half of each head: ChatGLMModel builds RotaryEmbedding(rotary_dim // 2) with rotary_dim = kv_channels
    # (or hidden / heads), and apply_rotary_pos_emb rotates x[..., :rot_dim] (rot_dim = rope_cache.shape[-2] x 2 =
    # that half) and passes x[..., rot_dim:] through (THUDM/chatglm3-6b and glm-4-9b modeling_chatglm.py, Hub remote
    # code; commit not recorded). No config key says it: read as rotary_dim (_rotary_dim_of).
    heads, hidden, head = cfg.get("num_attention_heads"), cfg.get("hidden_size"), cfg.get("kv_channels")
    if not isinstance(head, int) and isinstance(heads, int) and isinstance(hidden, int) and heads > 0:
        head = hidden // heads
    if isinstance(head, int) and head >= 2 and "rotary_dim" not in cfg:
        out["rotary_dim"] = head // 2
    return out


# Qwen (v1; remote code, model_type qwen; Qwen/Qwen-7B modeling_qwen.py QWenMLP and QWenAttention): its config's
# intermediate_size is twice the MLP's width: w1 and w2 are Linear(hidden, intermediate_size // 2), multiplied after
# SiLU, and c_proj is Linear(intermediate_size // 2, hidden) (a SwiGLU of intermediate_size / 2); the head width is
# kv_channels. Read as a plain MLP of intermediate_size with the unknown-type note, Qwen-7B counted 9.16B parameters
# against its checkpoint's 7.72B (model.safetensors.index.json total_size 15,442,649,088 bytes in bf16).
_QWEN1_IRRELEVANT = frozenset({
    "use_dynamic_ntk", "use_logn_attn",  # rotary scaling and a log-n factor on the query: elementwise
    "use_flash_attn", "attn_dropout_prob", "emb_dropout_prob", "bf16", "fp16", "fp32", "onnx_safe"})


def _qwen1_config(cfg: dict[str, Any], where: str) -> dict[str, Any]:
    """A Qwen (v1) config with the SwiGLU's width (intermediate_size // 2) and the head width under the common keys.
    no_bias true (no biases on the linears but c_attn's) is what the common block counts; false stays listed."""
    out = {k: v for k, v in cfg.items() if k not in _QWEN1_IRRELEVANT and k != "kv_channels"
           and not (k == "no_bias" and v is True)}
    if cfg.get("kv_channels") is not None:
        out["head_dim"] = _opt(cfg, ("kv_channels",), None, where)
    width = _opt(cfg, ("intermediate_size",), None, where)
    if width is not None:
        if width % 2:
            raise InputError(f"{where}: intermediate_size = {width} is odd: Qwen's MLP is two matrices of "
                             "intermediate_size // 2 (modeling_qwen.py QWenMLP)", "give the even intermediate_size of "
                             "the model's published config.json (Qwen-7B: 22016)")
        out["intermediate_size"] = width // 2
    return out


# Phi-3-small (remote code, model_type phi3small; microsoft/Phi-3-small-8k-instruct modeling_phi3_small.py, as ported
# in ml-explore/mlx-lm mlx_lm/models/phi3small.py @2090daa): its MLP width is ff_intermediate_size, a GeGLU whose
# up_proj is Linear(hidden, 2 x ff_intermediate_size), its logits read through the input embedding (tied). Without a
# rule it was read as a plain MLP of the 4 x hidden default: 6.05B parameters against the model card's 7.4B. Its
# block-sparse attention on every other layer (blocksparse_*, dense_attention_every_n_layers) stays listed.
_PHI3SMALL_IRRELEVANT = frozenset({
    "gegelu_limit",  # the clamp of the GeGLU's input: elementwise
    "mup_attn_multiplier", "mup_embedding_multiplier", "mup_use_scaling", "mup_width_multiplier",  # scalar factors
    "rope_embedding_base", "rope_position_scale", "attention_dropout_prob", "embedding_dropout_prob",
    "ffn_dropout_prob"})


# DistilBERT names its sizes its own way (transformers DistilBertConfig, models/distilbert/configuration_distilbert.py:
# dim, n_layers, n_heads, hidden_dim, activation) and its block is BERT's (post-norm encoder layers, a learned
# position table of max_position_embeddings rows even with sinusoidal_pos_embds, which only fills it; no token-type
# table; the masked-LM head's vocab_projector tied to the word embeddings: DistilBertForMaskedLM). Read as the common
# keys, its config.json was refused by `plan` as 'holds no model sizes ... not a model's config.json'.
_DISTILBERT_KEYS = {"dim": "hidden_size", "n_layers": "num_hidden_layers", "n_heads": "num_attention_heads",
                    "hidden_dim": "intermediate_size", "activation": "hidden_act"}
# dropout of the QA and classification heads, the position table's initialisation, the head-tying switch DistilBERT
# spells with a trailing underscore (DistilBertConfig.tie_weights_): none changes FLOPs, bytes or memory
_DISTILBERT_IRRELEVANT = frozenset({"qa_dropout", "seq_classif_dropout", "sinusoidal_pos_embds", "tie_weights_"})


def _distilbert_config(cfg: dict[str, Any]) -> dict[str, Any]:
    """A DistilBERT config with its sizes under the common keys (a key spelt both ways keeps the common one)."""
    out = {k: v for k, v in cfg.items() if k not in _DISTILBERT_KEYS and k not in _DISTILBERT_IRRELEVANT}
    for key, common in _DISTILBERT_KEYS.items():
        if key in cfg and common not in out:
            out[common] = cfg[key]
    return out


def _phi3small_config(cfg: dict[str, Any]) -> dict[str, Any]:
    """A Phi-3-small config with its MLP width under the common key (a bad value is named by _opt's own check)."""
    out = {k: v for k, v in cfg.items() if k not in _PHI3SMALL_IRRELEVANT and k != "ff_intermediate_size"}
    if cfg.get("ff_intermediate_size") is not None:
        out["intermediate_size"] = cfg["ff_intermediate_size"]
    return out


# Baidu ERNIE 4.5 MoE (transformers models/ernie4_5_moe, Ernie4_5_MoeConfig; baidu/ERNIE-4.5-21B-A3B-PT config.json):
# its own names for the MoE figures. moe_num_experts routed experts of moe_intermediate_size, moe_k per token, and a
# shared MLP of moe_intermediate_size x moe_num_shared_experts (Ernie4_5_MoeSparseMoeBlock), read as DeepSeek's
# n_shared_experts; layer i runs the experts when (i + 1) % moe_layer_interval == 0 and moe_layer_start_index <= i <=
# moe_layer_end_index (Ernie4_5_MoeDecoderLayer; an end of -1 or null is the last layer, the config class's rule),
# else a dense MLP of intermediate_size. Without this rule the experts were in the unused-keys warning and the model
# planned as a dense 3.3B one (ERNIE-4.5-21B-A3B: 21B in all, 3B active; a user trial, uthf).
_ERNIE_MOE_KEYS = {"moe_num_experts": "n_routed_experts", "moe_k": "num_experts_per_tok",
                   "moe_num_shared_experts": "n_shared_experts"}
_ERNIE_IRRELEVANT = frozenset({"moe_layer_start_index", "moe_layer_end_index", "moe_layer_interval",
                               "moe_gate_act", "moe_norm_min", "moe_capacity", "moe_use_aux_free"})


def _ernie_moe_config(cfg: dict[str, Any], where: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    """(an ERNIE 4.5 MoE config with its MoE figures under the common keys, the notes): the dense layers counted as
    first_k_dense_replace (those past moe_layer_end_index named in a note: the predictors place dense layers first);
    a moe_layer_interval above 1 with dense layers besides is refused (no published ERNIE config has one).
    use_bias false (no biases, what the common block counts) is dropped; true stays listed."""
    out = {k: v for k, v in cfg.items() if k not in _ERNIE_MOE_KEYS and k not in _ERNIE_IRRELEVANT
           and not (k == "use_bias" and v is False)}
    for key, common in _ERNIE_MOE_KEYS.items():
        if cfg.get(key) is not None:
            _opt(cfg, (key,), None, where)  # a bad value named by its own key
            out[common] = cfg[key]
    layers = _req(cfg, _LAYER_KEYS, where)
    start = _opt(cfg, ("moe_layer_start_index",), 0, where) or 0
    end_given = cfg.get("moe_layer_end_index")
    end = layers - 1 if end_given in (None, -1) else _opt(cfg, ("moe_layer_end_index",), None, where)
    every = _opt(cfg, ("moe_layer_interval",), 1, where)
    if every == 0:
        raise InputError(f"{where}: moe_layer_interval = 0 (the spacing of the MoE layers; transformers divides by "
                         "it)", "give moe_layer_interval 1 for an MoE layer on every layer, or leave it out")
    end = min(end or 0, layers - 1)
    if (every or 1) > 1 and (start or end < layers - 1):
        raise InputError(f"{where}: moe_layer_interval {every} with moe_layer_start_index {start} and "
                         f"moe_layer_end_index {end}: the predictors model dense layers first, then MoE layers at one "
                         "interval", "give moe_layer_interval 1, or moe_layer_start_index 0 with moe_layer_end_index "
                         "-1 (MoE layers every moe_layer_interval layers)")
    if (every or 1) > 1:
        out["decoder_sparse_step"] = every
        return out, ()
    moe_layers = max(0, end - start + 1)
    out["first_k_dense_replace"] = layers - moe_layers
    tail = layers - 1 - end
    note = (f"moe_layer_end_index {end}: the {tail} dense layer(s) after it are counted among the "
            f"{layers - moe_layers} dense layers placed first; their parameters and FLOPs are the config's, their "
            "place in a pipeline is not",) if tail > 0 and moe_layers else ()
    return out, note


# Tencent Hunyuan MoE (model_type hunyuan_v1_moe in transformers, hunyuan in the remote code of tencent/Hunyuan-A13B-
# Instruct modeling_hunyuan.py HunYuanMLP): moe_topk, moe_intermediate_size and num_shared_expert are given per layer
# (a list of num_hidden_layers values) or as one number; the shared MLP (use_mixed_mlp_moe) is moe_intermediate_size x
# num_shared_expert wide, read as DeepSeek's n_shared_experts; attention_head_dim is the head width. A list stopped at
# 'moe_intermediate_size = [3072, ...] is not a whole number >= 0 ... fix moe_intermediate_size' for the model's own
# config (a user trial, uthf).
_HUNYUAN_TYPES = frozenset({"hunyuan_v1_moe", "hunyuan_v1_dense", "hunyuan"})
_HUNYUAN_PER_LAYER = {"moe_topk": "num_experts_per_tok", "moe_intermediate_size": "moe_intermediate_size",
                      "num_shared_expert": "n_shared_experts"}


def _hunyuan_config(cfg: dict[str, Any], where: str) -> dict[str, Any]:
    """A Hunyuan config with its per-layer MoE figures as one number each under the common keys; per-layer values
    that differ are refused (the predictors give every MoE layer the same experts)."""
    out = {k: v for k, v in cfg.items() if k not in _HUNYUAN_PER_LAYER and k not in ("use_mixed_mlp_moe",
           "attention_head_dim") and not (k == "mlp_bias" and v is False)}
    for key, common in _HUNYUAN_PER_LAYER.items():
        value = cfg.get(key)
        if isinstance(value, list):
            if not value or any(v != value[0] for v in value):
                raise InputError(f"{where}: {key} gives different values per layer ({sorted(set(map(str, value)))})",
                                 "the predictors give every MoE layer the same experts: give one value (a list of "
                                 "equal values, or a number)")
            value = value[0]
        if value is not None:
            _opt({key: value}, (key,), None, where)  # a bad value named by its own key
            out[common] = value
    if not cfg.get("use_mixed_mlp_moe"):  # no shared MLP beside the experts (HunYuanMoE.shared_mlp only when set)
        out.pop("n_shared_experts", None)
    if cfg.get("attention_head_dim") is not None and cfg.get("head_dim") is None:
        out["head_dim"] = cfg["attention_head_dim"]
    elif cfg.get("attention_head_dim") not in (None, cfg.get("head_dim")):
        out["attention_head_dim"] = cfg["attention_head_dim"]  # listed: differs from head_dim, which is read
    return out


def _check_cla(cfg: dict[str, Any], where: str) -> None:
    """Refuse cross-layer attention (CLA): with use_cla, only every cla_share_factor-th layer has K/V projections and
    a KV cache, the layers after it attend to that layer's K/V (mlx-lm mlx_lm/models/hunyuan.py @269906b: kv_proj =
    not use_cla or i % cla_share_factor == 0; Hunyuan-Large, arXiv 2411.02265 sec. 2.2, CLA beside GQA to compress
    the KV cache; HunYuanConfig's default cla_share_factor is 1). The transformer model here gives every layer its
    own K/V: read, Hunyuan-Large's KV cache in `plan serve` was twice the real one, with the key only listed as not
    modelled beside it (a user trial, utconfigs; configs2)."""
    share = _opt(cfg, ("cla_share_factor",), 1, where) or 1
    if cfg.get("use_cla") is not None and not isinstance(cfg["use_cla"], bool):  # "true" was listed, not refused
        raise InputError(f"{where}: use_cla = {cfg['use_cla']!r} is not true or false",
                         "write use_cla = true or false, or leave it out")
    if cfg.get("use_cla") is True and share > 1:
        raise InputError(f"{where}: use_cla = true with cla_share_factor {share}: cross-layer attention (each "
                         f"{share} adjacent layers share one layer's K/V projections and KV cache) is not modelled; "
                         f"read as written, the KV cache, K/V weights and FLOPs would be {share} x too large",
                         "the predictors model a K/V per layer: to plan that upper bound, set use_cla to false in a "
                         "copy of the config (the KV cache then counts every layer's K/V)")


def _mpt_sizes(cfg: dict[str, Any], out: dict[str, Any], where: str) -> dict[str, Any]:
    """MPT's MLP width (expansion_ratio x d_model, llm-foundry's MPTMLP; 4 when left out), its attention's KV heads
    (attn_config.attn_type: multi-head unless grouped-query with kv_n_heads, or multi-query), and its keys of no cost
    dropped; biases (no_bias false) and a learned position table (alibi off) stay listed as not modelled."""
    attn = cfg.get("attn_config") or {}
    ratio = cfg.get("expansion_ratio", 4)
    hidden = _req(out, ("hidden_size", "d_model"), where)
    if isinstance(ratio, bool) or not isinstance(ratio, int | float) or ratio <= 0 or ratio * hidden != int(
            ratio * hidden):
        raise InputError(f"{where}: expansion_ratio = {ratio!r} does not give a whole MLP width for d_model "
                         f"{hidden}", "give expansion_ratio as in the model's config.json (MPT-7B: 4)")
    kinds = {"multihead_attention": None, "multiquery_attention": 1,
             "grouped_query_attention": out.get("num_key_value_heads")}
    kind = attn.get("attn_type", "multihead_attention")
    if kind not in kinds:
        raise InputError(f"{where}: attn_config.attn_type = {kind!r} is not one MPT builds",
                         f"give one of {', '.join(kinds)}")
    out = {k: v for k, v in out.items() if k not in _MPT_IRRELEVANT and not (k == "no_bias" and v is True)
           and not (k == "learned_pos_emb" and attn.get("alibi", False))}
    if cfg.get("no_bias") is False:  # a false value is skipped by unused_config_keys: kept as a word that is not
        out["no_bias"] = "false (biases not counted)"
    out["intermediate_size"] = int(ratio * hidden)
    out["num_key_value_heads"] = kinds[kind]
    if attn.get("alibi") is True:  # read as TransformerConfig.alibi (_alibi_of)
        out["alibi"] = True
    return out


def _text_model(cfg: dict[str, Any], where: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    """(the language model's keys, the outer keys not modelled). A multimodal config (Gemma 3, Llama 4, Mistral 3,
    Qwen2.5-VL style) nests its language model under text_config beside a vision tower (vision_config): the text
    model is planned and the vision tower is named as not modelled (printed with the other unused keys). InternVL
    calls the block llm_config, DeepSeek-VL2 language_config (_TEXT_KEYS)."""
    key = next((k for k in _TEXT_KEYS if cfg.get(k) is not None), "text_config")
    text = cfg.get(key)
    if any(cfg.get(k) is not None for k in _LAYER_KEYS) or text is None:
        return cfg, ()
    if not isinstance(text, dict):
        raise InputError(f"{where}: {key} is not a JSON object", f"fix {key} in the config")
    outer = {k: v for k, v in cfg.items() if k not in (key, "model_type")}
    # named as the multimodal model (its _name_or_path, else the file's folder), not by the text_config's own
    # _name_or_path: llava-hf/llava-1.5-7b-hf was planned and stored in the history as 'lmsys/vicuna-7b-v1.5'
    name = cfg.get("_name_or_path")
    # a text_config without model_type is built as its outer class's text model: read with that family's rules (it
    # was read as an unnamed type: no Gemma norms, window pattern or class defaults)
    kind = {} if "model_type" in text else {"model_type": _TEXT_TYPE_OF.get(str(cfg.get("model_type", "")), "")}
    # tie_word_embeddings given beside text_config, not in it (Qwen2.5-VL-3B's tied embeddings: the key is the outer
    # config's in its published config.json): the model's own word, which the text model was read without, untied
    # by the type's default and told 'the config gives no tie_word_embeddings' (a user trial, uthf)
    tied = ({"tie_word_embeddings": outer["tie_word_embeddings"]}
            if text.get("tie_word_embeddings") is None and outer.get("tie_word_embeddings") is not None else {})
    return {**text, **kind, **tied, "_name_or_path": name}, unused_config_keys(outer)


# The keys a multimodal config nests its language model under: text_config (transformers' multimodal classes),
# llm_config (OpenGVLab/InternVL2-8B and later InternVL chat models: InternLM2 / Qwen2 under it; read before as
# 'holds no model sizes ... (a generation_config.json?)'), language_config (deepseek-ai/deepseek-vl2).
_TEXT_KEYS = ("text_config", "llm_config", "language_config")
# The text model a multimodal config class builds from a text_config that names no model_type: Gemma3Config and
# Llama4Config always build Gemma3TextConfig / Llama4TextConfig (Gemma3nConfig its Gemma3nTextConfig, refused in
# _check_modelled); LlavaConfig and LlavaNextConfig default to "llama",
# Mistral3Config to "mistral", PaliGemmaConfig to "gemma" (`text_config.get("model_type", ...)` in each
# models/<name>/configuration_<name>.py of transformers).
_TEXT_TYPE_OF = {"gemma3": "gemma3_text", "llama4": "llama4_text", "llava": "llama", "llava_next": "llama",
                 "mistral3": "mistral", "paligemma": "gemma", "gemma3n": "gemma3n_text"}


# The keys a multimodal config gives its encoder towers under (transformers' vision-language and speech-language
# classes: Qwen2-VL, Gemma 3, Llama 4, LLaVA vision_config; Qwen2-Audio audio_config); their depth and width keys
# (Qwen2-VL's vision_config: depth, embed_dim; its hidden_size is the merger's output, the text model's width)
_TOWER_KEYS = ("vision_config", "audio_config")
_TOWER_DEPTH_KEYS = ("depth", "num_hidden_layers", "num_layers")
_TOWER_WIDTH_KEYS = ("embed_dim", "hidden_size", "d_model")
_TOWER_INPUT = {"vision": "image", "audio": "audio"}


def _tower_note(outer: dict[str, Any]) -> tuple[str, ...]:
    """A note naming what a vision-language (or audio-language) config's figures leave out: its encoder tower is not
    modelled, so its weights are not in the memory per device and no image or audio is encoded in any time. The key
    alone was listed among the unused keys, beside numerics flags; Qwen2-VL-7B's 675M-parameter tower (8.29B of the
    model card, 7.62B planned) was left out of its weights without a sentence saying so (a usertest, ut_plan3)."""
    towers = []  # (kind, what the config says of it)
    for key in _TOWER_KEYS:
        tower = outer.get(key)
        if not isinstance(tower, dict):
            continue
        depth = next((tower[k] for k in _TOWER_DEPTH_KEYS if isinstance(tower.get(k), int)), None)
        width = next((tower[k] for k in _TOWER_WIDTH_KEYS if isinstance(tower.get(k), int)), None)
        towers.append(("vision" if key == "vision_config" else "audio",
                       f"{key}: {depth} layers of width {width:,}" if depth and width else key))
    # the original LLaVA repository's config.json (liuhaotian/llava-v1.5-13b: model_type llava, the Llama keys at the
    # top) names its tower by checkpoint: mm_vision_tower "openai/clip-vit-large-patch14-336"
    if isinstance(outer.get("mm_vision_tower"), str):
        towers.append(("vision", f"mm_vision_tower {outer['mm_vision_tower']}"))
    return tuple(f"the {kind} tower ({said}) is not modelled: every figure is the language model's alone, without the "
                 f"tower's weights in memory or its encoding of the {_TOWER_INPUT[kind]} inputs in any time; the "
                 f"{_TOWER_INPUT[kind]} tokens of a prompt are counted as text tokens" for kind, said in towers)


def _mla(cfg: dict[str, Any], where: str) -> MLAConfig | None:
    """DeepSeek-V2/V3 multi-head latent attention, when the config has kv_lora_rank. kv_lora_rank 0 is an error, not
    'left out': it was read as multi-head attention without a word (DeepSeek-V2-Lite then counted 82M parameters and
    7 x its KV cache per token)."""
    if cfg.get("kv_lora_rank") == 0 and not isinstance(cfg.get("kv_lora_rank"), bool):
        raise InputError(f"{where}: kv_lora_rank = 0 (the width of the compressed keys and values of multi-head "
                         "latent attention)", "give the model's kv_lora_rank (DeepSeek-V2 and V3: 512), or leave the "
                         "key out (null) for a model without multi-head latent attention")
    if not cfg.get("kv_lora_rank"):
        return None
    return MLAConfig(q_lora_rank=_opt(cfg, ("q_lora_rank",), None, where) or None,
                     kv_lora_rank=_req(cfg, ("kv_lora_rank",), where),
                     qk_nope_head_dim=_req(cfg, ("qk_nope_head_dim",), where),
                     qk_rope_head_dim=_req(cfg, ("qk_rope_head_dim",), where),
                     v_head_dim=_req(cfg, ("v_head_dim",), where))


_MLA_WIDTH_KEYS = ("q_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim")


def _minicpm3_v_head_dim(cfg: dict[str, Any], mtype: str,
                         notes: tuple[str, ...]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """(the config with MiniCPM3's value-head width where it gives none, the notes with one saying so). MiniCPM3Config
    sets v_head_dim = qk_nope_head_dim when it is None (openbmb/MiniCPM3-4B configuration_minicpm.py @6fcf8b4), and
    MiniCPM3-4B's config.json gives none: it stopped with 'none of v_head_dim is set', told to add the value of the
    published config.json, which has none (a user trial, utmodels)."""
    nope = cfg.get("qk_nope_head_dim")
    if mtype != "minicpm3" or cfg.get("v_head_dim") is not None or not cfg.get("kv_lora_rank") \
            or not isinstance(nope, int) or isinstance(nope, bool):
        return cfg, notes
    return {**cfg, "v_head_dim": nope}, (*notes, (
        f"the config gives no v_head_dim: MiniCPM3Config's default, qk_nope_head_dim ({nope}), used as its modelling "
        "code builds it (openbmb/MiniCPM3-4B configuration_minicpm.py; give v_head_dim to change it)"))


# The MLA widths DeepseekV2Config and DeepseekV3Config build where a config leaves them out (transformers @008e574
# models/deepseek_v{2,3}/configuration_deepseek_v{2,3}.py: kv_lora_rank 512, q_lora_rank 1536, qk_nope_head_dim 128,
# qk_rope_head_dim 64, v_head_dim 128; both attention classes are MLA only): without kv_lora_rank a V3 config was read
# as multi-head attention, without q_lora_rank as uncompressed queries, without a head width refused (s34).
_MLA_CLASS_DEFAULTS = {"kv_lora_rank": 512, "q_lora_rank": 1536, "qk_nope_head_dim": 128, "qk_rope_head_dim": 64,
                       "v_head_dim": 128}
_MLA_CLASSES = {"deepseek_v2": "DeepseekV2Config", "deepseek_v3": "DeepseekV3Config"}


def _mla_class_defaults(cfg: dict[str, Any], mtype: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    """(the config with its class's MLA widths for the keys it leaves out, a note naming them) for deepseek_v2/v3. A
    key present, even null, is the config's (DeepSeek-V2-Lite's q_lora_rank null: no query compression); a null or
    0 kv_lora_rank fills nothing (_mla reads no MLA then, or refuses the 0, and _keys_not_applied names the widths
    the config gave, not ones filled here)."""
    if mtype not in _MLA_CLASSES or ("kv_lora_rank" in cfg and not cfg["kv_lora_rank"]):
        return cfg, ()
    filled = {k: v for k, v in _MLA_CLASS_DEFAULTS.items() if k not in cfg}
    if not filled:
        return cfg, ()
    cls = _MLA_CLASSES[mtype]
    given = ", ".join(f"{k} {v:,}" for k, v in filled.items())
    src = _KV_SRC.format(cls, mtype, mtype, "008e574")
    return {**cfg, **filled}, (f"the config leaves out {given}: the defaults of {src} used, as transformers builds "
                               "it (give them in the config to change them)",)


def _keys_not_applied(cfg: dict[str, Any], mla: MLAConfig | None, window: int | None) -> tuple[str, ...]:
    """Keys read only beside another that the config lacks, so that nothing was read from them: MLA's widths without
    kv_lora_rank (q_lora_rank 1536 and the head widths of a config whose kv_lora_rank is null or, outside
    DeepSeek-V2/V3 whose class fills it (_mla_class_defaults), left out: read as multi-head attention), a
    layer_types list of sliding layers without a window (sliding_window null: every layer full, as transformers
    runs it). Listed in the unused-keys warning, not taken as read (issue 10)."""
    out = [k for k in _MLA_WIDTH_KEYS if mla is None and cfg.get(k) not in (None, False, 0)]
    types = cfg.get("layer_types")
    if window is None and isinstance(types, list) and "sliding_attention" in types:
        out.append("layer_types")
    return tuple(out)


# Cohere2 (Command R7B, Command A) keeps Cohere's block: Cohere2DecoderLayer(CohereDecoderLayer) sums residual +
# self_attn(input_layernorm(x)) + mlp(input_layernorm(x)), one LayerNorm (huggingface/transformers@64c2ae8
# src/transformers/models/cohere2/modular_cohere2.py). It had no rule and was read as attention then MLP with 2 norms,
# its config's use_parallel_block listed as not modelled (a user trial, ut3hf).
_PARALLEL_ONE_NORM_TYPES = frozenset({"gptj", "phi", "cohere", "cohere2"})


def _block_layout(cfg: dict[str, Any], mtype: str) -> tuple[bool, int]:
    """(parallel attention + MLP block, norms per block). GPT-J always runs the block in parallel with one
    LayerNorm (Wang & Komatsuzaki 2021); Falcon with `parallel_attn` (one LayerNorm, two with
    new_decoder_architecture); GPT-NeoX with `use_parallel_residual` (two LayerNorms, both on the block input);
    Phi-1/1.5/2 and Cohere (Command R) always, with one LayerNorm (transformers models/phi/modeling_phi.py
    PhiDecoderLayer and models/cohere/modeling_cohere.py CohereDecoderLayer, stored commit 015bfeb: the attention
    and the MLP both read input_layernorm's output and are added to the residual together)."""
    if mtype in _PARALLEL_ONE_NORM_TYPES:
        return True, 1
    if mtype in _FALCON_TYPES:
        new = bool(cfg.get("new_decoder_architecture"))
        return bool(cfg.get("parallel_attn", True)) or new, 2 if new else 1
    if mtype == "gpt_neox":
        return bool(cfg.get("use_parallel_residual", True)), 2
    if mtype == "stablelm":  # StableLmConfig use_parallel_residual default False; parallel: input_layernorm alone
        parallel = bool(cfg.get("use_parallel_residual", False))
        return parallel, 1 if parallel else 2
    return False, 4 if mtype in _FOUR_NORM_TYPES else 2


# Types whose transformers config class has num_key_value_heads (grouped-query attention possible) among the gated
# families: a config of one that leaves it out was read as multi-head attention without a word. Not qwen (QWen-1:
# multi-head only), modernbert (an encoder, multi-head), chatglm (multi_query_group_num, required) or dbrx
# (attn_config.kv_n_heads); MLA types (deepseek_v2/v3) have no K/V heads to group.
_GQA_KEY_TYPES = _GATED_TYPES - {"qwen", "modernbert", "chatglm", "dbrx", "deepseek_v2", "deepseek_v3",
                                  "deepseek_v32"}


def _kv_heads_note(mtype: str, heads: int, kv_heads: int | None, mla: Any) -> tuple[str, ...]:
    """The note for a grouped-query family's config without num_key_value_heads: read as multi-head attention (K/V
    heads = num_attention_heads, transformers LlamaConfig's rule when the key is None), said beside the result."""
    if kv_heads is not None or mla is not None or mtype not in _GQA_KEY_TYPES:
        return ()
    return (f"the config gives no num_key_value_heads: multi-head attention assumed, {heads} K/V heads "
            "(= num_attention_heads; a grouped-query model's K/V projections and KV cache are smaller: give "
            "num_key_value_heads)",)


def _kv_heads(cfg: dict[str, Any], mtype: str, where: str) -> int | None:
    if mtype in _FALCON_TYPES:
        if cfg.get("new_decoder_architecture"):
            return _opt(cfg, ("num_kv_heads", "n_head_kv"), None, where)
        return 1 if cfg.get("multi_query", True) else None  # Falcon-7B: multi-query attention
    if mtype == "gpt_bigcode":  # StarCoder/SantaCoder: multi-query attention unless multi_query is false
        return 1 if cfg.get("multi_query", True) else None  # (transformers GPTBigCodeConfig: multi_query=True)
    return _opt(cfg, ("num_key_value_heads",), None, where)


# Families whose MLP width is 4 x hidden by definition when the config leaves it out (n_inner: null): transformers'
# GPT2MLP, GPTJMLP, FalconMLP, BloomMLP, GPTNeoMLP, GPTBigCodeMLP, CodeGenMLP all use 4 * hidden then.
_FFN_4H_TYPES = _FALCON_TYPES | {"gpt2", "gptj", "bloom", "gpt_neo", "gpt_bigcode", "codegen", "mpt"}
# tie_word_embeddings when the config leaves it out: the config class's default (transformers 4.31's
# CONFIG_MAPPING[t]() checked for each type it has: True for bert, roberta, xlm-roberta, electra, gpt2, gpt_neo,
# gpt_bigcode, opt, bloom, falcon; False for llama, gpt_neox, gptj, codegen. Gemma (tied), Mistral, Mixtral, Qwen,
# Phi-3 and DeepSeek (untied) as this reader had them before: not in 4.31, not re-checked here).
_TIED_TYPES = _FALCON_TYPES | {"gpt2", "bert", "roberta", "xlm-roberta", "camembert", "electra", "gpt_neo",
                               "distilbert",  # DistilBertForMaskedLM: vocab_projector tied to word_embeddings
                               "gpt_bigcode", "opt", "bloom",
                               # CohereConfig: tie_word_embeddings True (models/cohere/configuration_cohere.py
                               # @008e574; Command R's config.json gives none, and was read as untied)
                               "cohere", "mpt",
                               "modernbert",  # ModernBertConfig: tie_word_embeddings True
                               "phi3small",  # logits through embed_tokens (mlx-lm phi3small.py); every gemma* type
                               # MiniCPMConfig: tie_word_embeddings True (openbmb/MiniCPM-2B-sft-bf16
                               # configuration_minicpm.py; config.json gives none): read untied, MiniCPM-2B counted
                               # 3.01B for its 2.72B, the 282,822,912-weight table twice
                               "minicpm",
                               # MiniCPM3Config: tie_word_embeddings True (openbmb/MiniCPM3-4B configuration_minicpm.py
                               # @6fcf8b4; its config.json gives none)
                               "minicpm3"}
_UNTIED_TYPES = frozenset({"llama", "mistral", "mixtral", "qwen2", "qwen2_moe", "qwen3", "qwen3_moe", "gpt_neox",
                           "gptj", "codegen", "phi3", "deepseek", "deepseek_v2", "deepseek_v3",
                           # Llama4TextConfig / GptOssConfig / Olmo2Config: tie_word_embeddings False
                           "llama4", "llama4_text", "gpt_oss", "olmo2",
                           "dbrx",  # DbrxConfig: tie_word_embeddings False
                           # Glm4MoeConfig: tie_word_embeddings False; DeepSeek-V3.2-Exp: a head beside the embedding
                           "glm4_moe", "deepseek_v32",
                           "glm4",  # Glm4Config: tie_word_embeddings False (configuration_glm4.py @4f7e1d4)
                           "bailing_moe",  # BailingMoeConfig: tie_word_embeddings False (Ling's lm_head)
                           # StableLmConfig / InternLM2Config: tie_word_embeddings False (transformers
                           # models/stablelm/configuration_stablelm.py; internlm/internlm2-7b
                           # configuration_internlm2.py)
                           "stablelm", "internlm2",
                           "chatglm",  # ChatGLMForConditionalGeneration: output_layer beside the embedding
                           "qwen",  # QWenConfig: tie_word_embeddings False (Qwen/Qwen-7B configuration_qwen.py)
                           # OlmoeConfig, PhimoeConfig, GraniteMoeConfig: tie_word_embeddings False (transformers
                           # models/olmoe/configuration_olmoe.py @008e574, granitemoe/configuration_granitemoe.py
                           # @040e1a7, phimoe/configuration_phimoe.py)
                           }) | _SILU_MOE_TYPES
# Families built as GPT-2 (transformers GPT2Model, GPTBigCodeModel): a learned position table of n_positions rows
# (wpe), biases on c_attn, c_proj, c_fc and every LayerNorm. GPT2Config's default n_positions is 1024.
_GPT2_STYLE_TYPES = frozenset({"gpt2", "gpt_bigcode"})
# Families whose every norm is a LayerNorm with a bias while the projections are bias-free (TransformerConfig.norm_bias)
# Falcon, one LayerNorm per block with parallel_attn (input_layernorm), two without (post_attention_layernorm) or with
# new_decoder_architecture (ln_attn, ln_mlp), and ln_f, all nn.LayerNorm (transformers models/falcon/modeling_falcon.py,
# 4.31.0): Falcon-7B 33 x 4544 = 149,952 biases, Falcon-40B 121 x 8192 = 991,232, which the count left out.
# StableLM: input_layernorm, post_attention_layernorm (none with use_parallel_residual) and the final norm are
# nn.LayerNorm (transformers models/stablelm/modeling_stablelm.py @00dcc6d, StableLmDecoderLayer / StableLmModel).
_LAYERNORM_BIAS_TYPES = _FALCON_TYPES | {"stablelm"}
_GPT2_DEFAULT_POSITIONS = 1024
# ModernBERT: bidirectional (ModernBertEncoderLayer; its model is an encoder, with a masked-LM head); read as a
# causal decoder without a rule, it counted 130M parameters (a plain MLP) against ModernBERT-base's 149M and was
# served as a token generator. Its local-attention layers (local_attention, global_attn_every_n_layers) stay listed.
_ENCODER_TYPES = frozenset({"bert", "roberta", "xlm-roberta", "camembert", "electra", "modernbert", "distilbert"})
# Types with a learned position table of max_position_embeddings rows (TransformerConfig.learned_positions), as
# GPT-2's: GPTNeoModel's wpe; BertEmbeddings' (and RoBERTa's, XLM-R's, CamemBERT's, ELECTRA's) position_embeddings =
# nn.Embedding(config.max_position_embeddings, hidden) (transformers models/bert/modeling_bert.py). BERT's 512 x hidden
# were left out (bert-base 393,216 weights: 0.36%) while GPT-2's were counted. ModernBERT rotates (RoPE): none.
# OPT's table too: OPTDecoder.embed_positions = OPTLearnedPositionalEmbedding(max_position_embeddings, hidden_size),
# an nn.Embedding of max_position_embeddings + 2 rows ("OPT is set up so that if padding_idx is specified then offset
# the embedding ids by 2", transformers models/opt/modeling_opt.py): OPT-125m's 2050 x 768 = 1,574,400 weights (1.3%)
# were left out (123.6M printed for HF's 125.2M).
_LEARNED_POSITION_TYPES = frozenset({"gpt_neo", "opt"}) | (_ENCODER_TYPES - {"modernbert"})
# Encoders (bidirectional attention, a masked-LM head) with no counting rule of their own here: DeBERTa / DeBERTa-v2
# (microsoft/deberta-v3-base: DebertaV2Encoder, relative position buckets), MPNet (sentence-transformers'
# all-mpnet-base-v2: MPNetEncoder), and the BERT-layout kin transformers builds as *Encoder stacks (Megatron-BERT,
# ERNIE 1-3, NEZHA, RoFormer, RemBERT, MobileBERT, SqueezeBERT, ConvBERT, I-BERT, Data2Vec-text, X-MOD, ESM,
# LUKE, LayoutLM); and any config whose architectures names a ...ForMaskedLM class (a masked-LM head predicts masked
# tokens from both sides: Devlin et al. 2019, 'BERT', sec. 3.1 'Masked LM'). They were read as causal decoders:
# `plan serve` predicted token generation for deberta-v3-base and all-mpnet-base-v2 (a user trial, ut3hf). They
# keep the unknown-type note for their count (their position and bias layouts are not read).
_OTHER_ENCODER_TYPES = frozenset({"deberta", "deberta-v2", "mpnet", "megatron-bert", "ernie", "nezha", "roformer",
                                  "rembert", "mobilebert", "squeezebert", "convbert", "ibert", "data2vec-text",
                                  "xmod", "esm", "luke", "layoutlm"})


def _is_encoder(cfg: dict[str, Any], mtype: str) -> bool:
    """Whether the config is an encoder's (bidirectional attention, no tokens generated). A BERT-kin config saved
    with is_decoder true is not: its model applies a causal mask (transformers 4.31.0 modeling_utils.py
    ModuleUtilsMixin.get_extended_attention_mask: `if self.config.is_decoder:` ...
    create_extended_attention_mask_for_decoder), as RoFormerForCausalLM, ErnieForCausalLM, RobertaForCausalLM and
    BertLMHeadModel are run, and `plan infer` builds its causal head (workload/hf.py _head); it was read as an
    encoder and `plan serve` refused a causal LM (rev1, session 35)."""
    if cfg.get("is_decoder") is True:
        return False
    if mtype in _ENCODER_TYPES or mtype in _OTHER_ENCODER_TYPES:
        return True
    archs = cfg.get("architectures")
    return isinstance(archs, list) and any(isinstance(a, str) and a.endswith("ForMaskedLM") for a in archs)
_POSITION_ROW_OFFSET = {"opt": 2}  # rows beyond max_position_embeddings in the table (above)
# Families the predictors do not model: no attention (state-space / recurrent), or hybrids of those with attention.
_NO_ATTENTION_TYPES = frozenset({"mamba", "mamba2", "falcon_mamba", "rwkv", "rwkv5", "rwkv6", "recurrent_gemma",
                                 "jamba", "zamba", "zamba2", "xlstm",
                                 # Mamba-2 hybrids (IBM Bamba, TII Falcon-H1, NVIDIA Nemotron-H, IBM Granite 4.0),
                                 # linear-attention hybrids (Qwen3-Next: Gated DeltaNet; MiniMax-Text-01: lightning
                                 # attention), convolution hybrids (Liquid LFM2)
                                 "bamba", "falcon_h1", "nemotron_h", "granitemoehybrid", "qwen3_next", "minimax",
                                 "lfm2",
                                 # Kimi Linear (moonshotai/Kimi-Linear-48B-A3B: Kimi Delta Attention layers beside
                                 # MLA ones, listed in linear_attn_config, no layer_types), NVIDIA Hymba (attention
                                 # and Mamba heads in one layer), PLaMo 2 (Mamba + attention), Phi-4-mini-flash
                                 # (SambaY: Mamba, sliding-window and gated memory units): read before as transformers
                                 # whose every layer attends, with their SSM keys only in the unused-keys warning
                                 "kimi_linear", "hymba", "plamo2", "phi4flash",
                                 # MiniMax-M1 / MiniMax-Text-01 under their remote-code names (MiniMaxAI/MiniMax-M1-80k
                                 # config.json: lightning attention on 7 of every 8 layers, attn_type_list): read
                                 # before as transformers whose every layer attends, attn_type_list only in the
                                 # unused-keys warning (a user trial, uthf)
                                 "minimax_m1", "minimax_text_01"})
# What each refused family has in place of (or beside) softmax attention, named in the refusal (the sources are the
# comments above; linear attention is not a state-space or recurrent layer by name, though it too keeps a fixed-size
# state).
_MIXER_KIND = {
    **dict.fromkeys(("mamba", "mamba2", "falcon_mamba"), "Mamba state-space layers and no attention"),
    **dict.fromkeys(("rwkv", "rwkv5", "rwkv6"), "RWKV recurrent layers and no attention"),
    "xlstm": "xLSTM recurrent layers and no attention",
    "recurrent_gemma": "RG-LRU recurrent layers beside local attention",
    **dict.fromkeys(("jamba", "zamba", "zamba2", "bamba", "falcon_h1", "nemotron_h", "granitemoehybrid", "plamo2"),
                    "Mamba state-space layers beside attention"),
    "hymba": "Mamba heads beside attention heads in each layer",
    "phi4flash": "Mamba and gated-memory-unit layers beside sliding-window attention (SambaY)",
    "qwen3_next": "Gated DeltaNet linear-attention layers beside gated softmax attention",
    "kimi_linear": "Kimi Delta Attention (KDA) linear-attention layers beside MLA softmax attention",
    **dict.fromkeys(("minimax", "minimax_m1", "minimax_text_01"),
                    "lightning (linear) attention layers beside softmax attention"),
    "lfm2": "short gated convolution layers beside attention",
}
# Per-layer mixer lists other configs give beside (or instead of) layer_types: MiniMax's attn_type_list (0 = lightning
# attention, 1 = softmax attention; vllm-project/vllm model_executor/models/minimax_text_01.py reads it so), Jamba's /
# Zamba's layers_block_type ('mamba' / 'attention') and Nemotron-H's hybrid_override_pattern ('M' a Mamba-2 layer,
# '*' attention, '-' an MLP). The attention entries of each (the others are layers without a KV cache of that form).
_MIXER_LIST_ATTENTION = {"attn_type_list": frozenset({1}), "layers_block_type": frozenset({"attention"})}
# The layer kinds of a config's layer_types the predictors model: softmax attention over all keys, a sliding window,
# or Llama 4's chunks. Any other ('linear_attention', 'mamba', 'conv') is a layer without a KV cache of that form.
_ATTENTION_LAYER_KINDS = frozenset({"full_attention", "sliding_attention", "chunked_attention"})


_COUNTED_WEIGHTS_FIX = ("for its inference, run `accelopt plan infer` on this config.json (it builds the model with "
                       "transformers and counts its real weights); `plan` and `plan serve` take a transformer whose "
                       "layers each have their own weights and one embedding of hidden_size width")


def _check_weights_countable(cfg: dict[str, Any], mtype: str, where: str) -> None:
    """An InputError for weights the transformer model here would count wrong: ALBERT's layers sharing one set of
    weights (num_hidden_groups of num_hidden_layers, AlbertConfig's default 1; Lan et al. 2020, 'ALBERT', sec. 3.1
    'Cross-layer parameter sharing') and an embedding narrower than the layers, projected up (embedding_size:
    ALBERT's factorized embedding, sec. 3.1; ELECTRA-small's 128 under 256, transformers ElectraModel
    embeddings_project). Both keys were listed as not modelled while albert-base-v2 was counted at 131M parameters
    for its 11M, ELECTRA-small at 17.4M for its 13.5M (a user trial, utconfigs)."""
    layers, groups = cfg.get("num_hidden_layers"), cfg.get("num_hidden_groups", 1 if mtype == "albert" else None)
    if isinstance(layers, int) and isinstance(groups, int) and 0 < groups < layers:
        raise InputError(f"{where}: num_hidden_groups = {groups} of {layers} layers: model_type {mtype or '(none)'!r} "
                         "shares its layers' weights across layers (ALBERT's cross-layer parameter sharing), and the "
                         f"predictors count each layer's own weights ({layers // groups} x too many)",
                         _COUNTED_WEIGHTS_FIX)
    emb, hidden = cfg.get("embedding_size"), cfg.get("hidden_size")
    if isinstance(emb, int) and isinstance(hidden, int) and emb != hidden:
        raise InputError(f"{where}: embedding_size = {emb} with hidden_size {hidden}: the token embedding is "
                         f"{emb} wide and projected up to the layers' {hidden} (a factorized embedding, as ALBERT's "
                         "and ELECTRA-small's), which the predictors do not model", _COUNTED_WEIGHTS_FIX)
    # OPT's word_embed_proj_dim: the token embedding and the LM head are that wide, with project_in / project_out
    # (proj x hidden each, no bias) between them and the layers where it differs from hidden_size (transformers
    # models/opt/modeling_opt.py, OPTDecoder.__init__ and OPTForCausalLM.lm_head, 4.31.0 installed here). facebook/
    # opt-350m (512 under 1024) was counted at 355,617,792 parameters by `plan` and `plan serve` and 331,196,416 by
    # `plan infer`, the key only in the unused-keys warning (a user trial, utmodels).
    proj = cfg.get("word_embed_proj_dim")
    if isinstance(proj, int) and not isinstance(proj, bool) and isinstance(hidden, int) and proj != hidden:
        raise InputError(f"{where}: word_embed_proj_dim = {proj} with hidden_size {hidden}: the token embedding and "
                         f"the output layer are {proj} wide, projected in to the layers' {hidden} and back out "
                         "(OPT's project_in and project_out), which the predictors do not model",
                         _COUNTED_WEIGHTS_FIX)


# Gemma 3n (google/gemma-3n-E4B): transformers Gemma3nTextConfig (huggingface/transformers@c5d9fba
# src/transformers/models/gemma3n/configuration_gemma3n.py) adds altup_num_inputs, vocab_size_per_layer_input /
# hidden_size_per_layer_input, laurel_rank, num_kv_shared_layers and a per-layer intermediate_size to Gemma 3's keys.
# Read before, its published config.json was refused with 'intermediate_size = [16384, ...] is not a whole number
# >= 0, fix intermediate_size in the config' (a user trial, ut3hf); one width given, it would be read as Gemma 3.
_GEMMA3N_TYPES = frozenset({"gemma3n", "gemma3n_text"})
# Keys that give every layer its own architecture. NVIDIA's Nemotron-NAS (Llama-3.1-Nemotron-51B / -Ultra-253B,
# model_type nemotron-nas, architectures DeciLMForCausalLM): block_configs, per layer an attention with its own
# n_heads_in_group or none at all (no_op) and an MLP of its own ffn_mult (vllm-project/vllm@2ee6ae7
# vllm/model_executor/models/nemotron_nas.py, DeciLMDecoderLayer); Deci's DeciLM-7B: num_key_value_heads_per_layer.
# Nemotron-51B was read as 80 multi-head layers of 4 x hidden MLPs, 88.0B parameters for its 51.5B, block_configs
# only in the not-modelled warning (a user trial, ut3hf).
_PER_LAYER_KEYS = {"block_configs": "attention (n_heads_in_group, or none: no_op) and MLP width (ffn_mult)",
                   "num_key_value_heads_per_layer": "count of K/V heads"}
_GEMMA3N_FIX = ("for its inference, run `accelopt plan infer` on this config.json with a transformers that knows "
                "gemma3n (pip install -U transformers), which builds the real layers")
# Contrastive image-text (and audio-text) models: a text encoder and an image (audio) encoder whose pooled outputs
# are projected into one embedding space, no language-model head (transformers CLIPModel: text_model, vision_model,
# text_projection, visual_projection; models/clip/modeling_clip.py, 4.31.0 installed here; Radford et al. 2021,
# 'Learning Transferable Visual Models From Natural Language Supervision', sec. 2.3). CLIP's config.json (its
# text_config and vision_config) was read as its text tower, a causal LM with an untied output layer: `plan serve`
# predicted token generation for openai/clip-vit-large-patch14 (160.8M parameters for a 123M text encoder), and its
# text_encoder/config.json (model_type clip_text_model, as Stable Diffusion ships it) the same (a user trial, ut3hf).
_CONTRASTIVE_TYPES = frozenset({"clip", "siglip", "siglip2", "chinese_clip", "altclip", "align", "owlvit", "owlv2",
                                "xclip", "groupvit", "clap", "clipseg", "metaclip_2"})


def _check_contrastive(cfg: dict[str, Any], where: str) -> None:
    """An InputError for a contrastive dual encoder (CLIP and its kin) or its text encoder alone: no LM head, no
    tokens generated, so neither `plan` nor `plan serve` describes it."""
    mtype = str(cfg.get("model_type", "")).lower()
    family = mtype.removesuffix("_text_model")
    if family not in _CONTRASTIVE_TYPES:
        return
    what = (f"the text encoder of {family!r}, a contrastive model" if family != mtype
            else "a contrastive model (a text encoder and an image or audio encoder")
    raise InputError(f"{where}: model_type {mtype!r} is {what}"
                     + ("" if family != mtype else ")")
                     + " whose pooled outputs are projected into one embedding space: it has no language-model head "
                     "and generates no tokens, and `plan` and `plan serve` model language models (token ids in, "
                     "logits over the vocabulary out)",
                     "for its inference, write a model file that feeds its inputs (examples/my_model.py) and run "
                     "`accelopt plan infer FILE.py:factory`")


def _entries_besides(values: Any, allowed: frozenset[Any]) -> list[Any]:
    """The distinct entries of a per-layer list that are not in `allowed` ([] for a value that is not a list). An
    unhashable entry (a JSON object or list) is one of them: attn_type_list [{}, ...] ended in a TypeError traceback
    (a user trial, ut3hf)."""
    if not isinstance(values, list):
        return []
    out: list[Any] = []
    for v in values:
        if not (isinstance(v, int | float | str) and v in allowed) and v not in out:
            out.append(v)
    return sorted(out, key=str)


def _check_modelled(cfg: dict[str, Any], mtype: str, where: str) -> None:
    """An InputError for an architecture the transformer model here cannot describe (before its keys are read)."""
    if mtype in _NO_ATTENTION_TYPES:
        kind = _MIXER_KIND.get(mtype, "layers other than attention")
        raise InputError(f"{where}: model_type {mtype!r} has {kind}: the predictors model transformers whose every "
                         "layer is softmax attention (full, sliding-window or chunked), and do not price these "
                         "layers' work or their fixed-size state",
                         "pass a transformer's config.json (llama, mistral, qwen, gemma, gpt2, bert, ...); a "
                         "model of this family cannot be planned here")
    for key, attending in _MIXER_LIST_ATTENTION.items():
        mixers = cfg.get(key)
        other = _entries_besides(mixers, attending)
        if other:
            raise InputError(f"{where}: {key} lists {', '.join(repr(k) for k in other)} layers beside attention (a "
                             "linear-attention or state-space layer): the predictors model transformers whose every "
                             "layer is softmax attention", "pass a transformer's config.json (llama, mistral, qwen, "
                             "gemma, gpt2, bert, ...)")
    pattern = cfg.get("hybrid_override_pattern")
    if isinstance(pattern, str) and "M" in pattern:
        raise InputError(f"{where}: hybrid_override_pattern {pattern!r} has Mamba layers ('M') beside attention "
                         "('*'): the predictors model transformers whose every layer is softmax attention",
                         "pass a transformer's config.json (llama, mistral, qwen, gemma, gpt2, bert, ...)")
    kinds = cfg.get("layer_types")
    other = _entries_besides(kinds, _ATTENTION_LAYER_KINDS)
    if other:  # read before as a transformer whose every layer attends (a KV cache on each), when windows were off
        raise InputError(f"{where}: layer_types lists {', '.join(repr(k) for k in other)} layers beside attention: "
                         "the predictors model transformers whose every layer is softmax attention (full, sliding-"
                         "window or chunked)", "pass a transformer's config.json (llama, mistral, qwen, gemma, gpt2, "
                         "bert, ...)")
    if cfg.get("is_encoder_decoder") is True or mtype in {"t5", "mt5", "umt5", "bart", "mbart", "whisper", "marian",
                                                          "pegasus", "longt5"}:
        raise InputError(f"{where}: model_type {mtype or '(none)'!r} is an encoder-decoder model: the predictors "
                         "model decoder-only and encoder-only transformers, not a decoder with cross-attention",
                         "pass a decoder-only (llama, mistral, gpt2, ...) or encoder-only (bert) config.json")
    if mtype == "jetmoe":
        # JetMoE's attention is itself a mixture of experts (MoA): each token's query and output projections are
        # routed to num_experts_per_tok of num_local_experts attention experts (JetMoeMoA), its heads
        # num_key_value_heads x num_experts_per_tok (transformers models/jetmoe/configuration_jetmoe.py and
        # modeling_jetmoe.py, JetMoeAttention). The published config gives no num_attention_heads, and was told to
        # add the one 'its published config.json has'; given one, the attention was counted as a dense layer's.
        raise InputError(f"{where}: model_type 'jetmoe' routes its attention to experts (JetMoE's mixture of "
                         "attention heads, num_local_experts query/output projections, num_experts_per_tok per "
                         "token), which the predictors do not model: they give every layer one dense attention",
                         "for its inference, run `accelopt plan infer` on this config.json with a transformers that "
                         "knows jetmoe (4.40 or newer: pip install -U transformers), which builds the real layers")
    if mtype in _GEMMA3N_TYPES:
        raise InputError(f"{where}: model_type {mtype!r} (Gemma 3n) has parts the predictors do not model: AltUp's "
                         "altup_num_inputs residual streams, a per-layer input embedding (vocab_size_per_layer_input "
                         "x hidden_size_per_layer_input for each layer), LAuReL blocks (laurel_rank), the last "
                         "num_kv_shared_layers layers reusing earlier layers' KV cache, and a width per layer "
                         "(intermediate_size may be a list); read as Gemma 3, its weights, KV cache and time would "
                         "be wrong", _GEMMA3N_FIX)
    per_layer = [k for k in _PER_LAYER_KEYS if isinstance(cfg.get(k), list) and cfg[k]]
    if per_layer:
        raise InputError(f"{where}: {per_layer[0]} gives each of the layers its own "
                         f"{_PER_LAYER_KEYS[per_layer[0]]} (model_type {mtype or '(none)'!r}), and the predictors give "
                         "every layer the same attention and MLP: read with one, its weights, KV cache and time "
                         "would be wrong", "for its inference, write a model file whose factory builds it (as "
                         "examples/my_model.py does; accelopt does not run a checkpoint's own modelling code) and run "
                         "`accelopt plan infer FILE.py:factory`")
    cross = cfg.get("cross_attention_layers")
    if isinstance(cross, list) and cross:
        # MllamaTextModel builds MllamaCrossAttentionDecoderLayer at each index listed and
        # MllamaSelfAttentionDecoderLayer elsewhere (huggingface/transformers@befb795 src/transformers/models/mllama/
        # modeling_mllama.py): those layers attend to the vision encoder's output, not to the text, and cache its
        # K/V once per image. The key was listed as not modelled while every layer was read as self-attention over
        # the text (a user trial, ut3hf: Llama 3.2 11B Vision).
        raise InputError(f"{where}: cross_attention_layers lists {len(cross)} of the "
                         f"{cfg.get('num_hidden_layers', '?')} layers as cross-attention layers (model_type "
                         f"{mtype or '(none)'!r}: they attend to an image encoder's output, not to the text), and the "
                         "predictors give every layer self-attention over the text, with a KV cache that grows with "
                         "it", "for the language model alone, plan the text model it was built on (Llama 3.2 Vision: "
                         "Llama 3.1's config.json); for the whole model's inference, run `accelopt plan infer` on "
                         "this config.json with a transformers that knows its type (pip install -U transformers), "
                         "which builds the real layers")
    if cfg.get("add_cross_attention") is True:  # the decoder half of an encoder-decoder model
        # transformers GPT2Block / BertLayer add a cross-attention sublayer (q, k, v, o and a norm) per block when
        # config.add_cross_attention; read as a plain decoder it was dropped without a word (GPT-2 124M's decoder
        # of a VisionEncoderDecoder: 124,439,808 parameters counted of the 152,806,656 transformers builds)
        raise InputError(f"{where}: add_cross_attention = true: model_type {mtype or '(none)'!r} is here the decoder "
                         "of an encoder-decoder model (each block also attends to an encoder's output), and the "
                         "predictors model decoder-only and encoder-only transformers, not a decoder with "
                         "cross-attention", "pass a decoder-only config (add_cross_attention false or left out) or "
                         "an encoder-only (bert) config.json")


# Keys of an image (ViT, DeiT, BEiT, Swin, CLIP/SigLIP vision towers) or audio (Wav2Vec2, HuBERT, AST) encoder's
# config: its inputs are patches or frames, not token ids.
_NON_TOKEN_INPUT_KEYS = ("image_size", "patch_size", "num_channels", "num_mel_bins", "conv_dim")
# Fuyu (adept/fuyu-8b) is a decoder LM (Persimmon) that reads image patches through a linear layer beside its token
# ids: image_size and patch_size with a vocab_size, and a causal LM all the same.
_PATCH_FED_LMS = frozenset({"fuyu"})


def _non_token_keys(cfg: dict[str, Any], mtype: str) -> list[str]:
    """The keys that make `cfg` a vision/audio model's config. With a vocab_size too, only those no language model
    has: Wav2Vec2/HuBERT CTC heads have vocab_size 32 (characters) beside conv_dim, BEiT has vocab_size 8192 (its
    visual tokens) beside image_size and patch_size."""
    present = [k for k in _NON_TOKEN_INPUT_KEYS if cfg.get(k) is not None]
    if cfg.get("vocab_size") is None:
        return present
    strong: list[str] = [k for k in ("conv_dim", "num_mel_bins") if k in present]
    if "image_size" in present and "patch_size" in present and mtype not in _PATCH_FED_LMS:
        strong += ["image_size", "patch_size"]
    return strong


def _check_token_model(cfg: dict[str, Any], mtype: str, where: str) -> None:
    """An InputError naming a vision/audio config as such: without a vocab_size, 'none of vocab_size is set' and
    'pass a llama config' said neither what the model is nor where it can be planned; with one (a speech CTC head's
    32 characters), it was planned as a causal LM."""
    inputs = _non_token_keys(cfg, mtype)
    if inputs:
        vocab = "no vocab_size" if cfg.get("vocab_size") is None else f"vocab_size {cfg['vocab_size']} of its head"
        raise InputError(f"{where}: model_type {mtype or '(none)'!r} takes images or audio, not token ids (it has "
                         f"{', '.join(inputs)} and {vocab}), and this reader builds "
                         "language transformers (token ids in)",
                         ("for its inference, run `accelopt plan infer` on this config.json (it builds a model "
                          "that reads image_size x image_size pixels)" if {"image_size", "patch_size"} <= set(inputs)
                          else "for its inference, write a model file that feeds its inputs (examples/my_model.py) "
                          "and run `accelopt plan infer FILE.py:factory`"))


# Types whose config class ties by default but whose block has no rule here (read as the common decoder, with the
# unknown-type note): Starcoder2Config and Cohere2Config, tie_word_embeddings True (transformers
# models/starcoder2/configuration_starcoder2.py, models/cohere2/configuration_cohere2.py @008e574); StarCoder2-3B's
# config.json gives none and was read untied (+151M parameters over the model card's 3B).
_TIED_ONLY_TYPES = frozenset({"starcoder2", "cohere2"})


def _tied_by_default(mtype: str) -> bool | None:
    """The config class's tie_word_embeddings default for `mtype` (None: not known)."""
    if mtype in _TIED_TYPES or mtype in _TIED_ONLY_TYPES or mtype.startswith("gemma"):
        return True
    return False if mtype in _UNTIED_TYPES else None


def reads_model_type(mtype: str) -> bool:
    """Whether load_hf_config has a rule of its own for the model type `mtype` (its block, MLP, biases and ties)."""
    return mtype in _known_types()


def _known_types() -> frozenset[str]:
    """The model types this reader has a rule for (block layout, MLP, biases, ties, encoder or decoder)."""
    return (_GATED_TYPES | _FOUR_NORM_TYPES | _FALCON_TYPES | _PARALLEL_ONE_NORM_TYPES | _FFN_4H_TYPES | _TIED_TYPES
            | _UNTIED_TYPES | _ENCODER_TYPES | _GPT2_STYLE_TYPES | {"gpt_neox"})


# The keys a config names its MLP activation by, in the order read: most families' hidden_act, Gemma's
# hidden_activation, GPT-2-style and EXAONE's activation_function (LG EXAONE 3.0: "silu" over a gated MLP, c_fc_0 and
# c_fc_1). The note and the MLP read one key: a note saying 'gated (hidden_activation silu)' was printed over a
# plain MLP's numbers, which read hidden_act alone.
_ACTIVATION_KEYS = ("hidden_act", "hidden_activation", "activation_function")


def _activation(cfg: dict[str, Any]) -> tuple[str, Any]:
    """(the key the MLP's activation is read from, its value), or ('', None) where the config names none."""
    return next(((k, cfg[k]) for k in _ACTIVATION_KEYS if cfg.get(k)), ("", None))


# A config without model_type that declares the block this reader builds for one (the note below): `validate --row`
# writes it for a runs-file row's architecture cells, which say exactly that block (predict/validation.py run_model:
# 2 norms, no biases or learned positions, mlp gelu or swiglu) and belong to no one Hugging Face type (Megatron-LM's
# GPT has biases and a learned position table: GPT2Config's). Read back, the note asked to compare a model card
# the row has none of. Any other value, or the key beside a model_type, is refused (check_block_key).
DECLARED_BLOCK_KEY = "accelopt_block"
DECLARED_BLOCK = "pre-norm"


def check_block_key(cfg: dict[str, Any], mtype: str, where: str) -> bool:
    """Whether the config declares the common pre-norm block (DECLARED_BLOCK_KEY); a value other than
    DECLARED_BLOCK, or the key beside a model_type (whose rule says the block), is an InputError."""
    if DECLARED_BLOCK_KEY not in cfg:
        return False
    value = cfg[DECLARED_BLOCK_KEY]
    if value != DECLARED_BLOCK:
        raise InputError(f"{where}: {DECLARED_BLOCK_KEY} = {value!r} is not a block this reader builds",
                         f'write {DECLARED_BLOCK_KEY} = "{DECLARED_BLOCK}" (attention then MLP, 2 norms per layer, '
                         "no biases or learned positions), or give the model's model_type instead")
    if mtype:
        raise InputError(f"{where}: {DECLARED_BLOCK_KEY} is given beside model_type {mtype!r}",
                         f"leave {DECLARED_BLOCK_KEY} out (model_type names the block) or model_type out")
    return True


# The model type of a config whose model_type has no rule here but whose `architectures` names one class this reader
# has a rule for: vLLM picks a checkpoint's implementation by `architectures` (vllm model_executor/models/registry.py,
# _VLLM_MODELS), so moonshotai/Kimi-K2-Instruct (model_type kimi_k2, architectures ["DeepseekV3ForCausalLM"]) runs as
# DeepSeek-V3. It was read under 'model_type kimi_k2 has no rule in this reader' (a user trial, utconfigs).
_ARCHITECTURE_TYPES = {"DeepseekV3ForCausalLM": "deepseek_v3", "DeepseekV2ForCausalLM": "deepseek_v2",
                       "LlamaForCausalLM": "llama", "MistralForCausalLM": "mistral", "MixtralForCausalLM": "mixtral",
                       "Qwen2ForCausalLM": "qwen2", "Qwen3ForCausalLM": "qwen3", "Qwen3MoeForCausalLM": "qwen3_moe"}


def _type_by_architecture(cfg: dict[str, Any], mtype: str) -> tuple[str, tuple[str, ...]]:
    """(the model type to read the config as, the note saying so): a named type without a rule whose one
    architectures class is in _ARCHITECTURE_TYPES is read as that class's type; any other keeps its own."""
    archs = cfg.get("architectures")
    arch = archs[0] if isinstance(archs, list) and len(archs) == 1 and isinstance(archs[0], str) else ""
    known = _ARCHITECTURE_TYPES.get(arch)
    if not mtype or known is None or mtype in _known_types() or mtype in _NO_ATTENTION_TYPES \
            or mtype.startswith("gemma"):
        return mtype, ()
    return known, (f"model_type {mtype!r} read as {known!r}, the type of its architectures class {arch} (the "
                   f"implementation vLLM runs it with; this reader has no rule of its own for {mtype!r}); compare the "
                   "parameter count with the model card's",)


def _unknown_type_note(cfg: dict[str, Any], mtype: str) -> str | None:
    """The note for a model type none of this reader's rules names: its block is read as the common decoder's,
    which was a silent assumption (an MLP read as gated or not by hidden_act alone, no biases counted); none where
    the config declares that block (DECLARED_BLOCK_KEY)."""
    if mtype in _known_types() or mtype.startswith("gemma") or check_block_key(cfg, mtype, "config"):
        return None
    key, act = _activation(cfg)
    mlp = (f"a gated MLP (3 matrices; {key} silu)" if act == "silu"
           else f"a plain MLP (2 matrices; {key} {act!r})" if act else "a plain MLP (2 matrices; no hidden_act)")
    block = "a bidirectional encoder block" if _is_encoder(cfg, mtype) else "a pre-norm decoder block"
    return (f"model_type {mtype or '(none)'!r} has no rule in this reader: read as {block} "
            f"(attention then MLP, 2 norms per layer, {mlp}, no biases or learned positions counted); compare "
            "the parameter count (`plan serve --json` weights) with the model card's" + _respelt_type(mtype))


def _respelt_type(mtype: str) -> str:
    """'; did you mean ...' where `mtype` is a known type written with other separators ('qwen2moe', 'qwen2-moe' for
    qwen2_moe): it was read as the generic block without a word on the type meant (uttrial, a user trial). Only
    separators differ, so a real type of its own ('olmo' beside 'olmo2', 'mistral3') is never re-spelt."""
    def bare(t: str) -> str:
        return re.sub(r"[\s_\-.]+", "", t.lower())

    meant = sorted(t for t in _known_types() if mtype and bare(t) == bare(mtype) and t != mtype)
    return (f"; did you mean model_type {meant[0]!r} (the type transformers names it by, which this reader has a "
            "rule for)?") if meant else ""


def _config_defaults(cfg: dict[str, Any], mtype: str, hidden: int, ffn: int | None,
                     context: int | None) -> tuple[tuple[str, ...], int, Any]:
    """(notes naming each figure the config leaves out and the value used instead, MLP width, the tie flag: the
    config's own value, unchecked, or its type's default)."""
    notes = [n for n in (_unknown_type_note(cfg, mtype),) if n]
    if ffn is None:
        ffn = 4 * hidden
        if mtype not in _FFN_4H_TYPES:
            notes.append(f"the config gives no intermediate_size (n_inner, ffn_dim): MLP width 4 x hidden_size = "
                         f"{ffn:,} assumed (give intermediate_size)")
    if context is None:
        notes.append("the config gives no max_position_embeddings (n_positions, n_ctx): the model's context length "
                     "is unknown, so no sequence, prompt or output length is checked against it (`plan` trains on "
                     "2048-token sequences unless --seq-len is given)")
    tied = cfg.get("tie_word_embeddings")
    if tied is None:
        tied = _tied_by_default(mtype)
        if tied is None:
            tied = False
            notes.append(f"the config gives no tie_word_embeddings and model_type {mtype or '(none)'!r} has no "
                         "known default: untied input and output embeddings assumed (give tie_word_embeddings)")
    return tuple(notes), ffn, tied


# The transformers heads that put a classifier (hidden x num_labels) where a language model has its LM head:
# reward models (Skywork/Skywork-Reward-Llama-3.1-8B: LlamaForSequenceClassification), token taggers, extractive QA.
_CLASSIFIER_HEADS = ("ForSequenceClassification", "ForTokenClassification", "ForQuestionAnswering",
                     "ForMultipleChoice")


def _classifier_head(cfg: dict[str, Any], mtype: str, vocab: int, hidden: int) -> tuple[str, tuple[str, ...]]:
    """(the architecture naming a classification head, or '', the note saying what is counted in its place). Read
    as an LM, a decoder reward model counted a vocab x hidden head it does not have (Llama 3.1 8B: 525M of 8.03B) and
    `plan serve` predicted token generation for it without a word."""
    archs = cfg.get("architectures")
    names = [a for a in archs if isinstance(a, str)] if isinstance(archs, list) else []
    head = next((a for a in names if a.endswith(_CLASSIFIER_HEADS)), "")
    if not head:
        return "", _mlm_transform_note(mtype, hidden)
    if mtype in _ENCODER_TYPES:  # BERT-style: the predictors count the masked-LM head an encoder is pretrained with
        return head, (f"architectures {head}: a classification head in place of the masked-LM head counted here "
                      f"({vocab:,} x {hidden:,} = {vocab * hidden:,} weights, tied to the input embedding)",)
    return head, (f"architectures {head}: a classification head (hidden x num_labels) in place of the LM head, "
                  f"which the figures count as a language model's ({vocab:,} x {hidden:,} = {vocab * hidden:,} "
                  "weights and its logits' FLOPs); give a ...ForCausalLM config to plan the language model",)


def _mlm_transform_note(mtype: str, hidden: int) -> tuple[str, ...]:
    """The note for an encoder's masked-LM head transform, which the figures leave out: BertLMPredictionHead's
    transform (dense hidden x hidden + LayerNorm) before the decoder (transformers models/bert/modeling_bert.py;
    RobertaLMHead's dense + layer_norm, ModernBertPredictionHead's likewise); () for other types."""
    if mtype not in _ENCODER_TYPES:
        return ()
    return (f"the masked-LM head's transform (a dense {hidden:,} x {hidden:,} layer and its LayerNorm: "
            f"{hidden * hidden + 2 * hidden:,} weights, 2 x {hidden:,}^2 FLOPs per token) is not modelled",)


def _holds_sizes(cfg: dict[str, Any]) -> bool:
    """Whether a config dict, or one nested in it, gives a layer count or width."""
    if any(cfg.get(k) is not None for k in (*_LAYER_KEYS, "hidden_size", "n_embd", "d_model", *_HEAD_KEYS)):
        return True
    return any(isinstance(v, dict) and _holds_sizes(v) for v in cfg.values())


def _check_has_sizes(cfg: dict[str, Any], where: str) -> None:
    """An InputError naming a file with no model size at all for what it is: a checkpoint folder's
    generation_config.json or tokenizer_config.json passed as --model was told to 'add num_hidden_layers to the
    config', as if a model's config.json had lost one key."""
    if any(cfg.get(k) is not None for k in (*_LAYER_KEYS, "hidden_size", "n_embd", "d_model", *_HEAD_KEYS)):
        return
    if cfg.get("dim") is not None and cfg.get("n_layers") is not None:  # told it held no model sizes
        raise InputError(f"{where} is a Mistral-format params.json (mistral-inference's names: dim, n_layers, "
                         "n_heads, hidden_dim), not a Hugging Face config.json",
                         "pass the config.json of the model's Hugging Face repository (Mistral's ship both), or "
                         "write one: hidden_size = dim, num_hidden_layers = n_layers, num_attention_heads = n_heads, "
                         "num_key_value_heads = n_kv_heads, intermediate_size = hidden_dim, and head_dim, vocab_size")
    if isinstance(cfg.get("weight_map"), dict):  # was asked whether it was a generation_config.json
        raise InputError(f"{where} is a safetensors index (its weight_map names the shard file of each weight): the "
                         "checkpoint's weights, not its model sizes", "pass the config.json beside it in the "
                         "checkpoint folder (or the folder itself)")
    # Sub-models nested under their own keys, none of them text_config / llm_config / language_config
    # (_TEXT_KEYS): Qwen/Qwen2.5-Omni-7B's thinker_config (a language model with vision and audio encoders, its
    # text_config inside) and talker_config (a second language model that writes speech codes); the file was asked
    # whether it was a generation_config.json (a user trial, ut3hf)
    nested = [k for k, v in cfg.items() if isinstance(v, dict) and _holds_sizes(v)]
    if nested:
        raise InputError(f"{where} gives its model sizes only inside {', '.join(nested)} (model_type "
                         f"{cfg.get('model_type', '(none)')!r}: sub-models nested under their own keys), which this "
                         "reader does not open: it reads one language model, at the top or under text_config",
                         "plan one part: save the language model's block (e.g. thinker_config's text_config) as a "
                         "config.json of its own and pass that; its other parts are not in the figures")
    raise InputError(f"{where} holds no model sizes (no num_hidden_layers, hidden_size or num_attention_heads, nor "
                     "their other spellings): not a model's config.json (a generation_config.json or "
                     "tokenizer_config.json?)", "pass the model's config.json (in a Hugging Face checkpoint folder, "
                     "the file named config.json; or the folder itself)")


def _check_not_a_result(cfg: dict[str, Any], where: str) -> None:
    """An InputError naming an accelopt result document (another command's --json output, which carries
    "schema": "accelopt.<kind>" and its schema_version: report/schema.py dump) for what it is: read as a config it
    said 'none of num_hidden_layers, n_layer, num_layers is set'."""
    schema = cfg.get("schema")
    if not (isinstance(schema, str) and schema.startswith("accelopt.")):
        return
    version = cfg.get("schema_version")
    raise InputError(f"{where} is an accelopt result document (schema {schema}"
                     + (f", version {version}" if version is not None else "")
                     + "): the --json output of an accelopt command, not a model's config",
                     "pass --model a preset name (`accelopt plan --list-models`), a Hugging Face config.json, or a "
                     "workload JSON written by `accelopt profile --save-workload`")


def _check_not_a_workload(cfg: dict[str, Any], where: str) -> None:
    """An InputError naming a captured workload (`profile --save-workload`: a JSON object with "ops", the file
    `plan --model` and `plan infer` read) given where only a transformer's shape is read (`plan explain`, `plan serve`,
    a `validate --serving` model cell): it was told it 'holds no model sizes ... not a model's config.json (a
    generation_config.json or tokenizer_config.json?)', a wrong guess at what the file is, with no way on."""
    if not isinstance(cfg.get("ops"), list):
        return
    meta = cfg.get("meta")
    mode = meta.get("mode") if isinstance(meta, dict) else None
    route = (f"predict its inference with `accelopt plan infer {where}`" if mode == "inference" else
             f"plan its training with `accelopt plan --model {where}` (data parallel x ZeRO)")
    # `simulate run -m FILE` lands here too: its own flag for the file is --workload (a user told only of `plan`
    # took the profiled workload to be unusable by simulate)
    raise InputError(f"{where} is a workload JSON (the ops of a captured step, `accelopt profile --save-workload`), "
                     "not a model's config.json: this command reads a transformer's shape (a preset or a "
                     "config.json)", f"{route}; simulate its GEMMs on a design with `accelopt simulate run -d DESIGN "
                     f"--workload {where}`; or give the model's config.json or a preset here")


# Switches this reader reads as true / false (tie_word_embeddings has its own check, after its class default;
# add_cross_attention other than true is listed as not modelled, tests/test_config_cross_attention.py).
_FLAG_KEYS = ("parallel_attn", "use_parallel_residual", "new_decoder_architecture", "multi_query",
              "use_sliding_window", "use_qkv_bias")


def _check_flags(cfg: dict[str, Any], where: str) -> None:
    """A switch written as text or a number ("parallel_attn": "false") was read by its truth value, so "false" (a
    non-empty string) turned Falcon's parallel attention, GPT-NeoX's parallel residual or multi-query attention ON
    without a word; null still means 'left out'."""
    for key in _FLAG_KEYS:
        value = cfg.get(key)
        if value is not None and not isinstance(value, bool):
            raise InputError(f"{where}: {key} = {value!r} is not true or false",
                             f"write {key} = true or false (a JSON boolean, without quotes), or leave it out")


# Families whose attention puts biases on q, k and v alone (TransformerConfig.qkv_bias), no config key: transformers
# Qwen2Attention (src/transformers/models/qwen2/modeling_qwen2.py @63bb723747035466e5339aea864b133f709b067d:
# q_proj / k_proj / v_proj bias=True, o_proj bias=False), Qwen2VLAttention (models/qwen2_vl/modeling_qwen2_vl.py
# @928b5565ecea2852ac5a41701c90589321548522) and Qwen2_5_VLAttention (models/qwen2_5_vl/modeling_qwen2_5_vl.py
# @efa7189c5546a94e8c1194b2ccc6669e0f7ad65e), the same; the text configs of the last two (qwen2_vl_text,
# qwen2_5_vl_text) build those classes. Qwen3 has none by default (Qwen3Config attention_bias default False,
# models/qwen3/configuration_qwen3.py @008e574): not listed; a Qwen3 attention_bias true is read as Llama's, on all
# four projections (_ATTENTION_BIAS_TYPES, since s31 rbias). A Qwen2 config.json was read bias-free before s31.
_QKV_BIAS_TYPES = frozenset({"qwen2", "qwen2_vl", "qwen2_vl_text", "qwen2_5_vl", "qwen2_5_vl_text"})
# Families with a config key for it: (key, the class's default). StableLM: StableLmAttention bias=config.use_qkv_bias
# (models/stablelm/modeling_stablelm.py), StableLmConfig default False; Qwen2-MoE: Qwen2MoeAttention
# bias=config.qkv_bias (models/qwen2_moe/modular_qwen2_moe.py @8fb1742fe381414d1ba2a75dfd350d3d888b8f3e),
# Qwen2MoeConfig qkv_bias default True (models/qwen2_moe/configuration_qwen2_moe.py @008e574; Qwen1.5-MoE-A2.7B's
# config.json leaves it out); GLM-4-MoE: Glm4MoeAttention q_proj / k_proj / v_proj bias=config.attention_bias, o_proj
# bias=False (models/glm4_moe/modeling_glm4_moe.py @a0699c971daff96403489086fcfd07469d20b17f), Glm4MoeConfig
# attention_bias default False (configuration_glm4_moe.py @c7ec229a).
_QKV_BIAS_KEYS = {"stablelm": ("use_qkv_bias", False), "qwen2_moe": ("qkv_bias", True),
                  "glm4_moe": ("attention_bias", False),
                  # GLM-4-0414: Glm4Attention q_proj / k_proj / v_proj bias=config.attention_bias, o_proj bias=False
                  # (models/glm4/modeling_glm4.py @257314f), Glm4Config attention_bias default True
                  # (configuration_glm4.py @4f7e1d4); listed as not modelled before (ut3hf)
                  "glm4": ("attention_bias", True)}


def _qkv_bias(cfg: dict[str, Any], mtype: str, where: str) -> bool:
    """Whether the model's q, k and v projections carry biases (TransformerConfig.qkv_bias)."""
    if mtype in _QKV_BIAS_TYPES:
        return True
    key, default = _QKV_BIAS_KEYS.get(mtype, ("", False))
    return _bias_switch(cfg, key, default, where) if key else default


def _bias_switch(cfg: dict[str, Any], key: str, default: bool, where: str) -> bool:
    """The config's `key` as true / false, `default` where it is left out (null); text or a number is refused."""
    value = cfg.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):  # "false" is a non-empty string: read as true it would add biases
        raise InputError(f"{where}: {key} = {value!r} is not true or false",
                         f"write {key} = true or false (a JSON boolean, without quotes), or leave it out")
    return value


def _llama_biases(cfg: dict[str, Any], mtype: str, where: str) -> dict[str, bool]:
    """TransformerConfig's attn_bias and mlp_bias from the config's attention_bias and mlp_bias, for the families
    whose classes read them (_ATTENTION_BIAS_TYPES, _MLP_BIAS_TYPES; the classes' default False); False for others
    (their keys are listed as not modelled by unused_config_keys). GPT-OSS's default is True
    (_ATTENTION_BIAS_DEFAULT_TRUE)."""
    return {"attn_bias": mtype in _ATTENTION_BIAS_TYPES
            and _bias_switch(cfg, "attention_bias", mtype in _ATTENTION_BIAS_DEFAULT_TRUE, where),
            "mlp_bias": mtype in _MLP_BIAS_TYPES and _bias_switch(cfg, "mlp_bias", False, where)}


TRAIN_SEQ_CAP = 8192
"""The training sequence of a config.json whose context is longer: min(context, 8192) tokens (`plan` notes it)."""


def config_model_name(name_or_path: Any, path: Path) -> str:
    """The name a config.json gives its model: its _name_or_path (a Hub id such as meta-llama/Llama-3.1-8B), unless
    that is a path on the machine that saved it, else the checkpoint folder (NAME/config.json), else the file's name.
    liuhaotian/llava-v1.5-13b's _name_or_path './checkpoints/vicuna-13b-v1.5' (the base model's training folder)
    named it in every table, JSON `model` and the run history (a usertest, ut_plan3)."""
    given = name_or_path if isinstance(name_or_path, str) else ""
    if given.startswith(("/", "./", "../", "~", ".\\")) or "\\" in given or re.match(r"[A-Za-z]:[\\/]", given):
        given = ""
    return given or (path.parent.name if path.name == "config.json" else path.stem) or path.stem


# Model types whose transformers config class has no expert field and whose modelling file builds one dense MLP in
# every layer: a num_experts key in such a config.json is an attribute nothing reads (PreTrainedConfig keeps unknown
# keys as attributes), so the model has no experts. LlamaConfig (fields vocab_size ... head_dim, none of experts) and
# MistralConfig, both with base_model_tp_plan layers.*.mlp.gate_proj / up_proj / down_proj (huggingface/transformers
# src/transformers/models/llama/configuration_llama.py @008e5743 and models/mistral/configuration_mistral.py).
_NO_EXPERT_TYPES = {"llama": "LlamaConfig", "mistral": "MistralConfig"}
_EXPERT_KEYS = ("num_local_experts", "n_routed_experts", "num_experts", "num_experts_per_tok", "experts_per_token",
                "moe_intermediate_size", "n_shared_experts", "num_shared_experts", "first_k_dense_replace",
                "moe_layer_freq", "shared_expert_intermediate_size", "decoder_sparse_step",
                "moe_shared_expert_intermediate_size", "shared_intermediate_size", "interleave_moe_layer_step",
                "moe_layers", "mlp_only_layers")


def _without_expert_keys(cfg: dict[str, Any], mtype: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    """(cfg without its mixture-of-experts keys, those keys) for a _NO_EXPERT_TYPES model: a llama config with
    num_experts 8 was read as an 8-expert MoE that transformers' LlamaForCausalLM never builds. Else (cfg, ())."""
    if mtype not in _NO_EXPERT_TYPES:
        return cfg, ()
    given = tuple(k for k in _EXPERT_KEYS if cfg.get(k) is not None)
    return ({k: v for k, v in cfg.items() if k not in given}, given) if given else (cfg, ())


# DeepSeek Sparse Attention (DeepSeek-V3.2-Exp): a lightning indexer scores every earlier token with index_n_heads
# heads of index_head_dim and the main attention reads only the index_topk best; its weights a layer are wq_b
# (q_lora_rank x heads x head_dim), wk (hidden x head_dim), k_norm (a LayerNorm: 2 x head_dim) and weights_proj
# (hidden x heads), its key cache head_dim values a token a layer (deepseek-ai/DeepSeek-V3.2-Exp@6d8cb70d
# inference/model.py, class Indexer). Not modelled: its keys were only listed as ignored (ut5hf, 2026-12-06), which
# left a user to guess that attention is priced dense.
_SPARSE_ATTENTION_KEYS = ("index_topk", "index_n_heads", "index_head_dim")


def _sparse_attention_note(cfg: dict[str, Any], hidden: int, layers: int) -> tuple[str, ...]:
    given = [v for v in (cfg.get(k) for k in _SPARSE_ATTENTION_KEYS)
             if isinstance(v, int) and not isinstance(v, bool) and v > 0]
    if len(given) != len(_SPARSE_ATTENTION_KEYS):
        return ()
    topk, heads, dim = given
    rank = cfg.get("q_lora_rank")
    q_in = rank if isinstance(rank, int) and not isinstance(rank, bool) and rank > 0 else hidden
    per_layer = q_in * heads * dim + hidden * dim + 2 * dim + hidden * heads
    return (f"not modelled: DeepSeek Sparse Attention (index_topk {topk:,}, index_n_heads {heads}, index_head_dim "
            f"{dim}): attention is priced dense, every earlier token read, so past {topk:,} tokens its score and value "
            "FLOPs and a decode step's KV-cache reads are upper bounds; the lightning indexer's weights "
            f"({per_layer:,} a layer, {per_layer * layers:,} in all: q_lora_rank x heads x head_dim + hidden x "
            "head_dim + 2 x head_dim + hidden x heads), its FLOPs and its key cache "
            f"({dim} values a token a layer) are not counted (deepseek-ai/DeepSeek-V3.2-Exp@6d8cb70d "
            "inference/model.py Indexer)",)


def _ignored_experts_note(mtype: str, keys: tuple[str, ...]) -> tuple[str, ...]:
    if not keys:
        return ()
    return (f"ignored: {', '.join(keys)}: model_type {mtype} has no experts (transformers' {_NO_EXPERT_TYPES[mtype]} "
            "has no expert field and its model builds one dense MLP per layer), so it was read as a dense model; "
            "for a mixture of experts give its own model_type (e.g. mixtral)",)


def load_hf_config(path: Path | str) -> TransformerConfig:
    """Parse a local Hugging Face config.json (no `transformers` import).

    Handles the key names of llama/mistral/mixtral/qwen2 (num_hidden_layers, hidden_size,
    intermediate_size, num_key_value_heads, num_local_experts, num_experts_per_tok), gpt2 (n_layer,
    n_embd, n_head, n_inner), bert (encoder-only) and deepseek (n_routed_experts, n_shared_experts,
    moe_intermediate_size, first_k_dense_replace).
    """
    p = Path(path)
    cfg = read_user_json(p, "config file", "pass the path of a local config.json, or a workload JSON written by "
                         "`accelopt profile --save-workload`", one_value_per_key=True)
    if not isinstance(cfg, dict):
        raise InputError(f"{p} holds no JSON object", "pass a Hugging Face config.json")
    where = str(p)
    _check_not_a_result(cfg, where)
    _check_not_a_workload(cfg, where)
    _check_contrastive(cfg, where)
    outer, (cfg, outer_unused) = cfg, _text_model(cfg, where)
    _check_contrastive(cfg, where)
    nested = cfg is not outer  # the language model of a multimodal config (its text_config)
    if not isinstance(cfg.get("model_type", ""), str):
        raise InputError(f"{where}: model_type = {cfg['model_type']!r} is not a name", 'give model_type a name such '
                         'as "llama", or leave it out')
    mtype, arch_note = _type_by_architecture(cfg, str(cfg.get("model_type", "")).lower())
    if mtype in _NESTED_KEYS:
        cfg = _nested_config(cfg, mtype, where)
    elif mtype == "chatglm":
        cfg = _chatglm_config(cfg, where)
    elif mtype == "qwen":
        cfg = _qwen1_config(cfg, where)
    elif mtype == "phi3small":
        cfg = _phi3small_config(cfg)
    elif mtype == "distilbert":
        cfg = _distilbert_config(cfg)
    ernie_notes: tuple[str, ...] = ()
    if mtype in _ERNIE_MOE_TYPES:
        cfg, ernie_notes = _ernie_moe_config(cfg, where)
    elif mtype in _HUNYUAN_TYPES:
        cfg = _hunyuan_config(cfg, where)
    cfg, ignored_experts = _without_expert_keys(cfg, mtype)
    _check_flags(cfg, where)
    _check_cla(cfg, where)
    check_block_key(cfg, mtype, where)  # refused here, naming the file (the note's own call names no file)
    _check_modelled(cfg, mtype, where)
    _check_token_model(cfg, mtype, where)
    _check_weights_countable(cfg, mtype, where)
    _check_moe_width_given(cfg, mtype, where)
    as_written, (cfg, class_defaults) = cfg, _class_defaults(cfg, mtype, nested)  # before the class's defaults
    cfg, moe_defaults = _moe_class_defaults(cfg, mtype)
    cfg, cap_default = _softcap_class_defaults(cfg, mtype)
    cfg, mla_defaults = _mla_class_defaults(cfg, mtype)
    class_defaults = (*class_defaults, *moe_defaults, *cap_default, *mla_defaults)
    cfg, class_defaults = _minicpm3_v_head_dim(cfg, mtype, class_defaults)
    _check_has_sizes(cfg, where)
    layers = _req(cfg, _LAYER_KEYS, where)
    hidden = _req(cfg, ("hidden_size", "n_embd", "d_model"), where)
    heads = _req(cfg, _HEAD_KEYS, where)
    vocab = _req(cfg, ("vocab_size",), where)
    for key in _ACTIVATION_KEYS:  # ["silu"] was read as 'not silu' (a plain MLP for a type without a rule)
        if cfg.get(key) is not None and not isinstance(cfg[key], str):
            raise InputError(f"{where}: {key} = {cfg[key]!r} is not the name of an activation",
                             f'give {key} a name such as "silu" or "gelu", or leave it out')
    gated = mtype in _GATED_TYPES or (_activation(cfg)[1] == "silu" and mtype not in _PLAIN_MLP_TYPES)
    context = _opt(cfg, _CONTEXT_KEYS, None, where)
    if context == 0:  # not 'left out': the note said the config gave none, and training ran at 2048 tokens
        raise InputError(f"{where}: the context length (max_position_embeddings / n_positions / n_ctx) is 0",
                         "give the model's context length, or leave the key out (null) if it has none")
    seq = context or 2048
    ffn_given = _opt(cfg, ("intermediate_size", "n_inner", "ffn_dim"), None, where)
    if ffn_given == 0:  # 0 is a width, not 'left out' (it was replaced by 4 x hidden without a word)
        raise InputError(f"{where}: the MLP width (intermediate_size / n_inner / ffn_dim) is 0",
                         "give the MLP's hidden width, or leave the key out (null) for the type's default")
    defaults, ffn, tied = _config_defaults(cfg, mtype, hidden, ffn_given, context)
    classifier, classifier_note = _classifier_head(cfg, mtype, vocab, hidden)
    defaults = (*arch_note, *class_defaults, *defaults, *ernie_notes, *_quantization_note(cfg), *_softcap_note(cfg),
                *classifier_note, *_tower_note(outer))
    if not isinstance(tied, bool):
        raise InputError(f"{where}: tie_word_embeddings = {tied!r} is not true or false",
                         "write tie_word_embeddings = true or false, or leave it out")
    experts = _opt(cfg, ("num_local_experts", "n_routed_experts", "num_experts"), 1, where) or 1
    top_k = _opt(cfg, _TOP_K_KEYS, 1, where) if experts > 1 else 1
    if experts == 1 and (_opt(cfg, ("num_experts_per_tok",), None, where) or 1) > 1:  # was read as a dense model
        given = next((f"{k} = {cfg[k]}" for k in ("num_local_experts", "n_routed_experts", "num_experts")
                      if cfg.get(k) is not None), "")  # 'with one expert' answered num_local_experts = 0
        raise InputError(f"{where}: num_experts_per_tok = {cfg['num_experts_per_tok']} with "
                         + (f"{given} (read as a dense model, one expert)" if given else "one expert"),
                         "give the experts (num_local_experts / n_routed_experts / num_experts), or "
                         "num_experts_per_tok 1 (or leave it out) for a dense model")
    if top_k == 0:  # not 'absent': it would silently become top-1 routing
        raise InputError(f"{where}: num_experts_per_tok = 0 with {experts} experts",
                         "give how many experts each token is routed to (>= 1), or leave it out for top-1")
    if experts > 1 and all(cfg.get(k) is None for k in _TOP_K_KEYS):  # top-1 was taken without a word
        defaults += (f"the config gives no num_experts_per_tok: each token routed to 1 of the {experts} experts "
                     "(top-1) assumed; give num_experts_per_tok (Mixtral: 2)",)
    kwargs: dict[str, Any] = {}
    ffn, one_expert_read, one_expert_notes = _one_expert_mlp(cfg, mtype, experts, ffn, (layers, hidden))
    defaults += one_expert_notes
    moe_unread = tuple(k for k in _moe_keys_unread(cfg, experts) if k not in one_expert_read)
    if moe_unread:
        defaults += (f"{experts} routed expert(s): read as a dense model whose MLP is {ffn:,} wide "
                     f"(intermediate_size), so {', '.join(moe_unread)} (the experts' layout) not used; give the "
                     "experts (num_local_experts / n_routed_experts / num_experts > 1) if the model routes tokens",)
    if experts > 1:
        kwargs, ffn, moe_notes = _moe_layout(cfg, mtype, layers, ffn, where)
        defaults += moe_notes
        if (layers - kwargs["first_dense_layers"]) // kwargs["moe_every"] == 0:  # TransformerConfig.moe_layers
            defaults += _all_dense_note(cfg, layers, experts, kwargs)
            ffn, experts, top_k = kwargs.get("dense_ffn") or ffn, 1, 1
            kwargs = {}
    kwargs["qk_norm"] = mtype in _QK_NORM_TYPES or (mtype in _USE_QK_NORM_TYPES and cfg.get("use_qk_norm") is True)
    name = config_model_name(cfg.get("_name_or_path"), p)
    unused = tuple(sorted(set(unused_config_keys(cfg, mtype)) | set(outer_unused) | set(ignored_experts)
                          | set(moe_unread)))
    defaults += _ignored_experts_note(mtype, ignored_experts)
    defaults += _sparse_attention_note(cfg, hidden, layers)
    defaults += misspelt_key_notes(as_written, unused)
    window, n_window = _window_layers(cfg, mtype, layers, where)
    defaults += _zero_window_note(cfg, mtype)
    if mtype.startswith("qwen") and window and cfg.get("max_window_layers") is None:  # the class's 28, said
        defaults += (f"the config leaves out max_window_layers: transformers Qwen2Config / Qwen3Config's default "
                     f"{_QWEN_MAX_WINDOW_LAYERS} used, so {n_window} of the {layers} layers use the {window:,}-token "
                     "window (give max_window_layers to change it)",)
    if mtype == "smollm3" and n_window and not cfg.get("layer_types") \
            and all(cfg.get(k) is None for k in _NOPE_KEYS):  # the class's interval, said as Qwen's 28 is
        defaults += ("the config leaves out no_rope_layers and no_rope_layer_interval: SmolLM3Config's default "
                     f"interval 4 used (every 4th layer NoPE), so {n_window} of the {layers} layers use the "
                     f"{window:,}-token window (give no_rope_layers or no_rope_layer_interval to change it)",)
    if mtype in _LLAMA4_TYPES and window is None:
        window, n_window, chunk_note = _llama4_chunks(cfg, layers, where)
        defaults += chunk_note
    parallel, norms = _block_layout(cfg, mtype)
    head_dim = _opt(cfg, ("head_dim",), None, where)
    if head_dim == 0:  # not 'absent': it would silently become hidden / heads
        raise InputError(f"{where}: head_dim = 0", "give head_dim the attention head width, or leave it out "
                         "(then hidden_size / num_attention_heads)")
    gpt2_style = mtype in _GPT2_STYLE_TYPES
    if gpt2_style and context is None:
        defaults += (f"the config gives no n_positions: {_GPT2_DEFAULT_POSITIONS:,} rows of learned position "
                     "embeddings counted (transformers GPT2Config's default; give n_positions)",)
    # each of these names the file in its own errors (inside the try below it was named twice)
    _check_class_kv_heads(as_written, cfg, mtype, heads, where)
    kv_heads, mla, limit = _kv_heads(cfg, mtype, where), _mla(cfg, where), context_limit(cfg, context, where)
    key = next((k for k in _CONTEXT_KEYS if cfg.get(k) is not None), _CONTEXT_KEYS[0])
    if limit is not None and key != _CONTEXT_KEYS[0]:  # a GPT-2 config's n_positions was named max_position_embeddings
        limit = replace(limit, basis=f"its config's {key}")
    defaults += _kv_heads_note(mtype, heads, kv_heads, mla)
    bias_flags = {"qkv_bias": _qkv_bias(cfg, mtype, where), **_llama_biases(cfg, mtype, where)}
    rotary_dim = (None if mla is not None or _alibi_of(cfg, mtype) or mtype in _LEARNED_POSITION_TYPES or gpt2_style
                  else _rotary_dim_of(cfg, head_dim or hidden // heads, where))
    try:
        return TransformerConfig(name=name, layers=layers, hidden=hidden, heads=heads, ffn=ffn, vocab=vocab,
                                 seq_len=min(seq, TRAIN_SEQ_CAP), kv_heads=kv_heads,
                                 mlp="swiglu" if gated else "gelu", experts=experts, top_k=top_k or 1,
                                 attn_head_dim=head_dim, sliding_window=window, sliding_window_layers=n_window,
                                 mla=mla, parallel_block=parallel, norms_per_layer=norms,
                                 attn_logit_softcap=_softcap_of(cfg),
                                 tied_embeddings=tied, encoder_only=_is_encoder(cfg, mtype),
                                 classifier_head=classifier,
                                 learned_positions=(context or _GPT2_DEFAULT_POSITIONS) if gpt2_style
                                 else (context + _POSITION_ROW_OFFSET.get(mtype, 0) if context else 0)
                                 if mtype in _LEARNED_POSITION_TYPES else 0,
                                 biases=gpt2_style, norm_bias=mtype in _LAYERNORM_BIAS_TYPES,
                                 rotary_dim=rotary_dim,
                                 alibi=_alibi_of(cfg, mtype),
                                 **bias_flags,
                                 # transformers GptOssExperts: gate_up_proj_bias and down_proj_bias on every expert
                                 # (src/transformers/models/gpt_oss/modeling_gpt_oss.py at huggingface/transformers@
                                 # 6edf5b311854175ff83c59179b3360beca1ceffc, GptOssExperts.__init__); no config key
                                 expert_bias=mtype == "gpt_oss" and experts > 1,
                                 source=f"Hugging Face config {p}",
                                 unused_keys=tuple(sorted({*unused, *_keys_not_applied(cfg, mla, window)})),
                                 config_defaults=defaults, stored_weight_flags=_stored_weight_flags(cfg),
                                 stored_weights_note=next(iter(_quantization_note(cfg)), ""),
                                 stored_weights_text=_stored_weights_text(cfg),
                                 context=limit, **kwargs)
    except InputError as e:  # TransformerConfig's own checks name its fields: name the file and the config's keys
        raise InputError(f"{where}: {e.problem}", f"{e.fix}{_config_keys_of(e.problem, cfg)}") from None


# Spellings of one figure beyond _FIELD_KEYS' (any one given: the figure is not left out)
_SPELLINGS = (_CONTEXT_KEYS, _ACTIVATION_KEYS, ("sliding_window", "sliding_window_size", "window_size"),
              ("n_shared_experts", "num_shared_experts", "shared_expert_intermediate_size",
               "moe_shared_expert_intermediate_size", "shared_intermediate_size"))
_MISSPELT_CUTOFF = 0.9
"""How close (errors.name_similarity) an ignored key must be to a key the reader reads to be named as its misspelling:
one letter off a name of 10 or more ('vocab_sise' for vocab_size: 0.9; 'num_key_value_head': 0.97), not another
figure's key ('dense_intermediate_size' for moe_intermediate_size: 0.86)."""


def misspelt_key_notes(cfg: dict[str, Any], unused: tuple[str, ...]) -> tuple[str, ...]:
    """A note per ignored key (`unused`) that is a near spelling of a key this reader reads and the config `cfg` (as
    written, before a config class's defaults fill it) leaves out (no spelling of that figure given): 'did you mean
    ...?'. The warning listed 'num_key_value_head' as ignored, and
    another note that the config gives no num_key_value_heads, multi-head attention assumed (Mistral 7B counted
    8,047,038,464 parameters for 7,241,732,096), without tying the one to the other (a user trial, utplanhf)."""
    from accelopt.errors import close_matches

    notes = []
    for key in unused:
        meant = next(iter(close_matches(key, sorted(_USED_KEYS), n=1, cutoff=_MISSPELT_CUTOFF)), None)
        if meant is None or meant == key:
            continue
        spellings = next((g for g in (*_FIELD_KEYS.values(), *_SPELLINGS) if meant in g), (meant,))
        if any(cfg.get(k) is not None for k in spellings):
            continue
        notes.append(f"config key {key} is not one this reader knows (ignored): did you mean {meant}? The config "
                     f"gives no {meant}, so it was read as left out (the value used instead, where one was, is in "
                     f"the notes); rename the key to {meant} if it was meant")
    return tuple(notes)


# TransformerConfig's field -> the config.json keys it is read from (load_hf_config), in the order read
_FIELD_KEYS: dict[str, tuple[str, ...]] = {
    "kv_heads": ("num_key_value_heads", "num_kv_heads", "n_head_kv", "multi_query"),
    "heads": _HEAD_KEYS, "hidden": ("hidden_size", "n_embd", "d_model"),
    "layers": _LAYER_KEYS, "ffn": ("intermediate_size", "n_inner", "ffn_dim", "moe_intermediate_size"),
    "vocab": ("vocab_size",), "top_k": _TOP_K_KEYS,
    "experts": ("num_local_experts", "n_routed_experts", "num_experts"),
    "first_dense_layers": ("first_k_dense_replace",), "moe_every": ("moe_layer_freq", "decoder_sparse_step")}


def _config_keys_of(problem: str, cfg: dict[str, Any]) -> str:
    """' (in the config: kv_heads is num_key_value_heads, ...)' for the fields `problem` names, each named by the key
    the user's config has (GPT-2's n_embd, not hidden_size), or ''."""
    named = []
    for field, keys in _FIELD_KEYS.items():
        if re.search(rf"\b{field}\b", problem):
            given = [k for k in keys if cfg.get(k) is not None] or list(keys[:1])
            named.append(f"{field} is {' / '.join(given)}")
    return f" (in the config: {'; '.join(named)})" if named else ""
