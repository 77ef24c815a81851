"""One training layout's prediction from every input the predictor takes: the public path shared by
`plan explain` (flags) and `validate` (rows of the runs file), so the two cannot disagree.

`LayoutQuery` holds every input; `predict_layout` resolves the device and calibration, builds the
`Setup` and `Layout`, checks the structural rules and evaluates it (training.evaluate).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from accelopt.errors import InfeasibleError, InputError, case_hint
from accelopt.hardware.catalog import get_device
from accelopt.hardware.spec import AcceleratorSpec, max_memory_note
from accelopt.predict.calibration import (
    DEFAULT_STACK,
    MEGATRON_STACKS,
    STACKS,
    Calibration,
    calibration_for,
    load_calibrations,
)
from accelopt.predict.comm import (
    MOE_DISPATCHER_DEVICE_FIX,
    NO_LINK_FIX,
    Assumption,
    MeasuredLink,
    chains_in_domain,
    lists_no_link,
    load_measured,
    measured_peer_bw,
    moe_dispatcher_device_problem,
    no_link_problem,
    slice_spec,
    slice_words,
)
from accelopt.predict.compute import (
    MOE_GROUPED_MLP_DEVICE_FIX,
    attention_kernel_device,
    attention_kernel_device_problem,
    attention_kernel_note,
    attention_kernel_of,
    check_stack_flags,
    eager_cross_entropy_device_problem,
    expert_gemm_floor_note,
    moe_grouped_mlp_device_problem,
    softcap_fused_problem,
    softcap_kernel_note,
    te_cross_entropy_device_problem,
)
from accelopt.predict.cost import Facility, energy_defaults_note, host_not_counted_note
from accelopt.predict.memory import MLP_MODE_MODULES, layers_per_stage, middle_stage_layers
from accelopt.predict.training import (
    RECOMPUTE,
    SCHEDULES,
    Layout,
    Layouts,
    Rule,
    Setup,
    device_setup,
    dist_opt_bucket_params,
    evaluate,
    micro_batches,
    recompute_choices,
    schedule_error,
    seqs_per_rank,
    splits_kv_heads,
    structural_problems,
    vocab_tiling_step_tokens,
)
from accelopt.workload.transformer import TransformerConfig

DEFAULT_BATCH_TOKENS = 4 * 2**20
"""~4M tokens per step, the Llama 2 batch (Touvron et al. 2023, sec. 2.2): the global batch when none is given."""


def default_global_batch(seq_len: int) -> int:
    """Sequences of `seq_len` making ~4M tokens (DEFAULT_BATCH_TOKENS)."""
    return max(1, round(DEFAULT_BATCH_TOKENS / seq_len))


DEFAULT_TOKENS = 300e9
"""Tokens to train on when --tokens is left out: GPT-3's run ('all models were trained for a total of 300 billion
tokens', Brown et al. 2020, 'Language Models are Few-Shot Learners', sec. 2.2)."""


def default_tokens_note() -> str:
    """What `plan` and `plan explain` say when --tokens is left out: the training tokens their time, cost, energy and
    carbon to train are for."""
    return (f"default used: {DEFAULT_TOKENS:,.0f} training tokens (--tokens left out: GPT-3's run, Brown et al. 2020 "
            "sec. 2.2); time, cost, energy and carbon to train are for that many: give --tokens for your run's")


def default_batch_note(global_batch_seqs: int, seq_len: int) -> str:
    """What `plan` and `plan explain` say when --global-batch is left out: the default global batch they used."""
    return (f"default used: global batch {global_batch_seqs:,} sequences x {seq_len:,} tokens = "
            f"{global_batch_seqs * seq_len:,} tokens per step (--global-batch left out: ~4M tokens, the Llama 2 "
            "batch, Touvron et al. 2023 sec. 2.2); give --global-batch for your run's")


@dataclass(frozen=True, kw_only=True)
class LayoutFlags:
    """One parallel layout as typed for `plan explain` (degrees are device counts); the CLI's options and
    LayoutQuery's layout fields alike."""

    devices: int
    tp: int = 1
    pp: int = 1
    cp: int = 1
    ep: int = 1
    vp: int = 1
    mbs: int = 1
    """Micro-batch size, sequences."""
    zero: int = 1
    recompute: str = "selective"
    sp: bool = True
    """Sequence parallelism; only takes effect with tp > 1."""
    overlap: bool = True
    schedule: str = "1f1b"
    """Pipeline schedule (training.SCHEDULES): 1f1b (interleaved when vp > 1), zb-h1, zb-h2, dualpipe."""
    hsdp: int = 0
    """Hybrid-sharding shard group (0: ZeRO/FSDP over all of dp x cp)."""
    etp: int = 0
    """Expert tensor-parallel degree (0: = tp)."""
    recompute_layers: int = 0
    """With recompute full: layers per stage recomputed (0: all)."""
    slice_devices: int = 0
    """Devices per scale-up slice (a TPU ICI slice of Multislice, a GPU NVLink domain): traffic between slices
    crosses the scale-out network (comm.slice_spec). 0: the device's whole scale-up domain."""


@dataclass(frozen=True, kw_only=True)
class LayoutQuery(LayoutFlags):
    """Every input of one training-layout prediction (each one is a flag of `plan explain`)."""

    model: TransformerConfig
    hardware: str
    """Catalog name or spec TOML path."""
    collectives: str | None = None
    """Spec TOML from `accelopt probe --collectives`: its measured scale-up link replaces the catalog's."""
    flash: bool = True
    """Fused attention (no s x s tensor); off for the pre-2022 Megatron-LM runs."""
    attention_kernel: str | None = None
    """The kernel that runs the attention core (compute.ATTENTION_KERNELS); None: fused, or unfused with flash off."""
    cudnn_before_9_17: bool = False
    """The run's cuDNN predates 9.17.0: the fused core at the device's rates under such a release
    (Setup.cudnn_before_9_17)."""
    attention_unpad: bool = False
    """Padding copies around a varlen fused attention call, every layer (Setup.attention_unpad)."""
    rope_fusion: str = "fused"
    """RoPE on the queries and keys: fused or unfused (Megatron-Core's eager RoPE; Setup.rope_fusion)."""
    eager_cross_entropy: bool = False
    """The loss is PyTorch eager F.cross_entropy in fp32 on 16-bit logits (Setup.eager_cross_entropy)."""
    te_cross_entropy: bool = False
    """The loss is Transformer Engine's Triton cross-entropy (Setup.te_cross_entropy)."""
    edge_stage_layers: int | None = None
    """Layers on the first and last pipeline stage when fewer than the others (Setup.edge_stage_layers)."""
    p2p_overlap: bool = False
    """Interleaved pipeline sends overlapped with compute (Setup.p2p_overlap)."""
    tp_comm_overlap: bool = False
    """Tensor-parallel collectives pipelined with their GEMMs (Setup.tp_comm_overlap)."""
    tp_overlap_cfg: str = ""
    """The userbuffers config of --tp-comm-overlap ('' = Transformer Engine's defaults; Setup.tp_overlap_cfg)."""
    tp_async: bool = True
    """Megatron-LM's asynchronous backward tensor-parallel collectives (Setup.tp_async; off: --no-tp-async)."""
    ep_a2a_overlap: bool = False
    """Expert all-to-alls overlapped with another micro-batch's compute (Setup.ep_a2a_overlap)."""
    moe_dispatcher: str = "alltoall"
    """The MoE token dispatcher: alltoall, hybridep or deepep (Setup.moe_dispatcher)."""
    moe_router_dtype: str = "bf16"
    """The MoE router GEMM's precision: bf16 or fp32 (Setup.moe_router_dtype)."""
    moe_grouped_mlp: str = "te"
    """The routed experts' GEMM path: te or cutedsl (Setup.moe_grouped_mlp)."""
    fp8_params: bool = False
    """GEMM weights kept in FP8 (Setup.fp8_params)."""
    offload_layers: int = 0
    """Layers per stage whose saved activations are in host memory (Setup.offload_layers)."""
    fp8_recipe: str = "delayed"
    """FP8 scaling recipe of the linear layers (Setup.fp8_recipe)."""
    fp8_saved_inputs: bool = False
    """Linear layers keep FP8 copies of their inputs for the backward (Setup.fp8_saved_inputs)."""
    fp8_output_head: bool = False
    """The output layer's GEMMs run in FP8 as the linear layers' (Setup.fp8_output_head)."""
    no_dropout: bool = False
    """No dropout masks kept (Setup.no_dropout)."""
    vocab_tiling: int = 1
    """The logits in this many chunks, MaxText's num_vocab_tiling (Setup.vocab_tiling)."""
    optimizer_state_bytes: float = 12.0
    """Optimizer state bytes per parameter (Setup.optimizer_state_bytes)."""
    dp_bucket_params: int | None = None
    """The distributed optimizer's bucket in parameters (Setup.dp_bucket_params); None: Megatron-Core's default."""
    recompute_modules: tuple[str, ...] = ()
    """Megatron-Core recompute modules on top of the recompute mode (Setup.recompute_modules); (): none."""
    seq_len: int | None = None
    """None: the model's."""
    global_batch_seqs: int | None = None
    """None: default_global_batch(seq_len)."""
    tokens: float = 0.0
    dtype: str = "bf16"
    stack: str = DEFAULT_STACK
    calibration: str | None = None
    """Calibration TOML overriding the bundled one (None: bundled)."""
    facility: Facility = field(default_factory=Facility)
    catalog: tuple[str, ...] = ()
    """Extra catalog TOML files in which `hardware` may be named (`--catalog`)."""


@dataclass(frozen=True)
class LayoutResult:
    """What `predict_layout` resolved and predicted (terms in SI units, estimates)."""

    setup: Setup
    spec: AcceleratorSpec
    layout: Layout
    cal: Calibration
    terms: dict[str, float]
    fits_memory: bool
    assumed: list[Assumption]
    """Defaults used for figures the device spec lacks (printed beside the result and in the JSON)."""
    measured: MeasuredLink | None = None
    """The measured scale-up link used in place of the catalog's (None: the catalog's)."""
    notes: list[str] = field(default_factory=list)
    """What the layout implies that the user should know (e.g. uneven data-parallel ranks)."""


def _check_values(q: LayoutQuery) -> None:
    for flag, val in (("--devices", q.devices), ("--tp", q.tp), ("--pp", q.pp), ("--cp", q.cp), ("--ep", q.ep),
                      ("--vp", q.vp), ("--mbs", q.mbs)):
        if val < 1:
            raise InputError(f"{flag} {val} must be >= 1", f"give a positive {flag}")
    if q.zero not in (0, 1, 2, 3):
        raise InputError(f"--zero {q.zero} is not a ZeRO stage", "give --zero 0, 1, 2 or 3 (3 = FSDP)")
    if q.recompute not in RECOMPUTE:
        raise InputError(f"--recompute {q.recompute!r} is not a recompute mode (the names are lower case)",
                         f"give --recompute {recompute_choices()}")
    if q.schedule not in SCHEDULES:
        raise schedule_error(q.schedule)
    for flag, val in (("--hsdp", q.hsdp), ("--etp", q.etp), ("--recompute-layers", q.recompute_layers),
                      ("--slice-devices", q.slice_devices)):
        if val < 0:
            raise InputError(f"{flag} {val} must be >= 0", f"give {flag} 0 (off) or a positive group size")
    if q.stack not in STACKS:
        raise InputError(f"--stack: unknown software stack {q.stack!r}{case_hint(q.stack, STACKS)}",
                         f"use one of: {', '.join(STACKS)}")
    check_stack_flags(q.stack, eager_cross_entropy=q.eager_cross_entropy, tp_comm_overlap=q.tp_comm_overlap,
                      attention_unpad=q.attention_unpad, moe_grouped_mlp=q.moe_grouped_mlp,
                      te_cross_entropy=q.te_cross_entropy, rope_fusion=q.rope_fusion,
                      vocab_tiling=q.vocab_tiling)
    if q.tp_overlap_cfg and q.stack == "torchtitan":  # ttasync: a userbuffers config has no say in async TP
        raise InputError(f"--tp-overlap-cfg {q.tp_overlap_cfg} names a Transformer Engine userbuffers config, and "
                         "--tp-comm-overlap with --stack torchtitan is timed as torchtitan's async TP (torch "
                         "symmetric-memory micro-pipelined matmuls), which no such config sets",
                         "leave --tp-overlap-cfg out for a torchtitan run, or give --stack megatron for a "
                         "Megatron-Core run with userbuffers")
    if q.seq_len is not None and q.seq_len < 1:
        raise InputError(f"--seq-len {q.seq_len} must be >= 1",
                         f"give a positive --seq-len (the model's is {q.model.seq_len})")
    _check_experts(q)
    check_slices(q.devices, q.slice_devices)


def _check_zero3_shards(q: LayoutQuery, dp: int) -> None:
    """--zero 3 whose shard groups are one rank each (dense dp x cp, routed experts tp x dp x cp / (etp x ep)): it
    shards nothing, so it is ZeRO 0's layout (PyTorch FSDP clamps FULL_SHARD to NO_SHARD at world size 1,
    pytorch/pytorch@39ec502d torch/distributed/fsdp/_init_utils.py, _init_core_state), and `plan` does not list it
    (search._zero_shards_nothing); the model would charge it gathered-layer buffers that no run holds. InputError."""
    etp = q.etp or q.tp
    if q.zero == 3 and dp * q.cp == 1 and q.tp * dp * q.cp // max(etp * q.ep, 1) <= 1:
        raise InputError(f"--zero 3 with dp x cp = 1 (--devices {q.devices} over tp x pp x cp = "
                         f"{q.tp * q.pp * q.cp}) shards nothing: ZeRO-3 over one data-parallel rank is ZeRO 0 "
                         "(PyTorch FSDP runs FULL_SHARD as NO_SHARD at world size 1), and `plan` does not list it",
                         "give --zero 0, or more --devices so that dp x cp > 1")


def _check_offload(q: LayoutQuery, lay: Layout) -> None:
    """--offload-layers counts layers per pipeline stage: more than the busiest stage holds is an error here (the
    memory model would offload the whole stage without a word; `plan`'s search keeps that clipped meaning)."""
    L, e = q.model.layers, q.edge_stage_layers
    most = (int(layers_per_stage(L, np.asarray(lay.pp), np.asarray(lay.vp))) if e is None or lay.pp < 3
            else max(e, int(middle_stage_layers(L, np.asarray(lay.pp), e))))
    if q.offload_layers > most:
        raise InputError(f"--offload-layers {q.offload_layers} exceeds the {most} layers of a pipeline stage "
                         f"({L} layers over --pp {lay.pp}); it counts layers per stage, not in the model",
                         f"give --offload-layers between 0 (none) and {most}")


def _check_experts(q: LayoutQuery) -> None:
    """Expert-parallel flags that this model or layout cannot take, each with its own fix (not the generic
    structural one)."""
    if not q.model.is_moe:
        for flag, val, plain in (("--ep", q.ep, 1), ("--etp", q.etp, 0)):
            if val != plain:
                raise InputError(f"{flag} {val}: {q.model.name} is a dense model (no experts)",
                                 f"leave {flag} out: expert parallelism applies to mixture-of-experts models; a dense "
                                 "model splits its MLP with --tp (and its batch with data parallelism)")
    if q.etp > q.tp:
        raise InputError(f"--etp {q.etp} is above --tp {q.tp}: not modelled (the expert all-to-all is timed for "
                         "expert groups inside one tensor-parallel group; a wider etp gathers tokens across "
                         "data-parallel ranks, which it does not time)",
                         f"give --etp at most --tp {q.tp} (0 = tp), or a --tp of at least {q.etp}")


def check_slices(devices: int, slice_devices: int) -> None:
    """A job over several slices is a whole number of slices of one shape (TPU Multislice: MaxText num_slices x
    chips per slice), or fits in one slice; InputError otherwise (`plan` checks each --devices count, `plan
    explain` its one)."""
    if slice_devices and devices > slice_devices and devices % slice_devices:
        raise InputError(f"--devices {devices:,} is not a whole number of slices (scale-up domains) of "
                         f"{slice_devices:,}",
                         f"give --devices a multiple of --slice-devices {slice_devices:,}, or fewer devices "
                         "than one slice")


def layout_text(lay: Layout) -> str:
    """'tp=2 pp=2 dp=4 cp=1 ... recompute=selective': a layout as a user reads it (the headline of `plan explain`,
    its errors), with the --no-sp / --no-overlap choices and the non-default schedule, hsdp, etp, recompute_layers."""
    extra = "".join(f" {k}={v}" for k, v in (("schedule", lay.schedule), ("hsdp", lay.hsdp), ("etp", lay.etp),
                                             ("recompute_layers", lay.recompute_layers)) if v not in ("1f1b", 0))
    extra += "".join(f" {k}=off" for k, on in (("sp", lay.sp), ("overlap", lay.overlap)) if not on)
    return (f"tp={lay.tp} pp={lay.pp} dp={lay.dp} cp={lay.cp} ep={lay.ep} vp={lay.vp} mbs={lay.mbs} m={lay.m} "
            f"zero={lay.zero} recompute={lay.recompute}{extra}")


def uneven_note(global_batch: int, dp: int) -> str | None:
    """The sentence saying how an uneven global batch falls on the data-parallel ranks (None when even)."""
    most, fewest = (int(x) for x in seqs_per_rank(global_batch, np.asarray(dp)))
    if most == fewest:
        return None
    n_most = global_batch - fewest * dp
    return (f"uneven global batch: {global_batch:,} sequences over {dp:,} data-parallel ranks = {n_most:,} ranks x "
            f"{most} + {dp - n_most:,} ranks x {fewest}; the step waits for the slowest rank, so it is timed as "
            f"{most} sequences per rank (the others idle for {most - fewest} of them)")


def uneven_vp_note(layers: int, pp: int, vp: int, edge_stage_layers: int | None = None) -> str | None:
    """The sentence saying that an interleaved layout's chunks do not split the layers evenly, so the busiest rank is
    counted with ceil(L / (p v)) x v layers, more than the ceil(L / p) a rank needs at most: an upper bound on its
    time and memory (Megatron-LM refuses such a split: 'number of layers per pipeline stage must be divisible [by
    the] number of layers per virtual pipeline stage', megatron/training/arguments.py validate_args). None when
    even, without interleaving, or with --edge-stage-layers (its own rule)."""
    if vp <= 1 or edge_stage_layers is not None:
        return None
    counted, needed = math.ceil(layers / (pp * vp)) * vp, math.ceil(layers / pp)
    if counted <= needed:
        return None
    return (f"pp {pp} x vp {vp} = {pp * vp} chunks do not split {layers} layers evenly: the busiest rank is counted "
            f"with ceil({layers} / {pp * vp}) x {vp} = {counted} layers where {needed} would do, an upper bound on its "
            "time and memory (Megatron-LM asks vp to divide the layers per stage)")


def slice_note(spec: AcceleratorSpec, devices: int, slice_devices: int) -> str | None:
    """The sentence saying that a job spans several slices and talks across them over the scale-out network, in
    the device family's words (ICI and DCN on a TPU, NVLink on an NVIDIA GPU: comm.slice_words); None otherwise."""
    if slice_devices == 0 or devices <= slice_devices:
        return None
    out = spec.scaleout_bandwidth_byte_per_s
    per_dev = f"{out / 1e9:.4g} GB/s per device (catalog)" if out is not None else "the printed default bandwidth"
    one, link, network = slice_words(spec)
    return (f"{devices:,} devices span {devices // slice_devices} {one}s of {slice_devices:,}: collectives "
            f"reduce inside each {one} over {link} and cross between them over {network} at {per_dev}")


def measured_share_note(spec: AcceleratorSpec, measured: MeasuredLink | None) -> str | None:
    """On a scale-up domain without a switch (the spec lists a pair bandwidth), the sentence saying what a group
    smaller than the probe's reaches of the measured bus bandwidth (comm.measured_peer_bw, Links.up_bw_of); None on a
    switched domain, where every group gets all of it."""
    peer = None if measured is None else measured_peer_bw(spec, measured)
    if measured is None or peer is None:
        return None
    bw, r = measured.bandwidth_byte_per_s, measured.ranks
    shares = "".join(f"{g} devices {min(bw, (g - 1) * peer) / 1e9:.4g} GB/s, " for g in range(2, r))
    return (f"{spec.name}'s scale-up domain has no switch (pairs wired directly): the measured {bw / 1e9:.4g} GB/s "
            f"over {r} ranks is {r - 1} pair links of {peer / 1e9:.4g} GB/s, and a group of g devices reaches g - 1 "
            f"of them: {shares}{r} or more {bw / 1e9:.4g} GB/s (not extrapolated past the probe's {r} ranks)")


def ignored_overlap_notes(q: LayoutQuery) -> list[str]:
    """The sentences saying that a requested overlap has no effect on this layout (training.evaluate skips it)."""
    notes = []
    if q.p2p_overlap and not (q.pp > 1 and q.vp > 1):
        notes.append("--p2p-overlap has no effect here: it overlaps the interleaved schedule's sends (needs --pp > 1 "
                     "and --vp > 1; Megatron-LM turns --overlap-p2p-comm off without interleaving)")
    if q.tp_comm_overlap and not (q.sp and q.tp > 1):
        notes.append("--tp-comm-overlap has no effect here: it pipelines sequence-parallel collectives (needs --tp > 1 "
                     "without --no-sp)")
    if q.ep_a2a_overlap and not (q.ep > 1 and q.schedule == "1f1b" and (q.pp == 1 or q.vp > 1)):
        notes.append("--ep-a2a-overlap has no effect here: it overlaps the expert all-to-alls of one micro-batch with "
                     "another's compute in the 1F1B schedule (needs --ep > 1, --schedule 1f1b and, with --pp > 1, "
                     "--vp > 1, as Megatron-Core's --overlap-moe-expert-parallel-comm)")
    if q.moe_dispatcher != "alltoall" and q.ep == 1:
        notes.append(f"--moe-dispatcher {q.moe_dispatcher} has no effect here: it times the expert dispatch across "
                     "nodes (needs --ep > 1 over more than one scale-up domain)")
    if not q.tp_async and (q.tp == 1 or q.stack not in MEGATRON_STACKS or (q.tp_comm_overlap and q.sp)):
        notes.append("--no-tp-async has no effect here: it exposes the megatron stack's asynchronous backward tensor-"
                     f"parallel collectives (needs --tp > 1, --stack {' or '.join(MEGATRON_STACKS)}, and no "
                     "--tp-comm-overlap, which replaces them)")
    return notes


def bucket_charged(stack: str, zero: int, dp_cp: int, spec: AcceleratorSpec) -> bool:
    """Whether training.evaluate counts the distributed optimizer's buckets on this layout: only for the megatron
    stack's distributed optimizer (ZeRO-1/2) on NCCL / RCCL devices (comm.chains_in_domain); a ring over one rank has
    no steps to charge."""
    return stack in MEGATRON_STACKS and zero in (1, 2) and dp_cp > 1 and chains_in_domain(spec)


BUCKET_DEFAULT_HEAD = "default used: distributed-optimizer bucket of Megatron-Core's default max(40M, 1M x dp x cp) = "
BUCKET_DEFAULT_TAIL = (" parameters (give the run's with --dp-bucket-params; NeMo 2 / Megatron-Bridge recipes set "
                       "134,217,728)")
"""bucket_note's default sentence around its values (validate groups the runs' values into one line)."""


def bucket_note(dp_bucket_params: int | None, charged_dp_cp: list[int]) -> str | None:
    """The sentence saying which bucket the distributed optimizer's latency term counts when --dp-bucket-params is not
    given (Megatron-Core's default, a default beside the result: its value for each dp x cp in `charged_dp_cp`, the
    layouts that charge it), or that --dp-bucket-params has no effect (no layout charges it)."""
    if dp_bucket_params is None:  # the default, said where it is used (training.dist_opt_bucket_params)
        if not charged_dp_cp:
            return None
        values = sorted({int(b) for b in dist_opt_bucket_params(np.asarray(charged_dp_cp))})
        return f"{BUCKET_DEFAULT_HEAD}{', '.join(f'{v:,}' for v in values)}{BUCKET_DEFAULT_TAIL}"
    if charged_dp_cp:
        return None
    return ("--dp-bucket-params has no effect here: it counts the distributed optimizer's per-bucket reduce-scatters "
            f"/ all-gathers (needs --stack {' or '.join(MEGATRON_STACKS)}, --zero 1 or 2, dp x cp > 1 and an NVIDIA / "
            "AMD GPU, whose NCCL / RCCL ring latencies are charged)")


def ignored_bucket_note(q: LayoutQuery, spec: AcceleratorSpec, dp: int) -> str | None:
    """bucket_note for `plan explain`'s one layout."""
    charged = bucket_charged(q.stack, q.zero, dp * q.cp, spec)
    return bucket_note(q.dp_bucket_params, [dp * q.cp] if charged else [])


def recompute_modules_note(setup: Setup, recompute: str, terms: dict[str, float]) -> str | None:
    """The sentence saying what --recompute-modules recomputes on this layout and the step's recompute time it is
    part of (t_recompute_s), or that it adds nothing under --recompute full; None without modules."""
    mods = setup.recompute_modules
    if not mods:
        return None
    names = ", ".join(mods)
    if recompute == "full":
        return (f"--recompute-modules {names} adds nothing here: --recompute full already recomputes each whole "
                "layer")
    covered = [m for m in mods if recompute == "mlp" and m in MLP_MODE_MODULES]  # memory.module_on
    if covered and covered == list(mods):
        return (f"--recompute-modules {names} adds nothing here: --recompute mlp already recomputes the MLP block "
                "(an MoE layer's whole expert block)")
    base = {"selective": " with selective's core_attn", "mlp": " with the mlp mode's MLP block"}.get(recompute, "")
    return (f"recompute modules (Megatron-Core --recompute-modules): {names}{base}, each module's forward redone in "
            f"the backward: t_recompute_s = {terms['t_recompute_s']:.4g} s per step (the moe module's all-to-alls "
            "are in t_ep_comm_s, the MLP collectives of mlp / moe / shared_experts in t_tp_comm_s)")


def selective_flash_note(setup: Setup, recompute: str, terms: dict[str, float]) -> str | None:
    """The sentence saying that selective recompute saves nothing under a fused (flash) attention kernel yet costs
    a re-run: Megatron-Core checkpoints the core attention whatever its backend (megatron/core/transformer/
    attention.py: 'if self.checkpoint_core_attention and self.training: core_attn_out =
    self._checkpointed_attention_forward(...)', checkpoint_core_attention = recompute_granularity 'selective' with
    core_attn in recompute_modules), while a flash kernel keeps no s x s scores (Dao et al. 2022, sec. 3.1; memory.py
    keeps none for it), the activations selective recompute was made to drop (Korthikanti et al. 2022, sec. 5).
    Said beside the charged time rather than charged silently (a user trial, s33); None otherwise."""
    if recompute != "selective" or not setup.flash or setup.recompute_modules:
        return None
    return ("recompute selective with a fused (flash) attention kernel: memory as --recompute none (the kernel keeps "
            "no s x s scores, the tensors selective recompute drops; Korthikanti et al. 2022 sec. 5), but "
            "Megatron-Core still re-runs the core attention in the backward (megatron/core/transformer/attention.py "
            f"_checkpointed_attention_forward, whatever the backend): t_recompute_s = {terms['t_recompute_s']:.4g} s "
            "per step charged for no memory saved; --recompute none drops it")


def structural_fixes(model: TransformerConfig, mp: int, lay: Layout | None = None, *, seq_len: int = 0,
                     batch: int = 0) -> dict[Rule, str]:
    """The flags that fix each structural rule (training.Rule) of `plan explain`'s layout (mp = tp x pp x cp). Given
    the layout (`lay`, with its sequence length and global batch), a fix bounded by a figure of the layout names it
    ('--mbs at most the 8 sequences per data-parallel rank', not '... at most the sequences ...')."""
    def fig(text: str) -> str:  # ' (= N)', or '' without the layout
        return f" {text}" if lay is not None else ""

    dpcp = lay.dp * lay.cp if lay is not None else 0
    # every divisor of the heads (12 heads: 1, 2, 3, 4, 6, 12; the list of powers of two up to 32 it was said
    # '(1, 2, 4)', as though the tp 3 that `plan explain` takes were refused)
    divisors = [t for t in range(1, model.heads + 1) if model.heads % t == 0]
    heads = ", ".join(map(str, divisors))
    kv_tp = ", ".join(str(t) for t in divisors if splits_kv_heads(model, t))
    devices = f"--devices a multiple of tp x pp x cp (= {mp})"
    edge = "--pp >= 3 (and a --vp dividing the middle stages' layers) with --edge-stage-layers"
    return {
        Rule.DEVICE_COUNT: devices,
        Rule.TP_HEADS: f"a --tp dividing the {model.heads} heads ({heads})",
        Rule.TP_KV_HEADS: f"a --tp dividing the {model.n_kv_heads} KV heads or a multiple of them ({kv_tp})",
        Rule.PP_LAYERS: f"--pp <= {model.layers} layers",
        Rule.VP_NEEDS_PP: "--vp 1, or --pp > 1",
        Rule.VP_MICROBATCHES: "a --global-batch / --mbs giving a micro-batch count divisible by --pp, or --vp 1",
        Rule.PP_VP_LAYERS: f"--pp x --vp <= {model.layers} layers",
        Rule.ZB_VP: "--schedule 1f1b with --vp > 1",
        Rule.ZB_NEEDS_PP: ("--pp > 1 with --schedule zb-h1/zb-h2/dualpipe, or --schedule 1f1b with --pp 1 (the "
                             "schedule `plan --schedule zb-h1/zb-h2/dualpipe` lists its pp 1 layouts under)"),
        Rule.DUALPIPE_PP_EVEN: "an even --pp with --schedule dualpipe, or --schedule 1f1b",
        Rule.DUALPIPE_MICROBATCHES: ("a --global-batch / --mbs giving an even micro-batch count of at least 2 x --pp "
                                     "(per data-parallel rank) with --schedule dualpipe, or --schedule 1f1b"),
        Rule.DUALPIPE_EDGE: "no --edge-stage-layers with --schedule dualpipe, or --schedule 1f1b",
        Rule.CP_SEQ: f"a --cp dividing --seq-len{fig(str(seq_len))}",
        Rule.EP_NEEDS_MOE: "--ep 1 on a dense model",
        Rule.EP_EXPERTS: f"an --ep dividing the {model.experts} experts",
        Rule.ETP_NEEDS_MOE: "--etp 0 on a dense model",
        Rule.ETP_EP_GRID: f"--etp x --ep dividing tp x dp x cp{fig(f'(= {lay.tp * dpcp})' if lay else '')}",
        Rule.HSDP_NEEDS_ZERO: "--zero 1, 2 or 3 with --hsdp",
        Rule.HSDP_DIVIDES: f"an --hsdp dividing dp x cp{fig(f'(= {dpcp})')}",
        Rule.HSDP_NO_EP: "--hsdp 0 with --ep > 1",
        Rule.RECOMPUTE_LAYERS_FULL: "--recompute full with --recompute-layers",
        Rule.RECOMPUTE_LAYERS_STAGE: ("--recompute-layers at most the"
                                      f"{fig(str(-(-model.layers // lay.pp)) if lay else '')} layers of a stage"),
        Rule.RECOMPUTE_OP_MODEL: "--recompute selective or full (op: dense Llama-style blocks only)",
        Rule.RECOMPUTE_MODULES_MODE: "--recompute none, selective or mlp with --recompute-modules (or leave "
                                     "--recompute-modules out)",
        Rule.EDGE_PP: edge,
        Rule.EDGE_VP: edge,
        Rule.EDGE_RANGE: f"--edge-stage-layers in 1..{(model.layers - 1) // 2}",
        Rule.EDGE_EMPTY_STAGE: "a smaller --edge-stage-layers or --pp",
        Rule.DP_BATCH: f"a --global-batch of at least dp{fig(f'(= {lay.dp})' if lay else '')}, or fewer --devices",
        Rule.MBS_RANK: f"--mbs at most the{fig(str(-(-batch // lay.dp)) if lay else '')} sequences per data-parallel "
                       "rank",
        Rule.MICROBATCH_COUNT: "a --global-batch and --mbs (the micro-batch count follows from them)",
        Rule.VOCAB_TILING: ("a --vocab-tiling dividing the tokens per device, --mbs x --seq-len x dp (x m with "
                            "pp > 1) / devices" + fig(_per_device_tokens(seq_len, lay) if lay else "")),
    }


def _per_device_tokens(seq_len: int, lay: Layout) -> str:
    """'(= 1024)', or '(= 4096 / 3, not whole: only --vocab-tiling 1)' where MaxText's per-device tokens are a
    fraction (training.vocab_tiling_step_tokens)."""
    tokens, devices = (int(x) for x in vocab_tiling_step_tokens(seq_len, lay))
    if tokens % devices:
        return f"(= {tokens:,} / {devices}, not whole: only --vocab-tiling 1)"
    return f"(= {tokens // devices:,})"


def structural_fix(model: TransformerConfig, mp: int, broken: list[Rule], lay: Layout | None = None, *,
                   seq_len: int = 0, batch: int = 0) -> str:
    """What to change so that a layout obeys the rules of `structural_problems`: the fix of each broken rule,
    looked up by the rule itself (a reworded message keeps its fix)."""
    fixes = structural_fixes(model, mp, lay, seq_len=seq_len, batch=batch)
    return ("give " + "; ".join(dict.fromkeys(fixes[r] for r in broken))
            + "; or run `accelopt plan` to search only valid layouts")


def predict_layout(q: LayoutQuery, cals: dict[str, Calibration] | None = None) -> LayoutResult:
    """Predict one layout. A layout breaking a structural rule raises InfeasibleError (its arithmetic would
    mean nothing); one that only overflows memory is returned with fits_memory False. `cals` (loaded
    calibrations) defaults to load_calibrations(q.calibration)."""
    _check_values(q)
    seq_len = q.seq_len if q.seq_len is not None else q.model.seq_len
    batch = q.global_batch_seqs if q.global_batch_seqs is not None else default_global_batch(seq_len)
    kernel = attention_kernel_of(q.flash, q.attention_kernel)
    setup = Setup(model=q.model, seq_len=seq_len, global_batch=batch, tokens=q.tokens, dtype=q.dtype,
                  flash=q.flash, attention_kernel=kernel, attention_unpad=q.attention_unpad,
                  attention_kernel_auto=not q.attention_kernel and q.flash, cudnn_before_9_17=q.cudnn_before_9_17,
                  eager_cross_entropy=q.eager_cross_entropy, rope_fusion=q.rope_fusion,
                  te_cross_entropy=q.te_cross_entropy,
                  edge_stage_layers=q.edge_stage_layers,
                  p2p_overlap=q.p2p_overlap,
                  tp_comm_overlap=q.tp_comm_overlap, tp_overlap_cfg=q.tp_overlap_cfg,
                  fp8_params=q.fp8_params, offload_layers=q.offload_layers,
                  tp_async=q.tp_async, ep_a2a_overlap=q.ep_a2a_overlap, moe_dispatcher=q.moe_dispatcher,
                  moe_router_dtype=q.moe_router_dtype, moe_grouped_mlp=q.moe_grouped_mlp,
                  fp8_saved_inputs=q.fp8_saved_inputs,
                  fp8_output_head=q.fp8_output_head, no_dropout=q.no_dropout, vocab_tiling=q.vocab_tiling,
                  fp8_recipe=q.fp8_recipe,
                  optimizer_state_bytes=q.optimizer_state_bytes, dp_bucket_params=q.dp_bucket_params,
                  recompute_modules=q.recompute_modules, facility=q.facility)
    spec = slice_spec(get_device(q.hardware, q.catalog), q.slice_devices)
    if dispatcher_problem := moe_dispatcher_device_problem(q.moe_dispatcher, spec):
        raise InputError(dispatcher_problem, MOE_DISPATCHER_DEVICE_FIX)
    if kernel_problem := attention_kernel_device_problem(kernel, spec):
        raise InputError(kernel_problem, "give --attention-kernel fused (the default) or unfused, or "
                                         f"{attention_kernel_device(kernel)} with --hardware")
    if not setup.attention_kernel_auto and (softcap_problem := softcap_fused_problem(q.model, kernel, spec)):
        raise InputError(softcap_problem, "leave --attention-kernel out (a soft-capped model is timed with flash2 "
                                          "where FlashAttention-2 runs), or give --attention-kernel flash2 or unfused")
    setup = device_setup(setup, spec)  # a soft-capped model's kernel on this device (--attention-kernel left out)
    kernel = setup.attention_kernel
    if ce_problem := eager_cross_entropy_device_problem(q.eager_cross_entropy, spec):
        raise InputError(ce_problem, "leave --eager-cross-entropy out, or give a GPU with --hardware")
    if ce_problem := te_cross_entropy_device_problem(q.te_cross_entropy, spec):
        raise InputError(ce_problem, "leave --te-cross-entropy out, or give a GPU with --hardware")
    if mlp_problem := moe_grouped_mlp_device_problem(q.moe_grouped_mlp if q.model.is_moe else "te", spec):
        raise InputError(mlp_problem, MOE_GROUPED_MLP_DEVICE_FIX)
    cal = calibration_for(spec, cals if cals is not None else load_calibrations(q.calibration), q.stack,
                          q.cudnn_before_9_17)
    mp = q.tp * q.pp * q.cp
    dp = max(1, q.devices // mp)
    m = int(micro_batches(batch, np.asarray(dp), np.asarray(q.mbs)))
    lay = Layout(tp=q.tp, pp=q.pp, dp=dp, cp=q.cp, ep=q.ep, vp=q.vp, mbs=q.mbs, m=m, zero=q.zero,
                 recompute=q.recompute, sp=q.sp and q.tp > 1, overlap=q.overlap, schedule=q.schedule,
                 hsdp=q.hsdp, etp=q.etp, recompute_layers=q.recompute_layers)
    arr = Layouts.of([lay])
    broken = [(p.rule, p.message) for p in structural_problems(setup, arr, np.array([q.devices]))
              if bool(np.any(p.mask))]
    if q.devices % mp:
        broken.insert(0, (Rule.DEVICE_COUNT, f"{q.devices} devices is not a multiple of tp x pp x cp = {mp}"))
    if broken:
        raise InfeasibleError(f"layout {layout_text(lay)} on {q.devices} x {spec.name} is invalid: "
                              + "; ".join(why for _, why in broken),
                              structural_fix(q.model, mp, [rule for rule, _ in broken], lay, seq_len=seq_len,
                                             batch=batch))
    _check_zero3_shards(q, dp)
    _check_offload(q, lay)
    measured = load_measured(q.collectives) if q.collectives is not None else None
    if q.devices > 1 and lists_no_link(spec, measured):  # as plan serve: no cited link, no collectives' time
        raise InputError(no_link_problem(spec, "training", q.devices), f"use --devices 1, or {NO_LINK_FIX}")
    pred = evaluate(setup, spec, arr, cal, measured=measured)
    notes = [n for n in (uneven_note(batch, dp), slice_note(spec, q.devices, q.slice_devices),
                         uneven_vp_note(q.model.layers, q.pp, q.vp, q.edge_stage_layers)) if n]
    notes += ignored_overlap_notes(q)
    notes += [n for n in (ignored_bucket_note(q, spec, dp), recompute_modules_note(setup, q.recompute, pred.row(0)),
                          selective_flash_note(setup, q.recompute, pred.row(0))) if n]
    notes += [n for n in (measured_share_note(spec, pred.measured), attention_kernel_note(kernel, cal),
                          softcap_kernel_note(q.model, {spec.name: kernel}) if setup.attention_kernel_auto else "",
                          expert_gemm_floor_note(q.model, cal, spec.name, q.moe_grouped_mlp,
                                                 etp=q.etp or q.tp)) if n]
    notes += [n for n in (energy_defaults_note([spec], q.facility), host_not_counted_note([spec], q.facility),
                          max_memory_note([spec], "memory fits")) if n]
    return LayoutResult(setup=setup, spec=spec, layout=lay, cal=cal, terms=pred.row(0),
                        fits_memory=bool(pred.feasible[0]), assumed=pred.assumed, measured=pred.measured, notes=notes)

