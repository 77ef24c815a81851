"""Transformer architecture description shared by `plan` (analytic) and the zoo/presets.

Parameter counts follow the standard decomposition (Narayanan et al. 2021, "Efficient
Large-Scale Language Model Training on GPU Clusters using Megatron-LM", sec. 5.1): per layer,
attention projections + MLP + norms; plus embeddings (and an untied output head).

Attention variants modelled (each changes parameters, FLOPs and the KV cache):
- grouped-query attention (`kv_heads`; Ainslie et al. 2023, "GQA"),
- an explicit `attn_head_dim` different from hidden/heads (Gemma: 16 heads x 256 on hidden 3072),
- sliding-window attention on some or all layers (`sliding_window`, `sliding_window_layers`): a query attends
  to at most `window` keys (Beltagy et al. 2020, "Longformer", sec. 3.1; Jiang et al. 2023, "Mistral 7B", sec. 2),
- multi-head latent attention (`mla`; DeepSeek-AI 2024, "DeepSeek-V2", sec. 2.1),
- parallel attention + MLP blocks (`parallel_block`; Wang & Komatsuzaki 2021 GPT-J; Chowdhery et al. 2022,
  "PaLM", sec. 2 "Parallel Layers").
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np

from accelopt.errors import InputError
from accelopt.units import MAX_COUNT
from accelopt.workload.context import ContextLimit

MlpKind = Literal["gelu", "swiglu"]
MAX_LAYERS = 2**16
"""A bound on a model's layers, far past any published model (Llama 3.1 405B: 126), that keeps the layout
search's scan of the layer count's divisors short."""


@dataclass(frozen=True, kw_only=True)
class MLAConfig:
    """Multi-head latent attention (DeepSeek-AI 2024, "DeepSeek-V2", sec. 2.1.2-2.1.3, eqs. 9-19).

    Per token: the query is compressed to `q_lora_rank` (None: a plain [h, heads x qk] projection), keys and
    values are compressed jointly to `kv_lora_rank`, and a decoupled rotary key of `qk_rope_head_dim` is shared by
    all heads. Each head's query/key is `qk_nope_head_dim + qk_rope_head_dim` wide, its value `v_head_dim`.
    Only the latent c_KV (kv_lora_rank) and the rotary key (qk_rope_head_dim) are cached (sec. 2.1.2)."""

    q_lora_rank: int | None
    kv_lora_rank: int
    qk_nope_head_dim: int
    qk_rope_head_dim: int
    v_head_dim: int

    def __post_init__(self) -> None:
        for f in ("kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim"):
            v = getattr(self, f)
            if not isinstance(v, int) or isinstance(v, bool) or not 1 <= v <= MAX_COUNT:  # kv_lora_rank 1e12 read
                raise InputError(f"multi-head latent attention: {f} = {v!r} must be an integer in "
                                 f"1..{MAX_COUNT:,}", f"fix {f}")
        if self.q_lora_rank is not None and (not isinstance(self.q_lora_rank, int)
                                             or not 1 <= self.q_lora_rank <= MAX_COUNT):
            raise InputError(f"multi-head latent attention: q_lora_rank = {self.q_lora_rank!r} must be an integer "
                             f"in 1..{MAX_COUNT:,} or null", "fix q_lora_rank")

    @property
    def qk_head_dim(self) -> int:
        return self.qk_nope_head_dim + self.qk_rope_head_dim

    @property
    def cache_width(self) -> int:
        """Elements cached per token per layer: c_KV plus the shared rotary key (DeepSeek-V2 sec. 2.1.2, Table 1:
        (d_c + d_h^R) x l elements per token)."""
        return self.kv_lora_rank + self.qk_rope_head_dim


@dataclass(frozen=True, kw_only=True)
class TransformerConfig:
    name: str
    layers: int
    hidden: int
    heads: int
    ffn: int
    """MLP inner width (for SwiGLU: the width of each of the gate/up projections)."""
    vocab: int
    seq_len: int = 2048
    kv_heads: int | None = None
    """Grouped-query attention: number of K/V heads (None = heads, i.e. multi-head attention)."""
    mlp: MlpKind = "gelu"
    experts: int = 1
    """Mixture of experts: experts per MoE layer (1 = dense)."""
    top_k: int = 1
    """Experts each token is routed to."""
    moe_every: int = 1
    """Every n-th layer is MoE (1 = all layers when experts > 1)."""
    shared_experts: int = 0
    shared_expert_gate: bool = False
    """A sigmoid gate scales the shared expert's output per token: Qwen2MoeSparseMoeBlock.shared_expert_gate =
    nn.Linear(hidden, 1, bias=False), `hidden` weights a MoE layer (transformers @008e574
    models/qwen2_moe/modeling_qwen2_moe.py; Qwen1.5-MoE-A2.7B: 24 x 2048 = 49,152). Counted in params_total."""
    qk_norm: bool = False
    """RMSNorms over each query and key head before RoPE: Qwen3Attention q_norm / k_norm = Qwen3RMSNorm(head_dim),
    2 x head_dim weights a layer (transformers @008e574 models/qwen3/modeling_qwen3.py, qwen3_moe alike; Gemma 3,
    Hunyuan, and GLM-4.5 under use_qk_norm the same: presets._QK_NORM_TYPES). Counted in params_total; their
    elementwise work is not timed."""
    expert_bias: bool = False
    """The routed experts' two linear layers carry biases (GPT-OSS: transformers GptOssExperts gate_up_proj_bias and
    down_proj_bias; Megatron-Bridge GPTOSSProvider add_bias_linear True); timed by the training model where
    Megatron-Core's TEGroupedMLP adds fc2's bias unfused (compute.moe_fc2_bias_s). Parameter counts leave them out
    (E x (2 ffn + h) a layer, under 0.1%)."""
    first_dense_layers: int = 0
    """MoE models whose first layers are dense (DeepSeekMoE: 1); those layers use `dense_ffn`."""
    dense_ffn: int | None = None
    """MLP width of the dense layers of an MoE model when it differs from the expert width `ffn`."""
    attn_head_dim: int | None = None
    """Width of one attention head when it is not hidden/heads (Hugging Face `head_dim`; Gemma 7B: 256 on hidden
    3072 with 16 heads). None: hidden/heads."""
    sliding_window: int | None = None
    """Sliding-window attention: a query attends to at most this many keys (Mistral 7B v0.1: 4096)."""
    sliding_window_layers: int | None = None
    """How many layers use the window (Gemma 2: every other layer; Gemma 3: 5 of every 6); None: all layers."""
    mla: MLAConfig | None = None
    """Multi-head latent attention (DeepSeek-V2/V3) instead of the Q/K/V projections; None: standard attention."""
    attn_logit_softcap: float | None = None
    """Attention-logit soft-capping, cap x tanh(scores / cap) before the softmax (Gemma 2's attn_logit_softcapping:
    50.0); None: none. Elementwise, so no FLOPs are counted for it, but it decides which attention kernels run the
    model (compute.softcap_attention_kernel: cuDNN fused attention takes no cap)."""
    parallel_block: bool = False
    """Attention and MLP read the same normed input and their outputs are summed (GPT-J, PaLM, Falcon-7B):
    y = x + Attn(LN(x)) + MLP(LN(x)), PaLM sec. 2. Same FLOPs; one all-reduce per layer forward under Megatron
    tensor parallelism instead of two."""
    norms_per_layer: int = 2
    """Normalisation layers per block, each `hidden` weights (pre-norm: 2; parallel GPT-J/PaLM: 1; Gemma 2/3 pre+post
    norms: 4)."""
    tied_embeddings: bool = False
    learned_positions: int = 0
    """Rows of a learned absolute position-embedding table, each `hidden` wide (GPT-2: n_positions 1024; GPT-3:
    n_ctx 2048; Radford et al. 2019 / HF GPT2Model.wpe); 0: none (rotary or ALiBi positions)."""
    rotary_dim: int | None = None
    """Width of the part of each query/key head RoPE rotates when it rotates only part of it (GPT-NeoX rotary_pct,
    Phi / StableLM partial_rotary_factor, GPT-J rotary_dim; Pythia: 0.25 x 128 = 32); the rest passes through
    unrotated. None: the whole query/key head (qk_head_dim). Costs only elementwise passes
    (compute.rope_unfused_extra_s)."""
    alibi: bool = False
    """Positions by ALiBi (a per-head linear bias on the scores: BLOOM, MPT attn_config.alibi, Falcon alibi): no RoPE
    and no position table."""
    biases: bool = False
    """GPT-2-style biases: every linear layer of a block (Wq, Wk, Wv, Wo and both MLP matrices; HF GPT2Attention
    c_attn / c_proj and GPT2MLP c_fc / c_proj are Conv1D with bias) and every LayerNorm (a bias beside its weight,
    the final one included). False: none counted (Llama-style RMSNorm and bias-free projections)."""
    norm_bias: bool = False
    """Every normalisation layer is a LayerNorm with a bias beside its weight (`hidden` more parameters each, the
    final one included) while the projections stay bias-free: Falcon (transformers models/falcon/modeling_falcon.py,
    FalconDecoderLayer's input_layernorm / post_attention_layernorm or ln_attn / ln_mlp and FalconModel.ln_f are
    nn.LayerNorm, bias on by default). `biases` implies it."""
    qkv_bias: bool = False
    """Biases on the q, k and v projections alone (q_width + k_width + v_width per layer), the out-projection and the
    MLP bias-free: StableLM's use_qkv_bias (transformers models/stablelm/modeling_stablelm.py StableLmAttention:
    q_proj / k_proj / v_proj bias=config.use_qkv_bias, o_proj bias=False); Qwen2, Qwen2-VL, Qwen2.5-VL always and
    Qwen2-MoE by its qkv_bias (Qwen2Attention: q_proj / k_proj / v_proj bias=True; presets._QKV_BIAS_TYPES).
    `biases` implies it."""
    attn_bias: bool = False
    """Biases on every attention projection, q, k, v and the out-projection (q_width + k_width + v_width + hidden per
    layer), the norms bias-free: Llama-style attention_bias (transformers LlamaAttention: q_proj / k_proj / v_proj /
    o_proj bias=config.attention_bias; presets._ATTENTION_BIAS_TYPES). `biases` implies it."""
    mlp_bias: bool = False
    """Biases on every MLP projection, the gate and up projections' `width` outputs each and the down projection's
    `hidden` (mlp_bias_params): Llama's mlp_bias (transformers LlamaMLP: gate_proj / up_proj / down_proj
    bias=config.mlp_bias; presets._MLP_BIAS_TYPES). `biases` implies it."""
    encoder_only: bool = False
    """BERT-style (bidirectional attention, no causal mask); decoders are causal."""
    classifier_head: str = ""
    """The config's architecture when it names a classification head (LlamaForSequenceClassification: a reward
    model's score layer, hidden x num_labels) in place of the LM head; '' for a language model. The counts here are
    still those of the LM head (vocab x hidden, said in config_defaults); `plan serve` refuses it (no tokens out)."""
    source: str = ""
    """Citation for the architecture numbers."""
    context: ContextLimit | None = None
    """The positions the model covers (config.json max_position_embeddings, not capped as seq_len is, and what its
    rope scaling reaches; workload/context.py); None: not given. `plan serve` notes a prompt + output beyond it."""
    unused_keys: tuple[str, ...] = ()
    """Keys of the config file this was read from that the predictors do not model (e.g. sliding_window):
    the CLI prints them as a warning and lists them in its JSON, never drops them silently."""
    config_defaults: tuple[str, ...] = ()
    """Figures the config file left out, each with the value used instead (e.g. no max_position_embeddings:
    sequence length 2048): printed beside the result and in its JSON notes, never used silently."""
    stored_weight_flags: tuple[tuple[str, str], ...] = ()
    """For a checkpoint that stores its weights quantized: the `plan serve` flags (flag, value) that predict them as
    stored, which the note of config_defaults that names them advises (e.g. (('--weight-dtype', 'fp8'),); with
    ('--kv-dtype', 'fp8') where its kv_cache_scheme stores an FP8 KV cache's scales); plan
    serve leaves that note out where the run was given every one of them. (): none (or no format that a flag says)."""
    stored_weights_note: str = ""
    """That note of config_defaults (the quantized checkpoint's), '' where the config stores no quantized weights."""
    stored_weights_text: str = ""
    """What that checkpoint stores (the note's head, e.g. 'the checkpoint stores its weights quantized
    (quantization_config: quant_method awq)'), for a command to say in its own words; '' where none."""

    def __post_init__(self) -> None:
        for f in ("layers", "hidden", "heads", "ffn", "vocab", "seq_len", "experts", "top_k", "moe_every"):
            v = getattr(self, f)
            if not isinstance(v, int) or v < 1:
                raise InputError(f"model {self.name!r}: {f} = {v!r} must be a positive integer", f"fix {f}")
            # past any model (published ones have hundreds of layers): the layout search scans the layers' divisors
            # and numpy's int64 arithmetic would overflow on the other sizes
            most = MAX_LAYERS if f == "layers" else MAX_COUNT
            if v > most:
                raise InputError(f"model {self.name!r}: {f} = {v:,} is past any model (at most {most:,})",
                                 f"fix {f}")
        for f in ("kv_heads", "attn_head_dim", "sliding_window", "dense_ffn", "shared_experts"):
            v = getattr(self, f)
            if isinstance(v, int) and v > MAX_COUNT:
                raise InputError(f"model {self.name!r}: {f} = {v:,} is past any model (at most {MAX_COUNT:,})",
                                 f"fix {f}")
        if not isinstance(self.first_dense_layers, int) or not 0 <= self.first_dense_layers <= self.layers:
            raise InputError(f"model {self.name!r}: first_dense_layers = {self.first_dense_layers!r} must be in "
                             f"0..{self.layers} (the layers)", "give how many of the first layers are dense "
                             "(first_k_dense_replace in a Hugging Face config)")
        if self.attn_head_dim is not None and (not isinstance(self.attn_head_dim, int) or self.attn_head_dim < 1):
            raise InputError(f"model {self.name!r}: head_dim = {self.attn_head_dim!r} must be a positive integer",
                             "fix head_dim (or leave it unset for hidden / heads)")
        if self.attn_head_dim is None and self.mla is None and self.hidden % self.heads:
            raise InputError(f"model {self.name!r}: hidden {self.hidden} is not divisible by heads {self.heads}",
                             "pick heads that divide hidden")
        if self.kv_heads is not None and (self.kv_heads < 1 or self.heads % self.kv_heads):
            raise InputError(f"model {self.name!r}: kv_heads {self.kv_heads} must divide heads {self.heads}",
                             "set kv_heads to a divisor of heads (or leave it unset for MHA)")
        if self.sliding_window is not None and (not isinstance(self.sliding_window, int) or self.sliding_window < 1):
            raise InputError(f"model {self.name!r}: sliding_window = {self.sliding_window!r} must be a positive "
                             "integer", "fix sliding_window (or leave it unset for full attention)")
        n_win = self.sliding_window_layers
        if n_win is not None and (not isinstance(n_win, int) or not 0 <= n_win <= self.layers):
            raise InputError(f"model {self.name!r}: sliding_window_layers = {n_win!r} must be in 0..{self.layers}",
                             "give how many layers use the window")
        if isinstance(self.learned_positions, bool) or not isinstance(self.learned_positions, int) \
                or not 0 <= self.learned_positions <= MAX_COUNT:
            raise InputError(f"model {self.name!r}: learned_positions = {self.learned_positions!r} must be a whole "
                             f"number in 0..{MAX_COUNT:,}", "fix learned_positions (0: no learned position table)")
        rot = self.rotary_dim
        if rot is not None and (isinstance(rot, bool) or not isinstance(rot, int) or not 0 < rot <= self.qk_head_dim):
            raise InputError(f"model {self.name!r}: rotary_dim = {rot!r} must be a whole number in 1.."
                             f"{self.qk_head_dim} (the query/key head width)",
                             "fix rotary_dim (or leave it unset when RoPE rotates the whole head)")
        if self.alibi and (self.learned_positions or rot is not None):
            raise InputError(f"model {self.name!r}: alibi with a position table or a rotary_dim",
                             "give one kind of positions: alibi, learned_positions or rotary")
        if not isinstance(self.norms_per_layer, int) or self.norms_per_layer < 0:
            raise InputError(f"model {self.name!r}: norms_per_layer = {self.norms_per_layer!r} must be >= 0",
                             "fix norms_per_layer")
        if self.top_k > self.experts:
            raise InputError(f"model {self.name!r}: top_k {self.top_k} > experts {self.experts}",
                             "top_k must be <= experts")

    @property
    def head_dim(self) -> int:
        """Width of one head of standard attention (hidden/heads unless given)."""
        return self.attn_head_dim or self.hidden // self.heads

    @property
    def n_kv_heads(self) -> int:
        return self.kv_heads or self.heads

    # Attention widths, per token. Standard/GQA: q = o = heads x head_dim, k = v = kv_heads x head_dim.
    # MLA (naive, up-projected form used for training and prefill): every head has its own k and v.
    @property
    def qk_head_dim(self) -> int:
        """Width of one head's query and key (the K of the scores GEMM)."""
        return self.mla.qk_head_dim if self.mla else self.head_dim

    @property
    def v_head_dim(self) -> int:
        """Width of one head's value (the N of the attention x V GEMM)."""
        return self.mla.v_head_dim if self.mla else self.head_dim

    @property
    def q_width(self) -> int:
        return self.heads * self.qk_head_dim

    @property
    def k_width(self) -> int:
        return self.heads * self.qk_head_dim if self.mla else self.n_kv_heads * self.head_dim

    @property
    def v_width(self) -> int:
        return self.heads * self.v_head_dim if self.mla else self.n_kv_heads * self.head_dim

    @property
    def o_width(self) -> int:
        """Width of the attention output, the out-projection's input."""
        return self.heads * self.v_head_dim

    @property
    def windowed_layers(self) -> int:
        """Layers with sliding-window attention."""
        if self.sliding_window is None:
            return 0
        return self.layers if self.sliding_window_layers is None else self.sliding_window_layers

    def keys_attended(self, context: Any, windowed: bool) -> Any:
        """Keys one query attends to over `context` keys: min(context, window) on a windowed layer (Longformer
        sec. 3.1: O(n x w) instead of O(n^2); Mistral 7B sec. 2), else `context`."""
        if windowed and self.sliding_window is not None:
            return np.minimum(context, self.sliding_window)
        return context

    def attn_core_flops_per_key(self) -> int:
        """Forward FLOPs of scores (2 x qk) and attention x V (2 x v) per query per key, all heads."""
        return 2 * self.heads * (self.qk_head_dim + self.v_head_dim)

    def kv_cache_elems_per_token_layer(self) -> int:
        """Elements one layer caches per token: K and V of every KV head (Pope et al. 2022 sec. 3.1), or MLA's
        latent + rotary key (DeepSeek-V2 sec. 2.1.2)."""
        return self.mla.cache_width if self.mla else 2 * self.n_kv_heads * self.head_dim

    @property
    def tp_allreduces_per_layer(self) -> int:
        """Tensor-parallel all-reduces of a layer's forward under Megatron TP (Shoeybi et al. 2019 sec. 3: after
        attention and after the MLP); a parallel block sums both outputs first and all-reduces once (PaLM sec. 2)."""
        return 1 if self.parallel_block else 2

    @property
    def is_moe(self) -> bool:
        return self.experts > 1

    @property
    def moe_layers(self) -> int:
        return (self.layers - self.first_dense_layers) // self.moe_every if self.is_moe else 0

    def attn_proj_macs_per_token(self) -> int:
        """Multiply-accumulates of one layer's attention projections per token (= their weights)."""
        h = self.hidden
        if self.mla is not None:
            return _mla_proj_weights(h, self.heads, self.mla)
        return h * self.q_width + h * (self.k_width + self.v_width) + self.o_width * h  # Wq, Wk, Wv, Wo

    def attn_params_per_layer(self) -> int:
        """Attention projections of one layer, and MLA's two latent RMSNorms (biases ignored: < 0.1%)."""
        latent_norms = (self.mla.kv_lora_rank + (self.mla.q_lora_rank or 0)) if self.mla else 0
        return self.attn_proj_macs_per_token() + latent_norms

    def kv_heads_per_device(self, tp: Any) -> Any:
        """K/V heads one tensor-parallel rank holds (Wk, Wv), computes (the K/V GEMM, the attention kernel's K/V
        reads) and caches: kv_heads / tp, but at least one whole head. With tp > kv_heads each KV head is replicated
        on tp / kv_heads ranks, as the serving engines build it: vLLM QKVParallelLinear ('if tp_size >=
        self.total_num_kv_heads: self.num_kv_heads = 1', vllm/model_executor/layers/linear.py @0036d38) and
        ModelConfig.get_num_kv_heads ('max(1, total_num_kv_heads // tensor_parallel_size)', vllm/config/model.py
        @0052a5b); TensorRT-LLM ('duplicate the KV heads up to tensor_parallel', dup_kv_weight before the tp split,
        tensorrt_llm/models/llama/convert.py @04a2cac); transformers-neuronx ('KV head replication will be enabled'
        when kv_heads % tp != 0: GQA.REPLICATED_HEADS, src/transformers_neuronx/decoder.py @004cd85); NxD Inference
        GQA.REPLICATE_TO_TP_DEGREE (K/V heads -> tp_degree, get_shardable_head_counts,
        src/neuronx_distributed_inference/modules/attention/gqa.py @98c0fea). `tp` may be an array (layout search).

        MLA in its up-projected form (training, prefill) has a K and V per query head: heads / tp. Its cached latent
        follows its own rule (serving: one latent per token on every rank)."""
        if self.mla is not None:
            return self.heads / tp
        return np.maximum(self.n_kv_heads / tp, 1.0)

    def kv_width_per_device(self, tp: Any) -> Any:
        """Per token, the K and V widths one tensor-parallel rank computes and keeps (the K/V GEMM's output, the
        stored K/V activations, ring attention's K/V blocks): (qk + v head dims) x `kv_heads_per_device(tp)`, i.e.
        (k_width + v_width) / tp while tp <= kv_heads, one whole replicated K/V head per rank beyond."""
        return (self.qk_head_dim + self.v_head_dim) * self.kv_heads_per_device(tp)

    def attn_params_per_device(self, tp: Any) -> Any:
        """One layer's attention params on one tensor-parallel rank: Wq and Wo split by heads (Shoeybi et al. 2019
        sec. 3), Wk and Wv for `kv_heads_per_device(tp)` heads each. MLA keeps the rule the memory model had: every
        projection and latent norm / tp (compute.qkv_gemms_s times its down-projections as replicated)."""
        if self.mla is not None:
            return self.attn_params_per_layer() / tp
        h = self.hidden
        return h * (self.q_width + self.o_width) / tp + h * self.kv_width_per_device(tp)

    def kv_replica_params_per_device(self, tp: Any) -> Any:
        """Params one tensor-parallel rank of a serving engine holds beyond its 1/tp share of the whole model's
        layers: the replicated Wk, Wv heads (0 when tp <= kv_heads); with MLA the down-projections W^DQ [h, d_c'] and
        W^DKV,W^KR [h, d_c + rope] and their latent norms, which the engines build whole on every rank (vLLM
        models/deepseek_v2.py DeepseekV2Attention: q_a_proj and kv_a_proj_with_mqa are ReplicatedLinear, q_b_proj
        and kv_b_proj ColumnParallelLinear; SGLang's port the same; code index ids 1426768924, 38219804015).
        DeepSeek-V2-Lite at tp 8: 27 x 2048 x 576 weights on each rank, 1.4% of its bf16 weights per device, which
        were counted 1/8 each."""
        if self.mla is not None:
            m = self.mla
            down = self.hidden * ((m.q_lora_rank or 0) + m.cache_width) + (m.q_lora_rank or 0) + m.kv_lora_rank
            return self.layers * down * (1 - 1 / tp)
        return self.layers * (self.attn_params_per_device(tp) - self.attn_params_per_layer() / tp)

    def mlp_params_per_expert(self) -> int:
        mats = 3 if self.mlp == "swiglu" else 2
        return mats * self.hidden * self.ffn + self.mlp_bias_params(self.ffn)

    def mlp_bias_params(self, width: int) -> int:
        """Biases of one MLP of inner width `width` (`biases`, `mlp_bias`): the up (and gate) projection's outputs and
        the down projection's `hidden` outputs (GPT-2: c_fc 4h + c_proj h; Llama: gate and up 2 x width + down h); 0
        without biases."""
        if not (self.biases or self.mlp_bias):
            return 0
        return (2 if self.mlp == "swiglu" else 1) * width + self.hidden

    @property
    def norm_params(self) -> int:
        """Weights of one normalisation layer: `hidden`, and as many biases for a LayerNorm with bias (`biases`,
        `norm_bias`)."""
        return self.hidden * (2 if self.biases or self.norm_bias else 1)

    def attn_bias_params(self) -> int:
        """Biases of one layer's attention projections (`biases`, `attn_bias`): q, k, v outputs and the
        out-projection's `hidden` (GPT-2: c_attn 3h + c_proj h; Llama's attention_bias the same); the q, k, v outputs
        alone with `qkv_bias`; 0 without biases."""
        if self.biases or self.attn_bias:
            return self.q_width + self.k_width + self.v_width + self.hidden
        return self.q_width + self.k_width + self.v_width if self.qkv_bias else 0

    def position_params(self) -> int:
        """The learned position-embedding table: learned_positions x hidden (GPT-2 124M: 1024 x 768 = 786,432)."""
        return self.learned_positions * self.hidden

    def params_total(self) -> int:
        """All parameters (every expert counted): GPT-2 124M = 124,439,808, as transformers' GPT2LMHeadModel."""
        per_layer = self.attn_params_per_layer() + self.attn_bias_params() + self.norms_per_layer * self.norm_params
        per_layer += 2 * self.head_dim if self.qk_norm else 0  # q_norm, k_norm (Qwen3, Gemma 3, Hunyuan, GLM-4.5)
        dense_layers = self.layers - self.moe_layers
        dense_width = self.dense_ffn or self.ffn
        mlp = dense_layers * ((3 if self.mlp == "swiglu" else 2) * self.hidden * dense_width
                              + self.mlp_bias_params(dense_width))
        mlp += self.moe_layers * ((self.experts + self.shared_experts) * self.mlp_params_per_expert()
                                  + self.hidden * self.experts  # + router
                                  + (self.hidden if self.shared_expert_gate else 0))  # + Qwen2-MoE's shared gate
        emb = self.vocab * self.hidden * (1 if self.tied_embeddings else 2) + self.position_params()
        return self.layers * per_layer + mlp + emb + self.norm_params  # + the final norm

    def params_active(self) -> int:
        """Parameters one token touches (MoE: top_k + shared experts instead of all)."""
        if not self.is_moe:
            return self.params_total()
        inactive = self.moe_layers * (self.experts - self.top_k) * self.mlp_params_per_expert()
        return self.params_total() - inactive

    def with_seq_len(self, seq_len: int) -> TransformerConfig:
        return replace(self, seq_len=seq_len)


def _mla_proj_weights(h: int, heads: int, m: MLAConfig) -> int:
    """MLA projection weights of one layer (DeepSeek-V2 eqs. 9-14 and 37-40): W^DQ [h, d_c'] then W^UQ,W^QR
    [d_c', heads x (nope + rope)] (one [h, heads x (nope + rope)] without q compression); W^DKV,W^KR
    [h, d_c + rope]; W^UK,W^UV [d_c, heads x (nope + v)]; W^O [heads x v, h]."""
    q_out = heads * m.qk_head_dim
    q = h * q_out if m.q_lora_rank is None else h * m.q_lora_rank + m.q_lora_rank * q_out
    kv = h * m.cache_width + m.kv_lora_rank * heads * (m.qk_nope_head_dim + m.v_head_dim)
    return q + kv + heads * m.v_head_dim * h


def read_from_config(model: TransformerConfig) -> bool:
    """Whether `model` was read from a Hugging Face config.json (load_hf_config's source), not a preset."""
    return model.source.startswith("Hugging Face config")


def config_params_text(model: TransformerConfig) -> str:
    """'NAME as read from its config: N parameters[, A active per token (k of E experts[; X without the input
    embedding])]': the count `plan`, `plan explain` and `plan serve` print for a config.json, to check against the
    model card. A model card's active count often leaves out the input embedding (a lookup, no FLOPs): gpt-oss-20b's
    3.61B is this count less its 201,088 x 2,880 table (OpenAI's gpt-oss model card, Table 1); said beside it for an
    untied model, whose table is not also the output layer."""
    return params_text(model, f"{model.name} as read from its config")


def params_text(model: TransformerConfig, label: str) -> str:
    """'LABEL: N parameters[, A active per token (k of E experts[; X without the input embedding])]' (see
    config_params_text; the presets' line, workload.presets.preset_params_text, has the same form)."""
    from accelopt.units import fmt_count

    active = model.params_active()
    lookup = (f"; {fmt_count(active - model.vocab * model.hidden)} without the input embedding"
              if not model.tied_embeddings else "")
    moe = (f", {fmt_count(active)} active per token ({model.top_k} of {model.experts} experts{lookup})"
           if model.is_moe else "")
    return f"{label}: {fmt_count(model.params_total())} parameters{moe}{_encoder_left_out_text(model)}"


def _encoder_left_out_text(model: TransformerConfig) -> str:
    """What a BERT-style encoder's count leaves out, said beside it (bert-base read 108,787,968 against the published
    110M with no word why): the biases of every linear layer (q, k, v, o; both MLP matrices) and LayerNorm (two a
    layer, and the embeddings'), layers x (7 x hidden + ffn) + hidden, and the token-type table (type_vocab_size x
    hidden), as transformers' BertModel builds them (models/bert/modeling_bert.py: nn.Linear and nn.LayerNorm with
    bias, BertEmbeddings.token_type_embeddings); '' for other models, or one whose biases are counted."""
    m = model
    if not m.encoder_only or m.is_moe or m.mla is not None or m.mlp == "swiglu" or (
            m.biases or m.attn_bias or m.mlp_bias or m.norm_bias):
        return ""
    biases = m.layers * (7 * m.hidden + m.ffn) + m.hidden
    return (f" (not counted: {biases:,} biases of its linear layers and LayerNorms, layers x (7 x hidden + ffn) + "
            f"hidden, and the token-type embeddings where it has them, type_vocab_size x {m.hidden:,}: BERT's 2 "
            f"types {2 * m.hidden:,})")


def architecture_text(model: TransformerConfig) -> str:
    """The architecture the predictors count, in one line ('NAME's architecture as read from its config: 32 layers,
    hidden 4,096; attention ...; MLP ...; ...'), so that a config.json read otherwise than meant (a misspelt key
    left to its default, a window or MLA not taken) shows where its parameter count comes from."""
    m = model
    if m.mla is not None:
        a = m.mla
        attn = (f"multi-head latent attention, {m.heads} heads (q/k {a.qk_nope_head_dim} + rotary "
                f"{a.qk_rope_head_dim}, v {a.v_head_dim}), kv_lora_rank {a.kv_lora_rank}, q_lora_rank "
                f"{a.q_lora_rank if a.q_lora_rank is not None else 'none (a full query projection)'}")
    else:
        kv = m.n_kv_heads
        kind = ("multi-head" if kv == m.heads else "multi-query" if kv == 1 else "grouped-query")
        attn = (f"attention {m.heads} head{'s' if m.heads != 1 else ''} x {m.head_dim}, {kv} K/V "
                f"head{'s' if kv != 1 else ''} ({kind})")
    if m.windowed_layers:
        attn += f", a sliding window of {m.sliding_window:,} keys on {m.windowed_layers} of {m.layers} layers"
    if m.encoder_only:
        attn += ", bidirectional (encoder)"
    gated = "gated, 3 matrices" if m.mlp == "swiglu" else "2 matrices"
    if m.is_moe:
        shared = f" + {m.shared_experts} shared" if m.shared_experts else ""
        mlp = (f"MLP: {m.moe_layers} MoE layer{'s' if m.moe_layers != 1 else ''} of {m.experts} experts x "
               f"{m.ffn:,} ({gated}), top {m.top_k}"
               f"{shared}")
        if m.layers > m.moe_layers:
            dense = m.layers - m.moe_layers
            mlp += f"; {dense} dense layer{'s' if dense != 1 else ''} x {m.dense_ffn or m.ffn:,}"
    else:
        mlp = f"MLP {m.ffn:,} wide ({gated})"
    block = ("attention and MLP in parallel" if m.parallel_block else "attention then MLP") + \
        f", {m.norms_per_layer} norm{'s' if m.norms_per_layer != 1 else ''} per layer"
    emb = f"vocab {m.vocab:,}, " + ("output layer tied to the input embedding" if m.tied_embeddings
                                    else "untied output layer")
    if m.learned_positions:
        emb += f", {m.learned_positions:,} learned positions"
    return (f"{m.name}'s architecture as read from its config: {m.layers} layer{'s' if m.layers != 1 else ''}, "
            f"hidden {m.hidden:,}; {attn}; "
            f"{mlp}; {block}; {emb}")
