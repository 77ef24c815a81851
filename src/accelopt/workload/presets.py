"""Model presets with their published architectures, and a reader for Hugging Face config.json.

Every preset cites the table or file its numbers come from. `PUBLISHED_PARAMS` holds the
parameter counts the authors state, which tests compare against `params_total()` /
`params_active()` (biases, position embeddings and the BERT pooler are not modelled; the
tolerance in the tests says how much that costs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from accelopt.errors import InputError, unknown_name
from accelopt.userio import path_kind, read_user_json
from accelopt.workload.transformer import TransformerConfig

_GPT3 = "Brown et al. 2020, 'Language Models are Few-Shot Learners', Table 2.1 (n_layers, d_model, n_heads, d_head); vocab 50257 and tied embeddings as GPT-2"  # noqa: E501
_LLAMA2 = "Touvron et al. 2023, 'Llama 2', Table 1 + Meta's config.json for meta-llama/Llama-2-{7,13,70}b-hf"
_LLAMA3 = ("Llama Team 2024, 'The Llama 3 Herd of Models', Table 3 (layers, model dim, FFN dim, heads, KV heads, "
           "vocab 128,000+256)")
_BERT = "Devlin et al. 2019, 'BERT', section 3 (L, H, A); vocab 30522 and intermediate 4H from google-research/bert configs"  # noqa: E501
_MIXTRAL = ("Jiang et al. 2024, 'Mixtral of Experts', Table 1 "
            "(dim 4096, n_layers 32, hidden_dim 14336, 8 experts, top-2)")
_DSMOE = ("Dai et al. 2024, 'DeepSeekMoE', section 5 / Appendix A + deepseek-ai/deepseek-moe-16b-base config.json "
          "(28 layers, hidden 2048, 16 heads, first layer dense ffn 10944, 64 routed + 2 shared experts "
          "of 1408, top-6)")


def _gpt3(name: str, layers: int, hidden: int, heads: int) -> TransformerConfig:
    return TransformerConfig(name=name, layers=layers, hidden=hidden, heads=heads, ffn=4 * hidden, vocab=50257,
                             seq_len=2048, tied_embeddings=True, source=_GPT3)


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
                                   seq_len=4096, mlp="swiglu", source=_LLAMA2),
    "llama2-13b": TransformerConfig(name="llama2-13b", layers=40, hidden=5120, heads=40, ffn=13824, vocab=32000,
                                    seq_len=4096, mlp="swiglu", source=_LLAMA2),
    "llama2-70b": TransformerConfig(name="llama2-70b", layers=80, hidden=8192, heads=64, kv_heads=8, ffn=28672,
                                    vocab=32000, seq_len=4096, mlp="swiglu", source=_LLAMA2),
    "llama3-8b": TransformerConfig(name="llama3-8b", layers=32, hidden=4096, heads=32, kv_heads=8, ffn=14336,
                                   vocab=128256, seq_len=8192, mlp="swiglu", source=_LLAMA3),
    "llama3-70b": TransformerConfig(name="llama3-70b", layers=80, hidden=8192, heads=64, kv_heads=8, ffn=28672,
                                    vocab=128256, seq_len=8192, mlp="swiglu", source=_LLAMA3),
    "llama3.1-405b": TransformerConfig(name="llama3.1-405b", layers=126, hidden=16384, heads=128, kv_heads=8,
                                       ffn=53248, vocab=128256, seq_len=8192, mlp="swiglu", source=_LLAMA3),
    "bert-base": TransformerConfig(name="bert-base", layers=12, hidden=768, heads=12, ffn=3072, vocab=30522,
                                   seq_len=512, tied_embeddings=True, encoder_only=True, source=_BERT),
    "bert-large": TransformerConfig(name="bert-large", layers=24, hidden=1024, heads=16, ffn=4096, vocab=30522,
                                    seq_len=512, tied_embeddings=True, encoder_only=True, source=_BERT),
    "mixtral-8x7b": TransformerConfig(name="mixtral-8x7b", layers=32, hidden=4096, heads=32, kv_heads=8, ffn=14336,
                                      vocab=32000, seq_len=4096, mlp="swiglu", experts=8, top_k=2,
                                      source=_MIXTRAL),
    "deepseek-moe-16b": TransformerConfig(name="deepseek-moe-16b", layers=28, hidden=2048, heads=16, ffn=1408,
                                          vocab=102400, seq_len=4096, mlp="swiglu", experts=64, top_k=6,
                                          shared_experts=2, first_dense_layers=1, dense_ffn=10944, source=_DSMOE),
}

# Llama 3.1 8B/70B keep the Llama 3 architecture (Llama 3 paper, Table 3); 405B only exists as 3.1.
_ALIASES = {"llama3.1-8b": "llama3-8b", "llama3.1-70b": "llama3-70b", "llama3-405b": "llama3.1-405b",
            "gpt3": "gpt3-175b", "mixtral": "mixtral-8x7b", "deepseekmoe-16b": "deepseek-moe-16b"}

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
}


def list_models() -> list[str]:
    """Names of the built-in presets (aliases not included)."""
    return sorted(_PRESETS)


def get_model(name: str) -> TransformerConfig:
    """A preset by name or alias (case-insensitive), or a path to a Hugging Face config.json."""
    key = name.strip().lower()
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
    if key.endswith(".json"):
        if kind == "missing":
            raise InputError(f"--model {name!r}: no such file", "give the path of a local config.json (or a "
                             "workload JSON from `accelopt profile --save-workload`), or a preset name")
        return load_hf_config(name)
    if kind == "folder":
        raise InputError(f"--model {name!r} is a folder without a config.json",
                         "give the path of the model's config.json")
    raise unknown_name("model", name, [*list_models(), *_ALIASES])


def _req(cfg: dict[str, Any], keys: tuple[str, ...], where: str) -> int:
    for k in keys:
        if cfg.get(k) is not None:
            v = cfg[k]
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise InputError(f"{where}: {k} = {v!r} is not a positive integer", f"fix {k} in the config")
            return v
    raise InputError(f"{where}: none of {', '.join(keys)} is set", "pass a Hugging Face config.json of a "
                     "llama/mistral/mixtral/gpt2/bert/deepseek model")


def _opt(cfg: dict[str, Any], keys: tuple[str, ...], default: int | None, where: str = "config") -> int | None:
    for k in keys:
        if cfg.get(k) is not None:
            v = cfg[k]
            if isinstance(v, bool) or not isinstance(v, int | float) or v != int(v) or v < 0:
                raise InputError(f"{where}: {k} = {v!r} is not a whole number >= 0", f"fix {k} in the config")
            return int(v)
    return default


# Keys load_hf_config reads (any one of the alternatives of a field).
_USED_KEYS = frozenset({
    "model_type", "num_hidden_layers", "n_layer", "num_layers", "hidden_size", "n_embd", "d_model",
    "num_attention_heads", "n_head", "vocab_size", "hidden_act", "intermediate_size", "n_inner", "ffn_dim",
    "max_position_embeddings", "n_positions", "n_ctx", "tie_word_embeddings", "num_local_experts", "n_routed_experts",
    "num_experts", "num_experts_per_tok", "moe_intermediate_size", "n_shared_experts", "first_k_dense_replace",
    "moe_layer_freq", "_name_or_path", "num_key_value_heads",
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
    "rope_theta", "rope_scaling", "rotary_emb_base", "position_embedding_type", "type_vocab_size",
    "pretraining_tp", "tokenizer_class", "output_attentions", "output_hidden_states", "return_dict",
    "task_specific_params", "id2label", "label2id", "problem_type", "auto_map", "quantization_config_version",
    "gradient_checkpointing", "classifier_dropout", "scale_attn_weights", "reorder_and_upcast_attn",
    "scale_attn_by_inverse_layer_idx", "is_decoder", "add_cross_attention", "router_aux_loss_coef",
    "output_router_logits", "router_jitter_noise", "aux_loss_alpha", "seq_aux", "norm_topk_prob",
    "routed_scaling_factor", "scoring_func", "topk_method", "n_group", "topk_group",
})


def unused_config_keys(cfg: dict[str, Any], head_dim: int) -> tuple[str, ...]:
    """Keys of a config.json the predictors do not model, with a value that matters (not null/false/0).

    `head_dim` equal to hidden/heads is what the model assumes (used); any other value is listed."""
    out = []
    for key, value in cfg.items():
        if key in _USED_KEYS or key in _IRRELEVANT_KEYS or value is None or value is False or value == 0:
            continue
        if key == "head_dim" and value == head_dim:
            continue
        out.append(key)
    return tuple(sorted(out))


def load_hf_config(path: Path | str) -> TransformerConfig:
    """Parse a local Hugging Face config.json (no `transformers` import).

    Handles the key names of llama/mistral/mixtral/qwen2 (num_hidden_layers, hidden_size,
    intermediate_size, num_key_value_heads, num_local_experts, num_experts_per_tok), gpt2 (n_layer,
    n_embd, n_head, n_inner), bert (encoder-only) and deepseek (n_routed_experts, n_shared_experts,
    moe_intermediate_size, first_k_dense_replace).
    """
    p = Path(path)
    cfg = read_user_json(p, "config file", "pass the path of a local config.json, or a workload JSON written by "
                         "`accelopt profile --save-workload`")
    if not isinstance(cfg, dict):
        raise InputError(f"{p} holds no JSON object", "pass a Hugging Face config.json")
    where = str(p)
    mtype = str(cfg.get("model_type", "")).lower()
    layers = _req(cfg, ("num_hidden_layers", "n_layer", "num_layers"), where)
    hidden = _req(cfg, ("hidden_size", "n_embd", "d_model"), where)
    heads = _req(cfg, ("num_attention_heads", "n_head"), where)
    vocab = _req(cfg, ("vocab_size",), where)
    gated = mtype in {"llama", "mistral", "mixtral", "qwen2", "qwen2_moe", "deepseek", "gemma", "phi3"} or \
        cfg.get("hidden_act") == "silu"
    ffn = _opt(cfg, ("intermediate_size", "n_inner", "ffn_dim"), None, where) or 4 * hidden
    seq = _opt(cfg, ("max_position_embeddings", "n_positions", "n_ctx"), 2048, where) or 2048
    tied_default = mtype in {"gpt2", "bert"}
    tied = bool(cfg.get("tie_word_embeddings", tied_default))
    experts = _opt(cfg, ("num_local_experts", "n_routed_experts", "num_experts"), 1, where) or 1
    top_k = _opt(cfg, ("num_experts_per_tok",), 1, where) if experts > 1 else 1
    kwargs: dict[str, Any] = {}
    if experts > 1:
        moe_ffn = _opt(cfg, ("moe_intermediate_size",), None, where)
        if moe_ffn:
            kwargs["dense_ffn"], ffn = ffn, moe_ffn
        kwargs["shared_experts"] = _opt(cfg, ("n_shared_experts",), 0, where) or 0
        kwargs["first_dense_layers"] = _opt(cfg, ("first_k_dense_replace",), 0, where) or 0
        kwargs["moe_every"] = _opt(cfg, ("moe_layer_freq",), 1, where) or 1
    name = str(cfg.get("_name_or_path") or p.parent.name or p.stem)
    unused = unused_config_keys(cfg, hidden // heads)
    return TransformerConfig(name=name, layers=layers, hidden=hidden, heads=heads, ffn=ffn, vocab=vocab,
                             seq_len=min(seq, 8192), kv_heads=_opt(cfg, ("num_key_value_heads",), None, where),
                             mlp="swiglu" if gated else "gelu", experts=experts, top_k=top_k or 1,
                             tied_embeddings=tied, encoder_only=mtype in {"bert", "roberta"},
                             source=f"Hugging Face config {p}", unused_keys=unused, **kwargs)
