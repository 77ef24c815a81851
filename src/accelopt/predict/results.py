"""Typed results of `accelopt plan` and `plan explain` (JSON shape: accelopt.report.schema).

Every number carries its unit in its field (accelopt.units.unit); `plan explain`'s terms, whose
unit varies from row to row, carry it beside the value (`Term.unit`, from `TERM_UNITS`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import ClassVar

from accelopt.hardware.spec import AcceleratorSpec
from accelopt.predict.calibration import Calibration
from accelopt.predict.comm import Assumption, MeasuredLink
from accelopt.predict.compute import model_flops_per_token
from accelopt.predict.curve_basis import CurveBasis
from accelopt.predict.search import SearchAxes
from accelopt.predict.training import Layout, device_rates, modules_beyond_mode, recompute_text
from accelopt.units import Quantity, unit
from accelopt.workload.transformer import TransformerConfig

# Unit of every term `predict.training.evaluate` / `evaluate_workload` return (the keys of Prediction.terms).
TERM_UNITS: dict[str, str] = {
    "devices": "count", "layers_per_stage": "count",
    "t_fwd_s": "s", "t_bwd_s": "s", "t_recompute_s": "s", "t_logits_s": "s", "t_rope_unfused_s": "s",
    "t_tp_comm_s": "s", "t_cp_comm_s": "s",
    "t_ep_comm_s": "s", "t_pp_p2p_s": "s", "t_zero3_comm_s": "s", "t_dp_comm_raw_s": "s", "t_dp_comm_s": "s",
    "t_dp_latency_s": "s", "in_dp_buckets": "count",
    "t_zero3_comm_raw_s": "s", "t_fsdp_latency_s": "s", "in_fsdp_collectives": "count",
    "t_cp_comm_raw_s": "s", "t_ep_comm_raw_s": "s", "t_microbatch_s": "s", "t_bubble_s": "s", "t_optimizer_s": "s",
    "step_time_s": "s",
    "tokens_per_s": "tok/s", "mfu": "fraction", "hfu": "fraction", "model_flops_per_step": "FLOP",
    "hw_flops_per_step": "FLOP", "mem_weights_bytes": "B", "mem_grads_bytes": "B", "mem_optimizer_bytes": "B",
    "mem_activations_bytes": "B", "mem_overhead_bytes": "B", "mem_total_bytes": "B", "mem_capacity_bytes": "B",
    "train_time_s": "s", "device_hours": "device-h", "busy_fraction": "fraction", "calibrated": "count",
    "energy_j": "J", "carbon_kg": "kg CO2e", "cost_usd": "USD", "in_micro_batches": "count",
    "in_tokens_per_microbatch": "count",
    "in_first_gemm_flops": "FLOP", "in_first_gemm_eff": "fraction", "in_tp_link_byte_per_s": "B/s",
    "in_pp_link_byte_per_s": "B/s", "in_dp_ranks_in_domain": "count", "in_dp_domains": "count",
    "in_peak_flop_per_s": "FLOP/s", "in_seqs_per_rank_max": "count", "in_seqs_per_rank_min": "count",
    "in_zero_shard_ranks": "count", "in_ep_group_span": "count", "in_edp_ranks": "count",
    "in_edp_domains": "count", "in_tp_ici_dims": "count", "in_dp_ici_dims": "count",
    "in_scaleup_link_byte_per_s": "B/s",
    "in_scaleup_latency_s": "s", "in_ring_attention_fwd_factor": "ratio", "in_ring_attention_bwd_factor": "ratio",
    "in_dualpipe_fb_s": "s", "in_dualpipe_b_s": "s", "in_dualpipe_w_s": "s",
}


def _num(terms: Mapping[str, float | None], key: str) -> float:
    v = terms.get(key)
    return math.nan if v is None else float(v)


@dataclass(frozen=True, kw_only=True)
class LayoutRow:
    """One predicted layout of a training run (all figures are estimates)."""

    hardware: str
    devices: int = unit("count")
    layout: Layout
    step_time_s: float = unit("s", "time of one optimizer step")
    tokens_per_s: float = unit("tok/s", "training throughput, all devices")
    mfu: float = unit("fraction", "model FLOPs utilization")
    hfu: float = unit("fraction", "hardware FLOPs utilization (with recompute)")
    mem_total_bytes: float = unit("B", "memory per device")
    mem_capacity_bytes: float = unit("B", "device memory capacity")
    train_time_s: float = unit("s", "time to train on the token target")
    device_hours: float = unit("device-h")
    cost_usd: float = unit("USD", "null without a catalog price")
    energy_j: float = unit("J", "facility energy; null without a TDP")
    carbon_kg: float = unit("kg CO2e", "null without a TDP")
    calibrated: bool = True
    """False: the device's calibration family (and stack) was fitted on no published run of this precision; where its
    efficiencies come from instead (carried over from another family's fit, derived from a cited measurement, the
    default curve) is the result's `calibration_basis`, printed beside the device."""
    recompute_modules: tuple[str, ...] = ()
    """The --recompute-modules this layout redoes beyond its recompute mode (training.modules_beyond_mode: [] under
    full, which redoes whole layers); what it recomputes is the mode plus these (`recompute_text`)."""

    @property
    def recompute_text(self) -> str:
        """'none+mlp', 'full 24': the recompute column of the console and HTML tables."""
        return recompute_text(self.layout.recompute, self.layout.recompute_layers, self.recompute_modules)

    @classmethod
    def of(cls, hardware: str, layout: Layout, terms: Mapping[str, float | None],
           modules: tuple[str, ...] = ()) -> LayoutRow:
        """From one column of Prediction.terms; `modules`: the setup's --recompute-modules."""
        return cls(hardware=hardware, devices=int(_num(terms, "devices")), layout=layout,
                   recompute_modules=modules_beyond_mode(layout.recompute, modules),
                   step_time_s=_num(terms, "step_time_s"), tokens_per_s=_num(terms, "tokens_per_s"),
                   mfu=_num(terms, "mfu"), hfu=_num(terms, "hfu"), mem_total_bytes=_num(terms, "mem_total_bytes"),
                   mem_capacity_bytes=_num(terms, "mem_capacity_bytes"), train_time_s=_num(terms, "train_time_s"),
                   device_hours=_num(terms, "device_hours"), cost_usd=_num(terms, "cost_usd"),
                   energy_j=_num(terms, "energy_j"), carbon_kg=_num(terms, "carbon_kg"),
                   calibrated=_num(terms, "calibrated") != 0.0)


@dataclass(frozen=True, kw_only=True)
class GemmCurve:
    """The GEMM-efficiency curve a training prediction times its GEMMs with, eff(F) = eff_max F / (F + half_flop)
    of the peak (compute.Device.matmul_eff, F a GEMM's FLOPs), and the linear layers' own where they run in another
    precision (--dtype fp8: compute.LinearPrecision). `plan explain` prints it in its headline; the page shows it from
    this object (it lacked it: uttrialC)."""

    eff_max: float = unit("fraction", "the fraction of the 16-bit peak a large GEMM reaches (calibration "
                          "matmul_eff_max)")
    half_flop: float = unit("FLOP", "the GEMM size that reaches half of eff_max on this device (matmul_half_flop, "
                            "or matmul_half_s x peak x eff_max where the family gives a time)")
    linear_dtype: str | None = None
    """The linear layers' precision where it differs from the 16-bit curve's ('fp8'); None: they run on it."""
    linear_eff_max: float | None = unit("fraction", "eff_max of the linear layers' GEMMs at their own peak "
                                        "(fp8_matmul_eff_max; None without linear_dtype)", default=None)
    linear_half_flop: float | None = unit("FLOP", "their half-size point at their own peak (None without "
                                          "linear_dtype)", default=None)
    cast_bytes_per_input: float | None = unit("B", "memory traffic to quantize one element of each such GEMM's "
                                              "activation input, by the fp8 recipe (None without linear_dtype)",
                                              default=None)

    @classmethod
    def of(cls, spec: AcceleratorSpec, dtype: str, cal: Calibration, fp8_recipe: str) -> GemmCurve:
        """The curve of a `dtype` run on `spec` under `cal`, as the predictor builds it (training.device_rates)."""
        dev = device_rates(spec, dtype, cal, fp8_recipe)
        lin = dev.linear
        return cls(eff_max=cal.matmul_eff_max, half_flop=dev.half_flop, linear_dtype=lin.dtype if lin else None,
                   linear_eff_max=lin.eff_max if lin else None, linear_half_flop=lin.half_flop if lin else None,
                   cast_bytes_per_input=lin.cast_bytes_per_input if lin else None)


@dataclass(frozen=True, kw_only=True)
class ModelFigures:
    """The model as the predictors read it (a preset or a config.json), to check against its model card."""

    params_total: int = unit("count", "parameters, every expert and the embeddings included")
    params_active: int = unit("count", "parameters one token uses (MoE: its top_k routed experts + the shared ones; "
                              "params_total for a dense model)")
    training_flops_per_token: float = unit("FLOP", "training FLOPs per token at seq_len: 3 x forward (2 per weight "
                                           "used, the logits, attention over the sequence; "
                                           "predict/compute.py model_flops_per_token)")
    seq_len: int = unit("count", "the sequence length training_flops_per_token is at")

    @classmethod
    def of(cls, model: TransformerConfig, seq_len: int) -> ModelFigures:
        return cls(params_total=model.params_total(), params_active=model.params_active(),
                   training_flops_per_token=3.0 * model_flops_per_token(model, seq_len), seq_len=seq_len)


@dataclass(frozen=True, kw_only=True)
class SetupFlagFields:
    """The setup flags that change a training prediction beyond the layout, recorded by `plan` and `plan explain`
    alike (one declaration for both result records)."""

    edge_stage_layers: int | None = unit("count", "--edge-stage-layers: layers on the first and last pipeline stage "
                                         "(null: an even split)", default=None)
    p2p_overlap: bool = False
    """--p2p-overlap: interleaved pipeline sends hidden behind the next chunk's compute."""
    tp_comm_overlap: bool = False
    """--tp-comm-overlap: sequence-parallel collectives pipelined with their GEMMs."""
    tp_overlap_cfg: str = ""
    """--tp-overlap-cfg: the userbuffers config of --tp-comm-overlap ('': Transformer Engine's defaults)."""
    ep_a2a_overlap: bool = False
    """--ep-a2a-overlap: expert all-to-alls overlapped with another micro-batch's compute (Megatron-Core)."""
    moe_dispatcher: str = "alltoall"
    """--moe-dispatcher: the MoE token dispatcher (alltoall: NCCL all-to-all, one copy per expert rank; hybridep /
    deepep: across nodes one copy per destination node at the published HybridEP / DeepEP rate)."""
    moe_router_dtype: str = "bf16"
    """--moe-router-dtype: the MoE router GEMM's precision (bf16: a 16-bit GEMM; fp32: Megatron-Core's fp32 router,
    its gradient GEMMs in fp32 / TF32 with their casts)."""
    moe_grouped_mlp: str = "te"
    """--moe-grouped-mlp: the routed experts' GEMM path (te: Transformer Engine's per-expert cuBLASLt loop, each GEMM at
    least the family's expert_gemm_floor_s; cutedsl: its CuTe DSL MXFP8 fused grouped MLP, one kernel per GEMM)."""
    fp8_params: bool = False
    """--fp8-params: GEMM weights kept in FP8 (memory only)."""
    tp_async: bool = True
    """False with --no-tp-async: the megatron stack's backward tensor-parallel collectives on the critical path."""
    offload_layers: int = unit("count", "--offload-layers: layers per pipeline stage whose saved activations are in "
                               "host memory (memory only)", default=0)
    fp8_saved_inputs: bool = False
    """--fp8-saved-inputs: linear layers keep FP8 copies of their inputs for the backward (memory only)."""
    fp8_output_head: bool = False
    """--fp8-output-head: the output layer's (logits) GEMMs run in FP8 like the linear layers' (time only)."""
    no_dropout: bool = False
    """--no-dropout: no dropout masks are kept (memory only)."""
    vocab_tiling: int = unit("count", "--vocab-tiling: the output layer and cross-entropy in this many chunks along "
                             "the batch-sequence axis, MaxText's num_vocab_tiling (memory only)", default=1)
    optimizer_state_bytes: float = unit("B/param", "--optimizer-bytes: optimizer state per parameter beside the 16-bit "
                                        "weight and gradient (memory only)", default=12.0)
    fp8_recipe: str = "delayed"
    """--fp8-recipe: the FP8 linear layers' scaling recipe (delayed, current, mxfp8): its quantize cost per GEMM
    input."""
    attention_kernel: str = "fused"
    """--attention-kernel: the kernel that runs the attention core (fused: cuDNN/TE fused attention on the GEMM curve;
    flash2: FlashAttention-2 at the family's published rate; triton: FlashAttention in Triton at the family's triton
    rate; unfused: scores in memory, as --no-flash)."""
    attention_unpad: bool = False
    """--attention-unpad: padding copies around a varlen fused attention call, every layer (llm-foundry's MPT)."""
    cudnn_before_9_17: bool = False
    """--cudnn-before-9-17: the run's cuDNN predates 9.17.0; a fused attention core runs at the device's rates under
    such a release where the catalog gives them."""
    rope_fusion: str = "fused"
    """--rope-fusion: how RoPE is applied to the queries and keys (fused: one fused kernel each way; unfused:
    Megatron-Core's eager RoPE, which it runs when a YaRN model's mscale != 1, charged as t_rope_unfused_s)."""
    eager_cross_entropy: bool = False
    """--eager-cross-entropy: the loss is PyTorch eager F.cross_entropy in fp32 on 16-bit logits (cast, log_softmax,
    nll_loss and their backward: 48 B per logit element instead of 24)."""
    te_cross_entropy: bool = False
    """--te-cross-entropy: the loss is Transformer Engine's Triton cross-entropy (Megatron-Core's fused loss with
    cross_entropy_fusion_impl te: 6 B per logit element instead of 24)."""
    dp_bucket_params: int | None = unit("count", "--dp-bucket-params: the distributed optimizer's bucket in "
                                        "parameters, as the recipe sets it; null: Megatron-Core's default "
                                        "max(40M, 1M x dp cp), a default", default=None)
    recompute_modules: tuple[str, ...] = ()
    """--recompute-modules: Megatron-Core selective-recompute modules redone on top of the recompute mode (none
    selective or mlp), e.g. ["mla_up_proj", "moe_act"]; []: none."""


@dataclass(frozen=True, kw_only=True)
class PlanResult(SetupFlagFields):
    """`accelopt plan`: the layout search for a model preset or config (estimates)."""

    SCHEMA_KIND: ClassVar[str] = "plan"
    SCHEMA_VERSION: ClassVar[int] = 21
    READS_VERSIONS: ClassVar[tuple[int, ...]] = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20)
    """Version 2 declares optimizer_state_bytes per parameter (B/param, was B); the values are the same, so version 1
    reads. Version 3 adds model_figures (a default: null). Version 4 adds attention_kernel (a default: fused)
    and tp_overlap_cfg (a default: ''). Version 5 adds input_warnings (a default: []). Version 6 adds
    attention_unpad (a default: false). Version 7 adds dp_bucket_params (a default: null). Version 8 adds
    recompute_modules (a default: []). Version 9 adds each layout row's recompute_modules (a default: []).
    Version 10 adds closest_to_limits (a default: []). Version 11 adds eager_cross_entropy (a default: false).
    Version 12 adds skipped_options (a default: {}; an older document's skipped device is printed without a fix).
    Version 13 adds fp8_output_head (a default: false). Version 14 adds moe_dispatcher (a default: alltoall).
    Version 15 adds moe_router_dtype (a default: bf16). Version 16 adds moe_grouped_mlp (a default: te). Version 17
    adds cudnn_before_9_17 (a default: false). Version 18 adds vocab_tiling (a default: 1). Version 19 adds
    rope_fusion (a default: fused). Version 20 adds te_cross_entropy (a default: false). Version 21 adds
    axes.recompute, the recompute modes searched (`plan --recompute`; a default: null, none / selective / full)."""

    model: str
    seq_len: int = unit("count", "tokens per sequence")
    global_batch_seqs: int = unit("count", "sequences per optimizer step")
    tokens: float = unit("count", "tokens to train on")
    dtype: str
    stack: str
    flash: bool
    """Fused attention (no s x s tensor in memory)."""
    objective: str
    candidates: int = unit("count", "layouts evaluated")
    feasible: int = unit("count", "layouts that fit and meet the limits")
    dropped: dict[str, int] = field(metadata={"unit": "count", "doc": "layouts dropped, by reason"})
    search_s: float = unit("s", "wall time of the search (measured)")
    best: list[LayoutRow]
    pareto_front: list[LayoutRow]
    closest_by_memory: list[LayoutRow] = field(default_factory=list)
    """When no layout fits memory: the layouts closest to fitting it (the command then exits 2)."""
    closest_to_limits: list[LayoutRow] = field(default_factory=list)
    """When layouts fit memory but none meets --deadline / --budget-usd: those that fit, nearest the limits first
    (the larger of train time / deadline and cost / budget; the command then exits 2)."""
    assumed: dict[str, list[Assumption]] = field(default_factory=dict)
    """Device -> defaults used in place of figures its spec lacks."""
    unused_config_keys: list[str] = field(default_factory=list)
    """Keys of a Hugging Face config.json the model builder did not use."""
    skipped_devices: dict[str, str] = field(default_factory=dict)
    """Devices not searched, with why (e.g. no peak for the requested dtype)."""
    skipped_options: dict[str, str] = field(default_factory=dict)
    """Devices not searched -> the flag each cannot run: --dtype (no peak at it), --fp8-recipe, --tp-comm-overlap,
    --attention-kernel or --eager-cross-entropy (errors.DeviceUnsupportedError.option); what the printed fix names."""
    schedule: str = "1f1b"
    """Pipeline schedule of every layout searched (1f1b: interleaved when vp > 1)."""
    measured_link: MeasuredLink | None = None
    """The scale-up link measured by `probe --collectives` (--collectives FILE) used in place of the catalog's."""
    axes: SearchAxes = field(default_factory=SearchAxes)
    """Values searched for hsdp, etp, recompute_layers and recompute (null: the automatic set; --hsdp, --etp,
    --recompute-layers, --recompute)."""
    slice_devices: int = unit("count", "devices per scale-up slice (a TPU ICI slice, a GPU NVLink domain; "
                              "--slice-devices; 0: the device's whole scale-up domain)", default=0)
    notes: list[str] = field(default_factory=list)
    """The lines printed under the tables: uneven global batches, layouts spanning several slices, what a group
    reaches of a measured link on a switchless domain."""
    calibration_basis: list[CurveBasis] = field(default_factory=list)
    """Per device searched: where the GEMM efficiencies of its calibration come from at this dtype and stack."""
    model_figures: ModelFigures | None = None
    """Parameters and training FLOPs per token of the model as read (null: a profiled workload)."""
    input_warnings: list[str] = field(default_factory=list)
    """Warnings about the command's inputs that nothing else in the result shows, as the console prints them on
    stderr: a --hardware spec `probe` measured on a busy machine (its peaks may be low)."""
    estimate: bool = True


@dataclass(frozen=True, kw_only=True)
class WorkloadLayoutRow:
    """One data-parallel x ZeRO layout of a profiled workload (estimates)."""

    hardware: str
    dp: int = unit("count", "data-parallel devices")
    zero: int = unit("count", "ZeRO stage")
    fits: bool
    step_time_s: float = unit("s")
    t_fwd_s: float = unit("s", "forward ops, per-op roofline")
    t_bwd_s: float = unit("s", "backward ops, per-op roofline")
    t_optimizer_s: float = unit("s")
    t_dp_comm_s: float = unit("s", "exposed data-parallel gradient all-reduce")
    mfu: float = unit("fraction")
    mem_weights_bytes: float = unit("B")
    mem_grads_bytes: float = unit("B")
    mem_optimizer_bytes: float = unit("B")
    mem_activations_bytes: float = unit("B")
    mem_total_bytes: float = unit("B", "memory per device")
    train_time_s: float = unit("s")
    cost_usd: float = unit("USD")
    energy_j: float = unit("J")

    @classmethod
    def of(cls, hardware: str, dp: int, zero: int, fits: bool, terms: Mapping[str, float | None]) -> WorkloadLayoutRow:
        """From one column of `evaluate_workload`'s Prediction.terms."""
        names = [f.name for f in fields(cls) if f.name not in ("hardware", "dp", "zero", "fits")]
        return cls(hardware=hardware, dp=dp, zero=zero, fits=fits, **{k: _num(terms, k) for k in names})


@dataclass(frozen=True, kw_only=True)
class WorkloadPlanResult:
    """`accelopt plan --model WORKLOAD.json`: a profiled workload replicated data parallel (estimates)."""

    SCHEMA_KIND: ClassVar[str] = "plan-workload"
    SCHEMA_VERSION: ClassVar[int] = 4  # 2: tokens and tokens_per_sample (train_time_s's inputs); 3: input_warnings;
    # 4: notes (the defaults used: the workload's dtype where its meta has none, the energy's)
    READS_VERSIONS: ClassVar[tuple[int, ...]] = (1, 2, 3)  # older versions lack only those, added with defaults

    workload: str
    stack: str
    layouts: list[WorkloadLayoutRow]
    tokens: float = unit("count", "tokens to train on (--tokens); samples where tokens_per_sample is 1 (a workload "
                         "without seq_len)", default=0.0)
    tokens_per_sample: int = unit("count", "the workload's seq_len (1 where it has none): train_time_s = tokens / "
                                  "(batch x this x dp) steps", default=1)
    assumed: dict[str, list[Assumption]] = field(default_factory=dict)
    """Device -> defaults used in place of figures its spec lacks."""
    input_warnings: list[str] = field(default_factory=list)
    """Warnings about the command's inputs that nothing else in the result shows, as the console prints them on
    stderr: a --hardware spec `probe` measured on a busy machine (its peaks may be low)."""
    notes: list[str] = field(default_factory=list)
    """Defaults the figures rest on, printed under the table: the dtype where the workload's meta has none
    (training.workload_dtype), the idle draw and facility figures of energy_j (cost.energy_defaults_note)."""
    estimate: bool = True


@dataclass(frozen=True, kw_only=True)
class Term:
    """One term of a layout's arithmetic: its value, unit and formula (or, for an input, its meaning)."""

    name: str
    value: float = field(metadata={"doc": "in `unit`"})
    unit: str
    formula: str = ""
    is_input: bool = False

    @property
    def quantity(self) -> Quantity:
        return Quantity(self.value, self.unit)


def terms_of(values: Mapping[str, float | None], formulas: Mapping[str, str],
             inputs: Mapping[str, str]) -> list[Term]:
    """Terms in `values` order; KeyError for a term without a declared unit (a programming error)."""
    return [Term(name=k, value=math.nan if v is None else float(v), unit=TERM_UNITS[k],
                 formula=inputs.get(k) or formulas.get(k, ""), is_input=k in inputs)
            for k, v in values.items()]


@dataclass(frozen=True, kw_only=True)
class ExplainResult(SetupFlagFields):
    """`accelopt plan explain`: one layout's whole arithmetic (estimates)."""

    SCHEMA_KIND: ClassVar[str] = "plan-explain"
    SCHEMA_VERSION: ClassVar[int] = 19
    READS_VERSIONS: ClassVar[tuple[int, ...]] = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18)
    """Version 2 declares optimizer_state_bytes per parameter (B/param, was B); the values are the same, so version 1
    reads. Version 3 adds model_figures (a default: null). Version 4 adds attention_kernel (a default: fused)
    and tp_overlap_cfg (a default: ''). Version 5 adds input_warnings (a default: []). Version 6 adds
    attention_unpad (a default: false). Version 7 adds dp_bucket_params (a default: null). Version 8 adds
    recompute_modules (a default: []). Version 9 adds each layout row's recompute_modules (a default: []).
    Version 10 adds eager_cross_entropy (a default: false). Version 11 adds fp8_output_head (a default: false).
    Version 12 adds moe_dispatcher (a default: alltoall). Version 13 adds moe_router_dtype (a default: bf16).
    Version 14 adds moe_grouped_mlp (a default: te). Version 15 adds cudnn_before_9_17 (a default: false).
    Version 16 adds vocab_tiling (a default: 1). Version 17 adds rope_fusion (a default: fused) and the term
    t_rope_unfused_s. Version 18 adds te_cross_entropy (a default: false). Version 19 adds gemm_curve (a default:
    null)."""

    model: str
    hardware: str
    calibration: str
    stack: str
    calibration_fitted_on: list[str]
    feasible: bool
    infeasible_because: list[str]
    prediction: LayoutRow
    terms: list[Term]
    flash: bool = True
    assumed: list[Assumption] = field(default_factory=list)
    """Defaults used in place of figures the device spec lacks."""
    unused_config_keys: list[str] = field(default_factory=list)
    measured_link: MeasuredLink | None = None
    """The scale-up link measured by `probe --collectives` (--collectives FILE) used in place of the catalog's."""
    notes: list[str] = field(default_factory=list)
    """What the layout implies beyond its terms (e.g. an uneven global batch over the data-parallel ranks)."""
    calibration_basis: CurveBasis | None = None
    """Where the GEMM efficiencies of the calibration come from at this dtype and stack (fitted on named runs, carried
    over from another family's fit, derived from a cited measurement, the default curve)."""
    model_figures: ModelFigures | None = None
    """Parameters and training FLOPs per token of the model as read."""
    input_warnings: list[str] = field(default_factory=list)
    """Warnings about the command's inputs that nothing else in the result shows, as the console prints them on
    stderr: a --hardware spec `probe` measured on a busy machine (its peaks may be low)."""
    gemm_curve: GemmCurve | None = None
    """The GEMM-efficiency curve the step is timed with (the headline's eff(F)); None in documents before version
    19."""
    estimate: bool = True

    def term(self, name: str) -> Term:
        return next(t for t in self.terms if t.name == name)
