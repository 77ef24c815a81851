"""Efficiency calibration for the training predictor: one set per device family, user-visible TOML.

The bundled file is predict/data/calibration.toml (its header says which runs it was fitted on);
`--calibration FILE` loads another file whose families replace the bundled ones by name.
A family may carry per-software-stack overrides, `[family.NAME.stack.STACK]` with a subset of the fields
(the rest come from the family). Stacks: 'megatron' (the family's own values, the default) and the others of
STACKS; a stack without an override table uses the family's values.
A spec measured by `accelopt probe` (spec.measured) uses the 'probed' family: its peaks are
already achieved rates, so they are not derated again.
"""

from __future__ import annotations

import fnmatch
import functools
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

from accelopt.errors import InputError, close_matches, unknown_fields
from accelopt.hardware.spec import FUSED_ATTENTION_BEFORE_CUDNN_9_17, AcceleratorSpec
from accelopt.predict.runs_csv import bundled_ref
from accelopt.userio import read_user_text

BUNDLED_TABLE_FILE = "<bundled calibration.toml>"
"""The table_file a bundled table reports (a user's --calibration file reports its path)."""

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True, kw_only=True)
class Calibration:
    """Efficiencies of one device family (see calibration.toml for the model each one enters)."""

    family: str
    matmul_eff_max: float
    """Asymptotic fraction of the dense peak a large GEMM reaches."""
    matmul_half_flop: float
    """GEMM size (FLOPs) at which efficiency is half of matmul_eff_max."""
    memory_eff: float
    """Achieved fraction of peak memory bandwidth for memory-bound ops."""
    scaleup_bw_eff: float
    scaleout_bw_eff: float
    overlap_eff: float
    """Fraction of overlappable compute that hides communication when overlap is enabled."""
    kernel_overhead_s: float
    """Launch / synchronisation gap per kernel."""
    framework_overhead_bytes: float
    """Memory the framework holds besides the model state and activations (context, comm buffers)."""
    matmul_half_s: float = 0.0
    """When > 0, the curve's half-size point given as a time instead of FLOPs: F_half = matmul_half_s x peak x
    matmul_eff_max, the same fixed cost per GEMM whatever the device's peak (compute.Device.half_flop). For families
    whose peaks span orders of magnitude (CPUs, probed specs), where a FLOP half-size fitted on GPUs would put a
    small GEMM thousands of times too slow."""
    fp8_matmul_eff_max: float = 0.0
    """Asymptotic fraction of the FP8 peak an FP8 GEMM reaches (0 in the constructor: matmul_eff_max; a file that
    omits it gets matmul_eff_max, stated in calibration.toml)."""
    fp8_own: bool | None = None
    """Whether fp8_matmul_eff_max is a value of its own (given in the file or the constructor) or the 16-bit
    matmul_eff_max standing in for it (False). None in the constructor: decided by fp8_matmul_eff_max != 0. Kept
    through dataclasses.replace (device scaling, stack merging), so the curve's basis is read from this, not from two
    values that happen to be equal (predict/curve_basis.py)."""
    flash2_attention_eff: float = 0.0
    """FlashAttention-2's published forward rate on this family as a fraction of the 16-bit peak (or its forward +
    backward rate, where the source gives one figure for both passes): the attention core of a run whose attention
    kernel is 'flash2' (--attention-kernel, the runs file's attention_kernel cell) runs at it instead of on the GEMM
    curve. A cited kernel rate, not fitted; 0: no published figure (then that core stays on the GEMM curve and the
    prediction says so, compute.attention_kernel_note)."""
    flash2_bwd_attention_eff: float = 0.0
    """FlashAttention-2's published backward rate on this family (fraction of the 16-bit peak), where a source gives
    one apart from the forward's; 0: the backward runs at flash2_attention_eff (compute.attention_bwd_time_ratio).
    Cited, not fitted; needs flash2_attention_eff."""
    triton_attention_eff: float = 0.0
    """FlashAttention in Triton's forward rate on this family (fraction of the 16-bit peak): the attention core of a
    run whose attention kernel is 'triton' (flash_attn.flash_attn_triton) runs at it. Derived from a published
    speed-up against a cited FlashAttention-2 rate, not fitted (calibration.toml); 0: no figure (GEMM curve, noted)."""
    triton_bwd_attention_eff: float = 0.0
    """Its backward rate, where a source gives one apart from the forward's (derived, not fitted: nvidia-ampere's from
    the kernel's own header, forward + backward no faster than FlashAttention's published A100 rates; calibration.toml);
    0: the forward's. Needs triton_attention_eff."""
    fused_attention_eff: float = 0.0
    """The forward rate of the device's fused attention kernel (cuDNN's, which Transformer Engine runs) as a fraction
    of its 16-bit peak: its catalog measured_fused_attention_flop_per_s.forward over that peak, set per device by
    with_fused_attention (never read from a calibration file: a device's measurement, not a family's value). A run
    whose attention kernel is 'fused' runs its attention core at it instead of on the GEMM curve; 0: not measured
    (the curve, said by fused_attention_basis)."""
    fused_bwd_attention_eff: float = 0.0
    """The same for the kernel's backward (its measured backward rate over the 16-bit peak); 0 with the forward's."""
    fused_attention_basis: str = field(default="", compare=False)
    """Where fused_attention_eff comes from ('the fused kernel's measured rates on gb300, ...: SOURCE'; 'derived' for a
    derivation, fused_attention_derived), or why the fused core stays on the GEMM curve ('no measured ...'); '' before
    with_fused_attention. Not compared: two devices whose rates agree (both unmeasured) have one calibration, as
    before the field."""
    fused_attention_derived: bool = field(default=False, compare=False)
    """True where the rates behind fused_attention_eff are a derivation, not a run of the device (their catalog source
    begins 'Derived', the catalog's convention: H100's carried from H200, GB200's before cuDNN 9.17 from GB300's gain);
    `plan explain` then says 'derived' where it would say 'measured'."""
    expert_gemm_floor_s: float = 0.0
    """The least time one routed expert's GEMM takes in an MoE layer's grouped GEMM, seconds: Transformer Engine's
    GroupedLinear issues one cuBLASLt call per local expert from one host thread, each call building its descriptors
    and querying cuBLASLt's heuristic on the host, so an expert GEMM whose kernel is shorter than that host work
    lasts as long as the host work (compute.grouped_gemm_s: max(floor, the GEMM's own time) per expert). A cited
    microbenchmark figure, not fitted; 0: no published figure (each expert GEMM at its own time)."""
    fp8_device_factor: float = 1.0
    """A factor on fp8_matmul_eff_max for one device of the family, fp8_factor_device, that has no measured FP8 matmul
    rate of its own (device_scaled applies it where it would scale by a measured rate): FITTED on the runs of
    fp8_factor_fitted_on by the rule calibration.toml states beside it; 1: none."""
    fp8_factor_device: str = ""
    """The catalog device fp8_device_factor is for ('' : no device factor)."""
    fp8_factor_fitted_on: tuple[str, ...] = ()
    """Runs fp8_device_factor was fitted on (fit rows, never held out)."""
    fp8_factor_source: str = ""
    """The rule and source of fp8_device_factor, printed beside the fp8 curve's basis on that device."""
    fitted_on: tuple[str, ...] = ()
    fp8_fitted_on: tuple[str, ...] = ()
    """Runs fp8_matmul_eff_max was fitted on (empty: not fitted, it is matmul_eff_max or an unfitted value)."""
    derived_from: str = ""
    """When the 16-bit values were derived, not fitted: the derivation and its cited measurement (printed as the
    curve's basis, predict/curve_basis.py); '' otherwise. A fit (fitted_on) supersedes it."""
    fp8_derived_from: str = ""
    """When fp8_matmul_eff_max was derived from a cited measurement, not fitted: the derivation (printed as the fp8
    curve's basis, predict/curve_basis.py); '' otherwise. An fp8 fit (fp8_fitted_on) supersedes it."""
    retired_fit_rows: tuple[str, ...] = ()
    """Runs an earlier fit of this family was chosen on, whose value a derivation has since replaced: still reported
    as fit rows, never as held-out tests (a row a value was once chosen on is no clean test of the family)."""
    carried_from: str = ""
    """When the 16-bit values are another family's fit kept as an estimate ('FAMILY: which fit, and why kept'), where
    that family's current values differ (a later refit); '' otherwise (an exact copy is found by value)."""
    reference_device: str = ""
    """The catalog device whose GEMM rate the family's efficiencies describe (the device of its fit rows). Another
    device of the family with a measured matmul rate (AcceleratorSpec.measured_matmul_flop_per_s) gets them scaled
    by its measured fraction of its peak over the reference's (device_scaled); '' : no scaling."""
    device_ratio: float = 1.0
    """16-bit eff_max scale applied for the device this calibration was resolved for (1: none; device_scaled)."""
    device_ratio_fp8: float = 1.0
    """The same for fp8_matmul_eff_max."""
    device_note: str = ""
    """What device_scaled did to the 16-bit curve (or why it did not scale), printed with the curve's basis; '' without
    a reference device or on it."""
    device_note_fp8: str = ""
    """The same for the fp8 curve."""
    unscaled: Calibration | None = field(default=None, compare=False, repr=False)
    """The family's own values before device_scaled (None: not scaled)."""
    match: tuple[str, ...] = ()
    source: str = ""
    stack: str = "megatron"
    """Software stack these values are for (see STACKS)."""
    stacks: Mapping[str, Calibration] = field(default_factory=dict, compare=False, repr=False)
    """Per-stack overrides of this family, already merged with the family's values (stack name -> Calibration)."""

    def __post_init__(self) -> None:
        if self.fp8_own is None:
            object.__setattr__(self, "fp8_own", self.fp8_matmul_eff_max != 0.0)
        if self.fp8_matmul_eff_max == 0.0:
            object.__setattr__(self, "fp8_matmul_eff_max", self.matmul_eff_max)
        for name in ("matmul_eff_max", "fp8_matmul_eff_max", "memory_eff", "scaleup_bw_eff", "scaleout_bw_eff",
                     "overlap_eff"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0 or (name != "overlap_eff" and v == 0.0):
                raise InputError(f"calibration family {self.family!r}: {name} = {v!r} must be in (0, 1]",
                                 f"give {name} as a fraction, e.g. 0.8")
        for name in ("flash2_attention_eff", "flash2_bwd_attention_eff", "triton_attention_eff",
                     "triton_bwd_attention_eff", "fused_attention_eff", "fused_bwd_attention_eff"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise InputError(f"calibration family {self.family!r}: {name} = {v!r} must be in [0, 1]",
                                 "give a fraction of the peak, e.g. 0.35, or 0 for no published figure")
        if self.flash2_bwd_attention_eff > 0 and self.flash2_attention_eff == 0:
            raise InputError(f"calibration family {self.family!r}: flash2_bwd_attention_eff = "
                             f"{self.flash2_bwd_attention_eff!r} without a forward rate (flash2_attention_eff)",
                             "give flash2_attention_eff = the forward rate too, or leave both out")
        if self.triton_bwd_attention_eff > 0 and self.triton_attention_eff == 0:
            raise InputError(f"calibration family {self.family!r}: triton_bwd_attention_eff = "
                             f"{self.triton_bwd_attention_eff!r} without a forward rate (triton_attention_eff)",
                             "give triton_attention_eff = the forward rate too, or leave both out")
        for name, limit in _UPPER_LIMITS.items():
            v = getattr(self, name)
            if not 0 <= v <= limit:  # NaN and inf too: plan then crashed on overflow
                raise InputError(f"calibration family {self.family!r}: {name} = {v!r} is not a number from 0 to "
                                 f"{limit:g}", f"give {name} >= 0 in SI units (FLOP, seconds, bytes)")
        v = self.framework_overhead_bytes
        if 0 < v < _OVERHEAD_SLIP_BYTES:  # 2.5 meaning GB passed as 2.5 bytes: mem/dev then left out the overhead
            raise InputError(f"calibration family {self.family!r}: framework_overhead_bytes = {v!r} is under "
                             f"{_OVERHEAD_SLIP_BYTES:g} bytes, less than any framework's memory beside the model: "
                             "likely a figure in GB or GiB",
                             f"give bytes: write {v:g}e9 if {v:g} is in GB, {v:g} x 2**30 = {v * 2**30:.0f} if in "
                             "GiB (0: no overhead)")

    def calibrated(self, dtype: str) -> bool:
        """True when this family (and stack) was fitted on published runs of `dtype`'s kind (fp8 or 16 bit);
        False: its values are carried over from another family, and predictions say 'uncalibrated'."""
        return bool(self.fp8_fitted_on if dtype == "fp8" else self.fitted_on)

    def matmul_eff(self, flops: Any) -> Any:
        """eff(F) = eff_max * F / (F + F_half), elementwise over an array of GEMM sizes."""
        return self.matmul_eff_max * flops / (flops + self.matmul_half_flop)


_UPPER_LIMITS = {"matmul_half_flop": 1e17, "matmul_half_s": 1.0, "kernel_overhead_s": 1.0,
                 "framework_overhead_bytes": 1e16, "expert_gemm_floor_s": 1.0}
"""Largest value of each non-negative field, past which it is a unit slip, not a stack: a half-size point of 1e17 FLOP
(a second of the largest chip's peak, Cerebras WSE-3's 125 PFLOP/s) or 1 s leaves every GEMM of any model under half
its efficiency; a per-kernel gap (or per-expert GEMM floor) of a second is 1e5 x a launch (microseconds); 1e16 bytes
is spec.LIMITS' memory."""


_OVERHEAD_SLIP_BYTES = 1e6
"""framework_overhead_bytes above 0 and under this is a unit slip (2.5 meaning 2.5 GB): the least the bundled file
holds is the CPU family's 3.2e8 B, and a CUDA context alone takes hundreds of MB; 1 MB is no framework's whole
footprint beside the model (0 stays allowed: the TPU families', whose capacity is the runtime's bytes_limit)."""


STACKS = ("megatron", "pytorch-fsdp", "maxtext", "neuron-megatron-lm", "torchtitan")
"""Software stacks a calibration can be given for. 'megatron': Megatron-LM-style tensor/pipeline/data parallel
stacks (the family's own values, fitted on Narayanan et al. 2021); 'pytorch-fsdp': PyTorch FSDP stacks such as
MosaicML llm-foundry; 'maxtext': JAX/XLA MaxText (FSDP over a TPU slice); 'neuron-megatron-lm': AWS's Neuron
Reference for Megatron-LM (aws-neuron/aws-neuron-reference-for-megatron-lm, a PyTorch/XLA port of an early
Megatron-LM: tensor + data parallel, local DDP) on Trainium; 'torchtitan': PyTorch's torchtitan (FSDP2: fully_shard per
transformer block and the root, parameters as dim-0-sharded DTensors, no FlatParameter, pytorch/torchtitan
docs/fsdp.md; its own Llama model code and activation checkpointing), modelled as 'pytorch-fsdp' (one FSDP unit per
block, FSDP_STACKS) with calibration tables of its own. See calibration.toml for what was fitted on what."""
DEFAULT_STACK = "megatron"
MEGATRON_STACKS = ("megatron", "neuron-megatron-lm")
"""The stacks modelled as Megatron-LM (its asynchronous tensor-parallel backward collectives, its distributed
optimizer for ZeRO-1/2): 'neuron-megatron-lm' is Megatron-LM's code ported to XLA devices, so it differs from
'megatron' only in its calibration table."""

_NUM_FIELDS = ("matmul_eff_max", "matmul_half_flop", "memory_eff", "scaleup_bw_eff", "scaleout_bw_eff",
               "overlap_eff", "kernel_overhead_s", "framework_overhead_bytes")


def _check_stack(stack: str, where: str) -> None:
    if stack not in STACKS:
        raise InputError(f"{where}: unknown software stack {stack!r}", f"use one of: {', '.join(STACKS)}")


_OPTIONAL_FIELDS = ("fp8_matmul_eff_max", "matmul_half_s", "flash2_attention_eff", "flash2_bwd_attention_eff",
                    "triton_attention_eff", "triton_bwd_attention_eff", "expert_gemm_floor_s")
"""Numeric fields a family may omit (fp8_matmul_eff_max: then matmul_eff_max; matmul_half_s: then matmul_half_flop
is the half-size point; expert_gemm_floor_s: then no floor; as calibration.toml states)."""


_RETIRED = {"attention_eff_max": ("attention_eff_max (a stack-wide attention rate) was replaced on 2026-12-01 by the "
                                  "run's attention kernel", "write flash2_attention_eff = RATE in the [family.NAME] "
                                  "table and give the runs --attention-kernel flash2 (attention_kernel cell flash2)")}
"""Fields an older calibration file may hold, with what replaced them (an error naming the fix, not 'unknown')."""


def _numbers(name: str, table: dict[str, Any], where: str) -> dict[str, Any]:
    for f in _RETIRED.keys() & table.keys():
        raise InputError(f"{where}: family {name!r}: {_RETIRED[f][0]}", _RETIRED[f][1])
    kw: dict[str, Any] = {}
    for f in (*_NUM_FIELDS, *_OPTIONAL_FIELDS):
        if f not in table:
            continue
        v = table[f]
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise InputError(f"{where}: family {name!r} field {f} = {v!r} is not a number", "give a plain number")
        kw[f] = float(v)
    return kw


_TEXT_FIX = {"derived_from": "write the derivation and its cited measurement as a quoted string",
             "fp8_derived_from": "write the fp8 derivation and its cited measurement as a quoted string",
             "carried_from": 'write "FAMILY: which fit, and why kept" as a quoted string',
             "reference_device": 'name a catalog device as a quoted string, e.g. "h100-sxm"'}


def _derived_from(label: str, table: dict[str, Any], where: str, default: str = "",
                  key: str = "derived_from") -> str:
    """The table's text field `key` (derived_from, fp8_derived_from, carried_from or reference_device); a non-text
    value is an error."""
    v = table.get(key, default)
    if not isinstance(v, str):
        raise InputError(f"{where}: [family.{label}] {key} = {v!r} is not text", f"{_TEXT_FIX[key]}, or leave it out")
    return v


def _names(section: str, label: str, table: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    """A `[SECTION.LABEL]` list of names (match globs, fitted_on run ids): a list of strings, else InputError."""
    v = table.get(key, [])
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise InputError(f"{where}: [{section}.{label}] field {key} = {v!r} is not a list of strings",
                         f'write e.g. {key} = ["{"h100*" if key == "match" else "run-id"}"]')
    return tuple(v)


_DEVICE_FACTOR_FIELDS = ("fp8_device_factor", "fp8_factor_device", "fp8_factor_fitted_on", "fp8_factor_source")
"""A family's fitted fp8 factor for one device without a measured FP8 matmul rate (Calibration.fp8_device_factor):
given on the family's table only (device_scaled applies it to every stack of the family on that device)."""


def _device_factor(name: str, table: dict[str, Any], where: str) -> dict[str, Any]:
    """The [family.NAME] table's fp8_device_factor fields, checked: a factor needs its device and its fit rows."""
    if not set(_DEVICE_FACTOR_FIELDS) & set(table):
        return {}
    f = table.get("fp8_device_factor", 1.0)
    if isinstance(f, bool) or not isinstance(f, int | float) or not 0.0 < f <= 4.0:
        raise InputError(f"{where}: [family.{name}] fp8_device_factor = {f!r} is not a number in (0, 4]",
                         "give the factor on fp8_matmul_eff_max, e.g. 1.1 (1: none)")
    device = table.get("fp8_factor_device", "")
    source = table.get("fp8_factor_source", "")
    if not isinstance(device, str) or not isinstance(source, str):
        raise InputError(f"{where}: [family.{name}] fp8_factor_device / fp8_factor_source is not text",
                         'write e.g. fp8_factor_device = "gb300" and fp8_factor_source = "the rule and its source"')
    rows = _names("family", name, table, "fp8_factor_fitted_on", where)
    if float(f) != 1.0 and not (device and rows):
        raise InputError(f"{where}: [family.{name}] fp8_device_factor = {f!r} without fp8_factor_device and "
                         "fp8_factor_fitted_on", "name the device it is for and the runs it was fitted on")
    return {"fp8_device_factor": float(f), "fp8_factor_device": device, "fp8_factor_fitted_on": rows,
            "fp8_factor_source": source}


def _stack_override(fam: Calibration, stack: str, table: Any, where: str) -> Calibration:
    """One `[family.NAME.stack.STACK]` table: a subset of the numeric fields, its own fitted_on and source."""
    label = f"{fam.family}.stack.{stack}"
    _check_stack(stack, f"{where}: [family.{label}]")
    if stack == DEFAULT_STACK:
        raise InputError(f"{where}: [family.{label}] overrides the default stack",
                         f"the '{DEFAULT_STACK}' stack is the family's own values: edit [family.{fam.family}]")
    if not isinstance(table, dict):
        raise InputError(f"{where}: [family.{label}] is not a table", f"see {bundled_ref('calibration.toml')}")
    unknown = set(table) - {*_NUM_FIELDS, *_OPTIONAL_FIELDS, *_RETIRED, "fitted_on", "fp8_fitted_on", "source",
                            "derived_from", "fp8_derived_from",
                            "carried_from"}
    if unknown:
        raise unknown_fields(f"{where}: [family.{label}]", sorted(unknown),
                             (*_NUM_FIELDS, *_OPTIONAL_FIELDS, "fitted_on", "fp8_fitted_on", "derived_from",
                              "fp8_derived_from", "carried_from", "source"))
    # the family's derivation holds for the stack only while the stack keeps the family's 16-bit curve
    keeps_curve = not {"matmul_eff_max", "matmul_half_flop", "matmul_half_s"} & set(table)
    return replace(fam, stack=stack, stacks={}, fitted_on=_names("family", label, table, "fitted_on", where),
                   fp8_fitted_on=_names("family", label, table, "fp8_fitted_on", where),
                   derived_from=_derived_from(label, table, where, fam.derived_from if keeps_curve else ""),
                   fp8_derived_from=_derived_from(label, table, where, "" if "fp8_matmul_eff_max" in table
                                                  else fam.fp8_derived_from, "fp8_derived_from"),
                   carried_from=_derived_from(label, table, where, fam.carried_from if keeps_curve else "",
                                              "carried_from"),
                   source=str(table.get("source", where)),
                   fp8_own=fam.fp8_own or "fp8_matmul_eff_max" in table, **_numbers(label, table, where))


def _family(name: str, table: dict[str, Any], where: str, base: Calibration | None = None) -> Calibration:
    """A `[family.NAME]` table. With `base` (the bundled family of that name) a table holding only `stack`
    sub-tables adds/replaces those stacks of the bundled family instead of replacing the family."""
    if not isinstance(table, dict):
        raise InputError(f"{where}: [family.{name}] is not a table", f"see {bundled_ref('calibration.toml')}")
    stack_tables = table.get("stack", {})
    if not isinstance(stack_tables, dict):
        raise InputError(f"{where}: family {name!r} field stack is not a table",
                         "give per-stack overrides as [family.NAME.stack.STACK] tables")
    if base is not None and set(table) == {"stack"}:
        fam = base
        merged = dict(base.stacks)
    else:
        # unknown before missing: a misspelt field is both, and the misspelling is what the user must see
        unknown = set(table) - {*_NUM_FIELDS, *_OPTIONAL_FIELDS, *_RETIRED, "fitted_on", "fp8_fitted_on", "match",
                                 "source", "fp8_derived_from", "retired_fit_rows",
                                 "stack", "derived_from", "carried_from", "reference_device", *_DEVICE_FACTOR_FIELDS}
        missing = [f for f in _NUM_FIELDS if f not in table]
        if missing and not unknown:
            raise InputError(f"{where}: family {name!r} lacks {', '.join(missing)}",
                             "give every field (copy a family from the bundled calibration.toml)")
        if unknown:
            raise unknown_fields(f"{where}: family {name!r}", sorted(unknown),
                                 (*_NUM_FIELDS, *_OPTIONAL_FIELDS, "fitted_on", "fp8_fitted_on", "derived_from",
                                  "fp8_derived_from", "retired_fit_rows", "carried_from", "reference_device",
                                  "match", "source", "stack", *_DEVICE_FACTOR_FIELDS))
        fam = Calibration(family=name, fitted_on=_names("family", name, table, "fitted_on", where),
                          fp8_fitted_on=_names("family", name, table, "fp8_fitted_on", where),
                          derived_from=_derived_from(name, table, where),
                          fp8_derived_from=_derived_from(name, table, where, key="fp8_derived_from"),
                          retired_fit_rows=_names("family", name, table, "retired_fit_rows", where),
                          carried_from=_derived_from(name, table, where, key="carried_from"),
                          reference_device=_derived_from(name, table, where, key="reference_device"),
                          match=_names("family", name, table, "match", where), source=str(table.get("source", where)),
                          **_device_factor(name, table, where), **_numbers(name, table, where))
        merged = {}
    for stack, sub in stack_tables.items():
        merged[stack] = _stack_override(fam, stack, sub, where)
    return replace(fam, stacks=merged)


CALIBRATION_TABLES = ("family", "serving")
"""The top-level tables a calibration file holds: [family.NAME] (training) and [serving.NAME] (serving)."""


def check_top_level(doc: Mapping[str, Any], where: str) -> None:
    """An InputError naming a key or table of a calibration file outside [family.*] and [serving.*]: neither reader
    looked there, so `gemm_eff = 0.5` above the first table (TOML puts it at the top level) or a misspelt
    [famly.my-h100] was dropped without a word and the prediction ran on the bundled values."""
    stray = [k for k in doc if k not in CALIBRATION_TABLES]
    if not stray:
        return
    hint = next((f"did you mean {close[0]!r} for {k!r}? " for k in stray
                 if (close := close_matches(k, CALIBRATION_TABLES, n=1, cutoff=0.6))), "")
    raise InputError(f"calibration file {where}: {', '.join(map(repr, stray))} "
                     f"{'is' if len(stray) == 1 else 'are'} outside its family and serving tables, so no prediction "
                     "would read it (a key written above the first table header is a top-level key in TOML)",
                     f"{hint}move each value under the [family.NAME] or [serving.NAME] table it belongs to (names as "
                     f"in {bundled_ref('calibration.toml')}), or delete it")


def _parse(text: str, where: str, base: dict[str, Calibration] | None = None) -> dict[str, Calibration]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"calibration file {where} is not valid TOML: {e}", "fix the TOML syntax") from None
    check_top_level(doc, where)
    fam = doc.get("family")
    if not isinstance(fam, dict) or not fam:
        if isinstance(doc.get("serving"), dict) and doc["serving"]:  # a serving-only file given to a training command
            raise InputError(f"calibration file {where} has no [family.NAME] tables (training predictions read only "
                             "those); its [serving.NAME] tables are the serving calibration",
                             "pass it to `plan serve --calibration` or `validate --serving --calibration`, or copy a "
                             f"[family.NAME] table from {bundled_ref('calibration.toml')} into it")
        raise InputError(f"calibration file {where} has no [family.NAME] tables",
                         f"see {bundled_ref('calibration.toml')} for the format")
    try:
        out = {name: _family(name, t, where, (base or {}).get(name)) for name, t in fam.items()}
    except InputError as e:  # Calibration's own checks know the family, not the file
        if e.problem.startswith(where):
            raise
        raise InputError(f"{where}: {e.problem}", e.fix) from None
    known = {*out, *(base or {})}
    for cal in out.values():
        for sub in (cal, *cal.stacks.values()):
            source = sub.carried_from.split(":", 1)[0].strip()
            if sub.carried_from and (":" not in sub.carried_from or source not in known):
                raise InputError(f"{where}: [family.{cal.family}] carried_from = {sub.carried_from[:60]!r}... does not "
                                 "start with the name of a family of the calibration and ':'",
                                 "write carried_from = \"FAMILY: which fit, and why kept\" naming a [family.FAMILY]")
    return out


def bundled_text() -> str:
    return (resources.files("accelopt.predict") / "data" / "calibration.toml").read_text(encoding="utf-8")


@functools.lru_cache(maxsize=2)
def _bundled_families(text: str) -> dict[str, Calibration]:
    """The [family.NAME] tables of the bundled file's `text`, parsed once per text (callers copy the dict; a
    Calibration is frozen). Keyed on the text, not read once: the file is read on every call, and a changed text
    (a test's edited copy) is parsed anew."""
    return _parse(text, BUNDLED_TABLE_FILE)


def load_calibrations(path: Path | str | None = None) -> dict[str, Calibration]:
    """Bundled families, with those of `path` (if given) replacing them by name (a family there holding only
    `[family.NAME.stack.STACK]` tables adds those stacks to the bundled family instead)."""
    cals = dict(_bundled_families(bundled_text()))
    if path is not None:
        mine = user_families(path)
        # the file's families first: _family_for takes the first family whose globs match, so a new family for a
        # device a bundled family also matches ([family.my-h100] match = ["h100*"]) must come before the bundled one
        cals = {**mine, **{name: cal for name, cal in cals.items() if name not in mine}}
    return cals


def user_families(path: Path | str) -> dict[str, Calibration]:
    """The [family.NAME] tables of a --calibration file alone, as load_calibrations lays them over the bundled ones
    (a family holding only stack tables: the bundled family with those stacks added)."""
    p = Path(path)
    text = read_user_text(p, "calibration file", "check the path given to --calibration")
    mine = _parse(text, str(p), dict(_bundled_families(bundled_text())))
    for name, cal in mine.items():
        if not cal.match and name not in ("default", "probed"):  # _family_for would never pick it
            raise InputError(f"{p}: [family.{name}] has no match globs, so it applies to no device",
                             'add match = ["device-name*"] (a glob of the catalog names it is for)')
    return mine


def calibration_for(spec: AcceleratorSpec, cals: dict[str, Calibration] | None = None,
                    stack: str = DEFAULT_STACK, cudnn_before_9_17: bool = False) -> Calibration:
    """The family whose `match` globs fit the device name (first match in file order; 'probed' if measured),
    with its `stack` override if it has one (else the family's own values, labelled with `stack`); the fused
    attention rates those of a cuDNN release before 9.17 with `cudnn_before_9_17` (with_fused_attention)."""
    _check_stack(stack, "--stack")
    cals = cals if cals is not None else load_calibrations()
    cal = device_scaled(_with_stack(_family_for(spec, cals), stack), spec)
    return with_fused_attention(cal, spec, cudnn_before_9_17=True) if cudnn_before_9_17 else \
        with_fused_attention(cal, spec)


def with_fused_attention(cal: Calibration, spec: AcceleratorSpec, cudnn_before_9_17: bool = False) -> Calibration:
    """`cal` with the fused attention kernel's rates of `spec`: its catalog measured_fused_attention_flop_per_s
    (forward, backward) over its 16-bit peak, the source beside them; without a measurement the rates stay 0 (the
    core on the GEMM curve) and fused_attention_basis says so.

    Why: the fused core is one kernel (cuDNN's scaled dot product attention through Transformer Engine), whose rate a
    benchmark of that kernel measures directly; charging it the GEMM curve's eff_max assumed it runs as fast as a large
    GEMM, while NVIDIA's own cudnn-frontend sdpa benchmark measures it below that on every Blackwell device it covers
    and differently per device (B200 0.53 / 0.42, GB200 0.63 / 0.51, GB300 0.77 / 0.56 of the bf16 peak, forward /
    backward, against the curve's 0.74: tests/test_blackwell_fused_attention.py).

    `cudnn_before_9_17` (plan --cudnn-before-9-17: the run's container carries a cuDNN release before 9.17.0): the
    device's rates under such a release where the catalog gives them (FUSED_ATTENTION_BEFORE_CUDNN_9_17's keys;
    GB300 measured under 9.13, GB200 derived from it), its only rates otherwise (said in the basis). Why: cuDNN
    9.17.0 added SDPA improvements (cudnn-frontend v1.17.0 release notes), x1.29 / x1.23 on GB300's own runs of the
    benchmark between 9.13 and 9.18.1, where B200's runs are flat from 9.10.2 to 9.13
    (tests/test_cudnn_before_917.py)."""
    rates = dict(spec.measured_fused_attention_flop_per_s)
    peak = spec.peak("bf16") or spec.peak("fp16")
    src_key = "measured_fused_attention_flop_per_s.forward"
    fwd_key, bwd_key = FUSED_ATTENTION_BEFORE_CUDNN_9_17
    if cudnn_before_9_17 and fwd_key in rates:
        rates = {"forward": rates[fwd_key], "backward": rates[bwd_key]}
        src_key = f"measured_fused_attention_flop_per_s.{fwd_key}"
    src = spec.sources.get(src_key, "no source given")
    derived = src.startswith("Derived")  # the catalog's convention for a figure worked out from others
    what = f"the fused kernel's {'derived' if derived else 'measured'} rates on {spec.name}"
    if cudnn_before_9_17 and rates:
        what = (f"{what} under a cuDNN release before 9.17 (--cudnn-before-9-17)" if src_key.endswith(fwd_key) else
                f"--cudnn-before-9-17, but the catalog gives {spec.name} no rate under a cuDNN release before "
                f"9.17, so {what}")
    if not rates or not peak:
        return replace(cal, fused_attention_eff=0.0, fused_bwd_attention_eff=0.0,
                       fused_attention_basis=f"no measured fused-attention rate of {spec.name} (catalog "
                                             "measured_fused_attention_flop_per_s), so its fused attention core runs "
                                             "on the GEMM curve (a default)"
                                             + (f"; --cudnn-before-9-17 changes nothing on {spec.name}: it has no "
                                                "fused-attention rate to replace" if cudnn_before_9_17 else ""))
    fwd, bwd = rates["forward"] / peak, rates["backward"] / peak
    return replace(cal, fused_attention_eff=fwd, fused_bwd_attention_eff=bwd, fused_attention_derived=derived,
                   fused_attention_basis=f"{what}, "
                                         f"{rates['forward'] / 1e12:.0f} / {rates['backward'] / 1e12:.0f} TFLOP/s "
                                         f"forward / backward over the {peak / 1e12:.0f} TFLOP/s 16-bit peak ({src})")


def _reference_spec(cal: Calibration) -> AcceleratorSpec:
    return catalog_reference(cal.reference_device, f"calibration family {cal.family!r}", cal.match)


def device_scaled(cal: Calibration, spec: AcceleratorSpec) -> Calibration:
    """_ratio_scaled, then the family's fitted fp8 factor for `spec` where it has one (with_device_factor)."""
    return with_device_factor(_ratio_scaled(cal, spec), spec)


def with_device_factor(cal: Calibration, spec: AcceleratorSpec) -> Calibration:
    """`cal` with fp8_matmul_eff_max x fp8_device_factor (capped at 1) when `spec` is the family's fp8_factor_device
    and has no measured FP8 matmul rate (a probed or measured device keeps its own rate); the factor, its fit rows and
    its source are added to the fp8 curve's device note (printed with the basis by `plan explain`).

    Why: a device without a measured GEMM rate keeps its family's reference-device efficiency (device_scaled), which
    for GB300 under-states its FP8 GEMM rate: MLPerf Training v5.1's same-config 72-GPU GB300 / GB200 Llama 3.1 8B FP8
    runs publish a forward-only step 1.169x faster on GB300 where the model's layers' forward gave 1.069x
    (tests/test_gb300_mlperf_pair_scaling.py; the factor's rule: calibration.toml, [family.nvidia-blackwell])."""
    f = cal.fp8_device_factor
    if f == 1.0 or not cal.fp8_factor_device or spec.name != cal.fp8_factor_device or spec.measured \
            or spec.measured_matmul_fraction("fp8") is not None:
        return cal
    eff8 = min(1.0, cal.fp8_matmul_eff_max * f)
    note = (f"x{f:g} on {spec.name} (fp8_device_factor, FITTED on {', '.join(cal.fp8_factor_fitted_on)}: "
            f"fp8_matmul_eff_max {cal.fp8_matmul_eff_max:g} -> {eff8:.3g}; {cal.fp8_factor_source})")
    return replace(cal, fp8_matmul_eff_max=eff8, device_ratio_fp8=cal.device_ratio_fp8 * f,
                   device_note_fp8=f"{cal.device_note_fp8}; {note}" if cal.device_note_fp8 else note,
                   unscaled=cal.unscaled or cal)


def _ratio_scaled(cal: Calibration, spec: AcceleratorSpec) -> Calibration:
    """`cal` for `spec` when the family names a reference device: each eff_max times
    r = (measured matmul / peak of `spec`) / (the same of the reference), at that precision.

    Why: the family's efficiency is fitted on the reference device's runs; a sibling with the same datasheet peak but
    a higher power limit sustains a higher clock under GEMM load (stas00/ml-engineering, compute/accelerator
    README, 'Power consumption': MI325X (1000 W) vs MI300X (750 W) at equal theoretical FLOPS), which its measured
    matmul rate shows. fp8 uses the fp8 measurements where both devices have one, else the 16-bit ratio (stated).
    A device without a measurement keeps the family's values (stated). A scaled value is capped at 1."""
    if not cal.reference_device or spec.measured:
        return cal
    ref = _reference_spec(cal)
    if spec.name == ref.name:
        return cal
    r16, _ = matmul_ratio(spec, ref, "bf16")
    r8, from8 = matmul_ratio(spec, ref, "fp8")  # fp8's measurements, else the 16-bit ratio
    if r16 is None and r8 is None:
        why = (f"not scaled to {spec.name}: no measured matmul rate of both {spec.name} and the family's reference "
               f"device {ref.name} (catalog measured_matmul_flop_per_s), so the family's values as they are")
        return replace(cal, device_note=why, device_note_fp8=why)
    fp8_from = "" if from8 == "fp8" else " (the 16-bit ratio: no fp8 measurement of both)"
    r16 = r16 if r16 is not None else 1.0
    r8 = r8 if r8 is not None else 1.0
    eff16, eff8 = min(1.0, cal.matmul_eff_max * r16), min(1.0, cal.fp8_matmul_eff_max * r8)
    where = (f"by its measured matmul fraction of peak over the family's reference device {ref.name}'s (measured rates "
             f"and their source: `accelopt catalog show {spec.name}` / `{ref.name}`)")
    return replace(cal, matmul_eff_max=eff16, fp8_matmul_eff_max=eff8, device_ratio=r16, device_ratio_fp8=r8,
                   device_note=f"scaled to {spec.name} x{r16:.3f} (eff_max {cal.matmul_eff_max:g} -> {eff16:.3g}) "
                               + where,
                   device_note_fp8=f"scaled to {spec.name} x{r8:.3f}{fp8_from} (fp8_matmul_eff_max "
                                   f"{cal.fp8_matmul_eff_max:g} -> {eff8:.3g}) " + where,
                   unscaled=cal)


def _ratio(spec: AcceleratorSpec, ref: AcceleratorSpec, dtype: str) -> float | None:
    mine, theirs = spec.measured_matmul_fraction(dtype), ref.measured_matmul_fraction(dtype)
    return mine / theirs if mine is not None and theirs is not None else None


def catalog_reference(name: str, where: str, match: tuple[str, ...] = ()) -> AcceleratorSpec:
    """The bundled catalog device a calibration table names as its reference_device (`where` names the table); with
    `match`, it must be one of the devices the table's match globs cover (a device of another kind would rescale
    the table by an unrelated ratio)."""
    from accelopt.hardware.catalog import default_catalog

    cat = default_catalog()
    if name not in cat:
        raise InputError(f"{where}: reference_device {name!r} is not a device of the bundled catalog",
                         "name a catalog device (accelopt catalog list), or remove reference_device")
    ref = cat.get(name)
    names = [ref.name.lower(), *(a.lower() for a in ref.aliases)]
    if match and not any(fnmatch.fnmatch(n, pat) for pat in match for n in names):
        raise InputError(f"{where}: reference_device {name!r} is not a device the table matches "
                         f"(match = {list(match)})", "name the device the table's fit rows ran on, one its match "
                         "globs cover")
    return ref


def matmul_ratio(spec: AcceleratorSpec, ref: AcceleratorSpec, dtype: str) -> tuple[float | None, str]:
    """(measured matmul / peak of `spec`) / (the same of `ref`) for GEMMs in `dtype`, and the precision whose
    measurements gave it: `dtype`'s where both devices have one, else (fp4) fp8's, else the 16-bit ratio; (None, '')
    where no pair exists (device_scaled's reason, for serving's compute efficiencies)."""
    chain = (dtype, "fp8", "bf16") if dtype in ("fp8", "fp4") else (dtype, "bf16")
    for d in dict.fromkeys(chain):
        r = _ratio(spec, ref, d)
        if r is not None:
            return r, d
    return None, ""


def _with_stack(cal: Calibration, stack: str) -> Calibration:
    if stack == cal.stack:
        return cal
    if stack in cal.stacks:
        return cal.stacks[stack]
    return replace(cal, stack=stack, stacks={})


def _family_for(spec: AcceleratorSpec, cals: dict[str, Calibration]) -> Calibration:
    if spec.measured and "probed" in cals:
        if spec.kind == "cpu" and "cpu" in cals:
            # A probed CPU's process holds a CPU framework's footprint, not a GPU stack's CUDA context: the cpu
            # family's measured figure (benchmarks/bench_cpu_framework_overhead.py), the rates stay the probe's.
            return with_values(cals["probed"], framework_overhead_bytes=cals["cpu"].framework_overhead_bytes)
        return cals["probed"]
    names = [spec.name.lower(), *(a.lower() for a in spec.aliases)]
    for cal in cals.values():
        if cal.family in ("default", "probed"):
            continue
        if any(fnmatch.fnmatch(n, pat) for pat in cal.match for n in names):
            return cal
    if "default" not in cals:
        raise InputError(f"no calibration family matches device {spec.name!r}", "add a [family.default] table")
    return cals["default"]


def with_values(cal: Calibration, **values: float) -> Calibration:
    """A copy with some fields changed (used by the fit)."""
    known = {f.name for f in fields(Calibration)}
    bad = set(values) - known
    if bad:
        raise InputError(f"unknown calibration field(s) {', '.join(sorted(bad))}", f"use {', '.join(_NUM_FIELDS)}")
    return replace(cal, **values)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# Serving: the [serving.NAME] tables of the same file (predict.serving turns them into ServingCalibration)


@dataclass(frozen=True, kw_only=True)
class ServingTable:
    """One `[serving.NAME]` table: values for predict.serving.ServingCalibration, the devices it matches, and the
    published serving runs it was fitted on (predict/data/published_serving_runs.csv, role 'fit')."""

    name: str
    match: tuple[str, ...] = ()
    fitted_on: tuple[str, ...] = ()
    derived_from: str = ""
    """The measurement the table's own values were derived from (not fitted): its citation and the figures it gives;
    '' for a fitted or estimated table."""
    derived_on: tuple[str, ...] = ()
    """Ids of the published serving rows whose run that measurement is of (role 'derived' in the runs file: a value
    taken from a run's own profile does not judge that run, so those rows count in no held-out figure)."""
    source: str = ""
    values: Mapping[str, float | int | str] = field(default_factory=dict)
    """ServingCalibration field -> value (a table other than 'default' holds only what differs from 'default')."""
    where: str = BUNDLED_TABLE_FILE
    """The file the table was read from (named in errors about its values)."""
    engines: Mapping[str, ServingTable] = field(default_factory=dict)
    """Engine name -> its `[serving.NAME.engine.ENGINE]` overlay: the engine-dependent fields only
    (ENGINE_FIELDS), fitted on that engine's rows (its own fitted_on); a row or `plan serve --engine` of that engine
    on this table's devices takes them over the table's (serving.calibration_for_spec)."""


ENGINE_FIELDS = ("per_step_overhead_s", "per_request_overhead_s")
"""The fields an engine overlay may hold: the host-side costs a forward and a request pay, which depend on the
engine's scheduler, sampler and server (vLLM / SGLang run whole decode steps well below [serving.nvidia-hopper]'s
per_step_overhead_s, fitted on TensorRT-LLM rows; ut4srv, 2026-12-06), not the device's kernel efficiencies."""


def _engine_overlay(name: str, engine: str, table: Any, where: str) -> ServingTable:
    """One `[serving.NAME.engine.ENGINE]` table: ENGINE_FIELDS values and the rows they were fitted on."""
    from accelopt.predict.serving import ENGINES  # (serving imports this module)

    label = f"{name}.engine.{engine}"
    if engine not in ENGINES:
        raise InputError(f"{where}: [serving.{label}] names no engine of `plan serve --engine`",
                         f"name one of {', '.join(ENGINES)}" + "".join(
                             f" (did you mean {m!r}?)" for m in close_matches(engine, list(ENGINES), n=1)))
    if not isinstance(table, dict):
        raise InputError(f"{where}: [serving.{label}] is not a table", f"see {bundled_ref('calibration.toml')}")
    unknown = set(table) - {*ENGINE_FIELDS, "fitted_on", "source"}
    if unknown:
        raise unknown_fields(f"{where}: [serving.{label}] (an engine overlay holds only the engine-dependent "
                             "fields)", sorted(unknown), (*ENGINE_FIELDS, "fitted_on", "source"))
    values: dict[str, float | int | str] = {}
    for k in ENGINE_FIELDS:
        if k in table:
            v = table[k]
            if isinstance(v, bool) or not isinstance(v, int | float):
                raise InputError(f"{where}: [serving.{label}] field {k} = {v!r} is not a number",
                                 f"give {k} in seconds as a plain number, e.g. 0.001")
            values[k] = v
    fitted_on = _names("serving", label, table, "fitted_on", where)
    if values and not fitted_on:  # an overlay says what it was fitted on, as the tables it refines do
        raise InputError(f"{where}: [serving.{label}] gives values but no fitted_on",
                         "list the ids of the runs of that engine its values were fitted on (fitted_on = [...])")
    return ServingTable(name=label, fitted_on=fitted_on, source=str(table.get("source", where)), values=values,
                        where=where)


def _serving_table(name: str, table: Any, where: str) -> ServingTable:
    if not isinstance(table, dict):
        raise InputError(f"{where}: [serving.{name}] is not a table", f"see {bundled_ref('calibration.toml')}")
    meta = {"match", "fitted_on", "source", "derived_from", "derived_on", "engine"}
    values: dict[str, float | int | str] = {}
    for k, v in table.items():
        if k in meta:
            continue
        if isinstance(v, bool) or not isinstance(v, int | float | str):
            raise InputError(f"{where}: [serving.{name}] field {k} = {v!r} is not a number or a string",
                             "give a plain number (or quoted text for memory_basis and reference_device)")
        values[k] = v
    match = _names("serving", name, table, "match", where)
    if not match and name != "default":  # it would apply to no device: the user's values silently unused
        bundled = where != BUNDLED_TABLE_FILE and name in _bundled_serving_names()
        raise InputError(f"{where}: [serving.{name}] has no match globs, so it applies to no device",
                         f"give match = [...] (copy the bundled [serving.{name}] table whole, with its match, "
                         "and edit its values)" if bundled else
                         'give match = ["device-name*"] (globs of the catalog names it is for, e.g. ["h100*"])')
    derived_from, derived_on = table.get("derived_from", ""), _names("serving", name, table, "derived_on", where)
    if not isinstance(derived_from, str):
        raise InputError(f"{where}: [serving.{name}] derived_from = {derived_from!r} is not text",
                         "write the measurement the values were derived from, and its citation, as a quoted string")
    if derived_on and not derived_from:  # rows taken out of the held-out set with nothing said of why
        raise InputError(f"{where}: [serving.{name}] lists derived_on rows but gives no derived_from",
                         "add derived_from = \"...\" (the measurement of those rows' run the values come from), or "
                         "drop derived_on")
    overlays = table.get("engine", {})
    if not isinstance(overlays, dict):
        raise InputError(f"{where}: [serving.{name}] field engine is not a table",
                         f"write [serving.{name}.engine.ENGINE] tables (ENGINE: a `plan serve --engine` name)")
    if overlays and name == "default":
        raise InputError(f"{where}: [serving.default] has engine overlays",
                         "give them under the device family's table ([serving.FAMILY.engine.ENGINE]), whose values "
                         "they refine")
    return ServingTable(name=name, match=match, fitted_on=_names("serving", name, table, "fitted_on", where),
                        derived_from=derived_from, derived_on=derived_on,
                        source=str(table.get("source", where)), values=values, where=where,
                        engines={e: _engine_overlay(name, e, t, where) for e, t in overlays.items()})


def _bundled_serving_names() -> set[str]:
    serving = tomllib.loads(bundled_text()).get("serving", {})
    return set(serving) if isinstance(serving, dict) else set()


def load_serving_tables(path: Path | str | None = None) -> dict[str, ServingTable]:
    """The bundled `[serving.NAME]` tables, with those of `path` (if given) replacing them by name, whole: a table
    given there does not merge with the bundled table of that name (a table other than 'default' holds what differs
    from 'default', the file's 'default' if it gives one). The file's tables come first, as training's families do:
    serving_table_for takes the first table whose globs match, so a new table for a device a bundled table also
    matches ([serving.my-h100] match = ["h100*"]) must be tried before the bundled one."""
    tables = dict(_serving_tables_of(bundled_text(), BUNDLED_TABLE_FILE, False))
    if path is not None:
        text = read_user_text(Path(path), "calibration file", "check the path given to --calibration")
        read = _serving_tables_of(text, str(path), True)
        tables = {**read, **{name: t for name, t in tables.items() if name not in read}}  # the later file first
    if "default" not in tables:
        raise InputError("no [serving.default] table in the calibration file", "add one (see the bundled file)")
    return tables


@functools.lru_cache(maxsize=8)
def _serving_tables_of(text: str, where: str, user: bool) -> dict[str, ServingTable]:
    """The [serving.NAME] tables of one calibration file's `text`, parsed once per text (callers copy the dict; a
    ServingTable is frozen). Every serving prediction looks its device's table up here (serving.calibration_for_spec):
    parsing the 200 kB bundled file each time was 86% of `validate --serving` (1,378 parses for 678 rows). The
    file is still read on every call, so an edited file (a user's --calibration, a test's copy) is parsed anew."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"calibration file {where} is not valid TOML: {e}", "fix the TOML syntax") from None
    check_top_level(doc, where)
    serving = doc.get("serving", {})
    if not isinstance(serving, dict):
        raise InputError(f"{where}: `serving` is not a table", "write [serving.NAME] tables")
    if not serving and user:  # a training-only file: nothing of it would be used
        raise InputError(f"calibration file {where} has no [serving.NAME] tables (serving predictions read "
                         "only those)", f"copy a [serving.NAME] table from {bundled_ref('calibration.toml')} "
                         "and edit it ([family.NAME] tables are the training calibration)")
    return {name: _serving_table(name, t, where) for name, t in serving.items()}


def dropped_stack_lines(path: Path | str | None) -> list[str]:
    """A 'warning: ...' line for each [family.NAME] table of the calibration file at `path` that replaces a bundled
    family holding [family.NAME.stack.STACK] tables it does not give: load_calibrations replaces a family by name,
    so those stacks' runs then take the file's family values, not the bundled stack values (a pytorch-fsdp Hopper
    run 1.94 s -> 1.76 s when a user copied [family.nvidia-hopper] alone); [] otherwise. A table holding only stack
    sub-tables adds to the bundled family and drops nothing."""
    if path is None:
        return []
    load_calibrations(path)  # a bad file stops here with its own error (too large, not TOML, wrong types)
    bundled = _bundled_families(bundled_text())
    mine = tomllib.loads(read_user_text(Path(path), "calibration file", "check the path given to --calibration"))
    lines = []
    for name, table in (mine.get("family") or {}).items():
        if name not in bundled or not isinstance(table, dict) or set(table) == {"stack"}:
            continue
        lost = sorted(set(bundled[name].stacks) - set(table.get("stack") or {}))
        if lost:
            subs = ", ".join(f"[family.{name}.stack.{s}]" for s in lost)
            lines.append(f"warning: {path}: [family.{name}] replaces the bundled family without its {subs} "
                         f"table(s): {', '.join(lost)} runs take this file's [family.{name}] values, not the bundled "
                         f"{', '.join(lost)} ones (copy the bundled sub-table(s) into the file to keep them)")
    return lines


def fields_given(path: Path | str | None, family: str, stack: str) -> frozenset[str]:
    """The numeric fields the calibration file at `path` (already read without error) sets for runs of [family.FAMILY]
    on `stack`: those of its [family.FAMILY] table (none when it holds only stack sub-tables, which add to the bundled
    family) and of its [family.FAMILY.stack.STACK]; empty without a file. A figure given there is the user's even where
    it equals the bundled one."""
    if path is None:
        return frozenset()
    doc = tomllib.loads(read_user_text(Path(path), "calibration file", "check the path given to --calibration"))
    table = (doc.get("family") or {}).get(family)
    if not isinstance(table, dict):
        return frozenset()
    sub = (table.get("stack") or {}).get(stack)
    return frozenset(k for k in (*table, *(sub if isinstance(sub, dict) else ())) if k in _NUM_FIELDS)


def has_family_tables(path: Path | str) -> bool:
    """True when the calibration file at `path` (already read without error) holds [family.NAME] tables."""
    text = read_user_text(Path(path), "calibration file", "check the path given to --calibration")
    return bool(tomllib.loads(text).get("family"))


def serving_table_for(spec: AcceleratorSpec, tables: dict[str, ServingTable]) -> ServingTable:
    """The first table (file order) whose `match` globs fit the device name or an alias; else 'default'."""
    names = [spec.name.lower(), *(a.lower() for a in spec.aliases)]
    for t in tables.values():
        if t.name != "default" and any(fnmatch.fnmatch(n, pat) for pat in t.match for n in names):
            return t
    return tables["default"]


# Families whose bundled framework_overhead_bytes is measured, not assumed, with where (data/calibration.toml)
_MEASURED_OVERHEAD = {"cpu": "measured: benchmarks/bench_cpu_framework_overhead.py, the VmHWM of a fresh torch CPU "
                             "process after one AdamW step"}


def _bytes_sci(x: float) -> str:
    """2.5e9 -> '2.5e9 B', as calibration.toml writes it (3 significant digits)."""
    mantissa, _, exp = f"{x:.3g}".partition("e")
    return f"{mantissa}e{int(exp)} B" if exp else f"{mantissa} B"


def framework_overhead_notes(specs: list[AcceleratorSpec], cals: dict[str, Calibration], stack: str,
                             calibration: Path | str | None) -> list[str]:
    """What the framework overhead in each device's mem/dev (calibration framework_overhead_bytes, added to the
    model's weights, gradients, optimizer state and activations) rests on, for every model source: a 'default
    used:' line for the bundled assumptions (the GPU families' figure in calibration.toml, written into the line
    from the data: CUDA context + allocator slack + framework buffers, not measured; it outweighs a small model's
    own bytes, 2.5e9 B beside the 48 kB of a 2,437-parameter model), a line naming the measurement for a measured
    bundled figure (the cpu family's), one naming the --calibration file for a figure it gives (even one equal to
    the bundled figure: it is the user's); nothing for a device whose figure is 0 (TPU). `plan` (a workload too)
    and `plan explain` print these same lines."""
    from accelopt.units import fmt_bytes

    bundled = load_calibrations(None)
    assumed, measured, given = [], [], []
    assumed_bytes: list[float] = []
    for sp in specs:
        cal = calibration_for(sp, cals, stack)
        b = cal.framework_overhead_bytes
        if not b:
            continue
        base = calibration_for(sp, bundled, stack)
        fam = "cpu" if sp.kind == "cpu" and base.family == "probed" else base.family  # a probed CPU: cpu's figure
        part = f"{sp.name} {fmt_bytes(b, binary=True)} ([family.{cal.family}])"
        if b != base.framework_overhead_bytes or "framework_overhead_bytes" in fields_given(calibration, cal.family,
                                                                                             stack):
            given.append(part)
        elif fam in _MEASURED_OVERHEAD:
            measured.append(f"{sp.name} {fmt_bytes(b, binary=True)} ([family.{fam}], {_MEASURED_OVERHEAD[fam]})")
        else:
            assumed.append(part)
            assumed_bytes.append(b)
    notes = []
    if assumed:
        # the bundled figure(s) these devices' predictions add, written from the data, not restated
        figs = sorted(set(assumed_bytes))
        said = (f"its {_bytes_sci(figs[0])} is an assumption" if len(figs) == 1 else
                f"its {', '.join(_bytes_sci(x) for x in figs)} are assumptions")
        notes.append("default used: mem/dev includes a framework overhead per device of " + ", ".join(assumed)
                     + f" (calibration framework_overhead_bytes, predict/data/calibration.toml: {said} for the CUDA "
                     "context, allocator slack and framework buffers, not measured) beside the model's weights, "
                     "gradients, optimizer state and activations — give framework_overhead_bytes in a --calibration "
                     "TOML to replace it")
    if measured:
        notes.append("mem/dev includes a framework overhead per device of " + ", ".join(measured)
                     + " beside the model's weights, gradients, optimizer state and activations")
    if given:
        notes.append("mem/dev includes a framework overhead per device of " + ", ".join(given)
                     + f" (framework_overhead_bytes of the --calibration file {calibration})")
    return notes


def unmatched_table_lines(path: Path | str | None, specs: Sequence[AcceleratorSpec],
                          section: str = "family") -> list[str]:
    """A 'warning: ...' line for each [SECTION.NAME] table of the calibration file at `path` (already read without
    error) whose match globs fit none of the command's devices `specs` (SECTION 'family' for training predictions,
    'serving' for serving ones): its values change nothing the command prints, and it said no word of it (a typo
    h100-sx for h100-sxm; ut3io). The line names the table, its globs, what they fit (no catalog device, or catalog
    devices this command does not predict) and the closest device and family names. The 'default' and 'probed'
    tables match by role, not by glob, and a table holding only stack sub-tables adds to the bundled family of its
    name: none is warned of."""
    if path is None:
        return []
    from accelopt.hardware.catalog import closest_devices, default_catalog

    # a bad file stops here with its own error (not TOML, wrong types), as the command's own reading would stop it
    load_serving_tables(path) if section == "serving" else load_calibrations(path)
    doc = tomllib.loads(read_user_text(Path(path), "calibration file", "check the path given to --calibration"))
    tables = doc.get(section) or {}
    bundled = tomllib.loads(bundled_text()).get(section) or {}
    catalog = sorted({*default_catalog()._alias, *(n.lower() for s in specs for n in (s.name, *s.aliases))})
    mine = {s.name: [s.name.lower(), *(a.lower() for a in s.aliases)] for s in specs}
    lines = []
    for name, table in tables.items():
        if name in ("default", "probed") or not isinstance(table, dict) or set(table) <= {"stack"}:
            continue
        globs = [str(g) for g in table.get("match") or []]
        if not globs or any(fnmatch.fnmatch(n, g.lower()) for g in globs for names in mine.values() for n in names):
            continue
        fits = sorted({n for n in catalog if any(fnmatch.fnmatch(n, g.lower()) for g in globs)})
        near = list(dict.fromkeys(d for g in globs for d in closest_devices(g.replace("*", "").replace("?", ""),
                                                                             catalog)))[:3]
        fams = close_matches(name, [f for f in bundled if f != name], n=2)
        what = (f"fits {', '.join(fits[:4])}{' ...' if len(fits) > 4 else ''} but no device of this command "
                f"({', '.join(mine)})" if fits else "fits no catalog device")
        hints = [f"closest device names: {', '.join(near)}" if near else "",
                 f"closest bundled {section} tables: {', '.join(f'[{section}.{f}]' for f in fams)}" if fams else ""]
        lines.append(f"warning: {path}: [{section}.{name}] match = {globs} {what}, so its values change nothing "
                     f"here; {'; '.join(h for h in hints if h) or 'no catalog name is close'} (fix the globs; "
                     "`accelopt catalog list` lists the device names)")
    return lines
