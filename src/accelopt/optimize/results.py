"""Typed results of `accelopt optimize` (times in s, memory and sizes in bytes, energy in J)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

STATUSES = ("measured", "not-applicable", "failed", "quality-failure", "not-run")


@dataclass(kw_only=True)
class Quality:
    """The variant's quality on the held-out batches, and its agreement with the baseline's outputs."""

    metric: str
    value: float | None
    """The metric's value (accuracy: fraction 0-1; loss: mean per target); None when not measurable."""
    delta: float | None = None
    """value - baseline value, in the metric's unit."""
    worse_by: float | None = None
    """How much worse than the baseline, in the tolerance's unit (accuracy: percentage points; otherwise percent
    of the baseline); negative = better."""
    within_tolerance: bool | None = None
    finite: bool = True
    """False when any output (or the loss) was NaN or infinite: a quality failure."""
    max_abs_diff: float | None = None
    """Inference: the largest |output - baseline output| over the held-out batches."""
    top1_agreement: float | None = None
    """Inference: fraction of predictions (argmax of the last dimension) equal to the baseline's."""
    train_steps: int = 0
    """Train mode: training steps taken from the starting weights before scoring."""


@dataclass(kw_only=True)
class VariantResult:
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
    step_time_p50_s: float | None = None
    step_time_p99_s: float | None = None
    step_samples: int = 0
    speedup: float | None = None
    """Baseline step time / this step time: median of the per-round ratios of A/B interleaved blocks."""
    speedup_low: float | None = None
    """The pessimistic end (from the 90th percentile of the round ratios); > 1 means faster in (nearly) every round."""
    speedup_high: float | None = None
    samples_per_s: float | None = None
    memory_bytes: float | None = None
    """Weights (parameters + buffers) + the peak the step itself allocates; see memory_method."""
    memory_method: str = ""
    energy_per_step_j: float | None = None
    energy_meter: str = ""
    energy_is_estimate: bool = False
    size_bytes: int | None = None
    """Serialized size of the model (torch.save of the state dict, or the variant's own file)."""
    quality: Quality | None = None
    setup_s: float = 0.0
    """Making the variant (compiling, quantizing, fine-tuning), apart from step time."""
    gain_bound: float | None = None
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
    speedup: float | None
    reason: str
    best_single: str | None = None
    best_single_speedup: float | None = None


@dataclass(kw_only=True)
class OptimizeResult:
    name: str
    mode: str
    device: str
    dtype: str
    batch_size: int
    metric: str
    higher_is_better: bool | None
    quality_tolerance: float
    quality_tolerance_unit: str
    """'points' (accuracy, percentage points) or 'percent' (of the baseline value)."""
    variants: list[VariantResult]
    recommendation: Recommendation | None = None
    interrupted: bool = False
    duration_s: float = 0.0
    trained_quality: dict[str, float] = field(default_factory=dict)
    profile_verdict: str = ""
    notes: list[str] = field(default_factory=list)
    environment: dict[str, Any] = field(default_factory=dict)
    recipe_path: str | None = None
    saved_model_path: str | None = None

    def get(self, name: str) -> VariantResult | None:
        return next((v for v in self.variants if v.name == name), None)

    @property
    def baseline(self) -> VariantResult:
        v = self.get("baseline")
        assert v is not None
        return v

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["schema"] = 1
        return out
