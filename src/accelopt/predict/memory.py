"""Memory per device of a training layout, by component, vectorised over layouts.

Model state (Rajbhandari et al. 2020, 'ZeRO', sec. 3.1): mixed-precision Adam keeps 2 bytes of
16-bit weights + 2 bytes of gradients + 12 bytes of optimizer state (fp32 master weights,
momentum, variance) per parameter. ZeRO stage 1 shards the optimizer state over the data-parallel
group, stage 2 also the gradients, stage 3 (= FSDP full sharding, Zhao et al. 2023) also the weights.

Activations (Korthikanti et al. 2022, 'Reducing Activation Recomputation in Large Transformer
Models', sec. 4, eq. 1-2 and Table 2), per layer and micro-batch, 16-bit:
    no parallelism          s b h (34 + 5 a s / h)
    tensor parallel t       s b h (10 + 24/t + 5 a s / (h t))
    + sequence parallel     s b h (34/t + 5 a s / (h t))
    + selective recompute   s b h 34/t         (the 5 a s^2 b attention term is recomputed)
    full recompute          2 s b h (/t with sequence parallel): only each layer's input is kept
Generalised here to grouped-query attention (K, V of width kv) and SwiGLU (three [s, b, f] tensors):
the 24 s b h of the t-split part is Q 2sbh + K,V 4 s b kv + out-proj input 2sbh + MLP 16 sbh (GELU,
f = 4h: 2 s b f + 2 s b f) or 6 s b f (SwiGLU); it reduces to eq. 2 for GPT. The 10 s b h part is the
2 layer-norm inputs (4sbh), QKV and MLP inputs (4sbh) and two dropout masks (2sbh).
A fused (flash) attention kernel keeps no s x s tensor, like selective recompute.
MaxText remat_policy 'minimal' (recompute code 3; AI-Hypercomputer/maxtext MaxText/layers/decoders.py
get_remat_policy / minimal_policy: jax.checkpoint_policies.save_only_these_names('query_proj', 'key_proj',
'value_proj', 'qkv_proj', 'out_proj', 'mlpwi_0', 'mlpwi_1', 'mlpwi', 'mlpwo'); older MaxText:
checkpoint_dots_with_no_batch_dims, the same projection outputs) keeps, of those, the ones the backward needs: Q, K,
V (q_width + 2 kv), the out-projection output h (it rebuilds the second norm's input), the MLP up-projection outputs
(2 f SwiGLU, f GELU), plus the scanned layer's input h (the scan carry); 2 bytes each, split over tp like the
activations (MaxText's logical_axis_rules shard heads, mlp and activation_embed over 'tensor'). The MLP output
(mlpwo) is not needed by the backward, and norms, RoPE, the attention core and the activation function are
recomputed.
MaxText remat_policy 'minimal_flash' (recompute code 6; MaxText/layers/models.py
@0042423ad678428ccc53441834f7364fdc665003 get_remat_policy: save_from_both_policies(
checkpoint_dots_with_no_batch_dims, save_only_these_names('context')))
keeps minimal's set plus the attention output 'context' (checkpoint_name(out, 'context') on the attention op's output,
q heads x head_dim = o_width wide, 2 bytes, split over tp as the heads), the out-projection's input; with it the fused
attention kernel is not rerun in the backward (training.RECOMPUTE comment).
MaxText remat_policy 'save_dot_except_mlpwi' (recompute code 7; MaxText/layers/decoders.py get_remat_policy, stored
code index id 1362932059: save_only_these_names('query_proj', 'value_proj', 'key_proj', 'qkv_proj', 'out_proj',
'mlpwo')) keeps, of those, the ones the backward needs: Q, K, V (q_width + 2 kv), the out-projection output h (it
rebuilds the second norm's input, from which the MLP block is recomputed), plus the scanned layer's input h; 2 bytes
each, split over tp as minimal's. Not the MLP up-projection outputs (recomputed, the policy's point), nor, as under
minimal, mlpwo (its output only feeds the residual add, whose backward reads no primal; JAX saves only the residuals
the backward reads, jax.checkpoint policies select among those). Kept if it were: + 2 B x h per token and layer.
Megatron-Core recompute modules (`modules`, Setup.recompute_modules; --recompute-granularity selective
--recompute-modules, NVIDIA/Megatron-LM megatron/core/transformer/transformer_config.py recompute_modules at
002526d81b81f6ab534e93844f9a228709887494), applied with recompute none, selective or mlp (module_on):
each module's saved tensors are not kept (_module_released_bytes). core_attn is selective's attention core (no s x s
tensor kept). mlp ('the dense MLP submodule', normal checkpointing: only its input, the second norm's output, is
kept) frees the dense layers' MLP inner tensors, as recompute mlp; moe ('the MoE layer') the MoE layers' expert
inner tensors (routed and shared); shared_experts the shared experts' share of them. The output-discarding ones
(CheckpointWithoutOutput: the output's storage is freed once its consumer has saved it and refilled before that
consumer's backward) free their outputs: moe_act the routed experts' activation output (the down-projection input,
f per routed token); layernorm the input_layernorm and pre_mlp_layernorm outputs (the QKV and MLP inputs, 2 s b h
each, 1 byte with FP8 saved inputs); mla_up_proj the up-projected, RoPE-applied Q, K and V of multi-latent attention
(q_width / t and the per-rank K/V width). Korthikanti et al. 2022 sec. 4 (eq. 1) gives what each of these tensors is.
torchtitan selective op AC (recompute code 5, _op_saved_bytes): the layer input, the wq, wv, w1 (and SwiGLU's w2)
outputs, the flash kernel's output and log-sum-exp and, under sequence parallel, the two reduce-scatter outputs.
Pipeline: a rank holds the activations of the forward passes it has run and not yet run backward, at most the
warm-up count + 1 (the steady state runs one forward before each backward), capped at its m v forward passes
(Megatron-Core pipeline_parallel/schedules.py, forward_backward_pipelining_without_interleaving / _with_interleaving,
get_pp_rank_microbatches): 1F1B rank r warms up with p - r - 1 forwards, so it holds min(p - r, m) micro-batches
(Korthikanti sec. 4.2.3: the first stage holds p); interleaved (v chunks per rank) rank r warms up with
2 (p - r - 1) + (v - 1) N forwards, N = microbatch_group_size_per_vp_stage (default p), forward k running chunk
(k mod p v) // p. On the first rank of an even split that is (v + 1) p - 1 chunks = p (1 + (p - 1)/(p v)) stages'
worth (Korthikanti's interleaving factor); with short edge stages (Setup.edge_stage_layers) the short chunk is the
first stage's first and the last stage's last, so a middle rank can hold more (Llama 3 405B, vp 8: rank 1 holds 141
one-layer chunks, rank 0 112). The last stage also keeps fp32 logits, 4 s b V / t.
Expert all-to-all overlap (`a2a_overlap`, Setup.ep_a2a_overlap, Megatron-Core overlap_moe_expert_parallel_comm): the
interleaved warm-up runs one forward more (get_pp_rank_microbatches: + 1 with overlap_moe_expert_parallel_comm,
NVIDIA/Megatron-LM schedules.py at 00611e6e), and each steady-state step then runs one chunk's forward and another's
backward together, layer by layer: forward layer i beside backward layer L_c - 1 - i, the backward's saved set freed
as its layers finish (TransformerModelChunkSchedulePlan.run, models/common/model_chunk_schedule_plan.py at d428de4);
without pipelining the same pairs run micro-batch i's backward beside micro-batch i + 1's forward
(combined_1f1b_schedule_for_no_pipelining, pipeline_parallel/combined_1f1b.py at 00caa53). So the chunks held at the
step's start are the warm-up count + 1 as without the overlap (the extra warm-up forward takes the place of the
steady state's first forward), and inside the step one layer more: the forward layer's saved set is built before
the paired backward layer's attention backward frees the rest of its own (TransformerLayerSchedulePlan.run: attn
and mlp forward of f, then post_attn and attn backward of b), counted as one whole layer (its attention and MLP
parts; an upper bound by the backward's MLP part, freed first), on a rank that runs at least one paired step
(a2a_overlap_layers). Two micro-batches' whole saved sets are never live together.
Offloaded activations (`offload_layers`, Setup.offload_layers): the saved activations of that many layers per stage
live in host memory (Megatron-Core cpu_offloading_num_layers, NeMo/Megatron-Bridge cpu_offloading; MaxText
remat_policy 'custom' with names set to 'offload' = jax save_and_offload_only_these_names(..., offload_dst=
'pinned_host'), maxtext layers/decoders.py get_remat_policy): the device keeps (L_s - N) / L_s of a stage's saved
set; the transfer buffers in flight (about one layer's saved set) are not counted.
FP8 parameters (`fp8_params`, Megatron --fp8-param-gather / Transformer Engine fp8_model_init): the GEMM weights are
kept in FP8 (1 byte; Megatron-Core DistributedDataParallelConfig.fp8_param_gather 'keep the compute param in fp8
(do not use any other intermediate dtype) and perform the param all-gather in fp8'); the fp32 master copy stays in
the (distributed) optimizer state, embeddings and norms stay 16-bit.
Logits and the recompute working set are not live together: the loss's saved logits (4 s b V / t) are last used by
the output layer's backward, which runs before any transformer layer's backward, and full recompute re-materialises a
layer only inside that layer's backward (Megatron-Core tensor_parallel/random.py CheckpointFunction.backward reruns
the forward when autograd reaches it; MaxText scan_layers: the backward scan starts from the output layer's
cotangent). The stage holding the logits therefore peaks at its saved set + max(logits, one layer's working set).
FP8 saved inputs (`fp8_saved_inputs`, Setup.fp8_saved_inputs): Transformer Engine's FP8 linear layers keep the FP8
copy of their input for the weight-gradient GEMM, 1 byte per element (transformer_engine/pytorch/module/linear.py
_Linear.forward: 'saved_inputmat = inputmat' after quantization, 'Discard row-wise data since it is not needed in
backward pass'; LayerNormLinear likewise keeps its FP8 normed output): the QKV and MLP-up inputs (the two norm
outputs) and the MLP-down input take 1 byte instead of 2; the out-projection keeps an FP8 copy beside the fused
attention kernel's 16-bit output (+1 byte), or instead of the 16-bit context without a fused kernel (-1 byte).
Vocabulary tiling (`vocab_tiling`, Setup.vocab_tiling): MaxText's num_vocab_tiling N computes the output layer and
the cross-entropy in N chunks along the batch-sequence axis (MaxText base.yml, num_vocab_tiling: 'reducing peak
memory usage'; configs/types.py: 'Enables memory-saving optimization by tiling cross-entropy loss computation. >1 to
enable'; the per-device batch x sequence must divide by N, validate_vocab_tiling, stored code index ids 1218027348
and 1220217642), so the last stage holds two fp32 chunks of the logits' size at a time, 2 x 4 s b V / (t N):
MaxText's loss (vocabulary_tiling.py vocab_tiling_linen_loss, stored copy id 1213390453, read 2026-12-06, utserve) is a
jax.custom_vjp whose forward scan keeps only the loss and the hidden states (no logits), and whose backward scan
recomputes one chunk at a time under jax.vjp: the chunk's fp32 logits (cast_logits_to_fp32, default true) give
cross_entropy_with_logits' saved exp(logits - max) (max_utils, T5X's custom_vjp: residuals logits, targets,
exp_shifted, log_softmax), from which its backward writes the fp32 logits gradient, the two live together; the bf16
logits before the cast are no residual, and the loss value and log_softmax, used only by the discarded loss and the
targets' gradient, are dead code under jit. N = 1 keeps the single fp32 copy of the untiled loss (4 s b V / t; its
own residuals are not re-derived here). Checked for MaxText (utleft, 2026-12-06): its untiled loss is the same
custom_vjp, max_utils.cross_entropy_with_logits on the fp32 logits (train.py loss_fn;
AI-Hypercomputer/maxtext@002d18cc0d4abdc08b87f957a09e1775c49ac69d MaxText/max_utils.py: the forward returns
exp_shifted, the logits' size, as a residual and the backward writes g_logits of that size from it), so by its source
the pair, 2 x 4 s b V / t, would be live; but the tpu-recipes Llama 3.1 8B runs on v6e-8 and v6e-256 (8192 tokens, per
device batch 3 and 4, untiled) ran in 31.25 GiB, which the pair would exceed (39.25 and 32.59 GiB predicted against
27.51 and 16.94 with one copy): XLA fuses or rematerialises what the source leaves live, so one copy stays
(tests/test_vocab_tiling.py recomputes it). The chunks' time is taken as the unchunked GEMM's (memory only).
The output layer's saved input (the final norm's output, s b h) is not counted, 16-bit or FP8 (Setup.fp8_output_head):
the last stage adds only the fp32 logits, so an FP8 head changes no memory figure here.
No dropout (`no_dropout`, Setup.no_dropout): at p = 0 PyTorch's dropout returns its input (aten Dropout.cpp
_dropout_impl: 'if (p == 0 || !train ...) return input'), so no masks are kept: 2 s b h less per layer (and 3 of
the 5 bytes per attention score without a fused kernel). Llama models in Megatron-Bridge train at hidden_dropout =
attention_dropout = 0 (models/llama/llama_provider.py LlamaModelProvider).
Optimizer state (`optimizer_state_bytes`, Setup.optimizer_state_bytes) per parameter beside the 16-bit weight and
gradient: 12 for mixed-precision Adam (fp32 master, m, v; ZeRO sec. 3.1); 4 when the weights themselves are 16-bit
and Adam's moments follow their dtype (MaxText weight_dtype bfloat16: optax scale_by_adam's init_fn makes mu and nu
zeros_like(params) when mu_dtype is None, and MaxText optimizers.py get_optimizer passes none).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from accelopt.workload.transformer import TransformerConfig

Arr = np.ndarray

WEIGHT_BYTES = 2.0   # 16-bit weights (fp8 training keeps 16-bit weights too, casting per GEMM)
GRAD_BYTES = 2.0
OPTIM_BYTES = 12.0   # fp32 master + Adam m + v


@dataclass
class StageParams:
    """Parameters held by the busiest device (arrays over layouts)."""

    dense: Arr    # replicated over dp*cp (attention, dense MLP, shared experts, router, embeddings)
    expert: Arr   # routed experts, replicated over dp*cp/ep
    layer_full: Arr  # one layer's parameters on a device before ZeRO-3 sharding (its gather buffer)
    keep16: Arr   # of `dense`: embeddings and norms, which stay 16-bit when the GEMM weights are FP8 (fp8_params)


def param_copies(prm: StageParams, copies: Arr) -> StageParams:
    """`prm` held `copies` times on a rank (DualPipe: 2, stage i and stage p-1-i, DeepSeek-V3 report Table 2:
    'Parameter 2x'); one layer's gather buffer (layer_full) stays one layer's."""
    return StageParams(dense=prm.dense * copies, expert=prm.expert * copies, layer_full=prm.layer_full,
                       keep16=prm.keep16 * copies)


def layers_per_stage(n_layers: int, pp: Arr, vp: Arr) -> Arr:
    """Layers on the busiest pipeline rank: v chunks of ceil(L / (p v)) layers."""
    return np.ceil(n_layers / (pp * vp)) * vp


def middle_stage_layers(n_layers: int, pp: Arr, edge_layers: int) -> Arr:
    """Layers on each middle stage when the first and last stages hold `edge_layers` each (pp >= 3)."""
    return np.ceil((n_layers - 2 * edge_layers) / np.maximum(pp - 2, 1))


def stage_params(model: TransformerConfig, pp: Arr, vp: Arr, tp: Arr, ep: Arr, ls: Arr | None = None,
                 etp: Arr | None = None, embedding: Arr | bool = True) -> StageParams:
    """`etp`: expert tensor-parallel degree (None = tp: experts split like the dense layers). `embedding` False: a
    middle pipeline stage, which holds no embedding or output layer (Megatron-Core models/gpt/gpt_model.py GPTModel:
    the embedding is built only 'if self.pre_process', the output layer and final norm only 'if self.post_process';
    an intermediate stage takes its hidden states from the previous stage)."""
    h = model.hidden
    mats = 3 if model.mlp == "swiglu" else 2
    # attention on one tensor-parallel rank: replicated K/V heads when tp > kv_heads (kv_heads_per_device)
    # + biases (GPT-2 style; split with their projections, the row-parallel ones' too: < 0.1% of a layer)
    attn_dev = (model.attn_params_per_device(tp) + model.attn_bias_params() / tp
                + model.norms_per_layer * model.norm_params / tp)
    dense_mlp = mats * h * (model.dense_ffn or model.ffn) + model.mlp_bias_params(model.dense_ffn or model.ffn)
    frac_moe = model.moe_layers / model.layers
    shared = model.shared_experts * mats * h * model.ffn + (h * model.experts if model.is_moe else 0)
    experts = model.experts * mats * h * model.ffn if model.is_moe else 0
    ls = layers_per_stage(model.layers, pp, vp) if ls is None else ls
    # + the final norm and a learned position table (both on the first stage's count, as the output layer's)
    emb = model.vocab * h * np.where(pp == 1, 1 if model.tied_embeddings else 2, 1) + model.norm_params \
        + model.position_params()
    emb = np.where(embedding, emb, 0.0)
    dense = ls * (attn_dev + ((1 - frac_moe) * dense_mlp + frac_moe * shared) / tp) + emb / tp
    keep16 = ls * model.norms_per_layer * model.norm_params / tp + emb / tp
    etp = tp if etp is None else etp
    expert = ls * frac_moe * experts / (etp * ep)
    layer_full = (attn_dev + (dense_mlp if not model.is_moe else shared) / tp
                  + (experts / (ep * etp) if model.is_moe else 0))
    return StageParams(dense=dense, expert=expert, layer_full=layer_full, keep16=keep16)


@dataclass
class MemoryBreakdown:
    weights: Arr
    grads: Arr
    optimizer: Arr
    activations: Arr
    overhead: Arr

    @property
    def total(self) -> Arr:
        return self.weights + self.grads + self.optimizer + self.activations + self.overhead


RECOMPUTE_MODULES = ("core_attn", "mlp", "moe", "shared_experts", "moe_act", "layernorm", "mla_up_proj")
"""Megatron-Core's selective-recompute modules the predictor models (--recompute-modules; module docstring), in the
order they are printed. Megatron-Core's mhc, gdn and gdn_norm_out belong to architectures the predictor lacks."""
_MEGATRON_MODES = (0, 1, 4)  # recompute none, selective, mlp: the modes --recompute-modules adds to


def module_on(recompute: Arr, modules: tuple[str, ...], name: str) -> Arr:
    """1.0 where the layout recomputes module `name` of --recompute-modules `modules`, else 0.0: the modules apply
    to the Megatron-Core modes (none, selective, mlp; full already recomputes everything); moe covers its shared
    experts and activation; under recompute mlp the mode's MLP block (on an MoE layer the expert block: routed and
    shared experts, their activation) covers mlp, moe, shared_experts and moe_act (not counted twice)."""
    on = np.isin(recompute, _MEGATRON_MODES) & (name in modules)
    if name in ("shared_experts", "moe_act") and "moe" in modules:
        on = np.zeros_like(on)
    if name in MLP_MODE_MODULES:
        on = on & (recompute != 4)
    return on.astype(float)


MLP_MODE_MODULES = ("mlp", "moe", "shared_experts", "moe_act")
"""The modules recompute mlp (code 4) already redoes: training.evaluate's mlp_layer is the dense MLP GEMMs, or an MoE
layer's whole expert block, and activation_bytes_per_layer's mlp_only drops the block's inner tensors."""


def activation_bytes_per_layer(model: TransformerConfig, b: Arr, s: Arr, tp: Arr, sp: Arr, recompute: Arr,
                               flash: bool, moe: bool, *, fp8_inputs: bool = False, dropout: bool = True,
                               modules: tuple[str, ...] = ()) -> Arr:
    """Bytes of one layer's stored activations for one micro-batch (local sequence s), eq. above.

    fp8_inputs (Setup.fp8_saved_inputs): the linear layers keep their inputs for the backward in FP8, 1 byte
    (module docstring); dropout False (Setup.no_dropout): no dropout masks or dropout outputs are kept; modules
    (Setup.recompute_modules): Megatron-Core recompute modules whose saved tensors are not kept (module docstring)."""
    h, a = model.hidden, model.heads
    sbh = s * b * h
    mlp_f = model.ffn if moe else (model.dense_ffn or model.ffn)
    mlp_inner = (6.0 if model.mlp == "swiglu" else 4.0) * s * b * mlp_f
    if fp8_inputs:  # the down projection's input (the activation output, f wide) in FP8: 1 byte less each
        mlp_inner = mlp_inner - s * b * mlp_f
    if moe:  # each token is processed by top_k routed + the shared experts
        mlp_inner = mlp_inner * (model.top_k + model.shared_experts)
    # Q, K, V and the out-projection input, 2 bytes each (= 4 sbh + 4 s b kv for standard attention). Q and the
    # out-projection input split by heads (/ tp, below); K and V are kv_width_per_device: with tp > kv_heads each rank
    # keeps one whole replicated K/V head, as its weights and K/V GEMM (TransformerConfig.kv_heads_per_device).
    kv_dev = 2 * s * b * model.kv_width_per_device(tp)
    split = 2 * s * b * (model.q_width + model.o_width) + mlp_inner
    if fp8_inputs:  # out-projection: its FP8 copy beside the fused kernel's 16-bit output, or alone (1 B, not 2)
        split = split + (1.0 if flash else -1.0) * s * b * model.o_width
    # softmax 2, dropout mask 1, dropout output 2 bytes per score, kept by the unfused core only (keep_sq), which
    # computes and keeps all s keys on a windowed layer too: it masks the window on the full score matrix
    # (compute.layer_forward; Transformer Engine's UnfusedDotProductAttention 'converts window_size to an
    # 'arbitrary' mask').
    attn_sq = (5.0 if dropout else 2.0) * a * s * s * b
    keep_sq = ((recompute == 0) | (recompute == 4)) & (not flash)  # mlp recompute keeps the attention's tensors
    keep_sq = keep_sq & (module_on(recompute, modules, "core_attn") == 0)
    split = split + np.where(keep_sq, attn_sq, 0.0)
    # 10 sbh: 2 norm inputs, QKV and MLP inputs, 2 dropout masks. A parallel block has one norm whose output
    # feeds both attention and MLP: 6 sbh. MLA also keeps its latents c_Q, c_KV and their normed copies.
    # Without dropout no masks (2 sbh); FP8 inputs keep the QKV and MLP inputs (the norm outputs) in 1 byte.
    repl = (6.0 if model.parallel_block else 10.0) * sbh - (0.0 if dropout else 2.0 * sbh)
    if fp8_inputs:
        repl = repl - (1.0 if model.parallel_block else 2.0) * sbh
    if model.mla is not None:
        repl = repl + 2 * s * b * 2 * ((model.mla.q_lora_rank or 0) + model.mla.cache_width)
    rep_div = np.where(sp, tp, 1)
    none_or_sel = split / tp + kv_dev + repl / rep_div
    full = 2.0 * sbh / rep_div
    up_width = (2.0 if model.mlp == "swiglu" else 1.0) * mlp_f * ((model.top_k + model.shared_experts) if moe else 1)
    minimal = (2 * s * b * (model.q_width + h + up_width)) / tp + kv_dev + 2.0 * sbh / rep_div
    minimal_flash = minimal + 2 * s * b * model.o_width / tp  # + 'context', the out-projection input (docstring)
    dot_except_mlpwi = minimal - 2 * s * b * up_width / tp  # the MLP up-projection outputs recomputed (docstring)
    # mlp (recompute code 4, Megatron-Core --recompute-modules mlp): the MLP block's inner tensors are rebuilt in the
    # backward from its input (the second norm's output, kept in the replicated part), so they are not kept.
    mlp_only = none_or_sel - mlp_inner / tp
    op = _op_saved_bytes(model, b, s, tp, sp, mlp_f)
    if modules:
        released = _module_released_bytes(model, b, s, tp, sp, recompute, moe, mlp_inner, kv_dev, fp8_inputs,
                                          modules)
        none_or_sel, mlp_only = none_or_sel - released, mlp_only - released
    return np.where(recompute == 2, full, np.where(recompute == 3, minimal,
                                                   np.where(recompute == 4, mlp_only,
                                                            np.where(recompute == 5, op,
                                                                     np.where(recompute == 6, minimal_flash,
                                                                              np.where(recompute == 7,
                                                                                       dot_except_mlpwi,
                                                                                       none_or_sel))))))


def _module_released_bytes(model: TransformerConfig, b: Arr, s: Arr, tp: Arr, sp: Arr, recompute: Arr, moe: bool,
                           mlp_inner: Arr, kv_dev: Arr, fp8_inputs: bool, modules: tuple[str, ...]) -> Arr:
    """Bytes of one layer's saved set that its Megatron-Core recompute modules do not keep (module docstring); the
    attention core's s x s tensors are activation_bytes_per_layer's keep_sq. mlp_inner: the layer's MLP inner
    tensors (an MoE layer's: routed and shared experts); kv_dev: the K and V one rank keeps."""
    on = lambda name: module_on(recompute, modules, name)  # noqa: E731
    sbh = s * b * model.hidden
    mlp_f = model.ffn if moe else (model.dense_ffn or model.ffn)
    rep_div = np.where(sp, tp, 1)
    released = np.zeros_like(np.asarray(recompute, dtype=float))
    if moe:
        per_expert = mlp_inner / (model.top_k + model.shared_experts)
        act_out = s * b * mlp_f * (1.0 if fp8_inputs else 2.0) * model.top_k  # the routed down-projection inputs
        released = released + (on("moe") * mlp_inner + on("shared_experts") * per_expert * model.shared_experts
                               + on("moe_act") * act_out) / tp
    else:
        released = released + on("mlp") * mlp_inner / tp
    pre_norms = 1.0 if model.parallel_block else float(min(2, model.norms_per_layer))
    released = released + on("layernorm") * pre_norms * sbh * (1.0 if fp8_inputs else 2.0) / rep_div
    if model.mla is not None:
        released = released + on("mla_up_proj") * (2.0 * s * b * model.q_width / tp + kv_dev)
    return released


def _op_saved_bytes(model: TransformerConfig, b: Arr, s: Arr, tp: Arr, sp: Arr, mlp_f: int) -> Arr:
    """Bytes one layer keeps under torchtitan's selective op AC (recompute code 5; training.RECOMPUTE and
    training.op_recompute_s for the policy): the checkpoint's input (the layer input, s b h, / t with sequence
    parallel) and the outputs the policy saves: wq [s b, q/t], wv [s b, v/t], the flash kernel's output [s b, o/t] and
    its fp32 log-sum-exp (4 bytes x b heads/t s), w1 [s b, f/t] and, in a SwiGLU block (7 mms), w2's output [s b, h]
    (the partial sums before the reduce-scatter under tensor parallel), plus, under sequence parallel with t > 1, the
    two reduce_scatter_tensor outputs [s b, h/t]; 2 bytes per element. No s x s tensor (the math SDPA's are
    recomputed). torchtitan's Llama has no dropout (no masks)."""
    h = model.hidden
    v_dev = model.kv_width_per_device(tp) * model.v_head_dim / (model.qk_head_dim + model.v_head_dim)
    split = 2.0 * s * b * (model.q_width + model.o_width + mlp_f) / tp + 2.0 * s * b * v_dev
    lse = 4.0 * b * s * model.heads / tp
    w2_out = (2.0 * s * b * h) if model.mlp == "swiglu" else 0.0
    rs_out = np.where(sp & (tp > 1), 2 * 2.0 * s * b * h / tp, 0.0)
    return 2.0 * s * b * h / np.where(sp, tp, 1) + split + lse + w2_out + rs_out


def in_flight_forwards(pp: Arr, vp: Arr, m: Arr, rank: Arr) -> Arr:
    """Forward passes (model chunks x micro-batches) pipeline rank `rank` holds at its peak: its warm-up forwards +
    the steady state's first forward, capped at all m v of them (Megatron-Core schedules.py get_pp_rank_microbatches:
    warm-up p - r - 1 without interleaving, 2 (p - r - 1) + (v - 1) N with v chunks, N = p by default). The same
    count with the expert all-to-all overlap, whose one extra warm-up forward is the steady state's first here; the
    layer its paired steps add is a2a_overlap_layers' (module docstring)."""
    warm = np.where(vp > 1, 2 * (pp - rank - 1) + (vp - 1) * pp, pp - rank - 1)
    return np.minimum(warm + 1, m * vp)


def a2a_overlap_layers(pp: Arr, vp: Arr, m: Arr, rank: Arr, on: Arr | None) -> Arr:
    """Layers rank `rank` holds beyond its in-flight chunks under the expert all-to-all overlap (module docstring):
    1 where `on` and the rank runs a paired forward-backward step, i.e. its m v chunk passes outnumber its warm-up
    (interleaved: 2 (p - r - 1) + (v - 1) p + 1 with the overlap, schedules.py get_pp_rank_microbatches at 00611e6e;
    without pipelining 1, the first micro-batch's forward alone, combined_1f1b_schedule_for_no_pipelining); else 0.
    Megatron-Core refuses the overlap with pipelining but no interleaving (query.py), so p > 1, v = 1 gives 0."""
    if on is None:
        return np.zeros(np.broadcast(pp, vp, m, rank).shape)
    warm = np.where(vp > 1, 2 * (pp - rank - 1) + (vp - 1) * pp + 1, 1)
    paired = (m * vp > warm) & ((pp == 1) | (vp > 1))
    return np.where(np.asarray(on, dtype=bool) & paired, 1.0, 0.0)


def forwards_of_chunk(pp: Arr, vp: Arr, n_fwd: Arr, chunk: int) -> Arr:
    """How many of a rank's first `n_fwd` forward passes run model chunk `chunk`: Megatron's interleaved order runs
    forward k on chunk (k mod p v) // p (schedules.py get_model_chunk_id), p micro-batches per chunk in turn."""
    group = pp * vp
    return (n_fwd // group) * pp + np.clip(n_fwd % group - chunk * pp, 0, pp)


def layers_in_flight(pp: Arr, vp: Arr, m: Arr, rank: Arr, chunk: Arr, stage: Arr, short: str) -> Arr:
    """Layer-micro-batches rank `rank` holds at its peak when its `stage` layers sit in chunks of `chunk` layers and
    the shortfall (v chunk - stage) falls on its first chunks (short 'first': the first stage) or its last ('last')."""
    n_fwd = in_flight_forwards(pp, vp, m, rank)
    total = np.zeros(np.broadcast(pp, vp, m, chunk, stage).shape)
    for j in range(int(np.max(vp, initial=1))):  # (no layouts: an empty array)
        # chunk j's layers: full chunks from the far end, the remainder on the short side
        before = (vp - 1 - j) if short == "first" else np.full_like(vp, j)
        size = np.clip(stage - before * chunk, 0, chunk)
        total = total + np.where(j < vp, size * forwards_of_chunk(pp, vp, n_fwd, j), 0.0)
    return total


def memory_per_device(model: TransformerConfig, *, tp: Arr, pp: Arr, dp: Arr, cp: Arr, ep: Arr, vp: Arr,
                      mbs: Arr, m: Arr, zero: Arr, recompute: Arr, sp: Arr, seq_len: int, flash: bool,
                      overhead_bytes: float, edge_layers: int | None = None, etp: Arr | None = None,
                      shard: Arr | None = None, in_flight_max: Arr | None = None,
                      recompute_frac: Arr | None = None, offload_layers: int = 0,
                      gemm_weight_bytes: float = WEIGHT_BYTES, fp8_inputs: bool = False, dropout: bool = True,
                      optim_bytes: float = OPTIM_BYTES, modules: tuple[str, ...] = (),
                      vocab_tiling: int = 1, a2a_overlap: Arr | None = None,
                      dualpipe: Arr | None = None) -> MemoryBreakdown:
    """Peak bytes on the busiest device (max of the first and last pipeline stage).

    With `edge_layers` (first and last stage hold that many layers, the middle ones the rest; Megatron-LM
    --decoder-first/last-pipeline-num-layers) the peak is the largest of the first stage, the second (a middle stage,
    which holds the most of the middle ones) and the last (+ logits), each holding what the schedule keeps in flight
    there (module docstring).

    etp: expert tensor parallel (None = tp); shard: the ZeRO shard group (None = dp x cp; hybrid sharding shards
    over fewer ranks); in_flight_max: micro-batches the first stage holds at most without interleaving (None = pp,
    1F1B; ZB-H2 holds 2p - 1, Qi et al. 2024 sec. 2.2); recompute_frac: share of a stage's layers that full recompute
    applies to (None: all; Megatron-LM --recompute-method block --recompute-num-layers N keeps the other layers'
    activations); offload_layers: layers per stage whose saved activations are in host memory; gemm_weight_bytes:
    bytes per GEMM weight (1 or 2 with fp8_params, module docstring); fp8_inputs, dropout: activation_bytes_per_layer;
    optim_bytes: optimizer state per parameter (12: fp32 master + Adam moments; module docstring); modules:
    Megatron-Core recompute modules (Setup.recompute_modules, module docstring); vocab_tiling: the logits' chunks
    (Setup.vocab_tiling, module docstring); a2a_overlap: where Megatron-Core's expert all-to-all overlap runs
    (Setup.ep_a2a_overlap; None: nowhere), one layer more in flight (a2a_overlap_layers, module docstring);
    dualpipe: where the DualPipe schedule runs (None: nowhere): two stages' parameters (param_copies), and the last
    rank, the first of the reverse direction, holds what the first does (in_flight_max micro-batches, p + 1 in
    DeepSeek-V3 report Table 2) besides the logits."""
    if edge_layers is not None:
        return _uneven_memory(model, tp=tp, pp=pp, dp=dp, cp=cp, ep=ep, mbs=mbs, m=m, zero=zero,
                              recompute=recompute, sp=sp, seq_len=seq_len, flash=flash, overhead_bytes=overhead_bytes,
                              edge_layers=edge_layers, etp=etp, shard=shard, recompute_frac=recompute_frac, vp=vp,
                              offload_layers=offload_layers, gemm_weight_bytes=gemm_weight_bytes,
                              fp8_inputs=fp8_inputs, dropout=dropout, optim_bytes=optim_bytes, modules=modules,
                              vocab_tiling=vocab_tiling, a2a_overlap=a2a_overlap)
    prm = stage_params(model, pp, vp, tp, ep, etp=etp)
    dual = np.zeros_like(np.asarray(pp), dtype=bool) if dualpipe is None else dualpipe
    prm = param_copies(prm, np.where(dual, 2.0, 1.0))
    weights, grads, opt = _state_bytes(prm, dp, cp, ep, zero, tp=tp, etp=etp, shard=shard,
                                       gemm_weight_bytes=gemm_weight_bytes, optim_bytes=optim_bytes)
    s = seq_len / cp
    per_layer, work = _layer_bytes(model, mbs, s, tp, sp, recompute, flash, recompute_frac, fp8_inputs, dropout,
                                   modules)
    ls = layers_per_stage(model.layers, pp, vp)
    per_layer = per_layer * _on_device(ls, offload_layers)
    chunk = ls / vp
    zero_rank = np.zeros_like(pp)
    # 1F1B (vp 1): min(m, p) micro-batches on the first stage (ZB-H2: min(m, 2p - 1)); interleaved: the schedule's.
    plain = ls * np.minimum(m, pp if in_flight_max is None else in_flight_max)
    first = per_layer * (np.where(vp > 1, layers_in_flight(pp, vp, m, zero_rank, chunk, ls, "first"), plain)
                         + a2a_overlap_layers(pp, vp, m, zero_rank, a2a_overlap))
    logits = _logits_bytes(model, s, mbs, tp, vocab_tiling)
    last = per_layer * (np.where(dual, plain, layers_in_flight(pp, vp, m, pp - 1, chunk, ls, "last"))
                        + a2a_overlap_layers(pp, vp, m, pp - 1, a2a_overlap))
    # The logits are dead before any layer's backward starts, when full recompute re-materialises a layer (module
    # docstring): the stage holding them peaks at its saved set + the larger of the two.
    acts = np.maximum(first + np.where(pp == 1, np.maximum(logits, work), work), last + np.maximum(logits, work))
    return MemoryBreakdown(weights=weights, grads=grads, optimizer=opt, activations=acts,
                           overhead=np.full_like(acts, overhead_bytes))


def _logits_bytes(model: TransformerConfig, s: Arr, mbs: Arr, tp: Arr, vocab_tiling: int) -> Arr:
    """The fp32 logits the last stage holds at their peak: 4 s b V / t untiled; with MaxText's num_vocab_tiling N > 1,
    a chunk's fp32 exp residual and its logits gradient, 2 x 4 s b V / (t N) (module docstring)."""
    return 4.0 * s * mbs * model.vocab / tp / vocab_tiling * (2 if vocab_tiling > 1 else 1)


def _on_device(ls: Arr, offload_layers: int) -> Arr:
    """Share of a stage's saved activations kept on the device when `offload_layers` of its `ls` layers offload."""
    return (ls - np.minimum(offload_layers, ls)) / ls


def _layer_bytes(model: TransformerConfig, mbs: Arr, s: Arr, tp: Arr, sp: Arr, recompute: Arr, flash: bool,
                 recompute_frac: Arr | None, fp8_inputs: bool = False, dropout: bool = True,
                 modules: tuple[str, ...] = ()) -> tuple[Arr, Arr]:
    """(mean saved bytes per layer and micro-batch, the working set full recompute re-materialises in backward).
    modules: Megatron-Core recompute modules (activation_bytes_per_layer); the layers full recompute leaves alone
    (_partial_recompute) and the full working set keep everything."""
    frac_moe = model.moe_layers / model.layers

    def per(rc: Arr, moe: bool, mods: tuple[str, ...] = ()) -> Arr:
        return activation_bytes_per_layer(model, mbs, s, tp, sp, rc, flash, moe, fp8_inputs=fp8_inputs,
                                          dropout=dropout, modules=mods)

    per_layer = (1 - frac_moe) * per(recompute, False, modules)
    if model.is_moe:
        per_layer = per_layer + frac_moe * per(recompute, True, modules)
    per_layer = _partial_recompute(model, per_layer, recompute, recompute_frac, per)
    # Full recompute re-materialises one layer at a time during backward: add one layer's full set.
    every = per(np.zeros_like(recompute), model.is_moe)
    # op (code 5) rebuilds the rest of one layer's set inside that layer's backward, like full does all of it.
    work = np.where(recompute == 2, every, np.where(recompute == 5, np.maximum(every - per_layer, 0.0), 0.0))
    return per_layer, work


def _partial_recompute(model: TransformerConfig, per_layer: Arr, recompute: Arr, frac: Arr | None,
                       per: Callable[[Arr, bool], Arr]) -> Arr:
    """Mean stored bytes per layer when full recompute covers only `frac` of the layers (the rest keep all);
    per(recompute, moe): one layer's saved bytes (_layer_bytes)."""
    if frac is None:
        return per_layer
    zero = np.zeros_like(recompute)
    none = (1 - model.moe_layers / model.layers) * per(zero, False)
    if model.is_moe:
        none = none + model.moe_layers / model.layers * per(zero, True)
    return np.where(recompute == 2, frac * per_layer + (1 - frac) * none, per_layer)


def _state_bytes(prm: StageParams, dp: Arr, cp: Arr, ep: Arr, zero: Arr, *, tp: Arr | None = None,
                 etp: Arr | None = None, shard: Arr | None = None,
                 gemm_weight_bytes: float = WEIGHT_BYTES, optim_bytes: float = OPTIM_BYTES) -> tuple[Arr, Arr, Arr]:
    """(weights, grads, optimizer) bytes of a stage's parameters under ZeRO (Rajbhandari et al. 2020, Fig. 1).

    Dense parameters shard over `shard` ranks (None: dp x cp); routed experts over their expert-data-parallel
    group, tp x dp x cp / (etp x ep) ranks (= dp x cp / ep when etp = tp). GEMM weights take `gemm_weight_bytes`
    each (FP8 parameters: 1), embeddings and norms 2."""
    shard_dense = dp * cp if shard is None else shard
    if etp is None or tp is None:
        shard_exp = np.maximum(dp * cp // np.maximum(ep, 1), 1)
    else:
        shard_exp = np.maximum(tp * dp * cp // np.maximum(etp * ep, 1), 1)
    if shard is not None:  # hybrid sharding (modelled with ep = 1): experts shard like the dense weights
        shard_exp = np.where(ep > 1, shard_exp, shard)
    # ZeRO: stage >= 1 shards optimizer state, >= 2 gradients, 3 weights (Rajbhandari et al. 2020, Fig. 1).
    opt = optim_bytes * (np.where(zero >= 1, prm.dense / shard_dense, prm.dense)
                         + np.where(zero >= 1, prm.expert / shard_exp, prm.expert))
    grads = GRAD_BYTES * (np.where(zero >= 2, prm.dense / shard_dense, prm.dense)
                          + np.where(zero >= 2, prm.expert / shard_exp, prm.expert))
    dense_w = WEIGHT_BYTES * prm.keep16 + gemm_weight_bytes * (prm.dense - prm.keep16)
    expert_w = gemm_weight_bytes * prm.expert
    # ZeRO-3 gathers one layer for compute and prefetches the next: 2 unsharded layers resident (its norms, h per
    # layer, counted at the GEMM weights' width).
    weights = np.where(zero >= 3, dense_w / shard_dense + expert_w / shard_exp
                       + 2 * gemm_weight_bytes * prm.layer_full, dense_w + expert_w)
    return weights, grads, opt


def _uneven_memory(model: TransformerConfig, *, tp: Arr, pp: Arr, dp: Arr, cp: Arr, ep: Arr, mbs: Arr, m: Arr,
                   zero: Arr, recompute: Arr, sp: Arr, seq_len: int, flash: bool, overhead_bytes: float,
                   edge_layers: int, etp: Arr | None = None, shard: Arr | None = None,
                   recompute_frac: Arr | None = None, vp: Arr | None = None, offload_layers: int = 0,
                   gemm_weight_bytes: float = WEIGHT_BYTES, fp8_inputs: bool = False, dropout: bool = True,
                   optim_bytes: float = OPTIM_BYTES, modules: tuple[str, ...] = (),
                   vocab_tiling: int = 1, a2a_overlap: Arr | None = None) -> MemoryBreakdown:
    """memory_per_device with edge stages of `edge_layers`; with interleaving (vp > 1) each rank holds what the
    interleaved schedule keeps in flight there, the middle stages' layers in vp equal chunks and the edge stages'
    shortfall on the first stage's first chunks and the last stage's last ones (module docstring)."""
    s = seq_len / cp
    per_layer, work = _layer_bytes(model, mbs, s, tp, sp, recompute, flash, recompute_frac, fp8_inputs, dropout,
                                   modules)
    logits = _logits_bytes(model, s, mbs, tp, vocab_tiling)
    one = np.ones_like(np.asarray(pp, dtype=float))
    vp = np.ones_like(np.asarray(pp)) if vp is None else vp
    edge = edge_layers * one
    mid = middle_stage_layers(model.layers, pp, edge_layers)
    chunk = mid / vp
    # (layers, layer-micro-batches in flight, extra activation bytes, holds an embedding or output layer) of the
    # first, second (a middle stage when pp >= 3: no embedding, stage_params) and last stage
    # (+ one layer where the expert all-to-all overlap pairs a forward with a backward there: a2a_overlap_layers)
    stages = [(edge, layers_in_flight(pp, vp, m, 0 * pp, chunk, edge, "first")
               + a2a_overlap_layers(pp, vp, m, 0 * pp, a2a_overlap), 0.0, True),
              (mid, layers_in_flight(pp, vp, m, 0 * pp + 1, chunk, mid, "first")
               + a2a_overlap_layers(pp, vp, m, 0 * pp + 1, a2a_overlap), 0.0, pp <= 2),
              (edge, layers_in_flight(pp, vp, m, pp - 1, chunk, edge, "last")
               + a2a_overlap_layers(pp, vp, m, pp - 1, a2a_overlap), logits, True)]
    best: MemoryBreakdown | None = None
    for ls, held, extra, emb in stages:
        prm = stage_params(model, pp, one, tp, ep, ls=ls, etp=etp, embedding=emb)
        w, g, o = _state_bytes(prm, dp, cp, ep, zero, tp=tp, etp=etp, shard=shard,
                               gemm_weight_bytes=gemm_weight_bytes, optim_bytes=optim_bytes)
        acts = per_layer * _on_device(ls, offload_layers) * held + np.maximum(extra, work)  # logits dead by then
        cand = MemoryBreakdown(weights=w, grads=g, optimizer=o, activations=acts,
                               overhead=np.full_like(acts, overhead_bytes))
        if best is None:
            best = cand
            continue
        take = cand.total > best.total
        best = MemoryBreakdown(**{f: np.where(take, getattr(cand, f), getattr(best, f))
                                  for f in ("weights", "grads", "optimizer", "activations", "overhead")})
    assert best is not None
    return best
