"""Typed result of `accelopt optimize` (JSON shape: accelopt.report.schema, kind 'optimize').

Every number declares its unit (accelopt.units.unit): times in s, memory and sizes in bytes, energy in J,
speed-ups as ratios (x). Quality figures are in the metric's own unit (`Quality.value_unit`: accuracy is a
fraction 0-1, a loss is a plain number); tolerances and `worse_by` are in the run's `quality_tolerance_unit`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from accelopt.measure.contention import ContentionReport
from accelopt.units import unit

STATUSES = ("measured", "not-applicable", "failed", "quality-failure", "not-run")
_TOL_DOC = "in the run's `quality_tolerance_unit`: accuracy percentage points, or percent of the baseline value"


@dataclass(kw_only=True)
class OutputDrift:
    """Inference: one Tensor of the model's output against the same Tensor of the baseline's, over the batches the
    outputs are compared on (optimize.drift): the scores over every held-out batch, the other outputs over the first
    2, each cut to its first 2**20 elements (runner.OTHER_OUTPUT_MAX_ELEMENTS: a model's per-layer hidden states).
    A model returning several (a detection head's boxes and scores, a dict of task heads, an LSTM's (logits, (h, c)))
    had its drift reported for its scores alone."""

    name: str
    """Where it sits in the output: 'output' (a plain Tensor), 'output item 1', "output 'boxes'", 'output item
    1.0' (nested), "output field 'var'" (a dataclass), as the non-finite check names it."""
    shape: list[int] = unit("count", "the baseline's shape on the first compared batch", default_factory=list)
    dtype: str = ""
    scores: bool = False
    """The Tensor the metric scores (compress.first_tensor): the one Quality.max_abs_diff and top1_agreement are of."""
    max_abs_diff: float | None = unit("", "in the output's own units; null: not defined (see note)", default=None)
    relative_error: float | None = unit("fraction", "max_abs_diff / the baseline's largest |value|", default=None)
    """0 where both are exactly 0 (a constant-zero output unchanged); null where the baseline's output is all zeros
    and the variant's is not (no scale to divide by), or no |diff| is defined (see note)."""
    top1_agreement: float | None = unit("fraction", default=None)
    """Where the output is class scores (the scores; or an output whose key or field name holds 'logits'): the
    fraction of argmax predictions equal to the baseline's."""
    equal_fraction: float | None = unit("fraction", default=None)
    """An integer or boolean output (class ids, a mask), which has no |diff|: the fraction of its elements equal to
    the baseline's."""
    within_tolerance: bool | None = None
    """Against a --quality-tolerance the user gave (OptimizeResult.output_tolerance): relative_error (percent unit)
    or top-1 disagreement (points unit), an integer/boolean output's elements changed in either; null: not checked."""
    note: str = ""
    """Why a figure is null (integer output, other shape, NaN/inf, an all-zero baseline)."""


def _badness(d: OutputDrift) -> float:
    """How far an output is from the baseline's, for Quality.worst_output."""
    if d.relative_error is not None:
        return d.relative_error
    if d.equal_fraction is not None:
        return 1.0 - d.equal_fraction
    return float("inf")


@dataclass(kw_only=True)
class Quality:
    """The variant's quality on the held-out batches, and its agreement with the baseline's outputs."""

    DERIVED_UNITS: ClassVar[dict[str, str]] = {"value_unit": ""}

    metric: str | None = field(metadata={"doc": "null: no quality metric was measured (the run's metric_note)"})
    value: float | None = field(metadata={"doc": "in `value_unit`; null when not measurable"})
    """The metric's value (accuracy: fraction 0-1; loss: mean per target); None when not measurable."""
    delta: float | None = field(default=None, metadata={"doc": "in `value_unit`: value - baseline value"})
    worse_by: float | None = unit("", _TOL_DOC, default=None)
    """How much worse than the baseline (negative = better)."""
    within_tolerance: bool | None = None
    finite: bool = True
    """False when any output (or the loss) was NaN or infinite: a quality failure."""
    max_abs_diff: float | None = unit("", "in the model's output units", default=None)
    """Inference: the largest |output - baseline output| over the held-out batches."""
    top1_agreement: float | None = unit("fraction", default=None)
    """Inference: fraction of predictions (argmax over the classes: the last dimension, or dim 1 of a segmenter's
    (N, C, d1, ...) map with (N, d1, ...) targets, per pixel) equal to the baseline's. This and max_abs_diff are the
    scores' (the output the metric scores); every output's are in `outputs`."""
    outputs: list[OutputDrift] = field(default_factory=list)
    """Inference: each Tensor of the output against the baseline's (max |diff|, relative error, top-1 agreement
    where it is class scores), in the order the model returns them; empty in train mode."""
    train_steps: int = unit("count", default=0)
    """Train mode: training steps taken from the starting weights before scoring."""
    own_train_steps: int = unit("count", default=0)
    """Train mode: training steps the technique itself took in making the variant, before train_steps
    (prune-structured's fine-tune, distill's student); 0 for the others."""
    same_budget_baseline: float | None = field(default=None, metadata={
        "doc": "in `value_unit`: the baseline's value after same_budget_steps steps; null: the baseline row's"})
    """Train mode, a variant with own_train_steps: the baseline's value after as many training steps in all
    (same_budget_steps), what delta, worse_by and within_tolerance compare with (the baseline row's value is after
    train_steps alone, and an untrained model's loss fell by the training alone); None: they compare with the
    baseline row's."""
    same_budget_steps: int = unit("count", default=0)
    """The training steps that baseline took in all: own_train_steps + train_steps (fewer when the run's time
    budget cut it, said in the variant's notes)."""

    @property
    def worst_output(self) -> OutputDrift | None:
        """The output furthest from the baseline's: the largest relative error, an integer/boolean output's fraction
        of elements changed counting as one, an output not compared (another shape, NaN/inf, an all-zero baseline
        moved) the furthest; the first on a tie; None without outputs."""
        return max(self.outputs, key=_badness, default=None)

    @property
    def value_unit(self) -> str:
        """The unit of `value` and `delta` (accelopt.units.UNIT_NAMES): accuracy is a fraction; a loss has none."""
        return "fraction" if self.metric == "accuracy" else ""


@dataclass(kw_only=True)
class VariantResult:
    """One variant (the baseline, one technique, or a chain of them) as measured, or why it was not."""

    name: str
    """'baseline', a technique name, or techniques joined by '+' (applied left to right)."""
    techniques: list[str]
    family: str
    status: str
    """One of STATUSES."""
    reason: str = ""
    """Why it does not apply / failed / was not run (with the fix)."""
    changes: str = ""
    risks: str = ""
    step_time_p50_s: float | None = unit("s", default=None)
    step_time_p99_s: float | None = unit("s", default=None)
    step_samples: int = unit("count", "timed steps behind p50/p99", default=0)
    speedup: float | None = unit("x", default=None)
    """Baseline step time / this step time: median of the per-round ratios of A/B interleaved blocks; the
    baseline's is 1 by definition."""
    speedup_low: float | None = unit("x", default=None)
    """The pessimistic end (from the 90th percentile of the round ratios); > 1 means faster in (nearly) every round.
    The baseline's speedup_low and speedup_high are not a speed-up but its own run-to-run spread (the baseline
    timed against itself, the same rounds and blocks), the noise a variant's pessimistic round must beat to be
    recommended."""
    speedup_high: float | None = unit("x", default=None)
    baseline_thread_slowdown: float | None = unit("x", default=None)
    """The baseline's fastest step at torch's intra-op threads (median over the rounds this variant's speed-up is
    from) / its fastest at 1 thread, timed right after them; over STARVED_FACTOR (optimize.runner) the threads
    waited for busy cores, and the variant is not recommended. None where not checked (a GPU, torch at 1 thread,
    a variant not faster in every round)."""
    samples_per_s: float | None = unit("samples/s", "samples per second", default=None)
    memory_bytes: float | None = unit("B", default=None)
    """Weights (parameters + buffers) + the peak the step itself allocates; see memory_method."""
    memory_method: str = ""
    energy_per_step_j: float | None = unit("J", default=None)
    energy_meter: str = ""
    energy_is_estimate: bool = False
    size_bytes: int | None = unit("B", default=None)
    """Serialized size of the model (torch.save of the state dict, or the variant's own file)."""
    quality: Quality | None = None
    setup_s: float = unit("s", default=0.0)
    """Making the variant (compiling, quantizing, fine-tuning), apart from step time."""
    gain_bound: float | None = unit("x", default=None)
    """profile's Amdahl bound on the speed-up of what this variant addresses; None when profile gives none."""
    gain_bound_source: str = ""
    above_bound: bool = False
    """The measured speed-up exceeds profile's bound: a bug in one of the two, to investigate."""
    pareto: bool = False
    params: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def measured(self) -> bool:
        return self.status == "measured"


@dataclass(kw_only=True)
class Recommendation:
    name: str
    """The recommended variant ('baseline' when nothing beats it inside the tolerance)."""
    techniques: list[str]
    speedup: float | None = unit("x")
    reason: str
    best_single: str | None = None
    best_single_speedup: float | None = unit("x", default=None)


@dataclass(kw_only=True)
class OptimizeResult:
    """`accelopt optimize`: every technique measured on the real model beside the baseline, and the recommendation."""

    SCHEMA_KIND: ClassVar[str] = "optimize"
    SCHEMA_VERSION: ClassVar[int] = 7
    LEGACY_UNVERSIONED: ClassVar[bool] = True
    """Records written before the schema (a plain `"schema": 1`) have this shape and load as version 1."""
    READS_VERSIONS: ClassVar[tuple[int, ...]] = (1, 2, 3, 4, 5, 6)
    """Version 2 declares samples_per_s a rate (samples/s, was 'count'); the values are the same, so version 1 reads.
    Version 3 adds variants' baseline_thread_slowdown (default None), so version 2 reads. Version 4 adds contention
    (default: a quiet machine's, no warnings), so version 3 reads. Version 5 adds quality.own_train_steps,
    same_budget_baseline and same_budget_steps (defaults 0, null, 0: compared with the baseline row, as 1 to 4 were),
    so version 4 reads. Version 6 writes metric (and quality.metric) null where no quality metric was measured (no
    eval_batches; 1 to 5 named the metric that would have been) and adds metric_note (default ''), so 5 reads.
    Version 7 adds quality.outputs (each output's drift; default empty) and output_tolerance (default false), so 6
    reads."""

    name: str
    mode: str
    device: str
    dtype: str
    batch_size: int = unit("count")
    metric: str | None = field(metadata={"doc": "the quality metric scored on eval_batches; null: none was "
                                                 "measured, metric_note says why"})
    metric_note: str = ""
    """Why `metric` is None (the model has no eval_batches: only its outputs were compared with the baseline's);
    empty when a metric was measured."""
    higher_is_better: bool | None
    quality_tolerance: float = unit("", _TOL_DOC)
    quality_tolerance_unit: str
    """'points' (accuracy, percentage points) or 'percent' (of the baseline value)."""
    output_tolerance: bool = False
    """The user gave --quality-tolerance, or --apply read one from the recipe (in this model's unit), so it also bounds
    each output's drift (OutputDrift.within_tolerance): a variant with an output beyond it is outside the tolerance.
    False: the outputs' drift is reported, not judged."""
    variants: list[VariantResult]
    recommendation: Recommendation | None = None
    interrupted: bool = False
    duration_s: float = unit("s", default=0.0)
    trained_quality: dict[str, float] = unit("", "each in its metric's unit (accuracy: fraction)",
                                             default_factory=dict)
    """The built-in example's held-out metrics after its training."""
    profile_verdict: str = ""
    notes: list[str] = field(default_factory=list)
    contention: ContentionReport = field(default_factory=ContentionReport)
    """What disturbed the run's timing (other processes on the cores, the load average), as profile and probe record
    it: `history list` and `history compare` flag a run measured on a busy machine from it (the BUSY MACHINE note
    alone is text they did not read)."""
    environment: dict[str, Any] = field(default_factory=dict)
    recipe_path: str | None = None
    saved_model_path: str | None = None

    def get(self, name: str) -> VariantResult | None:
        """The variant named `name` (None when there is none)."""
        return next((v for v in self.variants if v.name == name), None)

    @property
    def metric_label(self) -> str:
        """The quality column's and the texts' name for the metric: 'quality (not measured)' where none was."""
        return self.metric if self.metric is not None else "quality (not measured)"

    @property
    def baseline(self) -> VariantResult:
        v = self.get("baseline")
        assert v is not None
        return v

    @property
    def recommended(self) -> VariantResult | None:
        """The recommended variant's measurement (None without a recommendation)."""
        return self.get(self.recommendation.name) if self.recommendation is not None else None
