"""What bounds a measured step, and what to try first, each with its evidence and an upper bound on the gain.

Every estimated gain is an Amdahl bound (G. Amdahl, "Validity of the single processor approach to
achieving large scale computing capabilities", AFIPS 1967): if a share s of the step is sped up
by a factor k, the whole step speeds up by at most

    S = 1 / ((1 - s) + s / k)          (k -> infinity: S = 1 / (1 - s))

The shares are measured: the input pipeline's from the instrumented breakdown pass (data wait and
host-to-device copy over the sum of all phases), the op classes' from the profiler pass (op self
time over the profiled step's wall time; the part of the wall time no op accounts for is host
time: Python, dispatch, and on a GPU the device's idle gaps). k comes from peak ratios of the
catalog or probed spec, or from an op's distance to its roofline.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from accelopt.measure.roofline import RooflineRow
from accelopt.units import fmt_ratio, unit
from accelopt.workload.types import MATMUL_LIKE

BOUNDS = ("input pipeline", "host overhead", "memory-bound ops", "compute-bound ops", "communication",
          "unmodeled ops")
"""'unmodeled ops': ops with no FLOP formula (roofline verdict 'unmodeled'); when they take the largest share the
verdict says the bound is unknown rather than advising for them."""
MIN_SHARE = 0.05
"""Shares below 5% of the step are not worth a recommendation (removing them gains at most
1 / (1 - 0.05) = 1.05x by Amdahl's law). The 5% cut-off is an assumption (our choice, no published
source); the optimizer-step advice uses 2 x MIN_SHARE. Override in Python:
`accelopt.measure.diagnose.MIN_SHARE = 0.02`."""
LOW_EFFICIENCY = 0.5
"""Compute-bound ops attaining under half their roofline bound count as 'at low efficiency'. An
assumption (our choice; for scale, Megatron-LM reaches 52% of A100 peak end to end, Narayanan et al.
2021, Table 1). Override in Python: `accelopt.measure.diagnose.LOW_EFFICIENCY = 0.7`."""


@dataclass(frozen=True, kw_only=True)
class Recommendation:
    action: str
    evidence: str
    share: float = unit("fraction")
    """Fraction of the step the action addresses (measured)."""
    speedup_max: float = unit("x")
    """Upper bound on the whole-step speed-up (Amdahl), see `formula`."""
    formula: str
    category: str
    techniques: tuple[str, ...] = ()
    """The `accelopt optimize` techniques that test this recommendation on the real model."""

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "techniques": list(self.techniques)}


WITHHELD_REASON = ("the profiled pass disagrees with the headline step (contention.warnings; 'roofline' in "
                   "contention.disturbed): the console and the page show no diagnosis, and its recommendations are "
                   "moved to withheld_recommendations, not to be acted on; rerun on a quiet machine")
"""Diagnosis.withheld of a profile whose roofline pass disagrees with the headline (ProfileResult.conclusions_withheld).
"""


@dataclass(kw_only=True)
class Diagnosis:
    withheld: str | None = None
    """Why this diagnosis is not to be acted on (WITHHELD_REASON: the profiled pass it is drawn from disagrees with the
    headline step; `recommendations` is then empty, what it would have said is in `withheld_recommendations`); null
    when it stands."""
    bound: str
    """One of BOUNDS: the largest measured share."""
    verdict: str
    shares: dict[str, float] = unit("fraction")
    recommendations: list[Recommendation]
    notes: list[str] = field(default_factory=list)
    withheld_recommendations: list[Recommendation] = field(default_factory=list)
    """The recommendations of a withheld diagnosis (see `withheld`), kept for reference only; empty when it stands."""

    def to_dict(self) -> dict[str, Any]:
        return {"withheld": self.withheld, "bound": self.bound, "verdict": self.verdict, "shares": dict(self.shares),
                "recommendations": [r.to_dict() for r in self.recommendations], "notes": list(self.notes),
                "withheld_recommendations": [r.to_dict() for r in self.withheld_recommendations]}

    def withhold(self, reason: str = WITHHELD_REASON) -> None:
        """Mark the diagnosis not to be acted on: its recommendations move to withheld_recommendations, so a reader
        of the JSON's `recommendations` finds none, as the console shows none (they were kept there under
        'contention.disturbed: diagnosis' alone, which a script reading the recommendations did not look at)."""
        self.withheld = reason
        self.withheld_recommendations = [*self.withheld_recommendations, *self.recommendations]
        self.recommendations = []


@dataclass(frozen=True, kw_only=True)
class Facts:
    """The measured inputs of a diagnosis (seconds per step unless named otherwise)."""

    phase_s: Mapping[str, float]
    """Instrumented-pass medians: data_wait, h2d_copy, forward, backward, optimizer."""
    rows: list[RooflineRow]
    profiled_step_s: float
    dtype: str
    device: str
    train: bool
    peak_ratio_bf16: float | None = None
    """peak_flop_per_s[bf16] / peak_flop_per_s[dtype in use], from the probed or catalog spec."""
    peak_ratio_source: str = ""
    peak_dtype: str = ""
    """The peak the step runs at ('tf32' for fp32 matmuls on CUDA with TF32 allowed); '' = dtype."""
    mfu: float | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)
    parameters_bytes: float = 0.0
    """fp32 weight bytes: autocast casts each weight to bf16 once per forward (reads 4, writes 2 bytes each)."""
    memory_bandwidth_byte_per_s: float | None = None
    """DRAM roof, for the time those casts take at best."""
    unmodeled_ops: Mapping[str, int] = field(default_factory=dict)
    """Ops the capture could not count FLOPs/bytes for (their time is real, their work reads as 0)."""


def amdahl(share: float, factor: float) -> float:
    """1 / ((1 - s) + s / k); factor = inf gives 1 / (1 - s)."""
    share = min(max(share, 0.0), 1.0)
    if factor == float("inf"):
        return 1.0 / (1.0 - share) if share < 1.0 else float("inf")
    return 1.0 / ((1.0 - share) + share / factor)


def _pct(x: float) -> str:
    """Whole percent, or two significant digits below 1% (so a tiny efficiency does not read as 0%)."""
    return f"{100 * x:.0f}%" if x >= 0.01 or x == 0 else f"{100 * x:.2g}%"


def op_shares(rows: Iterable[RooflineRow], step_s: float) -> dict[str, float]:
    """Shares of the profiled step: per roofline verdict, plus host time no op accounts for."""
    rows = list(rows)
    out = {"compute-bound": 0.0, "memory-bound": 0.0, "overhead-bound": 0.0, "unmodeled": 0.0}
    for r in rows:
        out[r.verdict] += r.time_s / step_s
    out["unattributed"] = max(0.0, 1.0 - sum(r.time_s for r in rows) / step_s)
    return out


def _input_shares(phase_s: Mapping[str, float]) -> tuple[float, float]:
    total = sum(phase_s.values())
    if total <= 0:
        return 0.0, 0.0
    return phase_s.get("data_wait", 0.0) / total, phase_s.get("h2d_copy", 0.0) / total


def _rec_input(f: Facts, s_data: float) -> Recommendation | None:
    if s_data < MIN_SHARE:
        return None
    workers = f.meta.get("num_workers", 0)
    pin = f.meta.get("pin_memory", False)
    return Recommendation(
        action="load batches in background workers (DataLoader num_workers > 0, prefetch_factor) so they overlap "
               "compute",
        evidence=f"the input pipeline stalls {_pct(s_data)} of the step: num_workers={workers}, "
                 f"pin_memory {'on' if pin else 'off'}",
        share=s_data, speedup_max=amdahl(s_data, float("inf")), formula="1 / (1 - s_data), fully overlapped",
        category="input pipeline", techniques=("input-pipeline",))


def _rec_h2d(f: Facts, s_h2d: float) -> Recommendation | None:
    if s_h2d < MIN_SHARE or not f.device.startswith("cuda"):
        return None
    return Recommendation(
        action="pin host memory (DataLoader pin_memory=True) and copy with non_blocking=True to overlap the copy",
        evidence=f"host-to-device copies take {_pct(s_h2d)} of the step",
        share=s_h2d, speedup_max=amdahl(s_h2d, float("inf")), formula="1 / (1 - s_h2d), copy fully overlapped",
        category="input pipeline", techniques=("input-pipeline",))


GPU_ONLY_TECHNIQUES = ("fp16", "cuda-graphs")
"""optimize techniques that are not applicable off a CUDA device (optimize/precision.py: fp16 autocast's kernels are
emulated on a CPU; optimize/compiling.py: CUDA graphs), so profile's 'test it with' does not offer them there: a CPU
profile said '--only compile,compile-max-autotune,cuda-graphs', which optimize then listed 'not applicable'."""


def _gpu_only_dropped(f: Facts, techniques: tuple[str, ...]) -> tuple[str, ...]:
    """`techniques` less GPU_ONLY_TECHNIQUES where the step ran off a CUDA device."""
    return techniques if f.device.startswith("cuda") else tuple(t for t in techniques if t not in GPU_ONLY_TECHNIQUES)


def _rec_precision(f: Facts, step_s: float) -> Recommendation | None:
    if f.dtype != "fp32" or f.peak_ratio_bf16 is None or f.peak_ratio_bf16 <= 1.0:
        return None
    s_mm = sum(r.time_s for r in f.rows if set(r.kinds) & MATMUL_LIKE) / step_s
    if s_mm < MIN_SHARE:
        return None
    r = f.peak_ratio_bf16
    # autocast casts every fp32 weight to bf16 each forward: 6 bytes moved per weight element (1.5 x the fp32
    # bytes) at best at the DRAM roof; activations cast too, so this is a lower bound on the cast time
    s_cast = (1.5 * f.parameters_bytes / f.memory_bandwidth_byte_per_s / step_s
              if f.memory_bandwidth_byte_per_s and f.parameters_bytes > 0 else 0.0)
    bound = 1.0 / ((1.0 - s_mm) + s_mm / r + s_cast)
    if bound <= 1.0:
        return None  # the casts alone would eat the gain
    return Recommendation(
        action="run matmuls in bf16 with torch.autocast(dtype=torch.bfloat16) (fp32 master weights)",
        evidence=f"fp32 matmuls/convolutions take {_pct(s_mm)} of the step; bf16 autocast could give up to "
                 f"{fmt_ratio(bound)}x on this device (peak ratio bf16/{f.peak_dtype or f.dtype} = {r:.2f}, "
                 f"{f.peak_ratio_source}; weight casts at least {_pct(s_cast)} of the step)",
        share=s_mm, speedup_max=bound,
        formula="1 / ((1 - s_mm) + s_mm / (peak_bf16 / peak_fp32) + s_cast), s_cast = 1.5 x weight bytes / "
                "DRAM bandwidth / step",
        category="compute-bound ops", techniques=_gpu_only_dropped(f, techniques=("bf16", "fp16")))


def _rec_overhead(f: Facts, shares: Mapping[str, float]) -> Recommendation | None:
    s = shares["overhead-bound"] + shares["unattributed"]
    if s < MIN_SHARE:
        return None
    gpu = f.device.startswith("cuda")
    action = ("fuse small ops and cut per-op launch cost: torch.compile (mode='reduce-overhead' uses CUDA graphs), "
              "or a larger batch per step" if gpu else
              "fuse small ops and remove Python/dispatch cost with torch.compile, or a larger batch per step")
    return Recommendation(
        action=action,
        evidence=f"overhead-bound ops (fixed per-call cost >= half their time, or no work) take "
                 f"{_pct(shares['overhead-bound'])} and host time "
                 f"outside any op {_pct(shares['unattributed'])} of the profiled step"
                 + (" (the GPU idles then)" if gpu else ""),
        share=s, speedup_max=amdahl(s, float("inf")), formula="1 / (1 - s_overhead), overhead removed entirely",
        category="host overhead",
        techniques=_gpu_only_dropped(f, techniques=("compile", "compile-max-autotune", "cuda-graphs")))


OPTIMIZER_OP_PREFIXES = ("aten::_foreach_", "aten::_fused_adam", "aten::_fused_sgd")
"""The optimizer step's own kernels (multi-tensor and fused); their time is the optimizer recommendation's."""


def _is_optimizer_op(row: RooflineRow) -> bool:
    return row.op.startswith(OPTIMIZER_OP_PREFIXES)


def _at_roof(f: Facts, verdict: str, step_s: float) -> tuple[float, float, float]:
    """(share, attained efficiency, Amdahl bound) for the ops of `verdict` if they ran at their roof. The
    optimizer's own kernels are left out when training: the optimizer recommendation counts their time."""
    rows = [r for r in f.rows if r.verdict == verdict and not (f.train and _is_optimizer_op(r))]
    t = sum(r.time_s for r in rows)
    if t <= 0:
        return 0.0, 1.0, 1.0
    s = t / step_s
    return s, sum(r.roofline_time_s for r in rows) / t, _roof_bound(rows, s)


def _roof_bound(rows: list[RooflineRow], share: float) -> float:
    """Amdahl bound of `rows` (a `share` of the step) each brought to its roof. An op already at or above its
    roof (a DRAM roof under cache-resident bytes) keeps its time: reaching the roof would slow it, never speed
    the step, so the bound is never below 1x."""
    t = sum(r.time_s for r in rows)
    t_roof = sum(min(r.roofline_time_s, r.time_s) for r in rows)
    return amdahl(share, t / t_roof if t_roof > 0 else float("inf"))


def _rec_memory(f: Facts, step_s: float) -> Recommendation | None:
    s, eff, bound = _at_roof(f, "memory-bound", step_s)
    if s < MIN_SHARE or bound <= 1.0:
        return None  # under 5% of the step, or already at their roof (see _memory_above_roof_note)
    return Recommendation(
        action="fuse elementwise/normalization chains (torch.compile) so intermediates stay on chip; "
               "lower-precision activations halve their traffic",
        evidence=f"memory-bound ops take {_pct(s)} of the step at {_pct(eff)} of the bandwidth roof",
        share=s, speedup_max=bound,
        formula="1 / ((1 - s_mem) + s_mem * t_roof / t), ops at the bandwidth roof (one above it keeps its time)",
        category="memory-bound ops", techniques=("compile", "compile-max-autotune"))


ABOVE_ROOF_NOTE_START = "memory-bound ops take "
"""How the one note drawn from the roofline pass starts (_memory_above_roof_note): the note withheld with the
diagnosis when that pass disagrees with the headline (notes_kept_when_withheld)."""


def notes_kept_when_withheld(notes: Iterable[str]) -> list[str]:
    """The diagnosis notes still shown when the diagnosis is withheld (ProfileResult.conclusions_withheld): the
    ones about the specs (another kind of device, probed on a busy machine: they qualify the MFU printed above) and
    the step's figures, not the conclusion drawn from the roofline pass that disagreed with the headline."""
    return [n for n in notes if not n.startswith(ABOVE_ROOF_NOTE_START)]


def _memory_above_roof_note(f: Facts, step_s: float) -> str | None:
    """Why no memory-bound recommendation is made where those ops take a share worth one: they already run at or
    above the bandwidth roof they were judged against (a DRAM roof, e.g. a probed spec's, while their bytes come
    from cache), so the roofline bounds no gain for them."""
    s, eff, bound = _at_roof(f, "memory-bound", step_s)
    if s < MIN_SHARE or bound > 1.0:
        return None
    return (f"{ABOVE_ROOF_NOTE_START}{_pct(s)} of the step at {_pct(eff)} of the bandwidth roof: at or above it, so "
            "bringing them to the roof gains nothing and no recommendation is made for them (a roof below what they "
            "attain is a DRAM roof under cache-resident bytes; fusing them with torch.compile may still pay)")


def _conv_rows(f: Facts) -> list[RooflineRow]:
    """The profiled step's convolution ops (opcount kind 'conv', or an aten convolution by name)."""
    return [r for r in f.rows if "conv" in r.kinds or "convolution" in r.op]


def _channels_last_applies(f: Facts) -> bool:
    """The step has convolutions that channels_last would change: 2-D ones (meta 'conv2d', set by the profiler from
    the model's nn.Conv2d modules; a result without it is taken to have them) still in NCHW. channels_last is a
    4-D memory format (PyTorch docs, torch.memory_format: channels_last strides are 'NHWC order', channels_last_3d
    'NDHWC'): a Conv1d's 3-D activations have none (torch 2.13: a rank-3 tensor's .contiguous(memory_format=
    torch.channels_last) raises 'required rank 4 tensor to use channels_last format', and Conv1d weights keep their
    strides), and optimize's channels-last refuses a model without nn.Conv2d (optimize/layout.py), so offering it
    there offers a technique that reports 'not applicable'."""
    return bool(_conv_rows(f)) and bool(f.meta.get("conv2d", True)) and not f.meta.get("channels_last")


def _compute_techniques(f: Facts) -> tuple[str, ...]:
    """The optimize techniques that test 'raise matmul efficiency' on this model: torch.compile (Inductor picks its
    own GEMM/conv kernels; max-autotune benchmarks them) always, and channels-last only where the step has 2-D
    convolutions still in NCHW (_channels_last_applies): channels_last changes the layout of 4-D conv activations
    and nothing else (optimize/layout.py, PyTorch tutorial 'Channels Last Memory Format in PyTorch'), so for a
    model without them (a GPT, a Conv1d-only audio net) it is not a technique to test."""
    layout = ("channels-last",) if _channels_last_applies(f) else ()
    return (*layout, "compile", "compile-max-autotune")


def _rec_compute(f: Facts, step_s: float) -> Recommendation | None:
    s, eff, bound = _at_roof(f, "compute-bound", step_s)
    if s < MIN_SHARE or eff >= LOW_EFFICIENCY:
        return None
    return Recommendation(
        action="raise matmul efficiency: larger batch or hidden sizes (multiples of 64/128), fewer tiny GEMMs, "
               "all cores in use (torch.set_num_threads)" if not f.device.startswith("cuda") else
               "raise matmul efficiency: larger batch or hidden sizes (multiples of 64/128), fewer tiny GEMMs",
        evidence=f"compute-bound ops take {_pct(s)} of the step at {_pct(eff)} of the compute roof",
        share=s, speedup_max=bound,
        formula="1 / ((1 - s_comp) + s_comp * t_roof / t), ops at the compute roof (one above it keeps its time)",
        category="compute-bound ops", techniques=_compute_techniques(f))


def _rec_channels_last(f: Facts, step_s: float) -> Recommendation | None:
    """2-D convolutions in NCHW (_channels_last_applies): channels_last (NHWC) lets oneDNN/cuDNN pick their fastest
    kernels. The bound is what any layout can give: the convolutions at their roofline."""
    rows = _conv_rows(f)
    t = sum(r.time_s for r in rows)
    s = t / step_s if step_s > 0 else 0.0
    if s < MIN_SHARE or not _channels_last_applies(f):
        return None
    bound = _roof_bound(rows, s)
    if bound <= 1.0:
        return None  # the convolutions already run at their roof
    return Recommendation(
        action="store the model and inputs in channels_last memory format (model.to(memory_format="
               "torch.channels_last)) so convolutions run on NHWC kernels",
        evidence=f"convolutions take {_pct(s)} of the step in the default NCHW layout",
        share=s, speedup_max=bound,
        formula="1 / ((1 - s_conv) + s_conv * t_roof / t), convolutions at their roof (one above it keeps its time)",
        category="compute-bound ops", techniques=("channels-last",))


def _rec_optimizer(f: Facts) -> Recommendation | None:
    total = sum(f.phase_s.values())
    s = f.phase_s.get("optimizer", 0.0) / total if total > 0 else 0.0
    if not f.train or s < 2 * MIN_SHARE:
        return None
    return Recommendation(
        action="use a fused optimizer step (e.g. AdamW(fused=True)); foreach=True is the default multi-tensor "
               "path already, and was slower than fused (0.87x vs 1.52-1.59x on ResNet-50, issue 13's measurement)",
        evidence=f"the optimizer step takes {_pct(s)} of the step",
        share=s, speedup_max=amdahl(s, float("inf")), formula="1 / (1 - s_opt), optimizer step free (upper bound)",
        category="host overhead", techniques=("fused-optimizer",))


_RATIO_UNKNOWN = "bf16/fp32 peak ratio unknown for this device"


def _ratio_note_for(given: list[str], dtype: str) -> str:
    """The peak-ratio note where a spec was given (`given`: 'FLAG NAME' of each) but none lists both peaks."""
    return (f"{_RATIO_UNKNOWN}: no spec given ({', '.join(given)}) lists both bf16 and {dtype} peaks, so no "
            f"mixed-precision gain is estimated — give peak_flop_per_s.bf16 (and .{dtype}) with their source in "
            "its entry")


def diagnose_facts(f: Facts) -> Diagnosis:
    step_s = f.profiled_step_s
    s_data, s_h2d = _input_shares(f.phase_s)
    ops = op_shares(f.rows, step_s)
    # the profiled step includes fetching and copying the batch; where no op accounts for that time it sits in
    # 'unattributed', so the input share is taken out of it before the rest is called host overhead
    ops["unattributed"] = max(0.0, ops["unattributed"] - s_data - s_h2d)
    shares = {
        "input pipeline": s_data + s_h2d,
        "host overhead": ops["overhead-bound"] + ops["unattributed"],
        "memory-bound ops": ops["memory-bound"],
        "compute-bound ops": ops["compute-bound"],
        "communication": 0.0,
        "unmodeled ops": ops["unmodeled"],
    }
    bound = max(BOUNDS, key=lambda b: shares[b])
    recs = [r for r in (_rec_input(f, s_data), _rec_h2d(f, s_h2d), _rec_precision(f, step_s),
                        _rec_overhead(f, ops), _rec_memory(f, step_s), _rec_compute(f, step_s),
                        _rec_channels_last(f, step_s), _rec_optimizer(f))
            if r is not None]
    recs.sort(key=lambda r: r.speedup_max, reverse=True)
    notes = ["communication: single-process run, no collectives measured"]
    if (above_roof := _memory_above_roof_note(f, step_s)) is not None:
        notes.append(above_roof)
    if f.unmodeled_ops:
        notes.append("ops whose FLOPs and bytes are not modelled (their time is measured, their work reads as 0): "
                     + ", ".join(f"{k} x{v}" for k, v in sorted(f.unmodeled_ops.items())))
    if f.dtype == "fp32" and f.peak_ratio_bf16 is None:
        notes.append(f"{_RATIO_UNKNOWN} (no catalog or probed bf16 peak): "
                     "pass --catalog-device or --probed to estimate a mixed-precision gain")
    return Diagnosis(bound=bound, verdict=_verdict(bound, shares[bound], f), shares=shares, recommendations=recs,
                     notes=notes)


def _verdict(bound: str, share: float, f: Facts) -> str:
    text = f"{bound} ({_pct(share)} of the step)"
    if bound == "unmodeled ops":
        return (f"bound unknown: ops with no FLOP formula take the largest share ({_pct(share)} of the step), "
                "so whether they are compute- or memory-bound is not known; see the note")
    if bound == "compute-bound ops":
        _, eff, _ = _at_roof(f, "compute-bound", f.profiled_step_s)
        if eff < LOW_EFFICIENCY:
            text = f"compute-bound at low efficiency ({_pct(eff)} of the compute roof; {_pct(share)} of the step)"
    if f.mfu is not None:
        text += f"; MFU {_pct(f.mfu)}"
    return text


def peak_ratio(specs: Iterable[tuple[Any, str]], dtype: str) -> tuple[float | None, str]:
    """bf16 peak / `dtype` peak from the first spec that defines both; (None, '') if none does."""
    for spec, label in specs:
        if spec is None:
            continue
        hi, lo = spec.peak("bf16"), spec.peak(dtype)
        if hi and lo:
            return hi / lo, f"{label} {spec.name}"
    return None, ""


def diagnose(result: Any, *, spec: Any = None, probed_spec: Any = None) -> Diagnosis:
    """Diagnose a ProfileResult (measure/profiler.py) and attach the diagnosis to it."""
    ratio, src = peak_ratio(((probed_spec, "probed"), (spec, "catalog")), result.peak_dtype)
    f = Facts(phase_s={k: v.median for k, v in result.breakdown.items()}, rows=result.roofline,
              profiled_step_s=result.profiled_step_s, dtype=result.dtype, device=result.device,
              train=result.mode == "train", peak_ratio_bf16=ratio, peak_ratio_source=src, peak_dtype=result.peak_dtype,
              mfu=result.mfu_probed if result.mfu_probed is not None else result.mfu_catalog, meta=result.meta,
              parameters_bytes=float(result.memory.parameters_bytes),
              memory_bandwidth_byte_per_s=result.ceilings.memory_bandwidth_byte_per_s,
              unmodeled_ops=getattr(result, "unmodeled_ops", {}) or {})
    d = diagnose_facts(f)
    given = [f"{flag} {sp.name}" for sp, flag in ((spec, "--catalog-device"), (probed_spec, "--probed"))
             if sp is not None]
    if given:  # the generic note told the user to pass the very flag they gave
        d.notes = [_ratio_note_for(given, result.peak_dtype) if n.startswith(_RATIO_UNKNOWN) else n for n in d.notes]
    d.notes.extend(probed_on_a_busy_machine(((probed_spec, "--probed"), (spec, "--catalog-device"))))
    if (share := cpu_share_note(result, spec)) is not None:
        d.notes.append(share)
    weights = (result.meta or {}).get("weights_dtype")
    if cpu_fp16_autocast(result.dtype, result.device, weights == "fp32"):
        d.notes.append(f"--dtype fp16 on a CPU: {CPU_FP16_EMULATED}; this step measures that emulation, not how the "
                       "model runs on a CPU (profile it at --dtype fp32, or bf16)")
    elif weights == "fp16" and not result.device.startswith("cuda"):  # no autocast: the weights' own dtype runs
        d.notes.append(f"the model's weights are fp16 (as given) on a CPU: {CPU_FP16_EMULATED}; this step measures "
                       "that emulation (give it fp32 weights, model.float(), for how it runs on a CPU)")
    if (dependence := getattr(result, "input_dependence", None)) is not None and dependence.note:
        d.notes.insert(0, dependence.note)  # every FLOP figure above is one batch's
    if getattr(result, "conclusions_withheld", False):
        d.withhold()
    result.diagnosis = d
    return d


CPU_FP16_EMULATED = ("PyTorch's float16 kernels on a CPU are emulated (no fp16 matmul units on most CPUs) and run "
                     "slower than fp32")
"""Why fp16 autocast on a CPU misleads: said by profile's diagnosis and optimize's baseline, and why optimize's fp16
technique does not apply on a CPU (optimize/precision.py)."""


def cpu_fp16_autocast(dtype: str, device: str, weights_fp32: bool) -> bool:
    """True where --dtype fp16 runs fp32 weights under torch.autocast on a CPU (weights already fp16/bf16 run as
    they are: no autocast)."""
    return dtype == "fp16" and not device.startswith("cuda") and weights_fp32


def cpu_share_note(result: Any, spec: Any) -> str | None:
    """What the MFU vs a CPU catalog peak divides by: the whole socket of spec.cores cores, while the step ran on
    torch's threads (fewer on a VM or a laptop): 0.0016% against xeon-8480plus on 2 threads read as a model at a
    hundred-thousandth of the machine, where 2 of 56 cores bound it to 4% (if the peak scales with cores). The
    energy estimate charges the same share (measure.energy)."""
    threads = (getattr(result, "environment", None) or {}).get("threads")
    if result.device != "cpu" or result.mfu_catalog is None:  # no MFU (no peak for the step's dtype): nothing to say
        return None
    return socket_share_note(spec, threads, "MFU vs catalog peak", "this step",
                             "that MFU is at most {share} here (the energy estimate charges the same share)")


def _cores_used(threads: int | None) -> int | None:
    """The cores `threads` torch threads can keep busy here: at most the usable cores (the affinity, or a cgroup CPU
    quota: 56 threads under `docker run --cpus 2` ran on 2 CPUs' worth of time, not 56 cores)."""
    from accelopt.measure.contention import usable_cores

    return min(threads, usable_cores()) if threads else threads


def socket_share(spec: Any, threads: int | None) -> float | None:
    """cores used / spec.cores where `spec` is a CPU catalog entry whose figures are a whole socket of more cores
    than a measurement's `threads` could use (_cores_used); None otherwise (not a CPU entry, no core count, as many
    cores as the socket's)."""
    cores, used = getattr(spec, "cores", None), _cores_used(threads)
    if spec is None or spec.kind != "cpu" or not cores or not used or used >= cores:
        return None
    return used / cores


def socket_share_note(spec: Any, threads: int | None, ratio: str, ran: str, bound: str) -> str | None:
    """The note that `ratio` (a figure over a CPU catalog entry's) divides by the whole socket while `ran` used
    `threads` of its cores, and what that share bounds (`bound`, with {share} for it); None where socket_share is.
    profile's MFU (cpu_share_note) and probe's % of catalog (measure.probe) both say it."""
    share, used = socket_share(spec, threads), _cores_used(threads)
    if share is None:
        return None
    if used != threads:
        from accelopt.measure.contention import cores_said

        on = f"{threads} torch thread{'' if threads == 1 else 's'} on {cores_said(used)}"
    else:
        on = f"{threads} torch thread{'' if threads == 1 else 's'}"  # '1 torch threads' read a typo (ut3prof)
    return (f"{ratio} divides by the whole {spec.name} socket ({spec.cores} cores); {ran} ran on {on}, "
            f"{used}/{spec.cores} = {_pct(share)} of its cores, so with the peak shared evenly among the cores "
            f"{bound.format(share=_pct(share))}")


def probed_on_a_busy_machine(specs: Iterable[tuple[Any, str]]) -> list[str]:
    """A note for each (spec, flag) whose spec `probe` measured on a busy machine (its MFU share reads high)."""
    from accelopt.measure.contention import spec_warning_text

    return [n for spec, flag in specs if spec is not None and (n := spec_warning_text(spec, flag)) is not None]


def gain_bound(d: Diagnosis, techniques: Iterable[str]) -> tuple[float | None, str]:
    """profile's bound on the speed-up of a variant made of `techniques`, with how it was formed.

    Each recommendation bounding one of the techniques (_recs_bounding) removes at most r_i = 1 - 1/speedup_max_i of
    the step and leaves at least floor_i = share_i - r_i of it (its ops at their roof: no technique runs them faster).
    The removed time is at most min(sum r_i, 1 - max floor_i) (removable_fraction), bound = 1 / (1 - that).
    None when no recommendation names any of them (the share they address was under MIN_SHARE, or the peak
    ratio it needs is unknown)."""
    names = set(techniques)
    made = [*d.recommendations, *d.withheld_recommendations]  # optimize's own profile pass bounds, withheld or not
    recs = [r for r in made if any(r in _recs_bounding(made, t) for t in names)]
    unbounded = sorted(t for t in names if not any(t in r.techniques for r in recs)
                       and not (t == "input-pipeline" and "input pipeline" in d.shares))
    if unbounded:
        # a combination is bounded only when every part is: one part without a bound can gain anything
        return None, (f"no profile bound for {', '.join(unbounded)} (no recommendation addresses it: share < 5% "
                      "of the step, or peak ratio unknown)")
    if not recs and "input pipeline" in d.shares:
        # below MIN_SHARE no recommendation is made, but the measured share still bounds an overlap of loading
        s = d.shares["input pipeline"]
        return amdahl(s, float("inf")), f"input pipeline: 1 / (1 - s_input), s_input = {_pct(s)} (measured)"
    removed, capped = removable_fraction(recs)
    bound = 1.0 / (1.0 - removed) if removed < 1.0 else float("inf")
    how = "; ".join(f"{r.category}: {fmt_ratio(r.speedup_max)}x ({r.formula})" for r in recs)
    if capped:
        how += (f"; their shares overlap: at most {_pct(removed)} of the step removed (what stays of the "
                "largest one's ops at their roof remains)")
    return bound, how


_ONE_KIND_OF_OP = ("channels-last",)
"""Techniques that change one kind of op only (channels_last: the layout of 2-D convolutions), each bounded by the
recommendation that names it alone (_rec_channels_last) where there is one."""


def _recs_bounding(recs: Sequence[Recommendation], technique: str) -> list[Recommendation]:
    """The recommendations whose share `technique` can remove: those naming it, but for a technique of
    _ONE_KIND_OF_OP only the one naming it alone where there is one. The compute advice ('compute-bound ops at the
    roof': channels-last, compile, ...) lists channels-last as one thing to try for a share it cannot all reach
    (channels_last changes conv layouts, not the matmuls): a conv + attention net whose convolutions took 24% of the
    step read channels-last 'gain up to 531.94x' from its 87% of compute-bound ops, where the convolutions at their
    roof give 1.31x."""
    naming = [r for r in recs if technique in r.techniques]
    alone = [r for r in naming if tuple(r.techniques) == (technique,)] if technique in _ONE_KIND_OF_OP else []
    return alone or naming


def removable_fraction(recs: Iterable[Recommendation]) -> tuple[float, bool]:
    """(the fraction of the step `recs` can remove together, whether their overlap capped it).

    Recommendations' shares overlap (channels-last+compile is bounded by 'compute-bound ops at the roof' and by
    'convolutions at the roof': mostly the same ops), so summing
    r_i = 1 - 1/speedup_max_i can reach 1 (an infinite bound). For any one recommendation i, its ops still take
    floor_i = share_i - r_i of the step whatever the others do, so the step keeps at least max floor_i:
    removed <= 1 - max floor_i. Where the shares are disjoint (sum share_i <= 1) sum r_i <= 1 - floor_i already,
    and the cap changes nothing."""
    recs = [r for r in recs if r.speedup_max > 0]
    removed = sum(1.0 - 1.0 / r.speedup_max for r in recs)
    kept = max((max(0.0, min(r.share, 1.0) - (1.0 - 1.0 / r.speedup_max)) for r in recs), default=0.0)
    return (1.0 - kept, True) if removed > 1.0 - kept else (removed, False)
