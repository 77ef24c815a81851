"""Training step time, memory and cost of parallel layouts — one vectorised code path.

`evaluate(...)` takes arrays of layouts (one entry = one layout) and returns arrays of every term;
`plan explain` evaluates an array of length 1 and `plan` (search.py) arrays of 10^5+, so both always agree.

Step time (all predictions, estimates):
    t_mb     = L_s (t_fwd + t_bwd + t_recompute + t_tp + t_cp + t_ep) [+ logits on the last stage]
               + t_zero3 (exposed) + t_p2p (exposed; 2 v sends, fewer   one micro-batch on the busiest stage
                 in the interleaved steady state, interleaved_p2p_transfers)
               + t_fsdp_lat  (stacks pytorch-fsdp, torchtitan: per-layer NCCL ring latencies, fsdp_latency_s)
    step     = m t_mb + bubble + t_dp (exposed, + the distributed optimizer's per-bucket ring latencies,
               dist_opt_latency_s, + a tied embedding's first/last-stage gradient all-reduce, tied_embedding_grad_s)
               + t_optimizer
    m        = ceil(ceil(B / dp) / mbs): the busiest data-parallel rank's micro-batches (B not divisible by dp:
               B mod dp ranks take one more sequence and the step waits for them)
    L_s      = the busiest stage's layers: ceil(L / (p v)) v, or with uneven edge stages the middle stages' layers
               or the last stage's (edge layers, with the logits), whichever takes longer (Llama Team 2024 sec. 3.3.2)
    bubble   = (p - 1) / v * t_mb      (1F1B: (p-1)/m of the ideal time; interleaved: (p-1)/(v m);
                                        Narayanan et al. 2021, sec. 2.2.1-2.2.2)
               + 2 (p - 1) t_send      interleaved with overlapped sends: the fill and drain wait for theirs
                                        (fill_drain_p2p_s)
               (p - 1)(t_mb - 2 T_W)   ZB-H1, (p - 1)(t_mb - 3 T_W) ZB-H2 (Qi et al. 2024, sec. 2; T_W = weight-
                                        gradient pass, the backward's weight GEMMs)
    MFU      = model FLOPs / (step x devices x peak);  HFU adds recompute FLOPs (Chowdhery et al. 2022, App. B)
Communication (Shoeybi et al. 2019 sec. 3; Korthikanti et al. 2022 sec. 4.2.2): tensor parallel does
2 all-reduces (or reduce-scatter + all-gather with sequence parallel: same bytes) of b s h per layer in
the forward, 2 in the backward, 2 more when the forward is recomputed; they sit on the critical path, except on
the megatron stack (Setup.tp_async), where the column-parallel layers' backward collectives run asynchronously
behind their weight-gradient GEMMs: with sequence parallel the re-gather and reduce-scatter, FP8 runs gathering FP8
(Megatron-LM / Transformer Engine, _tp_async_layer_s); without it the input-gradient all-reduce (Megatron-LM's
async tensor-parallel all-reduce, Korthikanti et al. 2022 sec. 6.2; _tp_async_allreduce_layer_s).
Pipeline stages send b s h / t per micro-batch each way: each tensor-parallel rank sends its 1/t share, and
without sequence parallel the receiver all-gathers the full tensor over the tensor-parallel link (the scatter/gather
optimisation, Narayanan 2021 sec. 4.1). Data-parallel gradient reduction moves the stage's gradients once per step and
can overlap the last micro-batch's backward (the megatron stack's distributed optimizer: its reduce-scatter there, its
parameter all-gather behind the next step's first forward; interleaved: chunk by chunk as each chunk's last backward
ends, dp_exposed_s); ZeRO-3 gathers weights twice and reduce-scatters gradients
per micro-batch (Rajbhandari et al. 2020 sec. 7: 1.5x the data-parallel volume), overlappable with
that micro-batch's compute; hybrid sharding (HSDP) does that inside its shard group and all-reduces the
gradient shard across replicas once per step. Context parallel (ring attention, Liu et al. 2023) passes
K,V blocks around the cp ring, each transfer hidden only behind one block's attention core. Expert parallel
does 2 all-to-alls of the routed tokens per MoE layer forward and 2 backward (Lepikhin et al. 2021), over
a group spanning etp x ep ranks (Megatron-Core's expert grid; etp = tp unless given).
Overlap model: exposed = max(0, t_comm - overlap_eff x t_overlappable_compute); with Setup.p2p_overlap (interleaved
schedule) each pipeline send overlaps one chunk's compute, with Setup.tp_comm_overlap each tensor-parallel
all-gather / reduce-scatter overlaps a GEMM as Transformer Engine's userbuffers do (predict/userbuffers.py: chunked
GEMMs and the SMs the communication kernels take), with Setup.ep_a2a_overlap the expert all-to-alls
of one micro-batch overlap the other micro-batch's compute in each steady-state 1F1B forward/backward pair
(ep_a2a_exposed_s).
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from accelopt import dtypes
from accelopt.errors import InputError, case_hint
from accelopt.hardware.spec import AcceleratorSpec
from accelopt.predict import comm, userbuffers
from accelopt.predict.calibration import MEGATRON_STACKS, Calibration, calibration_for
from accelopt.predict.compute import (
    FP8_RECIPES,
    MOE_GROUPED_MLPS,
    MOE_ROUTER_DTYPES,
    NKI_FLASH_SEQ_MULTIPLE,
    ROPE_FUSIONS,
    Device,
    activation_bytes,
    attention_bwd_time_ratio,
    attention_kernel_of,
    attention_unpad_s,
    bmm_s,
    fp8_weight_transpose,
    gemm_s,
    layer_forward,
    linear_precision,
    logits_step_s,
    memory_ops_s,
    mla_up_gemms_s,
    model_flops_per_token,
    moe_act_elems,
    moe_fc2_bias_s,
    moe_sort_chunks_s,
    norm_elems,
    op_s,
    ring_attention_step_shares,
    ring_attention_time_factors,
    roofline_s,
    rope_unfused_extra_s,
    router_fp32_extra_s,
    shared_experts_gemms,
    softcap_attention_kernel,
)
from accelopt.predict.cost import Facility, carbon_kg, cost_usd, energy_j
from accelopt.predict.memory import (
    GRAD_BYTES,
    RECOMPUTE_MODULES,
    WEIGHT_BYTES,
    memory_per_device,
    middle_stage_layers,
    module_on,
    param_copies,
    stage_params,
)
from accelopt.units import MAX_COUNT, fmt_count, unit
from accelopt.workload.transformer import TransformerConfig

Arr = np.ndarray
DTYPE_BYTES = dtypes.bytes_map(("bf16", "fp16", "fp8"))  # training dtypes (accelopt.dtypes)
# minimal: MaxText's remat_policy 'minimal' (saves only the projection GEMM outputs; memory.py). Its time is charged
# like selective: what it recomputes beyond elementwise ops is the attention core ('context' is not saved).
# mlp: the MLP block alone (its GEMMs, activation and, under sequence parallel, its all-gather and reduce-scatter):
# Megatron-Core --recompute-granularity selective --recompute-modules mlp; NeuronX Distributed's
# activation_checkpoint_config=(CoreAttention, LlamaMLP) when the NKI flash kernel runs, which bypasses CoreAttention
# (examples/training/llama/modeling_llama_nxd.py LlamaAttention: nki_flash_attn_func, else self.core_attn).
# op: torchtitan's selective op activation checkpointing (pytorch/torchtitan
# torchtitan/parallelisms/parallelize_llama.py at 004b3148a92b565ef0ce7a7bcc61e0159c7ec930,
# _apply_ac_to_transformer_block with selective_ac_option 'op'): in each checkpointed layer the outputs of ops in
# _save_list (aten.mm, the flash / efficient SDPA kernels, reduce_scatter_tensor) are saved "except every second mm",
# counted per layer forward; everything else is recomputed (op_recompute_s).
# minimal_flash: MaxText's remat_policy 'minimal_flash' (AI-Hypercomputer/maxtext MaxText/layers/models.py
# @0042423ad678428ccc53441834f7364fdc665003 get_remat_policy: save_from_both_policies(
# checkpoint_dots_with_no_batch_dims, save_only_these_names('context'))): minimal's saved set plus the attention
# output 'context' (memory.py). With the context saved the fused attention kernel is not rerun, so its time is none's
# (_attn_core_recomputed); with flash off the unfused core's probabilities are neither a weight GEMM output nor
# 'context', so the core is redone as minimal's.
# save_dot_except_mlpwi: MaxText's remat_policy 'save_dot_except_mlpwi' (AI-Hypercomputer/maxtext
# MaxText/layers/decoders.py get_remat_policy, stored code index id 1362932059, the same in models.py of older
# MaxText: save_only_these_names('query_proj', 'value_proj', 'key_proj', 'qkv_proj', 'out_proj', 'mlpwo')): the
# attention core ('context' is not saved, the kernel is rerun) and the MLP block's up-projections and activation are
# recomputed, as selective + the mlp module; under XLA the saved mlpwo is not re-run (xla_dead_recompute's mlp_s).
# Memory: memory.py (code 7), the Q, K, V and out_proj outputs and the layer input.
RECOMPUTE = {"none": 0, "selective": 1, "full": 2, "minimal": 3, "minimal_flash": 6, "save_dot_except_mlpwi": 7,
             "mlp": 4, "op": 5}
RECOMPUTE_NAMES = {v: k for k, v in RECOMPUTE.items()}
MLP_BLOCK_CODES = (RECOMPUTE["mlp"], RECOMPUTE["save_dot_except_mlpwi"])
"""The modes that redo the MLP block (its up-projections, activation and, under sequence parallel, its collectives):
Megatron-Core's mlp module as a mode, and MaxText's save_dot_except_mlpwi."""


def recompute_choices() -> str:
    """'none, selective, ... or op': the recompute modes, for messages."""
    names = list(RECOMPUTE)
    return f"{', '.join(names[:-1])} or {names[-1]}"


# Megatron-Core's selective recompute takes a list of modules (--recompute-granularity selective --recompute-modules
# ...; NVIDIA/Megatron-LM megatron/core/transformer/transformer_config.py at 002526d81b81f6ab534e93844f9a228709887494,
# recompute_modules: 'core_attn', 'moe_act', 'layernorm', 'mla_up_proj', 'mlp', 'moe', 'shared_experts'; default
# ['core_attn']). Setup.recompute_modules adds them to a layout's recompute none, selective or mlp (memory.module_on):
# core_attn is what selective recomputes, mlp what the mlp mode recomputes on a dense model (on an MoE model the mode
# also redoes the expert block; the module, like Megatron-Core's, only the dense layers' MLP). Time per module
# (module_recompute_s): its forward again in the backward, its GEMMs on the model's GEMM curve and its elementwise
# bytes at the HBM rate, by the functions the forward uses.


def parse_recompute_modules(text: str, where: str = "--recompute-modules") -> tuple[str, ...]:
    """'mla_up_proj,moe_act' (the flag) or 'mla_up_proj+moe_act' (the runs file's cell) as RECOMPUTE_MODULES names
    in that tuple's order, each once; '' -> (). InputError naming an unknown module and the known ones."""
    items = [n.strip() for n in text.replace("+", ",").split(",")]
    names = [n for n in items if n]
    if text.strip() and len(names) < len(items):  # 'mlp,' or ',': a separator with a name left out
        raise InputError(f"{where} {text!r} has an empty module name (a separator with no name beside it)",
                         "separate the names by single commas (the flag) or '+' (the runs-file cell), e.g. "
                         "mla_up_proj,moe_act, or leave it out for none")
    for n in names:
        if n not in RECOMPUTE_MODULES:
            raise InputError(f"{where}: {n!r} is not a Megatron-Core recompute module the predictor models"
                             f"{case_hint(n, RECOMPUTE_MODULES)}",
                             f"give a comma list of {', '.join(RECOMPUTE_MODULES)} (e.g. --recompute-modules "
                             "mla_up_proj,moe_act)")
    return tuple(m for m in RECOMPUTE_MODULES if m in names)


def modules_beyond_mode(recompute: str, modules: tuple[str, ...]) -> tuple[str, ...]:
    """The --recompute-modules a layout of recompute mode `recompute` redoes beyond what the mode redoes itself, by
    memory.module_on's rule (the one the time and memory terms use): none under full; core_attn not under selective
    (the mode's own); mlp, moe, shared_experts, moe_act not under mlp; shared_experts and moe_act not beside moe
    (which covers them)."""
    code = np.array([RECOMPUTE[recompute]])
    return tuple(m for m in modules if module_on(code, modules, m)[0] and not (m == "core_attn"
                                                                               and recompute == "selective"))


def recompute_text(recompute: str, recompute_layers: int, modules: tuple[str, ...]) -> str:
    """What a layout recomputes, as the tables print it: the mode ('full 24': 24 layers per stage), then '+' each
    Megatron-Core module redone beyond it (modules_beyond_mode's): 'none+mlp', 'selective+mla_up_proj+moe_act'."""
    mode = f"{recompute} {recompute_layers}" if recompute_layers else recompute
    return "+".join((mode, *modules))

# Pipeline schedules. 1f1b: one-forward-one-backward, interleaved when vp > 1 (Narayanan et al. 2021 sec. 2.2);
# zb-h1 / zb-h2: the handcrafted zero-bubble schedules of Qi et al. 2024 ('Zero Bubble Pipeline Parallelism',
# ICLR 2024, sec. 2), which split the backward into B (input gradient) and W (weight gradient) passes;
# dualpipe: DeepSeek-V3's bidirectional pipeline (DeepSeek-AI 2024, 'DeepSeek-V3 Technical Report', arXiv 2412.19437,
# sec. 3.2.1 and Table 2; deepseek-ai/DualPipe @ bb214e8 dualpipe/dualpipe.py): micro-batches fed from both ends,
# each rank holding stage i and stage p-1-i, forward and backward chunks paired so each one's expert all-to-all and
# pipeline sends run beside the other's compute.
SCHEDULES = {"1f1b": 0, "zb-h1": 1, "zb-h2": 2, "dualpipe": 3}
SCHEDULE_NAMES = {v: k for k, v in SCHEDULES.items()}
_CODED = {"recompute": (RECOMPUTE, RECOMPUTE_NAMES), "schedule": (SCHEDULES, SCHEDULE_NAMES)}
LAYOUT_FIELDS = ("tp", "pp", "dp", "cp", "ep", "vp", "mbs", "m", "zero", "recompute", "sp", "overlap", "schedule",
                 "hsdp", "etp", "recompute_layers")


def schedule_error(schedule: str) -> InputError:
    """The error for a --schedule that is not one of SCHEDULES (`plan` and `plan explain`): an interleaved 1F1B
    schedule is not a name of its own here but 1f1b with --vp > 1, so the fix says so."""
    return InputError(f"--schedule {schedule!r} is not a pipeline schedule{case_hint(schedule, SCHEDULES)}",
                      f"give --schedule {', '.join(SCHEDULES)}; an interleaved schedule is 1f1b with --vp > 1 "
                      "(`plan explain --vp N`; `plan` searches vp)")


@dataclass(frozen=True, kw_only=True)
class Layout:
    """One parallel layout. `m` is micro-batches per step (gradient accumulation steps)."""

    tp: int = unit("count", default=1)
    pp: int = unit("count", default=1)
    dp: int = unit("count", default=1)
    cp: int = unit("count", default=1)
    ep: int = unit("count", default=1)
    vp: int = unit("count", default=1)
    """Interleaved pipeline chunks per device (1 = plain 1F1B)."""
    mbs: int = unit("count", default=1)
    m: int = unit("count", default=1)
    zero: int = unit("count", default=0)
    """0 none, 1/2/3 ZeRO stage (3 = FSDP full sharding)."""
    recompute: str = "none"
    sp: bool = True
    """Sequence parallelism alongside tensor parallelism (Korthikanti et al. 2022)."""
    overlap: bool = True
    """Overlap data-parallel / ZeRO communication with compute. On the megatron stack with zero 1/2 (the distributed
    optimizer) that is Megatron-Core's overlap_grad_reduce and overlap_param_gather together, as Megatron-Bridge and
    NeMo set them (dp_exposed_s)."""
    schedule: str = "1f1b"
    """Pipeline schedule: 1f1b (interleaved when vp > 1), zb-h1 or zb-h2 (Qi et al. 2024), dualpipe (DeepSeek-V3
    report sec. 3.2.1)."""
    hsdp: int = unit("count", default=0)
    """ZeRO/FSDP shard group: 0 = the whole dp x cp group; g = hybrid sharding (HSDP): shard over g ranks,
    replicate over dp x cp / g groups (PyTorch FSDP HYBRID_SHARD, DeepSpeed ZeRO++ hpZ)."""
    etp: int = unit("count", default=0)
    """Expert tensor parallel: 0 = tp (experts split like the dense layers); 1..: Megatron-Core's separate
    expert grid etp x ep x edp over the tp x cp x dp ranks of a stage ('MoE parallel folding')."""
    recompute_layers: int = unit("count", default=0)
    """With recompute = full: layers per pipeline stage recomputed (Megatron-LM --recompute-method block
    --recompute-num-layers N); the stage's other layers keep their activations. 0 = every layer."""

    @property
    def devices(self) -> int:
        return self.tp * self.pp * self.dp * self.cp

    def __post_init__(self) -> None:
        for f in ("tp", "pp", "dp", "cp", "ep", "vp", "mbs", "m"):
            v = getattr(self, f)
            if not isinstance(v, int | np.integer) or v < 1:
                raise InputError(f"layout {f} = {v!r} must be a positive integer", f"give --{f} >= 1")
        if self.zero not in (0, 1, 2, 3):
            raise InputError(f"layout zero = {self.zero!r}", "use --zero 0, 1, 2 or 3 (3 = FSDP)")
        if self.recompute not in RECOMPUTE:
            raise InputError(f"layout recompute = {self.recompute!r}",
                             f"use --recompute {recompute_choices()}")
        if self.schedule not in SCHEDULES:
            raise InputError(f"layout schedule = {self.schedule!r}", f"use --schedule {', '.join(SCHEDULES)}")
        for f in ("hsdp", "etp", "recompute_layers"):
            v = getattr(self, f)
            if not isinstance(v, int | np.integer) or v < 0:
                raise InputError(f"layout {f} = {v!r} must be 0 (off) or a positive integer", f"give --{f} >= 0")


@dataclass
class Layouts:
    """Columns of layouts (numpy arrays of equal length)."""

    tp: Arr
    pp: Arr
    dp: Arr
    cp: Arr
    ep: Arr
    vp: Arr
    mbs: Arr
    m: Arr
    zero: Arr
    recompute: Arr
    sp: Arr
    overlap: Arr
    schedule: Arr
    hsdp: Arr
    etp: Arr
    recompute_layers: Arr

    def __len__(self) -> int:
        return len(self.tp)

    @classmethod
    def of(cls, layouts: list[Layout]) -> Layouts:
        cols: dict[str, list[Any]] = {f: [] for f in LAYOUT_FIELDS}
        for lay in layouts:
            for f in LAYOUT_FIELDS:
                v = getattr(lay, f)
                cols[f].append(_CODED[f][0][v] if f in _CODED else v)
        return cls(**{f: np.asarray(v, dtype=bool if f in ("sp", "overlap") else np.int64)
                      for f, v in cols.items()})

    def take(self, idx: Arr) -> Layouts:
        return Layouts(**{f: getattr(self, f)[idx] for f in LAYOUT_FIELDS})

    def row(self, i: int) -> Layout:
        d: dict[str, Any] = {f: getattr(self, f)[i].item() for f in LAYOUT_FIELDS}
        for f, (_, names) in _CODED.items():
            d[f] = names[d[f]]
        return Layout(**d)


MAX_SEQ_LEN = 2**24
"""Longest sequence accepted (16M tokens; the longest published training contexts are ~1-10M)."""
MAX_TOKENS = 1e18
"""Most training tokens accepted: ~28,000x the largest published run (Qwen3, 36e12 tokens; Qwen Team 2025, "Qwen3
Technical Report", abstract). Past it the times, costs and energies print as dozens of digits cut off in the table."""


def check_tokens(tokens: float) -> None:
    """InputError for a token target that is not a finite number in 0..MAX_TOKENS."""
    if not 0 <= tokens <= MAX_TOKENS:  # NaN too
        raise InputError(f"--tokens {tokens:g} is past any training run (at most {MAX_TOKENS:g} tokens; the largest "
                         "published run trained on 36e12)", "give the tokens to train on, e.g. 15e12")


@dataclass(frozen=True, kw_only=True)
class Setup:
    """What is trained: model, sequence length, global batch (sequences), dtype, token target."""

    model: TransformerConfig
    seq_len: int
    global_batch: int
    dtype: str = "bf16"
    tokens: float = 0.0
    flash: bool = True
    """Fused attention (no s x s tensor in memory); False for pre-2022 Megatron runs."""
    attention_kernel: str = "fused"
    """Which fused kernel runs the attention core (compute.ATTENTION_KERNELS; 'unfused' with flash off): its rate,
    compute.attention_kernel_rate (flash2: the family's published FlashAttention-2 rate)."""
    attention_kernel_auto: bool = False
    """The kernel was not given (--attention-kernel left out, flash on): a soft-capped model takes the soft-capping
    kernel of each device (device_setup); False: the kernel as given (a runs-file row, an explicit flag)."""
    cudnn_before_9_17: bool = False
    """The run's container carries a cuDNN release before 9.17.0: a 'fused' attention core runs at the device's rates
    under such a release where the catalog gives them (calibration.with_fused_attention)."""
    attention_unpad: bool = False
    """The fused attention runs through a padded-batch wrapper that gathers Q, K, V to (tokens, width) before a varlen
    kernel and scatters the output back, every layer (llm-foundry's flash_attn_fn): compute.attention_unpad_s."""
    eager_cross_entropy: bool = False
    """The loss is PyTorch eager F.cross_entropy on the 16-bit logits cast to fp32 (torch.autocast or .float()): cast,
    log_softmax and nll_loss passes over [T, V/t] and their backward (compute.logits_step_s, EAGER_CE_*_BYTES);
    False: one fp32 read + write of [T, V/t] per pass."""
    te_cross_entropy: bool = False
    """The loss is Transformer Engine's Triton parallel_cross_entropy (Megatron-Core cross_entropy_loss_fusion with
    cross_entropy_fusion_impl 'te'): one read of the 16-bit logits forward, one read + write backward
    (compute.logits_step_s, TE_CE_*_BYTES: 6 B per logit element instead of 24)."""
    rope_fusion: str = "fused"
    """How RoPE is applied to the queries and keys (compute.ROPE_FUSIONS): fused (one fused kernel each way, the pass
    the calibration took in) or unfused (Megatron-Core's eager _apply_rotary_pos_emb_bshd, which it runs whenever the
    YaRN concentration factor mscale != 1, GPT-OSS: compute.rope_unfused_extra_s, the t_rope_unfused_s term)."""
    edge_stage_layers: int | None = None
    """Layers on the first and on the last pipeline stage when they hold fewer than the others (Megatron-LM
    --decoder-first/last-pipeline-num-layers; Llama 3 405B: 126 layers on 16 stages = 7 + 14 x 8 + 7, Llama Team
    2024 sec. 3.3.2). None: an even split, ceil(L / (p v)) per stage. With interleaving (vp > 1) the middle stages'
    layers split into vp equal chunks and the edge stages hold one chunk fewer's worth (Llama 3: vp 8 chunks of one
    layer; the first chunk of the first stage holds only the embedding, the last of the last stage only the output
    projection and loss). The last stage holds the logits besides its edge layers."""
    p2p_overlap: bool = False
    """Interleaved schedule (vp > 1): pipeline sends/receives overlap the next chunk's compute (Megatron-LM
    --overlap-p2p-comm, its default with vp > 1, forced off without interleaving (megatron/training/arguments.py);
    Megatron-Bridge comm_overlap.py sets it whenever pp > 1 and vp > 1; Llama 3's asynchronous p2p, Llama Team 2024
    sec. 3.3.2). Off: every send/receive is on the critical path (interleaved: one batched exchange per steady-state
    chunk forward/backward pair, interleaved_p2p_transfers)."""
    tp_comm_overlap: bool = False
    """Tensor-parallel all-gather / reduce-scatter (sequence parallel) overlapped with the GEMM each one feeds or
    follows, or run beside another GEMM (Transformer Engine userbuffers, Megatron-Bridge
    CommOverlapConfig.tp_comm_overlap; needs sp and tp > 1; predict/userbuffers.py, config tp_overlap_cfg).
    Off: every tensor-parallel collective is on the critical path, except on the megatron stack with tp_async, where
    the column-parallel layers' backward collectives hide behind their GEMMs (_tp_async_layer_s,
    _tp_async_allreduce_layer_s)."""
    tp_overlap_cfg: str = ""
    """With tp_comm_overlap: the userbuffers config the run names (userbuffers.CONFIGS, NeMo / Megatron-Bridge's
    userbuffers_<name>: per GEMM the method, communication SMs, SM margin); '' = Transformer Engine's defaults
    (initialize_ub without a config)."""
    ep_a2a_overlap: bool = False
    """Megatron-Core's expert-parallel all-to-all overlap (--overlap-moe-expert-parallel-comm; Megatron-Bridge
    CommOverlapConfig.overlap_moe_expert_parallel_comm, its perf recipes' moe_a2a_overlap): each steady-state 1F1B
    step runs one micro-batch's forward and another's backward layer by layer, the dispatch/combine all-to-alls of
    each on a communication stream beside the other's attention or expert-MLP compute (ep_a2a_exposed_s). Needs
    ep > 1, the 1f1b schedule and, with pp > 1, the interleaved one (vp > 1); otherwise it has no effect. The dualpipe
    schedule pairs its chunks so without it (DeepSeek-V3 report sec. 3.2.1; dualpipe_paired_share)."""
    moe_dispatcher: str = "alltoall"
    """The MoE token dispatcher (comm.MOE_DISPATCHERS): alltoall, Megatron-Core's NCCL all-to-all dispatcher (one copy
    per routed expert rank, comm.alltoall_split_s); hybridep / deepep, its flex dispatcher's HybridEP or DeepEP backend
    (Megatron-Core --moe-token-dispatcher-type flex --moe-flex-dispatcher-backend; Megatron-Bridge
    moe_flex_dispatcher_backend): across scale-up domains one copy per destination node at the published rate
    (comm.hierarchical_dispatch_s), inside one domain the all-to-all's time."""
    moe_router_dtype: str = "bf16"
    """The MoE router GEMM's precision (compute.MOE_ROUTER_DTYPES; Megatron-Core --moe-router-dtype, TransformerConfig
    moe_router_dtype, Megatron-Bridge cfg.model.moe_router_dtype): bf16, the default (None in Megatron-Core: the
    input's dtype), a 16-bit GEMM and its 2x backward (compute.moe_forward); fp32, its forward GEMM writes fp32 logits
    and its data- and weight-gradient GEMMs run in fp32 (TF32 tensor cores under Transformer Engine) with their casts
    (compute.router_fp32_extra_s)."""
    moe_grouped_mlp: str = "te"
    """The routed experts' GEMM path (compute.MOE_GROUPED_MLPS; Megatron-Bridge's cutedsl_fused_grouped_mlp): te, the
    default, Transformer Engine's GroupedLinear, one cuBLASLt call per local expert, each at least the family's
    expert_gemm_floor_s (compute.grouped_gemm_s); cutedsl, Transformer Engine's operation-fuser grouped MLP, one CuTe
    DSL MXFP8 grouped kernel per GEMM (compute.fused_grouped_gemm_s): with dtype fp8 and fp8_recipe mxfp8 only;
    megablox, MaxText's megablox grouped matmul (sparse_matmul and megablox true, MaxText's defaults), one Pallas
    kernel per GEMM over 512-row tiles (compute.megablox_gmm_s): 16-bit dtypes only."""
    fp8_params: bool = False
    """GEMM weights kept in FP8 between steps, their fp32 master copy in the optimizer state (Megatron-LM
    --fp8-param-gather, Transformer Engine fp8_model_init; Megatron-Bridge's FP8 current-scaling and MXFP8 recipes set
    it): 1 byte per GEMM weight instead of 2, plus an FP8 transposed copy where the family's FP8 GEMMs need one
    (compute.fp8_weight_transpose). Memory only: the all-gathers it shrinks are the ZeRO-3 ones, timed here from the
    16-bit weights (not modelled)."""
    offload_layers: int = 0
    """Layers per pipeline stage whose saved activations are held in host memory (Megatron-Core / NeMo
    cpu_offloading_num_layers; MaxText remat_policy names set to 'offload'); 0: none. Memory only: the copies are
    assumed hidden behind compute (Megatron-Core overlaps them with the next layer's compute; XLA runs host offload
    asynchronously) and are not timed. Checked on the MaxText v5e 128B rows (remat minimal_offloaded; runs-file
    tpu_new block): 738.2 MB per chip per layer each way is 49.2 ms at the ~1.5e10 B/s per-chip PCIe figure ('How
    to Scale Your Model') against 49.3 ms of forward compute per layer, hidden with nothing to spare; a slower host
    link or less compute per layer would expose copies this model does not price. Checked on the Megatron-Bridge
    GB200 Llama 3 70B FSDP rows too (40 of 80 layers, 3.89 GB a layer each way over NVLink-C2C against 15.0 ms
    forward / 31.4 ms backward a layer): Transformer Engine's offload schedules hide all but 4.7 ms a step at 225 GB/s
    per GPU each way (tests/test_blackwell_cpu_offload.py)."""
    tp_async: bool = True
    """Megatron-LM's asynchronous backward tensor-parallel communication (stack megatron, tp > 1): each column-
    parallel layer's input-gradient all-reduce (no sequence parallel; Megatron-LM async_tensor_model_parallel_allreduce,
    Korthikanti et al. 2022 sec. 6.2) or its reduce-scatter and input re-gather (sequence parallel) runs behind its
    weight-gradient GEMM. False (--no-tp-async): every tensor-parallel collective on the critical path, as in
    Megatron-LM before that change (Narayanan et al. 2021 lists no such overlap, sec. 4.1-4.2) and in the
    Megatron-DeepSpeed forks (BigScience's ColumnParallelLinear all-reduces synchronously; Microsoft's disables it by
    default, deepspeedai/Megatron-DeepSpeed issue #447)."""
    fp8_recipe: str = "delayed"
    """With dtype fp8: the scaling recipe of the FP8 linear layers (compute.FP8_RECIPES; delayed, Megatron-LM's
    --fp8-recipe default): what quantizing each GEMM input costs (compute.fp8_cast_bytes)."""
    fp8_recipe_given: str = field(default="", compare=False, repr=False)
    """fp8_recipe as the user wrote it (an alias such as tensorwise, compute.FP8_RECIPE_ALIASES), echoed in the
    messages about it; empty: fp8_recipe itself."""
    fp8_output_head: bool = False
    """With dtype fp8: the output layer (logits GEMM) is a Transformer Engine FP8 Linear / LayerNormLinear too (a
    te.LayerNormLinear head inside te.fp8_autocast, as AMD's pytorch-training-benchmark Fp8LLaMA / Fp8Mistral), so
    its forward and backward GEMMs run at the FP8 linear layers' rate with their quantize pass
    (compute.logits_gemm_s). False: the head stays 16 bit, as Megatron-Core's ColumnParallelLinear output layer
    (Megatron-LM, NeMo, Megatron-Bridge). Time only: the memory model keeps no head input (only the fp32 logits)."""
    fp8_saved_inputs: bool = False
    """With dtype fp8: the linear layers keep their inputs for the backward as FP8 copies, 1 byte (Transformer Engine
    _Linear / LayerNormLinear; memory.py module docstring). Memory only."""
    no_dropout: bool = False
    """The model trains at dropout 0: no dropout masks are kept (memory.py module docstring). Memory only."""
    vocab_tiling: int = 1
    """MaxText's num_vocab_tiling: the output layer and cross-entropy run in this many chunks along the batch-sequence
    axis, so the last stage holds 2/N of the fp32 logits at a time, a chunk's exp residual and its gradient (memory.py
    module docstring). Memory only."""
    optimizer_state_bytes: float = 12.0
    """Optimizer state per parameter beside the 16-bit weight and gradient: 12 (fp32 master + Adam m, v), 4 for
    16-bit weights with 16-bit moments (MaxText weight_dtype bfloat16; memory.py module docstring). The optimizer
    step's time reads and writes this state (optimizer_step_bytes)."""
    dp_bucket_params: int | None = None
    """The distributed optimizer's bucket, in parameters per gradient reduce-scatter / parameter all-gather, as the
    run's recipe sets it (Megatron-Core ddp bucket_size; NeMo 1's Apex distributed_fused_adam bucket_cap_mb MiB over
    its grad_sync_dtype bytes); None: Megatron-Core's default, dist_opt_bucket_params. Only the bucket count of
    dist_opt_latency_s reads it."""
    recompute_modules: tuple[str, ...] = ()
    """Megatron-Core recompute modules (--recompute-modules; RECOMPUTE_MODULES, parse_recompute_modules) recomputed
    in every layer on top of what a layout's recompute none, selective or mlp recomputes (memory.module_on); ():
    none beyond the mode."""
    facility: Facility = field(default_factory=Facility)

    def __post_init__(self) -> None:
        if not self.flash and self.attention_kernel == "fused":  # the default kernel with flash off: unfused
            object.__setattr__(self, "attention_kernel", "unfused")
        attention_kernel_of(self.flash, self.attention_kernel)  # a known kernel, and a fused one only with flash on
        if self.attention_kernel == "unfused":  # --attention-kernel unfused is --no-flash
            object.__setattr__(self, "flash", False)
        if self.attention_kernel == "nki_flash" and self.model.windowed_layers:
            raise InputError(f"--attention-kernel nki_flash with the {self.model.name}'s sliding-window layers: the "
                             "modelled NKI kernel (nki-samples attention.py at a33dfbc, flash_fwd / flash_attn_bwd) "
                             "has no window", "give --attention-kernel fused or unfused for a sliding-window model")
        if self.attention_unpad and not self.flash:
            raise InputError("--attention-unpad with an unfused attention (--no-flash or --attention-kernel unfused): "
                             "the padding copies wrap a fused varlen kernel",
                             "leave out --attention-unpad, or run a fused kernel (--attention-kernel flash2)")
        if not 0 <= self.offload_layers <= self.model.layers:
            raise InputError(f"--offload-layers {self.offload_layers}: the {self.model.name} has {self.model.layers} "
                             "layers", f"give --offload-layers between 0 (none) and {self.model.layers}")
        if self.dtype not in DTYPE_BYTES:
            raise InputError(f"dtype {self.dtype!r} is not a training dtype{case_hint(self.dtype, DTYPE_BYTES)}",
                             f"use --dtype bf16, fp16 or fp8 ({dtypes.accepted_spellings(tuple(DTYPE_BYTES))})")
        if self.fp8_params and self.dtype != "fp8":
            raise InputError(f"--fp8-params with --dtype {self.dtype}: FP8 parameters feed FP8 GEMMs",
                             "give --dtype fp8 with --fp8-params, or leave --fp8-params out")
        if self.tp_overlap_cfg:
            userbuffers.config(self.tp_overlap_cfg)  # InputError naming the bundled configs
            if not self.tp_comm_overlap:
                raise InputError(f"--tp-overlap-cfg {self.tp_overlap_cfg} without --tp-comm-overlap: the config "
                                 "says how userbuffers overlap", "give --tp-comm-overlap too, or leave "
                                 "--tp-overlap-cfg out")
        if self.moe_dispatcher not in comm.MOE_DISPATCHERS:
            raise InputError(f"--moe-dispatcher {self.moe_dispatcher!r} is not a dispatcher the predictor models",
                             f"give --moe-dispatcher {', '.join(comm.MOE_DISPATCHERS)}")
        if self.moe_router_dtype not in MOE_ROUTER_DTYPES:
            raise InputError(f"--moe-router-dtype {self.moe_router_dtype!r} is not a router precision the predictor "
                             "models", f"give --moe-router-dtype {' or '.join(MOE_ROUTER_DTYPES)}")
        if self.moe_grouped_mlp not in MOE_GROUPED_MLPS:
            raise InputError(f"--moe-grouped-mlp {self.moe_grouped_mlp!r} is not an expert GEMM path the predictor "
                             "models", f"give --moe-grouped-mlp {' or '.join(MOE_GROUPED_MLPS)}")
        recipe = self.fp8_recipe_given or self.fp8_recipe
        if self.moe_grouped_mlp == "cutedsl" and (self.dtype != "fp8" or self.fp8_recipe != "mxfp8"):
            raise InputError(f"--moe-grouped-mlp cutedsl with --dtype {self.dtype}"
                             + (f" --fp8-recipe {recipe}" if self.dtype == "fp8" else "")
                             + ": Transformer Engine's CuTe DSL grouped MLP runs MXFP8 GEMMs only",
                             "give --dtype fp8 --fp8-recipe mxfp8, or leave --moe-grouped-mlp at te")
        if self.moe_grouped_mlp == "megablox" and self.dtype == "fp8":
            raise InputError("--moe-grouped-mlp megablox with --dtype fp8: MaxText's megablox grouped matmul takes "
                             "16-bit operands (or AQT int8 / int4, which the predictor does not model)",
                             "give --dtype bf16, or leave --moe-grouped-mlp at te")
        if self.fp8_recipe not in FP8_RECIPES:
            raise InputError(f"--fp8-recipe {recipe!r} is not a recipe the predictor models",
                             f"give --fp8-recipe {', '.join(FP8_RECIPES)}")
        if self.fp8_recipe != "delayed" and self.dtype != "fp8":
            raise InputError(f"--fp8-recipe {recipe} with --dtype {self.dtype}: a recipe scales FP8 GEMMs",
                             "give --dtype fp8 with --fp8-recipe, or leave --fp8-recipe out")
        if self.fp8_output_head and self.dtype != "fp8":
            raise InputError(f"--fp8-output-head with --dtype {self.dtype}: an FP8 output layer runs in an FP8 run "
                             "only", "give --dtype fp8 with --fp8-output-head, or leave --fp8-output-head out")
        if self.fp8_saved_inputs and self.dtype != "fp8":
            raise InputError(f"--fp8-saved-inputs with --dtype {self.dtype}: only FP8 linear layers keep FP8 inputs",
                             "give --dtype fp8 with --fp8-saved-inputs, or leave --fp8-saved-inputs out")
        if self.te_cross_entropy and self.eager_cross_entropy:
            raise InputError("--te-cross-entropy with --eager-cross-entropy: the loss runs one of them, Transformer "
                             "Engine's fused kernels or PyTorch's eager passes",
                             "give --te-cross-entropy for Megatron-Core's fused loss with cross_entropy_fusion_impl "
                             "te, or --eager-cross-entropy for an eager F.cross_entropy, not both")
        if self.rope_fusion not in ROPE_FUSIONS:
            raise InputError(f"--rope-fusion {self.rope_fusion!r} is not one of {', '.join(ROPE_FUSIONS)}",
                             "give fused (Transformer Engine's fused RoPE, the default) or unfused (Megatron-Core's "
                             "eager RoPE, which it runs when a YaRN model's mscale != 1, e.g. GPT-OSS)")
        if self.rope_fusion == "unfused" and self.model.learned_positions:
            # a learned absolute position table (GPT-2 / GPT-3) is added to the embeddings: no RoPE pass to charge
            raise InputError(f"--rope-fusion unfused with the {self.model.name}: it has a learned position table "
                             f"({self.model.learned_positions:,} rows), not RoPE, so no RoPE pass runs",
                             "leave --rope-fusion out (or give fused) for a model without rotary positions")
        if self.rope_fusion == "unfused" and self.model.alibi:
            # ALiBi (BLOOM, MPT, Falcon with alibi) biases the scores by distance: no RoPE pass to charge
            raise InputError(f"--rope-fusion unfused with the {self.model.name}: it takes positions from ALiBi (a "
                             "linear bias on the attention scores), not RoPE, so no RoPE pass runs",
                             "leave --rope-fusion out (or give fused) for a model without rotary positions")
        if not 1 <= self.vocab_tiling <= MAX_COUNT:
            raise InputError(f"--vocab-tiling {self.vocab_tiling} is not a count of chunks (1 to {MAX_COUNT:,})",
                             "give MaxText's num_vocab_tiling (1: the logits in one piece)")
        if not 0 <= self.optimizer_state_bytes <= 16:
            raise InputError(f"--optimizer-bytes {self.optimizer_state_bytes:g} is outside 0..16 bytes per "
                             "parameter", "give 12 (fp32 master + Adam moments), 8 or 4 (16-bit moments)")
        if self.dp_bucket_params is not None and not 1 <= self.dp_bucket_params <= MAX_COUNT:
            raise InputError(f"--dp-bucket-params {self.dp_bucket_params:g} is outside 1..{MAX_COUNT:,} parameters",
                             "give the recipe's bucket in parameters (e.g. 40M), or leave it out for Megatron-Core's "
                             "default max(40M, 1M x dp x cp)")
        self._check_recompute_modules()
        if self.seq_len < 1 or self.global_batch < 1:
            raise InputError(f"seq_len {self.seq_len} / global batch {self.global_batch} must be >= 1",
                             "give positive --seq-len and --global-batch")
        if self.seq_len > MAX_SEQ_LEN or self.global_batch > MAX_COUNT:
            raise InputError(f"--seq-len {self.seq_len:,} / --global-batch {self.global_batch:,} sequences is past "
                             f"any training run (limits {MAX_SEQ_LEN:,} tokens / {MAX_COUNT:,} sequences)",
                             "give the --seq-len and --global-batch of a real run")
        if self.attention_kernel == "nki_flash" and self.seq_len % NKI_FLASH_SEQ_MULTIPLE:
            raise InputError(f"--attention-kernel nki_flash with --seq-len {self.seq_len:,}: NeuronX Distributed's "
                             f"NKI flash attention runs sequences of multiples of {NKI_FLASH_SEQ_MULTIPLE:,} tokens "
                             "only (nki_flash_attn_func: 'Only support sequence as multiples of 2K')",
                             f"give a --seq-len that is a multiple of {NKI_FLASH_SEQ_MULTIPLE:,}, or "
                             "--attention-kernel unfused (NxD's CoreAttention) for this length")
        e, n_layers = self.edge_stage_layers, self.model.layers
        if e is not None and n_layers < 3:  # 'must each hold 1..0 layers', 'between 1 and 0' was said before
            raise InputError(f"--edge-stage-layers {e}: the {n_layers}-layer {self.model.name} has too few layers for "
                             "uneven first/last stages (they need pp >= 3 stages, each middle one holding a layer)",
                             "leave --edge-stage-layers out (an even split)")
        if e is not None and not 1 <= e <= (n_layers - 1) // 2:  # else every layout is refused, blaming the devices
            raise InputError(f"--edge-stage-layers {e}: the first and last stages of the {n_layers}-layer "
                             f"{self.model.name} must each hold 1..{(n_layers - 1) // 2} layers",
                             f"give --edge-stage-layers between 1 and {(n_layers - 1) // 2}, or leave it out for an "
                             "even split")
        check_tokens(self.tokens)
        step_tokens = self.seq_len * self.global_batch
        if 0 < self.tokens < step_tokens:  # the run would end inside its first step: no time to train means it
            # as typed: ':,.0f' told '--tokens 0.5' that '--tokens 0' is less than one step
            raise InputError(f"--tokens {fmt_count(self.tokens)} is less than one step ({self.global_batch:,} "
                             f"sequences x {self.seq_len:,} tokens = {step_tokens:,} tokens)",
                             f"give --tokens of at least {step_tokens:,}, or a smaller --global-batch")

    def _check_recompute_modules(self) -> None:
        """Known names in RECOMPUTE_MODULES order, each once; and each a module this model has (Megatron-Core skips
        a missing one without a word: here it is an error naming the module and the fix)."""
        mods = parse_recompute_modules(",".join(self.recompute_modules))
        object.__setattr__(self, "recompute_modules", mods)
        mdl = self.model
        lacks = {"mla_up_proj": (mdl.mla is None, "has no multi-latent attention (no up-projections)"),
                 "moe": (not mdl.is_moe, "has no MoE layers"), "moe_act": (not mdl.is_moe, "has no MoE layers"),
                 "shared_experts": (mdl.shared_experts == 0, "has no shared experts"),
                 "mlp": (mdl.moe_layers == mdl.layers, "has no dense MLP layers (Megatron-Core's mlp is the dense "
                                                        "MLP; every layer here is MoE: recompute moe)")}
        for m in mods:
            missing, why = lacks.get(m, (False, ""))
            if missing:
                raise InputError(f"--recompute-modules {m}: the {mdl.name} {why}",
                                 f"leave {m} out of --recompute-modules (it recomputes nothing here)")


def device_setup(setup: Setup, spec: AcceleratorSpec) -> Setup:
    """`setup` as timed on `spec`: a soft-capped model with --attention-kernel left out (attention_kernel_auto) takes
    the device's soft-capping kernel (compute.softcap_attention_kernel: flash2 on NVIDIA Ampere or newer) in place of
    the default fused one, which takes no cap; otherwise `setup` itself."""
    if not setup.attention_kernel_auto or setup.attention_kernel != "fused":
        return setup
    kernel = softcap_attention_kernel(setup.model, spec)
    return replace(setup, attention_kernel=kernel) if kernel else setup


def seqs_per_rank(global_batch: int, dp: Arr) -> tuple[Arr, Arr]:
    """(most, fewest) sequences a data-parallel rank takes when dp does not divide the global batch: the first
    B mod dp ranks take ceil(B / dp), the others floor(B / dp) (e.g. 1000 over 124 ranks: 8 ranks x 9 + 116 x 8).
    A step waits for the slowest rank, so its time is that of ceil(B / dp) sequences."""
    dp = np.asarray(dp, dtype=np.int64)
    return -(-global_batch // dp), global_batch // dp


def micro_batches(global_batch: int, dp: Arr, mbs: Arr) -> Arr:
    """m = ceil(ceil(B / dp) / mbs): micro-batches of the busiest data-parallel rank (= B / (dp mbs) when even; a
    partial last micro-batch is timed as a full one, an upper bound)."""
    most, _ = seqs_per_rank(global_batch, dp)
    return -(-most // np.asarray(mbs, dtype=np.int64))


class Rule(enum.Enum):
    """A rule a layout must satisfy besides memory (one per check of `structural_problems`); the command line
    looks its fix up by this key (query.structural_fix), never by the wording of the message."""

    DEVICE_COUNT = enum.auto()
    TP_HEADS = enum.auto()
    PP_LAYERS = enum.auto()
    VP_NEEDS_PP = enum.auto()
    VP_MICROBATCHES = enum.auto()
    PP_VP_LAYERS = enum.auto()
    ZB_VP = enum.auto()
    ZB_NEEDS_PP = enum.auto()
    DUALPIPE_PP_EVEN = enum.auto()
    DUALPIPE_MICROBATCHES = enum.auto()
    DUALPIPE_EDGE = enum.auto()
    CP_SEQ = enum.auto()
    EP_NEEDS_MOE = enum.auto()
    EP_EXPERTS = enum.auto()
    ETP_NEEDS_MOE = enum.auto()
    ETP_EP_GRID = enum.auto()
    HSDP_NEEDS_ZERO = enum.auto()
    HSDP_DIVIDES = enum.auto()
    HSDP_NO_EP = enum.auto()
    RECOMPUTE_LAYERS_FULL = enum.auto()
    RECOMPUTE_LAYERS_STAGE = enum.auto()
    RECOMPUTE_OP_MODEL = enum.auto()
    RECOMPUTE_MODULES_MODE = enum.auto()
    EDGE_PP = enum.auto()
    EDGE_VP = enum.auto()
    EDGE_RANGE = enum.auto()
    EDGE_EMPTY_STAGE = enum.auto()
    DP_BATCH = enum.auto()
    MBS_RANK = enum.auto()
    MICROBATCH_COUNT = enum.auto()
    TP_KV_HEADS = enum.auto()
    VOCAB_TILING = enum.auto()


def splits_kv_heads(mdl: Any, tp: Any) -> Any:
    """Whether tensor parallelism `tp` (an int or an array) gives every rank whole K/V heads: tp divides the KV heads
    or is a multiple of them (each head replicated on tp / kv ranks, as TransformerConfig.kv_heads_per_device models
    it). Megatron-Core builds only the first: its Attention takes divide(num_query_groups, tp), which asserts tp
    divides them (megatron/core/transformer/attention.py), so a multiple fails there. The multiple is what PaLM's
    TPU runs trained with (PaLM 2022 sec. 4: 12-way model parallelism over multi-query attention's one K/V head; the
    palm-540b rows of published_training_runs.csv) and what vLLM's QKVParallelLinear serves with (num_kv_head_replicas
    = tp / kv heads). Anything else would leave fractions of a head on a rank, which no framework builds. MLA has a K
    and V per query head (the heads rule covers it)."""
    kv = mdl.n_kv_heads
    return True if mdl.mla is not None else (kv % tp == 0) | (tp % kv == 0)


@dataclass(frozen=True, eq=False)
class Problem:
    """A broken `rule`: where (`mask`, bool over the layouts, or a scalar for all of them) and why (`message`)."""

    rule: Rule
    mask: Arr
    message: str


def structural_problems(setup: Setup, lay: Layouts, n_devices: Arr) -> list[Problem]:
    """One Problem per rule a layout must satisfy besides memory (its mask may be all False)."""
    mdl = setup.model
    dpcp = lay.dp * lay.cp
    etp = np.where(lay.etp == 0, lay.tp, lay.etp)
    most, _ = seqs_per_rank(setup.global_batch, lay.dp)
    R = Rule
    return [Problem(rule, mask, why) for rule, mask, why in [
        (R.DEVICE_COUNT, lay.tp * lay.pp * lay.dp * lay.cp != n_devices, "tp x pp x dp x cp must equal the device "
         "count"),
        (R.TP_HEADS, mdl.heads % lay.tp != 0, f"tp must divide the {mdl.heads} attention heads"),
        (R.TP_KV_HEADS, ~np.asarray(splits_kv_heads(mdl, lay.tp)), f"tp must divide the {mdl.n_kv_heads} KV heads "
         "(Megatron-Core builds only this) or be a multiple of them (each K/V head replicated on tp / KV-heads ranks, "
         "as PaLM's TPU runs did): each rank holds whole K/V heads"),
        (R.PP_LAYERS, lay.pp > mdl.layers, f"pp cannot exceed the {mdl.layers} layers"),
        (R.VP_NEEDS_PP, (lay.vp > 1) & (lay.pp == 1), "interleaving (vp > 1) needs pipeline parallelism (pp > 1)"),
        (R.VP_MICROBATCHES, (lay.vp > 1) & (lay.m % lay.pp != 0),
         "interleaved 1F1B needs the micro-batch count m divisible by pp (Narayanan 2021, sec. 2.2.2)"),
        (R.PP_VP_LAYERS, (lay.pp * lay.vp > mdl.layers) & (setup.edge_stage_layers is None),
         "pp x vp cannot exceed the layer count"),
        (R.ZB_VP, (lay.schedule != 0) & (lay.vp > 1), "the zero-bubble and DualPipe schedules (zb-h1, zb-h2, "
         "dualpipe) are modelled with vp = 1"),
        (R.ZB_NEEDS_PP, (lay.schedule != 0) & (lay.pp == 1), "a zero-bubble or DualPipe schedule (zb-h1, zb-h2, "
         "dualpipe) needs pp > 1"),
        # deepseek-ai/DualPipe @ bb214e8 dualpipe/dualpipe.py DualPipe.step: 'assert num_ranks % 2 == 0' and
        # 'num_chunks % 2 == 0 and num_chunks >= num_ranks * 2' (half the micro-batches enter from each end)
        (R.DUALPIPE_PP_EVEN, (lay.schedule == SCHEDULES["dualpipe"]) & (lay.pp % 2 != 0),
         "DualPipe needs an even pp (each rank holds stage i and stage pp-1-i; DualPipe.step asserts it)"),
        (R.DUALPIPE_MICROBATCHES, (lay.schedule == SCHEDULES["dualpipe"])
         & ((lay.m % 2 != 0) | (lay.m < 2 * lay.pp)),
         "DualPipe needs an even micro-batch count m >= 2 x pp (half enter from each end; DualPipe.step asserts "
         "num_chunks % 2 == 0 and num_chunks >= 2 x ranks)"),
        (R.DUALPIPE_EDGE, (lay.schedule == SCHEDULES["dualpipe"]) & (setup.edge_stage_layers is not None),
         "DualPipe is modelled with an even split of the layers (no --edge-stage-layers)"),
        (R.CP_SEQ, setup.seq_len % lay.cp != 0, f"cp must divide the sequence length {setup.seq_len}"),
        (R.EP_NEEDS_MOE, (lay.ep > 1) & (not mdl.is_moe), "expert parallelism (ep > 1) needs a mixture-of-experts "
         "model"),
        (R.EP_EXPERTS, mdl.experts % lay.ep != 0, f"ep must divide the {mdl.experts} experts"),
        (R.ETP_NEEDS_MOE, (lay.etp > 0) & (not mdl.is_moe), "expert tensor parallelism (etp) needs a "
         "mixture-of-experts model"),
        (R.ETP_EP_GRID, (lay.tp * dpcp) % (etp * lay.ep) != 0,
         "etp x ep must divide tp x dp x cp (experts are laid out over the tp x cp x dp ranks of a stage; with "
         "etp = tp (the default) that is ep dividing dp x cp)"),
        (R.HSDP_NEEDS_ZERO, (lay.hsdp > 0) & (lay.zero == 0),
         "hybrid sharding (hsdp) shards ZeRO/FSDP state: it needs zero >= 1"),
        (R.HSDP_DIVIDES, (lay.hsdp > 0) & (dpcp % np.maximum(lay.hsdp, 1) != 0),
         "hsdp (the shard group) must divide dp x cp"),
        (R.HSDP_NO_EP, (lay.hsdp > 0) & (lay.ep > 1), "hybrid sharding is modelled without expert parallelism "
         "(ep = 1)"),
        (R.RECOMPUTE_LAYERS_FULL, (lay.recompute_layers > 0) & (lay.recompute != RECOMPUTE["full"]),
         "recompute_layers (recompute only N layers per stage) needs recompute = full"),
        (R.RECOMPUTE_LAYERS_STAGE, (lay.recompute_layers > 0) & (lay.recompute_layers > np.ceil(mdl.layers / lay.pp)),
         "recompute_layers cannot exceed the layers of a pipeline stage"),
        (R.RECOMPUTE_OP_MODEL, (lay.recompute == RECOMPUTE["op"]) & (not op_recompute_models(mdl)),
         "recompute op (torchtitan's every-second-matmul policy) is modelled for dense Llama-style blocks (separate "
         "Q, K, V projections, one attention then one MLP): this model has experts, MLA or a parallel block; use "
         "recompute selective or full"),
        (R.RECOMPUTE_MODULES_MODE, np.isin(lay.recompute, (RECOMPUTE["minimal"], RECOMPUTE["op"],
                                                              RECOMPUTE["minimal_flash"],
                                                              RECOMPUTE["save_dot_except_mlpwi"]))
         & bool(setup.recompute_modules), "recompute modules (Megatron-Core's --recompute-modules) add to recompute "
         "none, selective or mlp; minimal, minimal_flash, save_dot_except_mlpwi (MaxText) and op (torchtitan) are "
         "other frameworks' policies"),
        *_edge_problems(setup, lay),
        (R.DP_BATCH, lay.dp > setup.global_batch, f"dp cannot exceed the global batch of {setup.global_batch} "
         "sequences"),
        (R.MBS_RANK, lay.mbs > most, "the micro-batch is larger than the sequences of a data-parallel rank"),
        (R.MICROBATCH_COUNT, lay.m != micro_batches(setup.global_batch, lay.dp, lay.mbs),
         f"m must be ceil(ceil({setup.global_batch} / dp) / micro-batch): the global batch of "
         f"{setup.global_batch} sequences in micro-batches"),
        # MaxText refuses it: validate_vocab_tiling, '(per_device_batch_size * max_target_length) % num_vocab_tiling
        # != 0' -> 'Per device batch size times sequence length should be divisible by the number of vocab tiles.'
        # (AI-Hypercomputer/maxtext MaxText/pyconfig.py, stored code index id 1220217642). Unchecked, --vocab-tiling
        # 1000000 at seq 8192 counted a chunk of 0.008 tokens' logits (memory.memory_per_device).
        (R.VOCAB_TILING, vocab_tiling_refused(setup, lay),
         f"--vocab-tiling {setup.vocab_tiling} must divide the tokens per device, MaxText's per_device_batch_size x "
         f"{setup.seq_len} (the sequences of a gradient-accumulation step over all tp x pp x dp x cp devices; "
         "validate_vocab_tiling: 'Per device batch size times sequence length should be divisible by the number of "
         "vocab tiles.')"),
    ]]


def vocab_tiling_step_tokens(seq_len: int, lay: Layouts | Layout) -> tuple[Arr, Arr]:
    """MaxText's per_device_batch_size x max_target_length as (tokens, devices): the tokens of one gradient-accumulation
    step over the devices that share them. MaxText's micro_batch_size_to_train_on = int(num_devices x
    per_device_batch_size) sequences, global = micro x gradient_accumulation_steps (pyconfig/types.py
    calculate_global_batch_sizes, stored code index id 1219546320), and the pipeline splits that micro-batch into
    num_pipeline_microbatches (pipeline.py: 'pipeline_microbatch_size = micro_batch_size_to_train_on //
    num_pipeline_microbatches', stored id 1283224972). So a layout's m micro-batches are gradient accumulation at
    pp = 1 (a step is dp x mbs sequences) and pipeline micro-batches at pp > 1 (dp x mbs x m); num_devices is
    tp x pp x dp x cp. per_device_batch_size may be fractional (tp > 1): the per-device tokens are tokens / devices."""
    seqs = np.asarray(lay.dp) * np.asarray(lay.mbs) * np.where(np.asarray(lay.pp) > 1, lay.m, 1)
    return seqs * seq_len, np.asarray(lay.tp) * np.asarray(lay.pp) * np.asarray(lay.dp) * np.asarray(lay.cp)


def vocab_tiling_refused(setup: Setup, lay: Layouts | Layout) -> Arr:
    """True where MaxText's validate_vocab_tiling refuses setup.vocab_tiling N: the per-device tokens
    (vocab_tiling_step_tokens) are not a whole multiple of N. N = 1 (the default, any stack) is never refused."""
    tokens, devices = vocab_tiling_step_tokens(setup.seq_len, lay)
    return np.asarray((setup.vocab_tiling > 1) & (tokens % (devices * setup.vocab_tiling) != 0))


def _edge_problems(setup: Setup, lay: Layouts) -> list[tuple[Rule, Arr, str]]:
    e = setup.edge_stage_layers
    if e is None:
        return []
    L = setup.model.layers
    mid = middle_stage_layers(L, lay.pp, e)
    return [(Rule.EDGE_PP, lay.pp < 3, "uneven first/last stages (--edge-stage-layers) need pp >= 3"),
            (Rule.EDGE_VP, (lay.vp > 1) & (lay.pp >= 3) & (mid % lay.vp != 0),
             "with interleaving (vp > 1) and --edge-stage-layers, vp must divide the middle stages' layers (each "
             "holds vp equal chunks)"),
            (Rule.EDGE_RANGE, np.full(len(lay), e < 1 or 2 * e >= L), f"--edge-stage-layers must be in "
             f"1..{(L - 1) // 2}"),
            (Rule.EDGE_EMPTY_STAGE, (lay.pp >= 3) & ((mid - 1) * (lay.pp - 2) >= L - 2 * e),
             "--edge-stage-layers leaves a middle pipeline stage without layers")]


@dataclass
class Prediction:
    """Every term, arrays over layouts (SI units). Times and energies are predictions (estimates)."""

    terms: dict[str, Arr]
    feasible: Arr
    assumed: list[comm.Assumption] = field(default_factory=list)
    """Defaults used for link figures the device spec lacks (by the largest layout evaluated)."""
    measured: comm.MeasuredLink | None = None
    """The measured scale-up link used in place of the catalog's, when one was given."""

    def row(self, i: int) -> dict[str, float]:
        return {k: float(v[i]) for k, v in self.terms.items()}


def _device(spec: AcceleratorSpec, dtype: str, cal: Calibration, fp8_recipe: str = "delayed") -> Device:
    """Rates of a `dtype` run: FP8 runs FP8 linear layers (scaled by `fp8_recipe`) and 16-bit everything else
    (compute.linear_precision)."""
    peak = spec.peak(dtype)
    if dtype == "fp8" and peak is not None:
        lin = linear_precision(spec, dtype, cal, fp8_recipe)
        peak16 = spec.peak("bf16") or spec.peak("fp16")
        assert peak16 is not None  # linear_precision raised otherwise
        return Device(peak_flop_per_s=peak16, bw_byte_per_s=spec.memory_bandwidth_byte_per_s, cal=cal, linear=lin)
    if peak is None:
        usable = [d for d in DTYPE_BYTES if spec.peak(d) is not None]
        raise InputError(f"device {spec.name!r} has no {dtype} peak in the catalog",
                         f"use --dtype {' or '.join(usable)}" if usable else
                         f"it lists {', '.join(spec.peak_flop_per_s) or 'no peak'} only, and training needs "
                         f"{', '.join(DTYPE_BYTES)}: pick other --hardware")
    return Device(peak_flop_per_s=peak, bw_byte_per_s=spec.memory_bandwidth_byte_per_s, cal=cal)


def device_rates(spec: AcceleratorSpec, dtype: str, cal: Calibration, fp8_recipe: str = "delayed") -> Device:
    """The rates a `dtype` run on `spec` is timed with (_device): its GEMM curves, which `plan explain` shows
    (results.GemmCurve)."""
    return _device(spec, dtype, cal, fp8_recipe)


def _router32_device(spec: AcceleratorSpec, dev: Device) -> Device:
    """The rates of an fp32 router's gradient GEMMs (compute.router_fp32_extra_s): the catalog's TF32 peak (Transformer
    Engine runs an all-fp32 GEMM as CUBLAS_COMPUTE_32F_FAST_TF32), its FP32 peak where it lists no TF32, on the
    family's 16-bit GEMM efficiency curve (no measured TF32 efficiency: ROUTER_FP32_ASSUMPTION)."""
    peak = spec.peak("tf32") or spec.peak("fp32")
    if peak is None:
        raise InputError(f"--moe-router-dtype fp32 times the router's gradient GEMMs at the device's TF32 or FP32 "
                         f"peak, and {spec.name!r} lists neither in the catalog "
                         f"({', '.join(spec.peak_flop_per_s) or 'no peak'} only)",
                         "leave --moe-router-dtype at bf16 for this device, or pick other --hardware")
    return replace(dev, peak_flop_per_s=peak, linear=None)


ROUTER_FP32_ASSUMPTION = ("--moe-router-dtype fp32: the router's gradient GEMMs at the catalog TF32 peak (FP32 where "
                          "none) on the family's 16-bit GEMM efficiency curve (no measured TF32 GEMM efficiency "
                          "found), fp32 operands; forward a 16-bit GEMM writing fp32 logits")


def evaluate(setup: Setup, spec: AcceleratorSpec, lay: Layouts, cal: Calibration | None = None, *,
             measured: comm.MeasuredLink | None = None) -> Prediction:
    """Predict every layout in `lay` on `spec` (see the module docstring for the model). `measured`: a scale-up
    link measured by `accelopt probe --collectives`, used in place of the catalog's (comm.Links.of)."""
    cal = cal or calibration_for(spec)
    dev = _device(spec, setup.dtype, cal, setup.fp8_recipe)
    links = comm.Links.of(spec, cal, measured)
    mdl = setup.model
    dtb = activation_bytes(setup.dtype)  # FP8 runs keep 16-bit activations (only GEMM inputs are FP8)
    act_b = 2.0  # activations/gradients exchanged in 16 bit (fp8 GEMMs still communicate bf16)
    f = lambda x: np.asarray(x, dtype=float)  # noqa: E731
    tp, pp, dp, cp, ep, vp = f(lay.tp), f(lay.pp), f(lay.dp), f(lay.cp), f(lay.ep), f(lay.vp)
    mbs, m = f(lay.mbs), f(lay.m)
    etp = np.where(lay.etp == 0, tp, f(lay.etp))
    n = tp * pp * dp * cp
    s_loc = setup.seq_len / cp
    T = mbs * s_loc  # tokens per micro-batch per device
    # Each rank's s/cp queries meet all seq_len keys over the cp ring steps (ring attention).
    lt = layer_forward(mdl, mbs, s_loc, np.full_like(T, float(setup.seq_len)), tp, lay.sp, setup.flash, ep, dtb, dev,
                       etp=etp, kernel=setup.attention_kernel, grouped_mlp=setup.moe_grouped_mlp)
    # Ring attention (cp > 1) over FlashAttention-2 runs its core as cp kernel steps with fp32 merges, below the
    # kernel's own rate (compute.ring_attention_time_factors): forward (and every recompute of it) x ring_f, backward
    # x ring_b.
    ring_f, ring_b = ring_attention_time_factors(cp, setup.attention_kernel)
    lt = replace(lt, attn_core_s=lt.attn_core_s * ring_f)
    frac_moe = mdl.moe_layers / mdl.layers
    # Forward of one layer: projections, MLP and elementwise ops (dense_s) plus the attention core (scores,
    # softmax, AV: 4 s h FLOPs per token, counted in model_flops_per_token too); MoE layers swap the MLP and its
    # activation for the expert block.
    # A padded-batch attention wrapper's copies (--attention-unpad, compute.attention_unpad_s): in the forward, and
    # their own backward (not 2x the forward) below.
    zero = np.zeros_like(T)
    unpad_f, unpad_b = attention_unpad_s(mdl, T, tp, dtb, dev) if setup.attention_unpad else (zero, zero)
    # Megatron-Core's all-to-all dispatcher sorts the routed tokens by local expert and back
    # (compute.moe_sort_chunks_s):
    # in the forward, and once more (the inverse sort) in the backward, below
    sort_f = (moe_sort_chunks_s(mdl, T, tp, etp, ep, dtb, dev)
              if mdl.is_moe and cal.stack == "megatron" and setup.moe_dispatcher == "alltoall" else zero)
    # Biased routed experts on Megatron-Core's TEGroupedMLP add fc2's bias unfused, expert by expert
    # (compute.moe_fc2_bias_s): in the forward (and every recompute of the MoE layer), and its own backward below
    bias_f, bias_b = (moe_fc2_bias_s(mdl, T, tp, etp, ep, dev, setup.moe_router_dtype == "fp32")
                      if mdl.is_moe and mdl.expert_bias and cal.stack == "megatron" and setup.moe_grouped_mlp == "te"
                      else (zero, zero))
    # Megatron-Core's unfused RoPE on the queries and keys (--rope-fusion unfused, compute.rope_unfused_extra_s): what
    # it takes beyond the fused kernel, forward and backward, per layer; its own term, t_rope_unfused_s (no weights:
    # outside the zero-bubble schedules' T_W); a full recompute re-runs its forward
    rope_f, rope_b = (rope_unfused_extra_s(mdl, T, tp, dtb, dev) if setup.rope_fusion == "unfused"
                      else (zero, zero))
    fwd_layer = (lt.dense_s + lt.attn_core_s
                 + frac_moe * (lt.moe_mlp_s - lt.dense_mlp_s - lt.dense_act_s + sort_f + bias_f) + unpad_f)
    rc = lay.recompute
    edge = setup.edge_stage_layers
    ls = (np.ceil(mdl.layers / (pp * vp)) * vp if edge is None  # the busiest stage's layers
          else np.maximum(edge, middle_stage_layers(mdl.layers, pp, edge)))
    # Full recompute of N layers per stage only (Megatron-LM --recompute-method block): a share N / L_s of them.
    rec_frac = np.where(lay.recompute_layers > 0, np.minimum(lay.recompute_layers, ls) / ls, 1.0)
    mlp_layer = lt.dense_mlp_s + frac_moe * (lt.moe_mlp_s - lt.dense_mlp_s)  # the layer's MLP block GEMMs
    op_s_layer, op_flops_layer = op_recompute_s(mdl, lt, T, tp, setup.flash, dtb, dev)
    # Megatron-Core recompute modules (parse_recompute_modules): each one's forward again, where the mode takes them
    mods = module_recompute_s(mdl, lt, T, tp, lay.sp, frac_moe, dtb, dev)
    mod_on = {name: module_on(rc, setup.recompute_modules, name) for name in RECOMPUTE_MODULES}
    mod_on["core_attn"] = np.maximum(mod_on["core_attn"], _attn_core_recomputed(rc, setup.flash).astype(float))
    mods_layer = sum((mod_on[name] * mods[name][0] for name in RECOMPUTE_MODULES), np.zeros_like(T))
    mods_layer = mods_layer + mod_on["moe"] * frac_moe * (sort_f + bias_f)  # the checkpointed MoE layer redoes both
    # the MLP collectives the mlp, moe and shared_experts modules redo, per layer (the share of layers they cover)
    k_mod = mod_on["mlp"] * (1.0 - frac_moe) + (mod_on["moe"] + mod_on["shared_experts"]) * frac_moe
    recompute_layer = np.where(rc == 2, rec_frac * fwd_layer,
                               np.where(rc == RECOMPUTE["op"], op_s_layer,
                                        np.where(np.isin(rc, MLP_BLOCK_CODES), mlp_layer, 0.0) + mods_layer))
    skip_s, skip_flops = early_stop_skipped(cal.stack, mdl, T, tp, lay.sp, frac_moe, dtb, dev)
    # XLA programs (xla_dead_recompute): a checkpointed region's last op, whose output no backward op reads, is
    # never recomputed; one early stop or the other applies to a stack, never both (max).
    dead = xla_dead_recompute(cal.stack, spec, mdl, mbs, s_loc, float(setup.seq_len), T, tp, lay.sp, frac_moe,
                              setup.flash, dtb, dev)
    skip_s, skip_flops = np.maximum(skip_s, dead.full_s), np.maximum(skip_flops, dead.full_flops)
    mlp_on = np.maximum(np.isin(rc, MLP_BLOCK_CODES).astype(float), mod_on["mlp"])  # the dense MLP block redone
    recompute_layer = (recompute_layer - np.where(rc == 2, rec_frac * skip_s, 0.0) - mlp_on * dead.mlp_s
                       - mod_on["core_attn"] * dead.core_s)
    # --- tensor parallel: 4 (+2 with full recompute) all-reduce-equivalents of b s h per layer.
    # On a TPU slice the tensor-parallel group and the data-parallel / FSDP group run on their own mesh axes' ICI
    # links (comm.ici_shares; the slice: the job's chips, or one slice of a multi-slice job)
    slice_chips = np.minimum(n, links.domain)
    tp_share, dp_share, tp_axes, dp_axes = comm.ici_shares(spec, slice_chips, tp)
    links_dp = links.with_up_share(dp_share)
    tp_bw, tp_lat = links.pick(tp)
    tp_bw = np.where(tp <= links.domain, tp_bw * tp_share, tp_bw)
    tp_in = links.tree_chain_ranks(lay.tp, np.ones_like(lay.tp))  # tp ranks NCCL's tree chains (one domain's)
    tp_lat_in = np.full_like(tp_lat, links.up_lat)  # the chain's steps inside a domain (comm.tree_allreduce_s)
    # A parallel attention + MLP block all-reduces once per layer forward, not twice (PaLM sec. 2).
    k_ar = float(mdl.tp_allreduces_per_layer)
    # mlp recompute repeats the MLP's one forward collective pair (all-gather + reduce-scatter, or its all-reduce);
    # op recompute the two sequence-parallel all-gathers (reduce_scatter_tensor outputs are saved), or without
    # sequence parallel the out-projection's all-reduce: one all-reduce-equivalent either way.
    # Megatron-Core's mlp, moe and shared_experts modules repeat it on the layers they cover (k_mod).
    n_tp = 2.0 * k_ar + np.where(rc == 2, k_ar * rec_frac, np.where(np.isin(rc, MLP_BLOCK_CODES), 1.0,
                                                                    np.where(rc == RECOMPUTE["op"], 1.0, 0.0)) + k_mod)
    t_tp_layer = n_tp * comm.allreduce_s(T * mdl.hidden * act_b, tp, tp_bw, tp_lat, p_in=tp_in, lat_in=tp_lat_in)
    t_rs = comm.reduce_scatter_s(T * mdl.hidden * act_b, tp, tp_bw, tp_lat)  # one 16-bit sequence-parallel collective
    if cal.stack in MEGATRON_STACKS and setup.tp_async:
        # Megatron-LM / Transformer Engine linear layers without userbuffers (_tp_async_layer_s): FP8 runs gather FP8;
        # without sequence parallel, the asynchronous input-gradient all-reduce (_tp_async_allreduce_layer_s).
        t_ag = comm.reduce_scatter_s(T * mdl.hidden * (1.0 if setup.dtype == "fp8" else act_b), tp, tp_bw, tp_lat)
        t_ar = comm.allreduce_s(T * mdl.hidden * act_b, tp, tp_bw, tp_lat, p_in=tp_in, lat_in=tp_lat_in)
        t_tp_layer = np.where(tp > 1, np.where(lay.sp, _tp_async_layer_s(lt, k_ar, rc, rec_frac, cal.overlap_eff, t_rs,
                                                                         t_ag, k_mod),
                                               _tp_async_allreduce_layer_s(lt, k_ar, rc, rec_frac, cal.overlap_eff,
                                                                           t_ar, k_mod)), t_tp_layer)
    if setup.tp_comm_overlap and cal.stack == "torchtitan":  # torchtitan's async TP (_tp_async_tp_layer_s)
        t_tp_layer = np.where(lay.sp & (tp > 1), _tp_async_tp_layer_s(setup, dev, lt, lay, tp, s_loc, dtb, etp,
                                                                      k_ar, rc, rec_frac, links, k_mod),
                              t_tp_layer)
    elif setup.tp_comm_overlap:  # userbuffers replace the sequence-parallel collectives' schedule (other stacks)
        t_tp_layer = np.where(lay.sp & (tp > 1), _tp_userbuffers_layer_s(setup, spec, dev, lt, lay, tp, s_loc, dtb,
                                                                         etp, k_ar, rc, rec_frac, links, k_mod),
                              t_tp_layer)
    # --- context parallel (ring attention, Liu et al. 2023 sec. 3): cp steps per pass, each computing attention
    # on one K,V block while the next block arrives; cp-1 transfers, each hidden only behind one block's compute.
    # Exposed per step = max(0, transfer - overlap_eff x block compute); backward moves K,V and dK,dV (x2) over 2x
    # the compute, so the forward+backward total is 3 (cp-1) x that.
    # One rank's K and V (MLA: the up-projected per-head K, V): kv_width_per_device, one whole replicated K/V head
    # per rank when tp > kv_heads, as its K/V GEMM computes them.
    kv_w_dev = mdl.kv_width_per_device(tp)
    cp_bw, cp_lat = links.pick(tp * cp)
    t_cp_step = comm.p2p_s(T * kv_w_dev * act_b, cp_bw, cp_lat)  # one K,V block of s/cp tokens
    t_cp_raw = 3.0 * (cp - 1) * t_cp_step
    t_cp_layer = 3.0 * (cp - 1) * np.maximum(0.0, t_cp_step - cal.overlap_eff * lt.attn_core_s / cp)
    # --- expert parallel: 4 all-to-alls of the routed tokens per MoE layer over ep ranks; the expert grid puts
    # etp innermost, then ep, so one all-to-all group spans etp x ep consecutive ranks (Megatron-Core
    # MoE parallel folding; etp = tp by default, as before). A group wider than the scale-up domain keeps its
    # domain peers' share on the scale-up link (comm.alltoall_split_s): domain // etp ep ranks per domain.
    ep_in = np.clip(links.domain // np.maximum(etp, 1), 1, ep)
    t_a2a = comm.alltoall_split_s(T * mdl.top_k * mdl.hidden * act_b / tp, ep, ep_in, links, etp)  # one all-to-all
    if setup.moe_dispatcher != "alltoall":
        # HybridEP / DeepEP across scale-up domains: one copy per destination node over the network, forwarded over
        # NVLink there, at the published rate (comm.hierarchical_dispatch_s); inside one domain the all-to-all's time.
        ep_nodes = comm.split_domain(np.asarray(ep), np.asarray(etp), links.domain)[1]
        out_raw = spec.scaleout_bandwidth_byte_per_s or comm.DEFAULT_SCALEOUT_BW
        t_hier = comm.hierarchical_dispatch_s(setup.moe_dispatcher, T / tp, mdl.hidden * act_b, mdl.experts,
                                              mdl.top_k, ep, ep_nodes, out_raw)
        t_a2a = np.where(ep_nodes > 1, t_hier, t_a2a)
    # (+2 with Megatron-Core's moe recompute module: the checkpointed MoE layer redoes its dispatch and combine)
    t_ep_raw_layer = frac_moe * (4.0 + 2.0 * mod_on["moe"]) * t_a2a
    t_ep_layer = t_ep_raw_layer
    t_ep_paired_layer = t_ep_raw_layer  # a forward chunk paired with a backward one (DualPipe's F&B)
    dual = lay.schedule == SCHEDULES["dualpipe"]
    if setup.ep_a2a_overlap or dual.any():
        # Attention block forward (projections, core, elementwise) and the expert MLP forward of one MoE layer.
        attn_f = lt.dense_s - lt.dense_mlp_s - lt.dense_act_s + lt.attn_core_s
        # DualPipe pairs chunks as Megatron-Core's overlap does (DeepSeek-V3 report sec. 3.2.1: attention, dispatch,
        # MLP and combine of a forward and a backward chunk rearranged so the all-to-alls run beside the other's
        # compute), in the share of its chunks its schedule pairs (dualpipe_paired_share)
        paired = np.where(dual, dualpipe_paired_share(m, pp), a2a_paired_share(m, pp, vp))
        paired_layer = frac_moe * ep_a2a_exposed_s(t_a2a, attn_f, lt.moe_mlp_s, cal.overlap_eff)
        on = (ep > 1) & (((lay.schedule == SCHEDULES["1f1b"]) & ((pp == 1) | (vp > 1)) & setup.ep_a2a_overlap)
                         | dual)
        t_ep_layer = np.where(on, (1.0 - paired) * t_ep_raw_layer + paired * paired_layer, t_ep_raw_layer)
        t_ep_paired_layer = np.where(on, paired_layer, t_ep_raw_layer)
    t_logits_last = logits_step_s(mdl, T, tp, dtb, dev, setup.eager_cross_entropy, setup.fp8_output_head,
                                  setup.te_cross_entropy)
    # A fused attention kernel's backward does 2.5x its forward's work, not the 2x of a GEMM (attention_bwd_ratio), at
    # the kernel's published backward rate where it has one (attention_bwd_time_ratio: FlashAttention-2 on an A100).
    bwd_extra_layer = ((attention_bwd_time_ratio(setup.attention_kernel, dev.cal, mdl, float(setup.seq_len))
                        * ring_b / ring_f - 2.0) * lt.attn_core_s
                       + unpad_b - 2.0 * unpad_f - frac_moe * sort_f + frac_moe * (bias_b - 2.0 * bias_f))
    rope_layer = rope_f + rope_b + np.where(rc == 2, rec_frac * rope_f, 0.0)
    if setup.moe_router_dtype == "fp32" and mdl.is_moe:
        # fp32 router (compute.router_fp32_extra_s): fp32 logits in the forward, TF32 / FP32 gradient GEMMs and casts
        r_fwd, r_bwd = router_fp32_extra_s(mdl, T, dtb, dev, _router32_device(spec, dev))
        fwd_layer = fwd_layer + frac_moe * r_fwd
        bwd_extra_layer = bwd_extra_layer + frac_moe * r_bwd
    logits_on = np.ones_like(T)
    if edge is not None:
        # Uneven stages (Llama Team 2024 sec. 3.3.2: one layer fewer on the first and the last stage "to balance the
        # pipeline", the output and loss being on the last): the busiest stage is a middle one (mid layers) or the
        # last one (edge layers + logits), whichever takes longer per micro-batch.
        layer_all = (fwd_layer * 3.0 + bwd_extra_layer + recompute_layer + t_tp_layer + t_cp_layer + t_ep_layer
                     + rope_layer)
        mid = middle_stage_layers(mdl.layers, pp, edge)
        last_busier = edge * layer_all + t_logits_last >= mid * layer_all
        ls = np.where(last_busier, float(edge), mid)
        logits_on = last_busier.astype(float)
    t_fwd = ls * fwd_layer
    t_bwd = 2.0 * t_fwd + ls * bwd_extra_layer
    t_rec = ls * recompute_layer
    t_tp = ls * t_tp_layer
    t_cp = ls * t_cp_layer
    t_ep = ls * t_ep_layer
    t_logits = logits_on * t_logits_last
    t_rope = ls * rope_layer
    # --- pipeline p2p: activations forward + gradients backward, v times with interleaving. Each tensor-parallel
    # rank sends 1/t of the b s h tensor: with sequence parallel it holds only that share; without, the scatter/gather
    # optimisation splits the replicated tensor and the receiver all-gathers it over the tensor-parallel link
    # (Narayanan et al. 2021 sec. 4.1, used for all their Table 1 runs, sec. 5.1; Megatron-LM's default, disabled only
    # by --no-scatter-gather-tensors-in-pipeline; DeepSpeed's pipeline engine likewise partitions the activations it
    # sends over the model-parallel ranks, deepspeed/runtime/pipe/engine.py is_pipe_partitioned).
    pp_bw, pp_lat = links.pick(tp * cp * dp * pp)
    t_p2p_one = (comm.p2p_s(T * mdl.hidden * act_b / tp, pp_bw, pp_lat)
                 + np.where(lay.sp, 0.0, comm.reduce_scatter_s(T * mdl.hidden * act_b, tp, tp_bw, tp_lat)))
    t_p2p_raw = np.where(pp > 1, interleaved_p2p_transfers(m, pp, vp, tp * cp * dp, n, links.domain) / m * t_p2p_one,
                         0.0)
    t_p2p = t_p2p_raw
    if setup.p2p_overlap:
        # Overlapped p2p (interleaved schedule only, as in Megatron): each of the v forward sends hides behind the
        # next chunk's forward, each backward send behind the next chunk's backward (+ its recompute).
        t_p2p = np.where((pp > 1) & (vp > 1),
                         vp * (np.maximum(0.0, t_p2p_one - cal.overlap_eff * t_fwd / vp)
                               + np.maximum(0.0, t_p2p_one - cal.overlap_eff * (t_bwd + t_rec) / vp)), t_p2p_raw)
    # DualPipe: a forward chunk's send runs beside the paired backward chunk's compute and the backward's send beside
    # the forward's (DeepSeek-V3 report sec. 3.2.1: 'both all-to-all and PP communication can be fully hidden'),
    # exposed only where the send outlasts that compute
    t_p2p = np.where(dual & (pp > 1), np.maximum(0.0, t_p2p_one - cal.overlap_eff * (t_bwd + t_rec))
                     + np.maximum(0.0, t_p2p_one - cal.overlap_eff * t_fwd), t_p2p)
    # --- data parallel / ZeRO over dp*cp ranks (stride tp).
    prm = stage_params(mdl, pp, vp, tp, ep, ls=None if edge is None else ls, etp=etp)
    # DualPipe: each rank holds two stages (i and p-1-i), 2x the parameters (DeepSeek-V3 report Table 2), each with
    # its gradients to reduce and its optimizer state to step
    prm = param_copies(prm, np.where(dual, 2.0, 1.0))
    grad_bytes = (prm.dense + prm.expert) * act_b
    dp_group = lay.dp * lay.cp
    edp_group, edp_inner = expert_dp_group(lay.tp, dp_group, lay.etp, lay.ep)
    t_dp_raw = dp_grad_allreduce_s(prm.dense * act_b, prm.expert * act_b, dp_group, lay.tp, edp_group, edp_inner,
                                   links_dp)
    dp_in, dp_out = comm.split_domain(dp_group, lay.tp, links.domain)
    # The first GEMM of a layer: the fused QKV projection; MLA has none, its first is the KV down-projection
    # [T, h] x [h, d_c + d_rope], replicated on every tensor-parallel rank (compute.qkv_gemms_s).
    first_f = (2.0 * T * mdl.hidden * mdl.mla.cache_width if mdl.mla is not None
               else 2.0 * T * mdl.hidden * (mdl.q_width / tp + mdl.kv_width_per_device(tp)))
    overlap = lay.overlap
    z3 = lay.zero >= 3
    # Hybrid sharding (HSDP): ZeRO state sharded over g = hsdp ranks (stride tp), replicated over r = dp cp / g
    # groups; ZeRO-3 then gathers and reduce-scatters inside the shard group and all-reduces each rank's 1/g
    # gradient shard across the r replicas once per step (PyTorch FSDP HYBRID_SHARD; Zhao et al. 2023 sec. 3.2.2).
    hsdp = lay.hsdp > 0
    g_shard = np.where(hsdp, lay.hsdp, dp_group)
    r_repl = dp_group // g_shard
    t_repl_raw = np.where(hsdp, comm.hier_allreduce_s(grad_bytes / g_shard, r_repl, lay.tp * g_shard, links_dp),
                          0.0)
    # ZeRO-3 per micro-batch: all-gather weights for forward and for backward + reduce-scatter gradients: 3x the
    # parameter bytes vs 2x (one all-reduce = reduce-scatter + all-gather) for ZeRO-1/2 (Rajbhandari et al. 2020
    # sec. 7.2-7.3: 1.5x the baseline data-parallel volume). That whole volume is the traffic, and the overlap with
    # the micro-batch's forward and backward compute is subtracted from it afterwards.
    # Routed experts shard over their expert-data-parallel group (etp x ep apart), as their gradients reduce
    # (dp_grad_allreduce_s); hybrid sharding is not modelled with experts (rule HSDP_NO_EP), so g_shard = dp x cp here.
    t_z3_raw = 3.0 * (comm.hier_reduce_scatter_s(prm.dense * 2.0, g_shard, lay.tp, links_dp)
                      + np.where(prm.expert > 0, comm.hier_reduce_scatter_s(prm.expert * 2.0, edp_group, edp_inner,
                                                                            links_dp), 0.0))
    mb_compute = t_fwd + t_bwd + t_rec
    t_z3 = np.where(z3, np.where(overlap, np.maximum(0.0, t_z3_raw - cal.overlap_eff * mb_compute), t_z3_raw), 0.0)
    # End of step: ZeRO-0/1/2 all-reduce the gradients over dp x cp (HSDP: the same bytes, reduce-scattered in the
    # shard group by the hierarchical all-reduce); ZeRO-3's reduce-scatter replaced it, leaving HSDP's replica
    # all-reduce. Either overlaps the last micro-batch's backward.
    t_dp_raw = np.where(z3, t_repl_raw, t_dp_raw)
    # The megatron stacks' ZeRO-1/2 is the distributed optimizer, whose overlap setting covers the parameter
    # all-gather too (dp_exposed_s).
    dist_opt = (cal.stack in MEGATRON_STACKS) & ((lay.zero == 1) | (lay.zero == 2))
    t_dp = np.where(overlap, dp_exposed_s(t_dp_raw, t_bwd, t_fwd, m, pp, vp, cal.overlap_eff, dist_opt), t_dp_raw)
    t_fsdp_lat = fsdp_latency_s(cal.stack, lay.zero, ls, g_shard, lay.tp, links)
    # + the distributed optimizer's per-bucket ring latencies, on the critical path (dist_opt_latency_s)
    # (NCCL / RCCL only: comm.chains_in_domain; the ring-only reduce-scatter / all-gather is not asserted of the others)
    nccl_dist_opt = dist_opt & comm.chains_in_domain(spec)
    bucket = dist_opt_bucket_params(dp_group) if setup.dp_bucket_params is None else float(setup.dp_bucket_params)
    # dense and expert parameters fill separate buffers, each bucketed (Megatron-Core DistributedDataParallel:
    # self.buffers over the dp x cp group, self.expert_parallel_buffers over the expert-data-parallel one)
    n_buckets = np.where(nccl_dist_opt, np.ceil(prm.dense / bucket), 0.0)
    n_buckets_exp = np.where(nccl_dist_opt, np.ceil(prm.expert / bucket), 0.0)
    t_dp_lat = (dist_opt_latency_s(n_buckets, dp_group, lay.tp, links)
                + dist_opt_latency_s(n_buckets_exp, edp_group, edp_inner, links))
    n_buckets = n_buckets + n_buckets_exp
    t_emb = tied_embedding_grad_s(mdl.vocab * mdl.hidden / tp * act_b, pp, cal.stack, mdl.tied_embeddings, pp_bw,
                                  pp_lat)
    t_dp = t_dp + t_dp_lat + t_emb
    t_mb = t_fwd + t_bwd + t_rec + t_tp + t_cp + t_ep + t_logits + t_rope + t_p2p + t_z3 + t_fsdp_lat
    # Pipeline bubble. 1F1B: (p-1) t_mb, /v interleaved (Narayanan et al. 2021 sec. 2.2.1-2.2.2). Zero bubble
    # (Qi et al. 2024 sec. 2, Table 2): with T_F + T_B + T_W = t_mb, ZB-H1 leaves (p-1)(T_F + T_B - T_W) and ZB-H2
    # (p-1)(T_F + T_B - 2 T_W), i.e. (p-1)/(3m) and 0 of the ideal time when T_F = T_B = T_W. T_W, the weight-gradient
    # pass, is the weight GEMMs of the backward: the forward less the attention core (which has no weights).
    t_w = np.maximum(0.0, t_fwd - ls * (lt.attn_core_s + unpad_f))  # the padding copies have no weights either
    sched = lay.schedule
    bubble = (pp - 1) * np.where(sched == 1, np.maximum(0.0, t_mb - 2.0 * t_w),
                                 np.where(sched == 2, np.maximum(0.0, t_mb - 3.0 * t_w), t_mb / vp))
    # DualPipe (DeepSeek-V3 report Table 2): (p/2 - 1)(F&B + B - 3W). F&B: a forward chunk paired with a backward one,
    # every all-to-all at its paired exposure; B: a full backward chunk alone (W included), its compute and 2/3 of
    # the micro-batch's other terms at their unpaired exposure (split 1:2 as the compute); W as the zero-bubble one.
    t_fb = t_mb - t_ep + ls * t_ep_paired_layer
    t_b_chunk = t_bwd + t_rec + 2.0 / 3.0 * (t_mb - t_ep + ls * t_ep_raw_layer - t_fwd - t_bwd - t_rec)
    bubble = np.where(sched == SCHEDULES["dualpipe"], dualpipe_bubble_s(pp, t_fb, t_b_chunk, t_w), bubble)
    # Overlapped sends (interleaved) leave t_mb, but not the fill and the drain: there each of the p - 1 hops waits
    # for its transfer (fill_drain_p2p_s); without the overlap t_mb, and so the bubble, already holds them.
    if setup.p2p_overlap:
        bubble = bubble + np.where((sched == 0) & (pp > 1) & (vp > 1), fill_drain_p2p_s(pp, t_p2p_one), 0.0)
    # Routed experts update the state of their expert-data-parallel shard (edp_group ranks; at ep 1 they shard as the
    # dense weights), as memory._state_bytes holds it
    opt_bytes = optimizer_step_bytes(prm.dense, prm.expert, np.where(lay.zero >= 1, g_shard, 1.0),
                                     np.where(lay.zero >= 1, np.where(ep > 1, edp_group, g_shard), 1.0),
                                     setup.optimizer_state_bytes)
    t_opt = roofline_s(np.zeros_like(opt_bytes), opt_bytes, dev, 1.0, matmul=False)
    step = m * t_mb + bubble + t_dp + t_opt
    mem = memory_per_device(mdl, tp=tp, pp=pp, dp=dp, cp=cp, ep=ep, vp=vp, mbs=mbs, m=m, zero=lay.zero,
                            recompute=rc, sp=lay.sp, seq_len=setup.seq_len, flash=setup.flash,
                            overhead_bytes=cal.framework_overhead_bytes, edge_layers=edge, etp=etp,
                            shard=np.where(hsdp, g_shard, dp_group).astype(float),
                            in_flight_max=np.where(sched == 2, 2 * pp - 1, np.where(dual, pp + 1, pp)),
                            dualpipe=dual,
                            recompute_frac=np.where(lay.recompute_layers > 0, rec_frac, 1.0),
                            offload_layers=setup.offload_layers, gemm_weight_bytes=fp8_param_bytes(setup, cal),
                            fp8_inputs=setup.fp8_saved_inputs, dropout=not setup.no_dropout,
                            optim_bytes=setup.optimizer_state_bytes, modules=setup.recompute_modules,
                            vocab_tiling=setup.vocab_tiling,
                            # where the overlap runs (as t_ep_layer's): one layer more in flight (memory docstring)
                            a2a_overlap=((ep > 1) & (lay.schedule == SCHEDULES["1f1b"]) & ((pp == 1) | (vp > 1))
                                         if setup.ep_a2a_overlap else None))
    tokens_step = float(setup.global_batch * setup.seq_len)
    most, fewest = seqs_per_rank(setup.global_batch, lay.dp)
    model_flops_step = 3.0 * model_flops_per_token(mdl, setup.seq_len) * tokens_step
    # Recompute adds one forward (full) or the attention core (selective) over all micro-batches/devices.
    rec_flops_dev = np.where(rc == 2, rec_frac * ls * np.where(frac_moe > 0, lt.flops_moe * frac_moe
                                                    + lt.flops_dense * (1 - frac_moe), lt.flops_dense),
                             np.where(rc == RECOMPUTE["op"], ls * op_flops_layer,
                                      np.where(np.isin(rc, MLP_BLOCK_CODES), ls * _mlp_flops(mdl, T, tp, lt, frac_moe),
                                               0.0)
                                      + ls * sum((mod_on[name] * mods[name][1] for name in RECOMPUTE_MODULES),
                                                 np.zeros_like(T))))
    rec_flops_dev = rec_flops_dev - np.where(rc == 2, rec_frac * ls * skip_flops, 0.0) - ls * (
        mlp_on * dead.mlp_flops + mod_on["core_attn"] * dead.core_flops)
    hw_flops_step = model_flops_step + rec_flops_dev * m * n
    peak_dtype = float(spec.peak(setup.dtype) or dev.peak_flop_per_s)  # MFU against the training dtype's peak
    peak_total = n * peak_dtype
    mfu = model_flops_step / (step * peak_total)
    hfu = hw_flops_step / (step * peak_total)
    tokens_per_s = tokens_step / step
    steps = setup.tokens / tokens_step if setup.tokens > 0 else 0.0
    time_s = steps * step
    busy = 1.0 - bubble / step  # devices idle only in the pipeline bubble (power-model estimate)
    # No TDP in the catalog: energy and carbon are unknown (NaN), never guessed.
    e_j = energy_j(spec, n, time_s, busy, setup.facility) if spec.tdp_w is not None else np.full_like(step, np.nan)
    c = cost_usd(spec, n, time_s)
    terms: dict[str, Arr] = {
        "devices": n, "layers_per_stage": ls,
        "t_fwd_s": m * t_fwd, "t_bwd_s": m * t_bwd, "t_recompute_s": m * t_rec, "t_logits_s": m * t_logits,
        "t_rope_unfused_s": m * t_rope,
        "t_tp_comm_s": m * t_tp, "t_cp_comm_s": m * t_cp,
        "t_cp_comm_raw_s": m * ls * t_cp_raw, "t_ep_comm_s": m * t_ep,
        "t_ep_comm_raw_s": m * ls * t_ep_raw_layer, "t_pp_p2p_s": m * t_p2p,
        "t_zero3_comm_s": m * t_z3, "t_dp_comm_raw_s": t_dp_raw, "t_dp_comm_s": t_dp, "t_dp_latency_s": t_dp_lat,
        "in_dp_buckets": n_buckets,
        "t_zero3_comm_raw_s": np.where(z3, m * t_z3_raw, 0.0), "t_fsdp_latency_s": m * t_fsdp_lat,
        "t_microbatch_s": t_mb, "t_bubble_s": bubble, "t_optimizer_s": t_opt, "step_time_s": step,
        "tokens_per_s": tokens_per_s, "mfu": mfu, "hfu": hfu,
        "model_flops_per_step": np.full_like(step, model_flops_step), "hw_flops_per_step": hw_flops_step,
        "mem_weights_bytes": mem.weights, "mem_grads_bytes": mem.grads, "mem_optimizer_bytes": mem.optimizer,
        "mem_activations_bytes": mem.activations, "mem_overhead_bytes": mem.overhead,
        "mem_total_bytes": mem.total, "mem_capacity_bytes": np.full_like(step, spec.memory_bytes),
        "train_time_s": time_s, "device_hours": n * time_s / 3600.0, "busy_fraction": busy,
        "energy_j": _full(e_j, step), "carbon_kg": _full(carbon_kg(e_j, setup.facility), step),
        "cost_usd": _full(c, step) if c is not None else np.full_like(step, np.nan),
        # Inputs shown by `plan explain` (numbers entering the formulas above).
        # 1.0 when the family was fitted on published runs of this precision, else 0.0 ('uncalibrated').
        "calibrated": np.full_like(step, float(cal.calibrated(setup.dtype))),
        "in_micro_batches": m, "in_tokens_per_microbatch": T, "in_first_gemm_flops": first_f,
        # a link the layout does not use is n/a, not a figure (possibly a default, labelled only where used)
        "in_first_gemm_eff": dev.linear_eff(first_f), "in_tp_link_byte_per_s": np.where(tp > 1, tp_bw, np.nan),
        "in_pp_link_byte_per_s": np.where(pp > 1, pp_bw, np.nan), "in_dp_ranks_in_domain": dp_in.astype(float),
        "in_dp_domains": dp_out.astype(float), "in_peak_flop_per_s": np.full_like(step, peak_dtype),
        "in_seqs_per_rank_max": most.astype(float), "in_seqs_per_rank_min": fewest.astype(float),
        "in_zero_shard_ranks": g_shard.astype(float), "in_ep_group_span": etp * ep,
        "in_edp_ranks": np.where(prm.expert > 0, edp_group, 0).astype(float),
        "in_edp_domains": np.where(prm.expert > 0, comm.split_domain(edp_group, edp_inner, links.domain)[1],
                                   0).astype(float),
        "in_tp_ici_dims": np.where(tp > 1, tp_axes, np.nan), "in_dp_ici_dims": np.where(n > tp, dp_axes, np.nan),
        "in_scaleup_link_byte_per_s": np.where(links.uses_scaleup(n), links.up_bw, np.nan),
        "in_scaleup_latency_s": np.where(links.uses_scaleup(n), links.up_lat, np.nan),
        "in_fsdp_collectives": fsdp_collectives(cal.stack, lay.zero, ls),
        # the ring attention's factors where they apply (cp > 1 on FlashAttention-2), else n/a
        "in_ring_attention_fwd_factor": np.where(ring_f != 1.0, ring_f, np.nan) * np.ones_like(step),
        "in_ring_attention_bwd_factor": np.where(ring_b != 1.0, ring_b, np.nan) * np.ones_like(step),
        # DualPipe's bubble inputs (DeepSeek-V3 report Table 2), n/a under the other schedules
        "in_dualpipe_fb_s": np.where(dual, t_fb, np.nan), "in_dualpipe_b_s": np.where(dual, t_b_chunk, np.nan),
        "in_dualpipe_w_s": np.where(dual, t_w, np.nan),
    }
    assumed = links.used_by(int(n.max())) if len(n) else []
    # (with tp 1 the FSDP group is the whole slice, on every dimension: its shape does not matter)
    split = (tp > 1) & (tp < slice_chips)
    shape_default = comm.ici_shape_assumption(spec, int(slice_chips[split].max())) if split.any() else None
    return Prediction(terms=terms, feasible=mem.total <= spec.memory_bytes,
                      assumed=assumed + ([shape_default] if shape_default else []), measured=links.measured)


def dp_exposed_s(t_raw: Arr, t_bwd_mb: Arr, t_fwd_mb: Arr, m: Arr, pp: Arr, vp: Arr, eff: float,
                 dist_opt: Arr) -> Arr:
    """Exposed end-of-step data-parallel gradient collective (`t_raw`, the stage's whole traffic) with overlap on.

    Without interleaving (vp = 1) the buckets are launched as the last micro-batch's backward fills them (Megatron-Core
    DistributedDataParallel with overlap_grad_reduce; PyTorch DDP likewise): max(0, t_raw - eff x t_bwd_mb), t_bwd_mb
    (t_fwd_mb) the stage's backward (forward) of one micro-batch. With `dist_opt` (the megatron stack's ZeRO-1/2, a
    distributed optimizer) t_raw is a reduce-scatter of the gradients and an all-gather of the updated parameters,
    half each, and with overlap on only the first runs behind the last backward: the all-gather is issued bucket by
    bucket from the next step's forward pre-hooks and runs behind the first micro-batch's forward (Megatron-Core
    DistributedDataParallelConfig.overlap_param_gather, set with overlap_grad_reduce by Megatron-Bridge's and NeMo 2's
    recipes, e.g. NVIDIA-NeMo/Megatron-Bridge src/megatron/bridge/recipes/llama/llama3.py at 0d5f555; NeMo 1's
    distributed_fused_adam overlap_param_sync, NVIDIA/NeMo-Framework-Launcher
    launcher_scripts/conf/training/gpt3/20b.yaml at 056a90e): max(0, t_raw / 2 - eff x t_bwd_mb) + max(0, t_raw / 2
    - eff x t_fwd_mb). Interleaved (vp > 1): Megatron-Core's schedule launches
    each model chunk's gradient reduction as soon as that chunk's last micro-batch has gone backward
    (forward_backward_pipelining_with_interleaving, backward_step_helper_postprocess: config.grad_sync_func of the
    chunk, aligned across pipeline ranks by default, align_grad_reduce; NVIDIA/Megatron-LM
    megatron/core/pipeline_parallel/schedules.py at 00611e6). In the cooldown the first rank runs the last
    micro-batch group's chunk backwards chunk by chunk, vp - 1 first: after chunk j's reduction is launched, j x pp
    chunk backwards (t_bwd_mb / vp each) remain, so chunk 0's share, t_raw / vp, starts after the last compute and is
    exposed whole, and the reductions queue only when they outrun the compute:
    max(t_raw / vp, t_raw - eff x (vp - 1) x min(pp, m) x t_bwd_mb / vp)."""
    chunk_bwd = t_bwd_mb / vp
    group = np.minimum(pp, m)
    inter = np.maximum(t_raw / vp, t_raw - eff * (vp - 1.0) * group * chunk_bwd)
    # the distributed optimizer's two halves: gradient reduce-scatter behind the backward, parameter all-gather
    # behind the next step's forward
    split = np.maximum(0.0, t_raw / 2.0 - eff * t_bwd_mb) + np.maximum(0.0, t_raw / 2.0 - eff * t_fwd_mb)
    plain = np.where(dist_opt, split, np.maximum(0.0, t_raw - eff * t_bwd_mb))
    return np.where(vp > 1, inter, plain)


def expert_dp_group(tp: Arr, dp_cp: Arr, etp: Arr, ep: Arr) -> tuple[Arr, Arr]:
    """(ranks, stride) of the expert-data-parallel group that reduces a routed expert's gradients: the tp x dp x cp
    ranks of a stage laid out as etp x ep x edp, etp innermost, then ep (Megatron-Core initialize_model_parallel's
    expert_decoder_rank_generator: RankGenerator(tp=expert_tensor_parallel_size, ep=expert_model_parallel_size,
    dp=expert_data_parallel_size, cp=1, order='tp-cp-ep-dp-pp' by default), so edp = tp dp cp / (etp ep) ranks,
    etp x ep apart (NVIDIA/Megatron-LM megatron/core/parallel_state.py at 00caa53af30912914981c86f39db123961678bbd).
    `etp` 0 = tp (the default grid). Dense models (ep 1, etp tp): the dense group itself, dp cp ranks tp apart."""
    tp, dp_cp, ep = np.asarray(tp), np.asarray(dp_cp), np.asarray(ep)
    etp_eff = np.where(np.asarray(etp) == 0, tp, etp)
    inner = np.maximum(etp_eff * ep, 1)
    return np.maximum((tp * dp_cp) // inner, 1), inner


def dp_grad_allreduce_s(dense_bytes: Arr, expert_bytes: Arr, dp_cp: Arr, tp: Arr, edp: Arr, edp_inner: Arr,
                        links: comm.Links) -> Arr:
    """End-of-step gradient traffic of a stage before overlap: the dense parameters' gradients all-reduced over the
    dp x cp ranks (stride tp), the routed experts' over their expert-data-parallel group (expert_dp_group), each a
    hierarchical all-reduce (comm.hier_allreduce_s; the distributed optimizer's reduce-scatter + all-gather move the
    same bytes). Megatron-Core keeps the two in separate buffers reduced over separate groups
    (DistributedDataParallel: 'Allocate separate param+grad buffers for expert parallel params' grads', over
    intra_expt_dp_group; NVIDIA/Megatron-LM megatron/core/distributed/distributed_data_parallel.py at
    001199898c4badd01eaf0785c212d8ed7ce83042). The expert group's ranks sit etp x ep apart: with ep filling a
    scale-up domain (EP 8 on 8-GPU nodes) every expert-data-parallel peer is on another node and the whole expert
    gradient crosses the scale-out network, where one dp x cp group (the model before 2026-12-02, gptoss2)
    reduce-scattered it inside the node first and sent 1/8 of it out. The two collectives are added (they share the
    step's end and, across nodes, the same NICs). A dense model (no expert bytes) is unchanged."""
    t_dense = comm.hier_allreduce_s(dense_bytes, dp_cp, tp, links)
    t_exp = np.where(expert_bytes > 0, comm.hier_allreduce_s(expert_bytes, edp, edp_inner, links), 0.0)
    return t_dense + t_exp


def dist_opt_bucket_params(dp_group: Arr) -> Arr:
    """Megatron-Core's default gradient-buffer bucket: max(40,000,000, 1,000,000 x dp) parameters ('larger DP
    sizes need larger buckets to ensure collectives do not become latency-bound': DistributedDataParallelConfig
    .bucket_size, megatron/core/distributed/distributed_data_parallel_config.py, core v0.7.0), used where the run's
    bucket is not given (Setup.dp_bucket_params, --dp-bucket-params, the runs file's dp_bucket_params)."""
    return np.maximum(40e6, 1e6 * np.asarray(dp_group, dtype=float))


def dist_opt_latency_s(n_buckets: Arr, dp_group: Arr, inner: Arr, links: comm.Links) -> Arr:
    """Per step: the step latencies of the distributed optimizer's per-bucket collectives, exposed.

    The megatron stack's ZeRO-1/2 reduce-scatters each gradient bucket and all-gathers each parameter bucket over the
    dp x cp ranks (Megatron-Core param_and_grad_buffer.py, one collective per bucket group; `n_buckets` = ceil(stage
    parameters / dist_opt_bucket_params)). NCCL runs reduce-scatter and all-gather as a flat ring only, (dp cp - 1)
    steps each, linear in the ranks (comm.ring_latency_s, NVIDIA/nccl src/graph/tuning.cc), where the all-reduce the
    bytes are modelled with has a tree. The bytes keep their overlap (dp_exposed_s); the step latencies are charged
    in full, the modelling choice fsdp_latency_s makes for FSDP's per-layer rings (each ring step waits for its
    neighbour, so every bucket synchronises all ranks). Checked, not fitted, against NVIDIA/dgxc-benchmarking 143b90d's
    H100 BF16 weak-scaling tables (same per-GPU work, more data-parallel ranks): Nemotron-4 15B 2.83 s at 16 GPUs to
    2.96 s at 2048, 340B 4.61 s at 128 to 4.84 s at 2048, GPT-3 175B 8.91 s to 9.02 s; this term grows by 0.04 s,
    0.07 s and 0.06 s over those series (the model's step grew by < 0.01 s before), a part of the published growth.
    The scale-up and scale-out step latencies are comm.py's defaults (2.4 us, 8 us) unless the catalog gives them."""
    return 2.0 * n_buckets * comm.ring_latency_s(dp_group, inner, links)


def tied_embedding_grad_s(shard_bytes: Arr, pp: Arr, stack: str, tied: bool, bw: Arr, lat: Arr) -> Arr:
    """Per step, exposed: the all-reduce of a tied word embedding's gradient between the first and the last pipeline
    stage, which both hold a copy (the input embedding and the output layer). Megatron-Core runs it in
    finalize_model_grads (_allreduce_word_embedding_grads: torch.distributed.all_reduce(weight.main_grad,
    group=parallel_state.get_embedding_group()), after finish_grad_sync and before the optimizer step;
    NVIDIA/Megatron-LM megatron/core/distributed/finalize_model_grads.py at
    c3d057f5865cf7c8fb2e05ae9df55d2fa3e8528f), called by the pipeline schedules once the last backward has ended, so
    nothing overlaps it. The group is those 2 ranks of each tensor-parallel rank's pipeline; each all-reduces its
    vocab-parallel shard `shard_bytes` (V / t x h gradient elements at the gradient width the data-parallel
    reduction is modelled with). Megatron stacks only (the other stacks' pipeline code was not read); 0 without a
    tied embedding or without pipelining."""
    on = (np.asarray(pp) > 1) & tied & (stack in MEGATRON_STACKS)
    return np.where(on, comm.ring_allreduce_s(np.asarray(shard_bytes, dtype=float), np.full_like(bw, 2.0), bw, lat),
                    0.0)


def fill_drain_p2p_s(pp: Arr, t_send: Arr) -> Arr:
    """Pipeline transfers in the bubble of an interleaved schedule whose sends overlap compute (--p2p-overlap): in
    the fill the last stage starts its first chunk forward only after p - 1 hops, each a chunk forward and its send to
    the next stage, and in the drain the first stage ends its last chunk backward p - 1 hops of a chunk backward and a
    send after the last stage's (Narayanan et al. 2021 sec. 2.2.1-2.2.2: the bubble is the p - 1 stages' wait for the
    pipeline to fill and drain). A stage waiting for its input has no other work to hide the transfer behind: with
    overlap_p2p_comm Megatron-Core's interleaved schedule posts the receive ahead and waits on it right before the
    chunk that consumes it (forward_backward_pipelining_with_interleaving, recv_prev_wait_handles / recv_next
    _wait_handles; NVIDIA/Megatron-LM megatron/core/pipeline_parallel/schedules.py at 00611e6). So 2 (p - 1) sends of
    `t_send` each. Without the overlap these sends are already in t_mb (interleaved_p2p_transfers), which the bubble
    scales."""
    return 2.0 * (np.asarray(pp, dtype=float) - 1.0) * t_send


def interleaved_warmup(m: Arr, pp: Arr, vp: Arr) -> Arr:
    """Chunk forwards the first pipeline rank runs before its first backward in Megatron-Core's interleaved 1F1B
    (get_pp_rank_microbatches: (pp - rank - 1) x 2 + (vp - 1) x microbatch_group_size_per_vp_stage, the group size
    defaulting to pp), at most its m x vp chunk passes; as many backwards run alone in the cooldown."""
    return np.minimum(m * vp, 2.0 * (pp - 1.0) + (vp - 1.0) * pp)


def interleaved_p2p_transfers(m: Arr, pp: Arr, vp: Arr, stage_devices: Arr, n: Arr, domain: int) -> Arr:
    """Pipeline transfers of one send's time each on the busiest rank's critical path per step, without
    --p2p-overlap (each exchange waited on before the next compute).

    Plain 1F1B (vp = 1): 2 per micro-batch (Megatron-Core forward_backward_pipelining_without_interleaving exchanges
    with the next stage after each forward, send_forward_recv_backward, and with the previous one after each
    backward, send_backward_recv_forward: one transfer each, the two directions of one link running together).
    Interleaved (vp > 1; forward_backward_pipelining_with_interleaving, NVIDIA/Megatron-LM
    megatron/core/pipeline_parallel/schedules.py at 00611e6): a warmup chunk forward is followed by one
    send_forward_recv_forward, a cooldown backward by one send_backward_recv_backward, and each steady-state pair of a
    chunk forward and a chunk backward by ONE batched send_forward_backward_recv_forward_backward (activation to the
    next stage and gradient to the previous one, both received likewise, waited on together). That exchange takes one
    send's time when the two neighbours sit on different links: a stage smaller than the scale-up domain in a job
    spanning several domains (pp > 2) puts the busiest (domain-boundary) stage's one neighbour over the scale-out
    network and the other over the scale-up link. Otherwise both sends leave over the same link and take two send
    times, which is also what a pp of 2 gives (both neighbours are the same stage). So the count is
    2 W + k (m vp - W), W = interleaved_warmup, k = 1 or 2; with k = 2 it is 2 m vp, the sum of every send."""
    warm = interleaved_warmup(m, pp, vp)
    mixed = (pp > 2) & (stage_devices < domain) & (n > domain)
    per_pair = np.where(mixed, 1.0, 2.0)
    return np.where(vp > 1, 2.0 * warm + per_pair * (m * vp - warm), 2.0 * m)


def a2a_paired_share(m: Arr, pp: Arr, vp: Arr) -> Arr:
    """Share of a pipeline stage's chunk forwards (and backwards) that run paired in a steady-state 1F1B step under
    Megatron-Core's expert all-to-all overlap: m x vp chunk passes per stage, less the warmup ones, which run alone.
    Warmup of the first stage (the most): (pp - 1) x 2 + (vp - 1) x pp + 1 with the overlap on (Megatron-Core
    pipeline_parallel/schedules.py, interleaved 1F1B: (pp - rank - 1) x 2 + (chunks - 1) x the micro-batch group
    of pp, + 1 for overlap_moe_expert_parallel_comm); without pipelining the first forward runs alone and the rest pair
    with the previous micro-batch's backward (combined_1f1b_schedule_for_no_pipelining): 1, the same formula at
    pp = vp = 1."""
    passes = m * vp
    warmup = np.minimum(passes, 2.0 * (pp - 1.0) + (vp - 1.0) * pp + 1.0)
    return (passes - warmup) / passes


def dualpipe_paired_share(m: Arr, pp: Arr) -> Arr:
    """Share of a rank's m forward chunks that DualPipe runs paired with a backward chunk (F&B), on the rank with
    the fewest, the first (half_rank 0). deepseek-ai/DualPipe @ bb214e8 dualpipe/dualpipe.py DualPipe.step: step 4
    runs 2 (m/2 - p + h + 1) paired chunks and step 5 (p/2 - h - 1), h = min(rank, p - 1 - rank); the warmup
    forwards (steps 1-3) and the cooldown backwards (steps 6-8) run alone. At h = 0: m - 3p/2 + 1."""
    return np.clip(m - 1.5 * pp + 1.0, 0.0, m) / m


def dualpipe_notes(schedule: str) -> list[str]:
    """The assumption beside a --schedule dualpipe prediction (`plan`, `plan explain`): Table 2 gives the parameters'
    doubling only; the gradients and optimizer state doubled with them (memory.param_copies) are the model's."""
    if schedule != "dualpipe":
        return []
    return ["assumed: --schedule dualpipe holds two stages' parameters on a rank (stage i and stage p-1-i; "
            "DeepSeek-V3 report arXiv 2412.19437 Table 2: 'Parameter 2x') and, as the model's choice, their "
            "gradients and optimizer state twice too (mem_grads_bytes, mem_optimizer_bytes, the dp reduction and the "
            "optimizer step): an upper bound, the report does not say whether a stage's two copies share their "
            "optimizer state"]


def dualpipe_bubble_s(pp: Arr, t_fb: Arr, t_b: Arr, t_w: Arr) -> Arr:
    """DualPipe's pipeline bubble (DeepSeek-AI 2024, DeepSeek-V3 Technical Report, arXiv 2412.19437, Table 2;
    deepseek-ai/DualPipe README @ 89f5de1): (PP/2 - 1)(F&B + B - 3W), F&B the time of a forward and a backward chunk
    run mutually overlapped, B a full backward chunk, W its weight-gradient part (1F1B's is (PP - 1)(F + B))."""
    return (pp / 2.0 - 1.0) * np.maximum(0.0, t_fb + t_b - 3.0 * t_w)


def ep_a2a_exposed_s(t_a2a: Arr, attn_f: Arr, mlp_f: Arr, eff: float) -> Arr:
    """Exposed all-to-all time of one MoE layer's forward of one micro-batch paired with its backward of another,
    each of the 4 all-to-alls (dispatch and combine, forward and backward) taking t_a2a. Megatron-Core's layer
    schedule (NVIDIA/Megatron-LM megatron/core/models/common/model_chunk_schedule_plan.py @ d428de4,
    TransformerLayerSchedulePlan.run):
        comm stream: combine_bwd            | dispatch_fwd -> dispatch_bwd  | combine_fwd
        comp stream: attn_fwd -> post_attn  | mlp_bwd -> mlp_bwd_dw -> mlp_fwd | post_attn_bwd -> attn_bwd
    so the backward's combine hides behind the other micro-batch's attention forward (attn_f), both dispatches behind
    the expert MLP's backward and forward (3 mlp_f: backward = 2 x forward), the forward's combine behind the attention
    backward (2 attn_f); each only up to that compute (exposed = max(0, comm - overlap_eff x compute), the module's
    overlap model)."""
    return (np.maximum(0.0, t_a2a - eff * attn_f) + np.maximum(0.0, 2.0 * t_a2a - eff * 3.0 * mlp_f)
            + np.maximum(0.0, t_a2a - eff * 2.0 * attn_f))


FSDP_STACKS = ("pytorch-fsdp", "torchtitan")
"""The stacks that shard with PyTorch FSDP, one unit per transformer block plus the root: llm-foundry's FSDP1
(FullyShardedDataParallel wrapping each block) and torchtitan's FSDP2 ('for module in model.modules(): if
isinstance(module, TransformerBlock): fully_shard(module)', then 'fully_shard(model)': pytorch/torchtitan
docs/fsdp.md, stored 00293cb, 'Meta-Device Initialization'), both checkpointing a block with torch's non-reentrant
checkpoint (torchtitan: ptd_checkpoint_wrapper, CheckpointImpl.NO_REENTRANT)."""


def fsdp_collectives(stack: str, zero: Arr, ls: Arr) -> Arr:
    """NCCL collectives per micro-batch that PyTorch FSDP issues on a pipeline stage of `ls` layers: one FSDP unit per
    transformer block (llm-foundry wraps each block) plus the root unit (embeddings, final norm). FULL_SHARD (zero 3)
    all-gathers a unit's weights for its forward and again for its backward (the recomputed forward, when
    checkpointed, uses that second gather) and reduce-scatters its gradients: 3 per block; SHARD_GRAD_OP (zero 2)
    keeps the forward's gathered weights for the backward: 2 per block (Zhao et al. 2023, 'PyTorch FSDP', sec. 3.2.1
    and 3.3; PyTorch FullyShardedDataParallel docs, ShardingStrategy). The root unit is not resharded after its
    forward: one all-gather and one reduce-scatter. Other stacks (Megatron's distributed optimizer, MaxText on TPU)
    issue bucketed or compiler-scheduled collectives, not one per layer: 0 here."""
    per_block = np.where(zero >= 3, 3.0, np.where(zero == 2, 2.0, 0.0))
    return np.where((stack in FSDP_STACKS) & (per_block > 0), per_block * ls + 2.0, 0.0)


def fsdp_latency_s(stack: str, zero: Arr, ls: Arr, shard: Arr, inner: Arr, links: comm.Links) -> Arr:
    """Per micro-batch: the ring latency of every per-layer FSDP collective, exposed (on the critical path).

    Each collective is one flat NCCL ring over the shard group, (shard - 1) steps (comm.ring_latency_s); the bytes
    are in t_zero3_comm_s / t_dp_comm_s and overlap with compute as before, the step latencies are charged in full.
    Why exposed (a modelling choice, checked, not derived): a ring step cannot complete before the neighbouring
    rank's, so each collective synchronises all ranks once per layer, and NCCL's maintainers note that in this latency
    regime step time grows linearly with the ranks (NVIDIA/nccl issue #757). A perfect per-layer prefetch pipeline
    would hide a ring shorter than one layer's compute (~1.6 ms at 512 ranks vs ~6 ms for an MPT-1B layer), but the
    published step times show the cost, so it is charged in full. Checked against MosaicML llm-foundry's H100 tables
    (scripts/train/benchmarking/README.md, 'Large Scale' table) at fixed per-GPU work: the 1B and 3B (SHARD_GRAD_OP)
    step times rise by 0.15-0.16 ms per added rank from 128 to 256 to 512 GPUs (1B: 0.557, 0.578, 0.617 s), linear in
    the ranks; from 128 to 512 GPUs each ring gains 336 NVLink steps x 2.4 us + 48 network steps x 8 us = 1.19 ms,
    x (2 x 24 + 2) collectives = +60 ms for the 1B, as published (+60 ms). The link latencies are predict/comm.py's
    defaults, not fitted."""
    return fsdp_collectives(stack, zero, ls) * comm.ring_latency_s(shard, inner, links)


def early_stop_skipped(stack: str, mdl: TransformerConfig, T: Arr, tp: Arr, sp: Arr, frac_moe: float, dtb: float,
                       dev: Device) -> tuple[Arr, Arr]:
    """(time, FLOPs) per layer that full recompute does NOT redo on the FSDP stacks (FSDP_STACKS): the MLP
    down-projection GEMM [T, f/t] x [f/t, h] and the residual add after it (dense layers; MoE layers keep the full
    recompute).

    PyTorch FSDP stacks checkpoint each block with torch.utils.checkpoint's non-reentrant variant (llm-foundry's
    benchmarks set activation_checkpointing_reentrant false, scripts/train/benchmarking/submit_benchmarks.py; PyTorch's
    apply_activation_checkpointing defaults to CheckpointImpl.NO_REENTRANT). That variant stops the recomputation
    "as soon as it has computed all needed Tensors" (torch/utils/checkpoint.py, set_checkpoint_early_stop, on by
    default since the rewrite of pytorch/pytorch PR #90105): the last tensors a block saves for its backward are the
    down-projection's inputs (its activation input and weight), which autograd saves before the GEMM runs, so the
    recompute ends before that GEMM, 1/3 of a GPT block's GEMM FLOPs (8 h^2 of 24 h^2 per token). Megatron-LM's
    recompute (a reentrant autograd Function re-running the whole layer) and other stacks redo the full forward: 0.
    Early stop is torch 2.1's (pytorch/pytorch PR #90105 behind a flag, PR #96866 on by default, both 2023-03): torch
    1.13's and 2.0's non-reentrant checkpoint re-ran the whole function, as the llm-foundry A100-80GB table's runs
    (torch 1.13.1) did. Nothing tells the model a run's torch, so those rows are charged this early stop too: a
    known gap (runs file, mpt-a100 block; tests/test_a100_checkpoint_recompute.py)."""
    zero = np.zeros_like(T, dtype=float)
    if stack not in FSDP_STACKS:
        return zero, zero
    ffn = mdl.dense_ffn or mdl.ffn
    t_down, f_down = gemm_s(T, mdl.hidden, ffn / tp, dtb, dev)
    # the residual add [T, h] (read 2, write 1), split by t under sequence parallelism as in compute.layer_forward
    t_add = memory_ops_s(3.0 * T * mdl.hidden / np.where(sp, tp, 1.0) * dtb, dev, 1.0)
    dense = 1.0 - frac_moe
    return dense * (t_down + t_add), dense * f_down


XLA_VENDORS = ("AWS",)
"""Vendors whose devices run PyTorch only through PyTorch/XLA (AWS Trainium / Inferentia: torch-neuronx, whose
neuronx-cc compiles the lazy-tensor graph; NeuronX Distributed checkpoints with torch_xla.utils.checkpoint)."""


def runs_under_xla(stack: str, spec: AcceleratorSpec) -> bool:
    """True where a training step is one compiled XLA program: the maxtext stack (JAX, on any device), any TPU (JAX:
    MaxText, or T5X / GSPMD for PaLM) and the XLA_VENDORS' devices (PyTorch/XLA)."""
    return stack == "maxtext" or spec.kind == "tpu" or spec.vendor.upper() in XLA_VENDORS


@dataclass(frozen=True)
class DeadRecompute:
    """Per layer, (time, FLOPs) an XLA program does not recompute (xla_dead_recompute): under full recompute
    (full_*), under a recomputed dense MLP block (mlp_*: recompute mlp, --recompute-modules mlp) and under a
    recomputed attention core (core_*: selective, --recompute-modules core_attn)."""

    full_s: Arr
    full_flops: Arr
    mlp_s: Arr
    mlp_flops: Arr
    core_s: Arr
    core_flops: Arr


def xla_dead_recompute(stack: str, spec: AcceleratorSpec, mdl: TransformerConfig, mbs: Arr, s_loc: Arr,
                       keys: float, T: Arr, tp: Arr, sp: Arr, frac_moe: float, flash: bool, dtb: float,
                       dev: Device) -> DeadRecompute:
    """What a checkpointed region's recompute does NOT redo when the step is an XLA program (runs_under_xla): the
    region's last ops, whose outputs no backward op reads (a matmul's backward reads its inputs, an add's nothing).

    Sources. JAX: jax.checkpoint's partial evaluation dead-code-eliminates the recomputed jaxpr down to what the
    backward needs ('DCE jaxpr_staged, keeping only instantiated outputs which are unknown': jax-ml/jax
    jax/_src/ad_checkpoint.py remat_partial_eval, read at 0018095cdf076e52a510f9c5fcb76bb3b67a6add); the region's
    primal output is known from the forward, so ops that only feed it are dropped. MaxText remats a whole decoder layer
    (scanned, a policy per remat_policy), so under 'full' the layer's last GEMM (mlpwo) and residual add are dead.
    PyTorch/XLA: torch_xla.utils.checkpoint re-runs the region in the backward and calls
    torch.autograd.backward(outputs_with_grad, args_with_grad) (pytorch/xla torch_xla/utils/checkpoint.py
    @16498c3458bcfc463512c28587956841a64b5d8e, CheckpointFunction.backward; use_reentrant=False raises 'XLA currently
    does not support'), and lazy tracing executes only the graph a live tensor needs, so the recomputed output's own
    op is never run. Regions and their dead last ops:
      full (a layer): the MLP down-projection [T, f/t] x [f/t, h] and the residual add on dense layers (as
        early_stop_skipped); a parallel block (PaLM sec. 2) sums both branches, so its attention out-projection
        [T, o/t] x [o/t, h] is dead too. An MoE layer keeps its expert GEMMs: the combine's backward reads the
        experts' outputs (the router weights' gradient), so only the combine is dead (not charged separately).
      a recomputed dense MLP block (NxD's checkpointed LlamaMLP, Megatron's mlp module, MaxText's
        save_dot_except_mlpwi): its down-projection.
      a recomputed attention core: P V on the unfused core, where the checkpoint region ends at the core's output
        (PyTorch/XLA: Megatron's / NxD's checkpointed CoreAttention; the out-projection outside reads the saved
        output). Not under MaxText, whose region is the whole layer: the out-projection's weight gradient reads
        'context', so P V is recomputed; nor a fused kernel (one op whose softmax statistics the backward reads).
    Collectives after a dead GEMM (a sequence-parallel reduce-scatter) are not subtracted. Elsewhere: zeros."""
    zero = np.zeros_like(T, dtype=float)
    if not runs_under_xla(stack, spec):
        return DeadRecompute(zero, zero, zero, zero, zero, zero)
    dense = 1.0 - frac_moe
    t_down, f_down = gemm_s(T, mdl.hidden, (mdl.dense_ffn or mdl.ffn) / tp, dtb, dev)
    # the residual add [T, h] (read 2, write 1; a parallel block's three-way add reads 3), split by t under sp
    add_bytes = (4.0 if mdl.parallel_block else 3.0) * T * mdl.hidden / np.where(sp, tp, 1.0) * dtb
    t_add = memory_ops_s(add_bytes, dev, 1.0)
    t_out, f_out = gemm_s(T, mdl.hidden, mdl.o_width / tp, dtb, dev) if mdl.parallel_block else (zero, zero)
    core_s, core_f = zero, zero
    if spec.vendor.upper() in XLA_VENDORS and not flash:  # (b*a/t) x [s, keys] x [keys, v], compute.attention_core_s
        core_s, core_f = bmm_s(s_loc, mdl.v_head_dim, keys, dtb, dev, mbs * mdl.heads / tp)
    return DeadRecompute(full_s=dense * (t_down + t_add) + t_out, full_flops=dense * f_down + f_out,
                         mlp_s=dense * t_down, mlp_flops=dense * f_down, core_s=core_s, core_flops=core_f)


def optimizer_step_bytes(dense: Arr, expert: Arr, shard: Arr, expert_shard: Arr, state_bytes: float) -> Arr:
    """Memory traffic of one rank's optimizer step (memory-bound, roofline_s matmul=False), bytes.

    Each parameter the rank updates (its ZeRO shard: 1/`shard` of the stage's dense parameters, 1/`expert_shard` of
    its routed experts, sharded over their expert-data-parallel group as memory._state_bytes holds their state:
    Megatron-Core's get_megatron_optimizer builds the expert-parallel parameter groups a distributed optimizer of
    their own over intra_expt_dp_group, NVIDIA/Megatron-LM megatron/core/optimizer/__init__.py at
    0044db1f20bf9311d6cfc77e76fa05163e97ce44; 1 = unsharded) has its optimizer state
    read and written (`state_bytes` = Setup.optimizer_state_bytes, --optimizer-bytes: 12 = fp32 master + Adam m and
    v, Rajbhandari et al. 2020 'ZeRO' sec. 3.1, K = 12 for mixed-precision Adam; 8 = fp32 master + 16-bit moments;
    4 = 16-bit moments beside 16-bit weights, MaxText weight_dtype bfloat16), its 16-bit gradient read
    (memory.GRAD_BYTES) and its 16-bit weight written (memory.WEIGHT_BYTES): 2 x 12 + 2 + 2 = 28 B per parameter by
    default, 2 x 4 + 2 + 2 = 12 B with 16-bit moments.
    Not counted: an fp32 main-gradient copy and the cast kernels; with no master copy in the state (4) the read of
    the 16-bit weight the update changes (2 B); with FP8 parameters (Setup.fp8_params) the FP8 cast's own traffic.
    FP8 parameters are charged the 16-bit write: Transformer Engine's cast_master_weights_to_fp8 casts the fp32
    master to the model's 16-bit dtype first and quantizes that ('master_weight = master_weight.to(
    model_weight.dtype)'; current scaling reads it once more for its amax; NVIDIA/TransformerEngine
    transformer_engine/pytorch/tensor/utils.py at 002a3e573f49cb0345955745206084e289d0f346), so its 1-byte write
    adds to the 16-bit one rather than replacing it, and FP8 parameters stay memory only.
    Until 2026-12-05 (utplan2, landed by moeopt) the routed experts were divided by the dense `shard` (dp x cp),
    which undercounted an ep > 1 layout's expert share ep x etp / tp times."""
    return (2.0 * state_bytes + GRAD_BYTES + WEIGHT_BYTES) * (dense / shard + expert / expert_shard)


def fp8_param_bytes(setup: Setup, cal: Calibration) -> float:
    """Bytes per GEMM weight on the device: 2 (16-bit), or with Setup.fp8_params 1 (+1 for the transposed copy
    where FP8 GEMMs need it)."""
    if not setup.fp8_params:
        return 2.0
    return 2.0 if fp8_weight_transpose(cal.family) else 1.0


def _attn_core_recomputed(rc: Arr, flash: bool) -> Arr:
    """Selective (Korthikanti 2022 sec. 5) and MaxText 'minimal' (the attention output 'context' is not among the
    saved names) both redo the attention core in the backward. MaxText 'minimal_flash' saves 'context', so a fused
    kernel's forward is not rerun; an unfused core (flash off) still is: its softmax probabilities, which the backward
    of context = P V needs, are neither a no-batch-dims dot output nor 'context' (RECOMPUTE comment)."""
    return ((rc == RECOMPUTE["selective"]) | (rc == RECOMPUTE["minimal"]) | (rc == RECOMPUTE["save_dot_except_mlpwi"])
            | ((rc == RECOMPUTE["minimal_flash"]) & (not flash)))


def _mlp_flops(mdl: TransformerConfig, T: Arr, tp: Arr, lt: Any, frac_moe: float) -> Arr:
    """FLOPs of one layer's MLP block per device: [T, h] x [h, f/t] (x2 gates for SwiGLU) and [T, f/t] x [f/t, h]
    (compute.layer_forward's GEMMs); MoE layers swap in their expert MLP (flops_moe less flops_dense)."""
    mats = 3 if mdl.mlp == "swiglu" else 2
    dense = 2.0 * T * mdl.hidden * (mdl.dense_ffn or mdl.ffn) / tp * mats
    return dense + frac_moe * (lt.flops_moe - lt.flops_dense)


def _mlp_recomputed(rc: Arr, t_mlp_fwd: Arr, k_mod: Arr) -> Arr:
    """The MLP block's forward collectives again under `--recompute mlp` (the checkpointed MLP module re-runs its
    sequence-parallel all-gather and reduce-scatter, or its all-reduce), else 0; plus k_mod of them for the
    Megatron-Core recompute modules mlp, moe and shared_experts (the share of layers they cover)."""
    return np.where(np.isin(rc, MLP_BLOCK_CODES), t_mlp_fwd, 0.0) + k_mod * t_mlp_fwd


def module_recompute_s(mdl: TransformerConfig, lt: Any, T: Arr, tp: Arr, sp: Arr, frac_moe: float, dtb: float,
                       dev: Device) -> dict[str, tuple[Arr, Arr]]:
    """(time, FLOPs) per layer (the mean over the model's dense and MoE layers) of each Megatron-Core recompute
    module's forward, which its checkpoint redoes in the backward (parse_recompute_modules; NVIDIA/Megatron-LM
    transformer_config.py recompute_modules at 002526d): core_attn the attention core (selective's, Korthikanti et
    al. 2022 sec. 5); mlp 'the dense MLP submodule', the dense layers' MLP GEMMs (as the mlp mode times them); moe 'the
    MoE layer' (router, permutation, routed and shared experts: compute.moe_forward; its all-to-alls are charged in
    t_ep); shared_experts their GEMMs (compute.shared_experts_gemms); moe_act the routed experts' activation and
    layernorm the input_layernorm and pre_mlp_layernorm (memory-bound, compute.moe_act_elems / norm_elems, as
    layer_forward counts them); mla_up_proj the Q and KV up-projection GEMMs (compute.mla_up_gemms_s; the RoPE it also
    redoes is elementwise work the forward does not time either). Collectives: evaluate's k_mod."""
    zero = np.zeros_like(np.asarray(T, dtype=float))
    mats = 3 if mdl.mlp == "swiglu" else 2
    dense_flops = 2.0 * T * mdl.hidden * (mdl.dense_ffn or mdl.ffn) / tp * mats
    out = {"core_attn": (lt.attn_core_s, lt.flops_attn_core),
           "mlp": ((1.0 - frac_moe) * lt.dense_mlp_s, (1.0 - frac_moe) * dense_flops),
           "moe": (frac_moe * lt.moe_mlp_s, frac_moe * (lt.flops_moe - lt.flops_dense + dense_flops)),
           "shared_experts": (zero, zero), "moe_act": (zero, zero), "mla_up_proj": (zero, zero)}
    if mdl.shared_experts:
        (t_up, f_up), (t_dn, f_dn) = shared_experts_gemms(mdl, T, tp, mats, dtb, dev)
        out["shared_experts"] = (frac_moe * (t_up + t_dn), frac_moe * (f_up + f_dn))
    if mdl.is_moe:
        out["moe_act"] = (frac_moe * memory_ops_s(moe_act_elems(mdl, T, tp, mats, mdl.top_k) * dtb, dev, 1.0), zero)
    pre_norms = 1.0 if mdl.parallel_block else float(min(2, mdl.norms_per_layer))
    out["layernorm"] = (memory_ops_s(norm_elems(mdl, T, pre_norms) / np.where(sp, tp, 1.0) * dtb, dev, pre_norms),
                        zero)
    if mdl.mla is not None:
        (t_kv, f_kv), (t_q, f_q) = mla_up_gemms_s(mdl, T, tp, dtb, dev)
        out["mla_up_proj"] = (t_kv + t_q, f_kv + f_q)
    return out


def _op_recomputed(rc: Arr, t_coll_fwd: Arr) -> Arr:
    """The forward collectives `--recompute op` re-runs (t_coll_fwd: the two sequence-parallel all-gathers, which are
    not in torchtitan's _save_list, or the out-projection's all-reduce without sequence parallel), else 0."""
    return np.where(rc == RECOMPUTE["op"], t_coll_fwd, 0.0)


def op_recompute_models(mdl: TransformerConfig) -> bool:
    """Whether `--recompute op` is modelled for `mdl`: torchtitan's Llama block (separate wq, wk, wv, then wo, then
    the MLP), dense, standard attention, attention before MLP."""
    return not mdl.is_moe and mdl.mla is None and not mdl.parallel_block


def op_recompute_s(mdl: TransformerConfig, lt: Any, T: Arr, tp: Arr, flash: bool, dtb: float,
                   dev: Device) -> tuple[Arr, Arr]:
    """(time, FLOPs) one layer's backward spends redoing forward work under torchtitan's selective op AC.

    The policy (RECOMPUTE comment) counts aten.mm calls per layer forward and saves the odd ones. A Llama block calls
    wq (1, saved), wk (2), wv (3, saved), SDPA (saved), wo (4), w1 (5, saved), w3 (6), w2 (7, saved): wk, wo and w3
    are recomputed, [T, h] x [h, k/t], [T, o/t] x [o/t, h] and [T, h] x [h, f/t]. A GELU MLP calls fc1 (5, saved) and
    fc2 (6): fc2's output feeds only the residual add, which the backward does not need, so the non-reentrant
    checkpoint stops before it (torch.utils.checkpoint early_stop): wk and wo only. Every elementwise op (norms,
    RoPE, residual adds, the activation) is recomputed too: the layer's memory-bound time, dense_s less its GEMMs.
    Without a fused attention kernel (the math SDPA's bmm and softmax are not in _save_list) the attention core is
    recomputed as well."""
    h = mdl.hidden
    t_k, f_k = gemm_s(T, mdl.kv_width_per_device(tp) * mdl.qk_head_dim / (mdl.qk_head_dim + mdl.v_head_dim), h,
                      dtb, dev)
    t_o, f_o = gemm_s(T, h, mdl.o_width / tp, dtb, dev)
    gated = 1.0 if mdl.mlp == "swiglu" else 0.0  # w3 exists in a gated (SwiGLU) MLP only
    t_3, f_3 = (gated * x for x in gemm_s(T, (mdl.dense_ffn or mdl.ffn) / tp, h, dtb, dev))
    g_qkv, g_out, g_up, g_down = lt.tp_gemms_s
    t_ew = lt.dense_s - (g_qkv + g_out + g_up + g_down)  # the layer's elementwise (memory-bound) time
    core_s, core_flops = (0.0, 0.0) if flash else (lt.attn_core_s, lt.flops_attn_core)
    return t_k + t_o + t_3 + t_ew + core_s, f_k + f_o + f_3 + core_flops


def _tp_userbuffers_layer_s(setup: Setup, spec: AcceleratorSpec, dev: Device, lt: Any, lay: Layouts, tp: Arr,
                            s_loc: Arr, dtb: float, etp: Arr, k_ar: float, rc: Arr, rec_frac: Arr,
                            links: comm.Links, k_mod: Arr) -> Arr:
    """Tensor-parallel time of one layer beyond its GEMMs under Transformer Engine userbuffers
    (--tp-comm-overlap, config --tp-overlap-cfg; predict/userbuffers.py: each GEMM chunked by ring exchange or
    pipelined, or run beside a bulk collective, on the SMs the config leaves it). The ring chunks (T / tp tokens) and
    pipeline chunks (T / 4) are timed on the model's own GEMM curve. Full recompute repeats the forward's share (x N /
    L_s), mlp recompute the MLP's, op recompute the two all-gathered GEMMs'."""
    ub = userbuffers.config(setup.tp_overlap_cfg)
    sms = userbuffers.sm_count(spec)
    mdl = setup.model
    chunk = lambda parts: layer_forward(mdl, lay.mbs, s_loc / parts, np.full_like(tp, float(setup.seq_len)),  # noqa: E731
                                        tp, lay.sp, setup.flash, lay.ep, dtb, dev, etp=etp).tp_gemms_s
    bw, lat = links.pick(tp)
    tokens_h = lay.mbs * s_loc * mdl.hidden
    ag_b = 1.0 if setup.dtype == "fp8" else 2.0  # TE gathers FP8 buffers in FP8 runs (initialize_ub fp8_buf)
    t_ag = comm.reduce_scatter_s(tokens_h * ag_b, tp, bw, lat)
    t_rs = comm.reduce_scatter_s(tokens_h * 2.0, tp, bw, lat)
    p_ag, p_rs = comm.p2p_s(tokens_h * ag_b / tp, bw, lat), comm.p2p_s(tokens_h * 2.0 / tp, bw, lat)
    fwd, bwd, mlp, cols = userbuffers.layer_s(lt.tp_gemms_s, chunk(tp), chunk(userbuffers.PIPELINE_SPLITS), tp,
                                              t_ag, t_rs, p_ag, p_rs, ub, sms, k_ar < 2)
    return fwd + bwd + np.where(rc == 2, rec_frac * fwd, _mlp_recomputed(rc, mlp, k_mod) + _op_recomputed(rc, cols))


def _tp_async_tp_layer_s(setup: Setup, dev: Device, lt: Any, lay: Layouts, tp: Arr, s_loc: Arr, dtb: float,
                         etp: Arr, k_ar: float, rc: Arr, rec_frac: Arr, links: comm.Links, k_mod: Arr) -> Arr:
    """Tensor-parallel time of one sequence-parallel layer beyond its GEMMs under torchtitan's async TP
    (--tp-comm-overlap with --stack torchtitan; torchtitan --parallelism.enable_async_tensor_parallel, which turns on
    torch._inductor's micro_pipeline_tp pass). The pass rewrites an all-gather feeding a matmul into
    fused_all_gather_matmul and a matmul feeding a reduce-scatter into fused_matmul_reduce_scatter
    (torch/distributed/_symmetric_memory/__init__.py, _pipelined_all_gather_and_consume /
    _pipelined_produce_and_all2all):
    the matmul runs as tp chunks of T / tp tokens, the local shard's first, while the next shard moves peer to peer
    through symmetric memory by copy engine (dst.copy_ of the peer's buffer: no SMs taken from the GEMM), which is
    TE's ring exchange with 0 communication SMs: t = c + (tp-1) max(c, p) (+ p, the last chunk's send, for a
    reduce-scatter; userbuffers.ring_s; the final local reduction kernel not timed). Which collectives are fused:
    forward, the all-gathers before QKV and MLP up and the reduce-scatters after out-projection and MLP down;
    backward, the output-gradient all-gathers before the out-projection's and MLP down's data-gradient matmuls (one
    matmul each). The input-gradient reduce-scatters of QKV and MLP up stay plain NCCL collectives on the critical
    path: torchtitan's Llama has separate wq/wk/wv and w1/w3 linears, so that gradient is a sum of matmuls, not the
    single matmul the pass matches. The forward all-gathers move FP8 in FP8 runs (torchao Float8ColwiseParallel
    casts before its all-gather, as TE does: the same byte rule as userbuffers); everything else 16-bit. No value is
    fitted; checked against torchtitan docs/performance.md @ eaea6f6 Table 4 (tests/test_torchtitan_async_tp.py).
    Full recompute repeats the forward's share, mlp recompute the MLP's, op recompute the all-gathered GEMMs'."""
    mdl = setup.model
    chunk = lambda: layer_forward(mdl, lay.mbs, s_loc / tp, np.full_like(tp, float(setup.seq_len)),  # noqa: E731
                                  tp, lay.sp, setup.flash, lay.ep, dtb, dev, etp=etp).tp_gemms_s
    bw, lat = links.pick(tp)
    tokens_h = lay.mbs * s_loc * mdl.hidden
    ag_b = 1.0 if setup.dtype == "fp8" else 2.0
    t_rs = comm.reduce_scatter_s(tokens_h * 2.0, tp, bw, lat)  # the plain input-gradient reduce-scatter
    p_ag, p_16 = comm.p2p_s(tokens_h * ag_b / tp, bw, lat), comm.p2p_s(tokens_h * 2.0 / tp, bw, lat)
    ce = userbuffers.COPY_ENGINE_RING
    qkv, out, up, down = lt.tp_gemms_s
    cq, co, cu, cd = chunk()
    cols: tuple[tuple[Arr, Arr], ...]
    rows: tuple[tuple[Arr, Arr], ...]
    if k_ar < 2:  # a parallel block: one column-parallel GEMM (QKV + MLP up), one row-parallel (out + MLP down)
        cols, rows = ((qkv + up, cq + cu),), ((out + down, co + cd),)
    else:
        cols, rows = ((qkv, cq), (up, cu)), ((out, co), (down, cd))
    fwd_col = [userbuffers.ring_s(c, p_ag, tp, ce, 1, False) - g for g, c in cols]
    fwd_row = [userbuffers.ring_s(c, p_16, tp, ce, 1, True) - g for g, c in rows]
    fwd = sum(fwd_col) + sum(fwd_row)
    bwd = sum(userbuffers.ring_s(c, p_16, tp, ce, 1, False) - g for g, c in rows) + len(cols) * t_rs
    mlp = fwd_col[-1] + fwd_row[-1]
    return fwd + bwd + np.where(rc == 2, rec_frac * fwd, _mlp_recomputed(rc, mlp, k_mod)
                                + _op_recomputed(rc, sum(fwd_col)))


def _tp_async_layer_s(lt: Any, k_ar: float, rc: Arr, rec_frac: Arr, eff: float, t_rs: Arr, t_ag: Arr,
                      k_mod: Arr) -> Arr:
    """Exposed tensor-parallel time of one sequence-parallel layer without userbuffers, as Megatron-LM and Transformer
    Engine run it. Forward: the all-gather before each column-parallel GEMM (QKV, MLP up) and the reduce-scatter
    after each row-parallel one (out-projection, MLP down) are on the critical path. Backward: each row-parallel
    layer all-gathers its output gradient before both its GEMMs (exposed); each column-parallel layer re-gathers its
    input for the weight gradient asynchronously behind its data-gradient GEMM and reduce-scatters its input gradient
    asynchronously behind its weight-gradient GEMM (Megatron-LM megatron/core/tensor_parallel/layers.py,
    LinearWithGradAccumulationAndAsyncCommunication.backward: async_op=True with 'reduce scatter is scheduled before
    the weight gradient computation'; Transformer Engine pytorch/module/layernorm_linear.py _LayerNormLinear.backward:
    'Overlap input AG with dgrad', 'Overlap dgrad-RS/AR with wgrad'), each hidden behind overlap_eff of that GEMM (a
    backward GEMM takes its forward GEMM's time). t_ag: one all-gather; in FP8 runs Transformer Engine gathers FP8
    tensors (the LayerNorm output cast to FP8 by the norm kernel before gather_along_first_dim; the output gradient
    cast_to_fp8 before its gather in grad_output_preprocess), 1 byte per element; the reduce-scatters stay 16-bit
    (t_rs). Full recompute repeats the forward's collectives. A parallel block (k_ar = 1) has one column-parallel
    GEMM (QKV + MLP up) and one row-parallel (out + MLP down). The model's former count, 4 all-reduces per layer on
    the critical path, charged the two hidden backward collectives in full and every all-gather at 16 bits."""
    g_qkv, _, g_up, _ = lt.tp_gemms_s  # the column-parallel GEMMs; the row-parallel ones hide nothing here
    cols = (g_qkv, g_up) if k_ar >= 2 else (g_qkv + g_up,)
    fwd = len(cols) * (t_ag + t_rs)
    bwd = len(cols) * t_ag + sum(np.maximum(0.0, t_ag - eff * g) + np.maximum(0.0, t_rs - eff * g) for g in cols)
    return fwd + bwd + np.where(rc == 2, rec_frac * fwd, _mlp_recomputed(rc, t_ag + t_rs, k_mod)
                                + _op_recomputed(rc, 2.0 * t_ag))


def _tp_async_allreduce_layer_s(lt: Any, k_ar: float, rc: Arr, rec_frac: Arr, eff: float, t_ar: Arr,
                                k_mod: Arr) -> Arr:
    """Exposed tensor-parallel time of one layer without sequence parallel, as Megatron-LM runs it. Forward: the
    all-reduce after each row-parallel GEMM (out-projection, MLP down) is on the critical path. Backward: each column-
    parallel layer (QKV, MLP up) all-reduces its input gradient asynchronously behind its weight-gradient GEMM
    (Megatron-LM ColumnParallelLinearWithAsyncAllreduce / LinearWithGradAccumulationAndAsyncCommunication:
    all_reduce(grad_input, async_op=True) before the weight-gradient matmul), hidden behind overlap_eff of that GEMM (a
    backward GEMM takes its forward GEMM's time); the row-parallel layers' backward has no collective. Full recompute
    repeats the forward's all-reduces. Checked against Korthikanti et al. 2022 Table 4 (one 22B layer on 8 A100s, no
    sequence parallel): the overlap is why full recompute costs 39% there, not 33% (sec. 6.2). A parallel block
    (k_ar = 1) has one column-parallel GEMM (QKV + MLP up) and one row-parallel all-reduce."""
    g_qkv, _, g_up, _ = lt.tp_gemms_s  # the column-parallel GEMMs
    cols = (g_qkv, g_up) if k_ar >= 2 else (g_qkv + g_up,)
    fwd: Arr = len(cols) * t_ar
    bwd = sum(np.maximum(0.0, t_ar - eff * g) for g in cols)
    return fwd + bwd + np.where(rc == 2, rec_frac * fwd, _mlp_recomputed(rc, t_ar, k_mod)
                                + _op_recomputed(rc, t_ar))


def _full(x: Any, like: Arr) -> Arr:
    return np.broadcast_to(np.asarray(x, dtype=float), like.shape).copy()


def explain_inputs() -> dict[str, str]:
    """What each 'in_' value `evaluate` returns means."""
    e_f, e_b = ring_attention_step_shares()  # the ring's step shares as charged, not retyped (rev1)
    return {
        "layers_per_stage": "L_s = ceil(L / (p v)) x v layers on the busiest pipeline rank",
        "in_micro_batches": "m = ceil(ceil(global batch / dp) / micro-batch)",
        "in_tokens_per_microbatch": "T = micro-batch x seq_len / cp tokens per device",
        "in_ring_attention_fwd_factor": ("context parallel over FlashAttention-2: the attention core's forward (and "
                                         f"recompute) time x 1/cp + (cp - 1)/cp / {e_f:.3f}, the ring's half-block "
                                         "steps and fp32 merges (ring-flash-attention@01c8baf5 README, zigzag ring "
                                         "at cp 8: 85.2% of its kernel, 8xH800)"),
        "in_ring_attention_bwd_factor": (f"the same for the core's backward: x 1/cp + (cp - 1)/cp / {e_b:.3f} (the "
                                         "README's forward + backward rows less its forward-only rows)"),
        "in_dualpipe_fb_s": ("F&B (--schedule dualpipe): a forward and a backward chunk run mutually overlapped, "
                             "t_mb with every expert all-to-all at its paired exposure (DeepSeek-V3 report Table 2)"),
        "in_dualpipe_b_s": ("B (--schedule dualpipe): a full backward chunk alone, t_bwd + t_recompute + 2/3 of the "
                            "micro-batch's other terms unpaired (split 1:2 as forward and backward compute)"),
        "in_dualpipe_w_s": ("W (--schedule dualpipe): the weight-gradient part of B, the forward's weight GEMMs "
                            "(the forward less the attention core), as zb-h1/zb-h2's T_W"),
        "in_first_gemm_flops": "F of a layer's first GEMM: the fused QKV projection 2 T h (q / t + k + v of "
                               "max(kv / t, 1) heads); with multi-head latent attention the KV down-projection "
                               "2 T h (d_c + d_rope), not split",
        "in_first_gemm_eff": ("eff(F) = eff_max F / (F + F_half) for that GEMM, in the linear layers' precision "
                              "(fp8: fp8_matmul_eff_max at the fp8 peak's half-size point)"),
        "in_peak_flop_per_s": "dense peak of the training dtype (catalog)",
        "in_tp_link_byte_per_s": ("tensor-parallel link: scale-up if tp <= domain, else scale-out (x bw_eff); in a "
                                  "direct-connected domain (no switch) at most (tp - 1) x the pair bandwidth; n/a "
                                  "with tp 1"),
        "in_tp_ici_dims": ("TPU: torus dimensions of the slice the tensor-parallel group runs on (JAX mesh_utils' "
                           "assignment, tensor first); its collectives get that many / the chip's dimensions of the "
                           "ICI figure (scaling-book: bytes / (link bandwidth x axes)); n/a with tp 1, off a TPU, or "
                           "where the slice shape is not cited (then the whole ICI, said as an assumption)"),
        "in_dp_ici_dims": ("TPU: torus dimensions the data-parallel / FSDP group inside the slice runs on (the rest "
                           "of the slice); its ICI share likewise; n/a off a TPU or without a cited slice shape"),
        "in_pp_link_byte_per_s": "pipeline link: scale-up if the whole job fits one domain, else scale-out",
        "in_dp_ranks_in_domain": "data-parallel ranks sharing a scale-up domain (reduce-scatter there first)",
        "in_dp_domains": "domains the data-parallel all-reduce crosses over the scale-out network",
        "in_seqs_per_rank_max": "ceil(B / dp): sequences of the busiest data-parallel rank (the step waits for it)",
        "in_seqs_per_rank_min": "floor(B / dp): sequences of the least busy rank (= max when dp divides B)",
        "in_zero_shard_ranks": "ranks ZeRO/FSDP state is sharded over: dp x cp, or the --hsdp shard group",
        "in_ep_group_span": "consecutive ranks one expert all-to-all spans: etp x ep (etp = tp by default)",
        "in_edp_ranks": ("expert-data-parallel ranks reducing a routed expert's gradients: tp x dp x cp / (etp x ep), "
                         "etp x ep apart (Megatron-Core's expert grid); 0 without routed experts"),
        "in_edp_domains": "scale-up domains that expert-data-parallel group spans (its traffic crosses scale-out "
                          "between them)",
        "in_scaleup_link_byte_per_s": ("scale-up link bandwidth used (catalog x bw_eff, or measured with "
                                       "--collectives); n/a when the job uses none (one device, or a device without "
                                       "a scale-up domain)"),
        "in_scaleup_latency_s": ("scale-up per-step latency used (catalog, default, or measured with --collectives); "
                                 "n/a when the job uses no scale-up link"),
        "in_dp_buckets": "stack megatron, zero 1/2, NVIDIA / AMD GPUs (NCCL / RCCL): gradient / parameter buckets of "
                         "the stage, ceil(dense params / b) + ceil(expert params / b), b = "
                         "--dp-bucket-params, or by default max(40e6, 1e6 x dp cp), Megatron-Core's default "
                         "bucket); else 0",
        "in_fsdp_collectives": "NCCL all-gathers + reduce-scatters per micro-batch, one per FSDP unit (stack "
                               "pytorch-fsdp or torchtitan: (3 zero-3 or 2 zero-2) x L_s + 2 for the root unit; "
                               "else 0)",
    }


def explain_terms() -> dict[str, str]:
    """Formula text for each term `evaluate` returns (shown by `plan explain`)."""
    return {
        "t_fwd_s": "m x L_s x sum over ops of max(F/(peak x eff(F)), bytes/(BW x mem_eff)) + launch; an attention "
                   "core that runs the FlashAttention-2 algorithm (flash2, or NVIDIA's fused cuDNN kernel) computes "
                   "the causal mean (S + 1) / 2 keys per query, not S (Dao 2023 sec. 3.1.1); a fused core on a "
                   "device with a measured fused-attention rate (catalog measured_fused_attention_flop_per_s) at "
                   "F/(peak x that rate)",
        "t_bwd_s": "2 x t_fwd (data- and weight-gradient GEMMs) + 0.5 x the attention core when it runs the "
                   "FlashAttention-2 algorithm (its backward: 5 products to the forward's 2, Dao 2023); a flash2 "
                   "core with a backward rate of its own, or a fused core with the device's measured rates: + (2.5 x "
                   "forward rate / backward rate - 2) x the core",
        "t_recompute_s": "full: one more forward (x N / L_s with --recompute-layers N; stack pytorch-fsdp or "
                         "torchtitan: less the "
                         "MLP down-projection and its residual add, where torch's non-reentrant checkpoint stops "
                         "early, torch 2.1 on; torch 1.13 and 2.0 re-ran the whole block); selective and minimal: "
                         "the attention core (Korthikanti 2022; MaxText 'minimal' saves no 'context'; "
                         "minimal_flash saves it: nothing with a fused kernel, the core with flash off); mlp: the "
                         "MLP block's GEMMs (Megatron-Core --recompute-modules mlp); save_dot_except_mlpwi "
                         "(MaxText): the attention core and the MLP block (under XLA less the saved mlpwo); op "
                         "(torchtitan selective op "
                         "AC): the even-numbered matmuls wk, wo (and SwiGLU's w3) plus the "
                         "layer's elementwise ops; + each --recompute-modules module's forward (core_attn the "
                         "attention core, mlp the dense layers' MLP GEMMs, moe the expert block, shared_experts "
                         "their GEMMs, moe_act / layernorm their elementwise bytes, mla_up_proj the up-projection "
                         "GEMMs)",
        "t_logits_s": ("3 x ([T,h]x[h,V/t] GEMM + fp32 cross-entropy, one read + write of [T,V/t] x 4 B) on the last "
                       "stage; --eager-cross-entropy: 3 x GEMM + PyTorch eager cross-entropy, 22 B forward + 26 B "
                       "backward per [T,V/t] element (fp32 cast, log_softmax's 3 reads + 1 write, nll_loss; "
                       "zero-filled gradient, log_softmax backward, cast back) in 7 kernels; --te-cross-entropy: "
                       "3 x GEMM + Transformer Engine's Triton cross-entropy, 2 B forward (one read of the 16-bit "
                       "row) + 4 B backward (read, gradient written in place) per [T,V/t] element in 3 kernels; "
                       "--fp8-output-head: the "
                       "3 GEMMs as FP8 linear layers (fp8 rate, 1 B operands, one quantize pass of [T,h] each)"),
        "t_rope_unfused_s": ("--rope-fusion unfused: m x L_s x 2 calls (Q, K) x [forward (20 B, 11 kernels) + "
                             "backward (16 B, 4 kernels) per element of t beyond the fused RoPE's 4 B, 1 kernel; "
                             "+ the forward again under full recompute] at BW x mem_eff + launches; elements "
                             "b s/cp x (heads/t + kv heads per device) x head dim (Megatron-Core's eager "
                             "_apply_rotary_pos_emb_bshd, run when a YaRN model's mscale != 1: rope_utils.py "
                             "@00c51e13, PR #2038); 0 with fused RoPE"),
        "t_tp_comm_s": ("m x L_s x (4 [+2 full, +1 mlp or op recompute]; half that for parallel attention+MLP blocks) "
                        "x allreduce(b s h x 2 B over tp); --tp-comm-overlap (userbuffers, --tp-overlap-cfg): "
                        "what each tensor-parallel GEMM takes beyond its own time when run as tp ring-exchange "
                        "chunks, 4 pipelined chunks or beside a bulk collective, on the SMs the config leaves it; "
                        "--tp-comm-overlap with stack torchtitan (async TP): the forward AGs / RSs and the backward "
                        "output-gradient AGs as tp copy-engine ring chunks, c + (tp-1) max(c, p) (+ p for a RS) less "
                        "the GEMM, no SMs taken; the backward input-gradient RSs exposed; "
                        "stack megatron without --tp-comm-overlap or --no-tp-async: with sequence parallel forward "
                        "AG + RS per GEMM pair, backward AG exposed, "
                        "the column-parallel re-gather and reduce-scatter less overlap_eff x their GEMM (AG of 1 B in "
                        "fp8); without it the forward's all-reduces, the column-parallel input-gradient all-reduces "
                        "less overlap_eff x their weight-gradient GEMM"),
        "t_cp_comm_s": "m x L_s x 3 (cp-1) max(0, p2p(K,V block) - overlap_eff x t_core / cp)",
        "t_ep_comm_s": "m x L_s x frac_moe x 4 x alltoall(b s top_k h x 2 B / t over ep; link of etp x ep ranks; "
                       "wider than the domain: max(domain peers' share / scale-up, the rest / scale-out)); "
                       "--moe-dispatcher hybridep / deepep over more than one domain: b s / t x nodes per token x h "
                       "x 2 B at the published rate x scale-out / 50 GB/s (comm.hierarchical_dispatch_s); "
                       "--ep-a2a-overlap: in a share (m v - warmup) / (m v) of the passes (warmup (p-1) x 2 + (v-1) "
                       "p + 1), a forward/backward pair exposes per MoE layer max(0, a - eff x attn_fwd) + max(0, 2a "
                       "- eff x 3 mlp_fwd) + max(0, a - eff x 2 attn_fwd), a = one all-to-all; --schedule dualpipe "
                       "(DeepSeek-V3 report sec. 3.2.1): the same pair exposure in a share (m - 3p/2 + 1) / m of the "
                       "chunks, those DualPipe pairs on its first rank (deepseek-ai/DualPipe dualpipe.py steps 4-5)",
        "t_ep_comm_raw_s": "m x L_s x frac_moe x 4 x alltoall(...): the expert all-to-all traffic before any overlap "
                           "(hidden = this - t_ep_comm_s)",
        "t_pp_p2p_s": "m x 2 v x (latency + b s h x 2 B / t / BW [+ all-gather of b s h over tp without sequence "
                      "parallel]); interleaved (v > 1) without --p2p-overlap: (2 W + k (m v - W)) sends, W = 2 (p - 1) "
                      "+ (v - 1) p warmup chunk forwards, k = 1 when the batched steady-state exchange's two "
                      "neighbours sit on different links (a stage smaller than the scale-up domain, p > 2, the job "
                      "spanning domains), else 2; --p2p-overlap with v > 1: each send less "
                      "overlap_eff x one chunk's forward (backward) compute, at least 0; --schedule dualpipe: "
                      "max(0, send - overlap_eff x the paired backward's compute) + max(0, send - overlap_eff x "
                      "the paired forward's) (DeepSeek-V3 report sec. 3.2.1)",
        "t_zero3_comm_s": "m x max(0, 3 x allgather(stage params x 2 B over the shard group; routed experts over "
                          "the in_edp_ranks) - overlap_eff x t_mb "
                          "compute)",
        "t_fsdp_latency_s": ("stack pytorch-fsdp or torchtitan, zero 2/3: m x (k L_s + 2) x [(g - d_out) x scale-up "
                             "latency + (d_out - 1) x scale-out latency]: per-layer NCCL ring step latencies over the "
                             "g shard ranks (d_out domains), exposed; k = 3 (zero 3) or 2 (zero 2)"),
        "t_dp_comm_s": "max(0, A - overlap_eff x t_bwd(1 mb)), A = hier_allreduce(stage dense grads x 2 B over dp x "
                       "cp) + hier_allreduce(routed-expert grads x 2 B over the in_edp_ranks, etp x ep apart; "
                       "Megatron-Core's separate expert buffers) ("
                       "HSDP+ZeRO-3: 1/g shard over the replicas); stack megatron, zero 1/2 (distributed optimizer): "
                       "max(0, A/2 - overlap_eff x t_bwd(1 mb)) + max(0, A/2 - overlap_eff x t_fwd(1 mb)); "
                       "interleaved (v > 1): max(A / v, A - overlap_eff x (v - 1) min(p, m) t_bwd(1 mb) / v), each "
                       "chunk's reduction launched when its last backward ends (Megatron-Core schedules.py); + "
                       "t_dp_latency_s; + stack megatron, tied embedding, p > 1: ring all-reduce of the word "
                       "embedding's V / t x h gradient between the first and last stage, exposed "
                       "(finalize_model_grads, tied_embedding_grad_s)",
        "t_dp_latency_s": ("stack megatron, zero 1/2, NCCL / RCCL: 2 x in_dp_buckets x [(g - d_out) x scale-up "
                           "latency + (d_out - 1) x scale-out latency], one flat NCCL ring reduce-scatter and "
                           "all-gather per bucket over the g = dp x cp ranks (d_out domains; expert buckets over "
                           "the expert-data-parallel ranks), exposed "
                           "(dist_opt_latency_s); part of "
                           "t_dp_comm_s"),
        "t_microbatch_s": ("one micro-batch on the busiest stage, t_mb: (t_fwd_s + t_bwd_s + t_recompute_s + "
                           "t_logits_s + t_rope_unfused_s + t_tp_comm_s + t_cp_comm_s + t_ep_comm_s + t_pp_p2p_s + "
                           "t_zero3_comm_s + "
                           "t_fsdp_latency_s) / m, those rows being m x their per-micro-batch time"),
        "t_bubble_s": "1f1b: (p - 1) / v x t_mb (Narayanan 2021), + 2 (p - 1) pipeline sends with --p2p-overlap "
                      "(the fill and drain wait for them, fill_drain_p2p_s); zb-h1: (p-1)(t_mb - 2 T_W); zb-h2: "
                      "(p-1)(t_mb - 3 T_W) (Qi 2024); dualpipe: (p/2 - 1)(F&B + B - 3W) (DeepSeek-V3 report "
                      "Table 2; in_dualpipe_fb_s, in_dualpipe_b_s, in_dualpipe_w_s)",
        "t_optimizer_s": ("optimizer step: (2 x --optimizer-bytes state read + written + 2 B gradient read + the "
                          "16-bit weight written) x local (ZeRO-sharded) parameters / "
                          "(BW x mem_eff)"),
        "step_time_s": "m x t_microbatch_s + t_bubble_s + t_dp_comm_s (exposed) + t_optimizer_s",
        "mfu": "3 x model FLOPs/token x tokens/step / (step x devices x peak)",
        "hfu": "(model + recompute FLOPs) / (step x devices x peak)",
        "mem_weights_bytes": ("2 B x stage params (dualpipe: 2 stages' params, DeepSeek-V3 report Table 2: "
                              "'Parameter 2x'; their grads and optimizer state 2x too, an assumed upper bound) "
                              "(--fp8-params: 1 B for the GEMM weights, + 1 for the transposed "
                              "copy on Hopper) (with ZeRO-3: the dense ones / in_zero_shard_ranks, the routed experts "
                              "/ in_edp_ranks, + 2 gathered layers)"),
        "mem_grads_bytes": ("2 B x stage params (with ZeRO >= 2: the dense ones / in_zero_shard_ranks, the routed "
                            "experts / in_edp_ranks)"),
        "mem_optimizer_bytes": ("--optimizer-bytes (default 12) B x stage params (with ZeRO >= 1: the dense ones / "
                                "in_zero_shard_ranks, the routed experts / in_edp_ranks)"),
        "mem_activations_bytes": "Korthikanti 2022 eq. 1-2 per layer (minimal: MaxText's saved projection "
                                 "outputs + layer input; minimal_flash: those + the attention output 'context'; "
                                 "save_dot_except_mlpwi: the Q/K/V and out-projection outputs + layer input; op: "
                                 "the layer input + torchtitan's saved outputs of the "
                                 "odd matmuls, the flash kernel and the sequence-parallel reduce-scatters) x L_s x "
                                 "min(m, p) in flight (zb-h2: 2p - 1; dualpipe: p + 1 on the first and the last "
                                 "rank, DeepSeek-V3 "
                                 "report Table 2; --ep-a2a-overlap: + 1 layer, the paired "
                                 "forward's, where a steady-state step pairs a forward with a backward) (+ logits)",
        "mem_overhead_bytes": "framework overhead from the calibration file",
        "mem_total_bytes": ("memory per device (`plan`'s mem/dev): mem_weights_bytes + mem_grads_bytes + "
                            "mem_optimizer_bytes + mem_activations_bytes + mem_overhead_bytes"),
        "mem_capacity_bytes": "the device's memory (catalog); the layout fits when mem_total_bytes <= this",
    }


# The stack conditions the formula texts name, as they are written there, and the stacks each covers (the code's
# MEGATRON_STACKS / FSDP_STACKS tests).
_STACK_CLAUSES = (("stack pytorch-fsdp or torchtitan", FSDP_STACKS), ("stack megatron", MEGATRON_STACKS))


def texts_for_stack(texts: dict[str, str], stack: str) -> dict[str, str]:
    """explain_terms() / explain_inputs() as one run on `stack` reads them: a text whose clauses are conditioned on
    another stack names the stack that ran (`plan explain --stack maxtext` printed 'stack megatron, zero 1/2, ...'
    beside t_dp_latency_s 0 ns, as though Megatron ran). A term that exists only under that other stack (its text
    opens with the condition) reads '0 with stack S: ...'; a term with such a clause among others gets '[stack S ran:
    its ... clauses do not apply]'."""
    out: dict[str, str] = {}
    for k, text in texts.items():
        absent = [clause for clause, stacks in _STACK_CLAUSES if clause in text and stack not in stacks]
        if absent and any(text.startswith(c) for c in absent):
            out[k] = f"0 with stack {stack} (counted only with {absent[0]}): {text}"
        elif absent:
            out[k] = f"{text} [stack {stack} ran: its {' / '.join(repr(c) for c in absent)} clauses do not apply]"
        elif stack != "megatron" and stack in MEGATRON_STACKS and "stack megatron" in text:
            out[k] = f"{text} [stack {stack} ran: counted as 'stack megatron']"
        else:
            out[k] = text
    return out


def layout_dict(lay: Layout) -> dict[str, Any]:
    return asdict(lay)


# A workload whose meta names no dtype (one written by hand or by another tool; `profile --save-workload` records it):
# its step is taken to run at the bf16 peak, said beside the result (workload_dtype).
WORKLOAD_DEFAULT_DTYPE = "bf16"


def workload_dtype(workload: Any) -> tuple[str, str | None]:
    """(the dtype whose peak a workload's step runs at, the note saying it was assumed or None): its meta 'dtype', else
    WORKLOAD_DEFAULT_DTYPE."""
    given = workload.meta.get("dtype")
    if given is not None:
        return str(given), None
    return WORKLOAD_DEFAULT_DTYPE, (f"default used: workload {workload.name!r} names no dtype in its meta: its step "
                                    f"runs at the {WORKLOAD_DEFAULT_DTYPE} peak (give meta \"dtype\", as `accelopt "
                                    "profile --save-workload` records it)")


def workload_batch_note(workload: Any) -> str | None:
    """The note for a workload whose meta names no batch_size: evaluate_workload counts 1 sample per device per step."""
    if workload.meta.get("batch_size"):
        return None
    return (f"default used: workload {workload.name!r} names no batch_size in its meta: 1 sample per device per step "
            "(time to train counts --tokens over it; give meta \"batch_size\", as `accelopt profile --save-workload` "
            "records it)")


MIXED_PRECISION_STATE_B_PER_PARAM = (2.0, 2.0, 12.0)
"""(weights, gradients, optimizer state) bytes per parameter of mixed-precision Adam: bf16/fp16 weights and gradients,
fp32 master weights + two moments (Rajbhandari et al. 2020, ZeRO, sec. 3.1: 2 + 2 + 12 = 16 bytes per parameter)."""


def workload_state_bytes(workload: Any) -> tuple[float, float, float, str | None]:
    """(weights, gradients, optimizer state bytes, the note saying a default was used or None) of a training workload:
    its meta's param_bytes, grad_bytes and optimizer_state_bytes, measured after its real step (`accelopt profile
    --save-workload` records them), else mixed-precision Adam's 2 + 2 + 12 bytes per parameter."""
    meta = workload.meta
    keys = ("param_bytes", "grad_bytes", "optimizer_state_bytes")
    if all(isinstance(meta.get(k), int | float) and meta[k] >= 0 for k in keys):
        return float(meta["param_bytes"]), float(meta["grad_bytes"]), float(meta["optimizer_state_bytes"]), None
    params = float(meta.get("params") or 0)
    w, g, o = (b * params for b in MIXED_PRECISION_STATE_B_PER_PARAM)
    return w, g, o, (f"default used: workload {workload.name!r} records no param_bytes, grad_bytes and "
                     "optimizer_state_bytes in its meta: weights, gradients (the all-reduce's volume) and optimizer "
                     "state taken as mixed-precision Adam's 2 + 2 + 12 bytes per parameter (ZeRO, Rajbhandari et al. "
                     "2020); save it again with `accelopt profile --save-workload`, which measures them")


def evaluate_workload(workload: Any, spec: AcceleratorSpec, dp: Arr, zero: Arr, *, tokens: float = 0.0,
                      cal: Calibration | None = None, facility: Facility | None = None,
                      measured: comm.MeasuredLink | None = None) -> Prediction:
    """A profiled Workload (accelopt profile --save-workload) replicated data-parallel, with ZeRO 0-3.

    Compute = the per-op roofline sum of its ops (one step of its own batch per device); gradient
    all-reduce of its gradient bytes over dp, overlapped with its backward ops when they exist. Memory = its weights,
    gradients and optimizer state (workload_state_bytes: as its step measured them, else 16 bytes/param), sharded by
    ZeRO (Rajbhandari et al. 2020), + the bytes its forward ops write (kept for backward) + framework overhead.
    """
    cal = cal or calibration_for(spec)
    fac = facility or Facility()
    params = float(workload.meta.get("params") or 0)
    if params <= 0:
        raise InputError(f"workload {workload.name!r} has no meta 'params'",
                         "save it with `accelopt profile --save-workload` (which records the parameter count)")
    dtype, _ = workload_dtype(workload)
    peak = spec.peak(dtype)
    if peak is None:  # never another dtype's peak in its place (an fp32 step is not a bf16 step)
        # An fp64 step is a model whose weights are all fp64 (.double(), capture.step_dtype): profile runs it as it
        # is whatever --dtype says (autocast casts no fp64 tensor), so `--dtype bf16` alone captures fp64 again.
        weights = " with the model's weights in fp32 (leave out its .double())" if dtype == "fp64" else ""
        raise InputError(f"device {spec.name!r} has no peak_flop_per_s.{dtype} in its spec, and workload "
                         f"{workload.name!r} runs in {dtype}",
                         f"capture the workload in a dtype the device lists ({', '.join(spec.peak_flop_per_s)}), "
                         f"e.g. `accelopt profile --dtype bf16 --save-workload`{weights}, or give "
                         f"peak_flop_per_s.{dtype} with its source in a --hardware spec TOML")
    dev = Device(peak_flop_per_s=peak, bw_byte_per_s=spec.memory_bandwidth_byte_per_s, cal=cal)
    t_ops = {"forward": 0.0, "backward": 0.0, "optimizer": 0.0}
    flops = 0.0
    for op in workload.ops:
        if op.phase not in t_ops:
            continue
        t_ops[op.phase] += op_s(op.kind, op.flops, op.bytes_total, dev, op.count)
        flops += op.flops * op.count
    dpf = np.asarray(dp, dtype=float)
    links = comm.Links.of(spec, cal, measured)
    w_b, g_b, o_b, _ = workload_state_bytes(workload)
    t_ar = comm.hier_allreduce_s(np.full_like(dpf, g_b), np.asarray(dp), np.ones_like(dp), links)
    # ZeRO-3 moves 1.5x the all-reduce volume (an all-gather of the weights for the forward, another for the
    # backward, a reduce-scatter of the gradients: Rajbhandari et al. 2020 sec. 7.3). The extra gathers are traffic
    # first; the overlap is subtracted afterwards, from the compute they can hide behind: the forward gather behind
    # the forward, the backward gather and reduce-scatter behind the backward. ZeRO-0/1/2 hide behind the backward.
    z3 = zero >= 3
    t_ar = np.where(z3, 1.5 * t_ar, t_ar)
    hide = np.where(z3, t_ops["forward"] + t_ops["backward"], t_ops["backward"])
    t_dp = np.maximum(0.0, t_ar - cal.overlap_eff * hide)
    step = t_ops["forward"] + t_ops["backward"] + t_ops["optimizer"] + t_dp
    acts = sum(o.bytes_written * o.count for o in workload.ops if o.phase == "forward")
    w = np.where(zero >= 3, w_b / dpf, w_b)
    g = np.where(zero >= 2, g_b / dpf, g_b)
    o = np.where(zero >= 1, o_b / dpf, o_b)
    total = w + g + o + acts + cal.framework_overhead_bytes
    # tokens per sample: seq_len for sequence models; a model without one (MLP, CNN) counts samples
    batch = float(workload.meta.get("batch_size") or 1) * float(workload.meta.get("seq_len") or 1)
    tokens_step = batch * dpf
    time_s = np.where(tokens > 0, tokens / tokens_step * step, 0.0)
    e_j = energy_j(spec, dpf, time_s, 1.0, fac) if spec.tdp_w is not None else np.full_like(step, np.nan)
    c = cost_usd(spec, dpf, time_s)
    terms = {"devices": dpf, "t_fwd_s": _full(t_ops["forward"], step), "t_bwd_s": _full(t_ops["backward"], step),
             "t_optimizer_s": _full(t_ops["optimizer"], step), "t_dp_comm_raw_s": t_ar, "t_dp_comm_s": t_dp,
             "step_time_s": step, "mfu": flops / (step * dev.peak_flop_per_s), "mem_weights_bytes": w,
             "mem_grads_bytes": g, "mem_optimizer_bytes": o, "mem_activations_bytes": _full(acts, step),
             "mem_total_bytes": total, "train_time_s": time_s, "energy_j": _full(e_j, step),
             "cost_usd": _full(c, step) if c is not None else np.full_like(step, np.nan)}
    return Prediction(terms=terms, feasible=total <= spec.memory_bytes,
                      assumed=links.used_by(int(dpf.max())) if len(dpf) else [], measured=links.measured)
