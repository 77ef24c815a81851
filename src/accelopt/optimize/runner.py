"""The optimize runner: baseline, every applicable technique and a few combinations, each measured the same way.

Per variant, in this order:
1. quality: inference scores `forward` on the held-out batches with the bundle's metric and compares the
   outputs with the baseline's (max |diff|, top-1 agreement); train takes `quality_steps` training steps
   from the same starting weights on the same batches, then scores the held-out set; a variant that trained
   steps of its own in its making (prune-structured's fine-tune, distill's student) is compared with the baseline
   trained as many steps more (_Run.same_budget_baseline), not with the baseline row. A NaN/inf output
   or loss is a quality failure.
2. warm-up (uninstrumented) steps;
3. time: `rounds` rounds of A/B interleaved blocks (baseline block, variant block; the order alternates
   every round, ABBA, so a drift of the machine hits both alike), each step synchronized at both ends
   (measure/timing.py's discipline). Speed-up = median over rounds of the ratio of the blocks' fastest steps
   (baseline / variant); rounds more than ROUND_SPREAD_LIMIT apart are re-measured once.
4. memory: one step under measure/memory.measure_peak (CUDA allocator peak; CPU: RSS high-water after
   returning freed heap to the OS with malloc_trim) minus what was resident before, plus the weights;
5. energy: whole steps filling >= 0.12 s under the best meter (measure/energy.best_meter), labelled by meter.

Then the Pareto front (step time by the A/B speed-up, memory, energy vs quality) and the recommendation: the fastest
variant inside the quality tolerance whose speed-up holds in (nearly) every round beyond the baseline timed
against itself (speedup_low > the baseline's speedup_high, and > 1; _Run.self_noise), whose rounds
agree within ROUND_SPREAD_LIMIT, and whose p50 step time does not contradict it by over MISMATCH_FACTOR; among the
variants whose rounds' brackets overlap the fastest's (within noise of it) and that no candidate is ahead of beyond
noise, the one that loses less (a lossy variant that measured no loss counts as lossless), then the simpler.
Ctrl-C stops the run and keeps everything measured so far.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from accelopt.errors import AcceloptError, InputError, UnsupportedError
from accelopt.interrupts import stopped_by
from accelopt.measure.contention import ContentionReport, Watch, check_setup, load_seen
from accelopt.measure.diagnose import CPU_FP16_EMULATED, cpu_fp16_autocast
from accelopt.measure.profiler import check_autocast, check_trainable
from accelopt.measure.timing import cuda_sync_for, quantile
from accelopt.optimize.base import (
    Target,
    Technique,
    Variant,
    all_techniques,
    check_step,
    expand_families,
    technique_named,
)
from accelopt.optimize.compress import (
    batch_quality,
    class_dim,
    counted_targets,
    fp32_output,
    non_finite_other_output,
    scores_note,
    scores_place,
    seeded,
)
from accelopt.optimize.compress import first_tensor as _first_tensor
from accelopt.optimize.drift import Kept, check_tolerance, drifts, kept_outputs, named_tensors
from accelopt.optimize.results import OptimizeResult, OutputDrift, Quality, Recommendation, VariantResult
from accelopt.optimize.steps import copy_model, make_train_step, state_dict_bytes, state_dict_saver, wrapper_name
from accelopt.units import fmt_accuracy, fmt_bytes, fmt_joules, fmt_ratio, fmt_seconds
from accelopt.userio import exception_text
from accelopt.workload.batch import to_device
from accelopt.workload.usercode import ModelCodeError, user_call
from accelopt.workload.userfile import ModelBundle, as_tuple

__all__ = ["DEFAULT_TOLERANCE", "RunOptions", "run_optimize"]

DEFAULT_TOLERANCE = {"accuracy": 0.5, "other": 1.0}
"""Accepted quality loss: accuracy within 0.5 percentage points; a loss (or other metric) within 1% of the
baseline. Our choice (no published source), stated in the issue; override with --quality-tolerance."""
ENERGY_WINDOW_S = 0.12
NO_METRIC_NOTE = ("no quality metric was measured: the model has no eval_batches (held-out batches its metric is "
                  "scored on; see examples/my_model.py); each variant's outputs were only compared with the "
                  "baseline's (max |diff|, top-1 agreement)")
"""OptimizeResult.metric_note where metric is None."""


@dataclass(kw_only=True)
class RunOptions:
    mode: str = "inference"
    device: str = "cpu"
    dtype: str = "fp32"
    only: list[str] | None = None
    skip: list[str] = field(default_factory=list)
    budget_s: float = 600.0
    """Whole-run wall-clock budget: techniques not started when it is used up are listed as not run."""
    quality_tolerance: float | None = None
    """Accuracy: percentage points; other metrics: percent of the baseline. None: recipe_tolerance or
    DEFAULT_TOLERANCE."""
    recipe_tolerance: tuple[float | None, str | None] | None = None
    """(tolerance, unit) an --apply recipe was chosen under (None where it recorded none): used when
    quality_tolerance is None and its unit is this model's metric's; None: no recipe."""
    rounds: int = 5
    block_s: float = 0.1
    """Target duration of one timed block (whole steps; at least 2 steps)."""
    warmup: int = 2
    quality_steps: int = 8
    combinations: int = 3
    """Most pairs of compatible techniques to measure (0: none)."""
    recipe: list[tuple[str, dict[str, Any]]] | None = None
    """Measure exactly this chain of (technique, params) instead of the selection (--apply)."""
    profile_bounds: bool = True
    spec: Any = None
    """AcceleratorSpec of this device (energy estimate where no counter is readable; profile's peaks)."""
    progress: Callable[[str], None] | None = None


BUDGET_CUT = "the time budget (--budget-min) was used up before it started"
"""The reason of a variant the budget kept from starting."""


# ---------------------------------------------------------------- small helpers
def _endless(make: Callable[[], Iterator[Any]], short: Callable[[Any], bool] = lambda item: False) -> Iterator[Any]:
    """The batches of make(), over and over, leaving out those `short` says hold fewer samples than batch_size once a
    full one was yielded: a ragged last batch was timed as a step of batch_size samples (samples/s counted it as
    full), and as a block's fastest step it was compared with a full batch's of the other block."""
    while True:
        n = 0
        for item in make():
            n += 1
            if n > 1 and short(item):
                continue
            yield item
        if n == 0:
            raise InputError("batches() yielded nothing", "return an iterator with at least one (inputs, targets)")


class _Stepper:
    """One whole timed step of a variant: next batch, to the device, prepare_inputs, train_step or forward."""

    def __init__(self, v: Variant, bundle: ModelBundle, target: Target) -> None:
        self.v, self.target, self.bundle = v, target, bundle
        self.train = target.mode == "train"
        self.what = f"in {'an' if target.mode == 'inference' else 'a'} {target.mode} step of {v.technique}"
        self.it = _endless(v.batches or bundle.batches, bundle.is_short_batch)
        if self.train and v.train_step is None:
            raise UnsupportedError(f"{v.technique} made no training step", "use --mode inference for it")
        if v.model is not None and hasattr(v.model, "train"):
            v.model.train(self.train)

    def __call__(self) -> None:
        user_call(self.bundle, self.what, self._step)

    def _step(self) -> None:
        import torch

        inputs, targets = next(self.it)
        inputs = to_device(as_tuple(inputs), self.target.device)
        targets = to_device(targets, self.target.device)
        if self.v.prepare_inputs is not None:
            inputs = self.v.prepare_inputs(inputs)
        if self.train:
            assert self.v.train_step is not None
            self.v.train_step(inputs, targets)
        else:
            with torch.inference_mode():
                self.v.forward(*inputs)


def _own_dtypes(model: Any) -> str | None:
    """The reduced-precision dtypes (float16, bfloat16, float64) of the model's floating parameters as given,
    joined; None when they are all fp32. The table's header shows --dtype, which said fp32 for a float16 model."""
    names = sorted({str(p.dtype).removeprefix("torch.") for p in model.parameters() if p.is_floating_point()}
                   - {"float32"})
    return " and ".join(names) or None


def _not_applicable_anyway(techs: Sequence[Technique], bundle: ModelBundle, target: Target) -> str | None:
    """Why the chain `techs` never applies here (for a chain the budget left out: 'budget used up' for CUDA graphs
    on a CPU read as if more time would have measured it): the first technique of the chain that never applies,
    its name before the reason in a chain of two or more (as try_one says it); None when each might, or when a check
    itself fails. Each is checked on the model as given (the chain was not applied)."""
    for t in techs:
        try:
            why = t.not_applicable(bundle, target)
        except Exception:  # the budget's reason stands for this one
            why = None
        if why:
            return why if len(techs) == 1 else f"{t.name}: {why}"
    return None


def _timed(step: Callable[[], None], n: int, sync: Callable[[], None]) -> list[float]:
    out = []
    for _ in range(n):
        sync()
        t0 = time.perf_counter()
        step()
        sync()
        out.append(time.perf_counter() - t0)
    return out


def _timed_for(step: Callable[[], None], block_s: float, sync: Callable[[], None], min_n: int = 2) -> list[float]:
    """Steps timed one by one until `block_s` seconds have passed (at least `min_n` steps). A block bounded by time,
    not by a step count sized from a 2-step estimate: under a busy machine that estimate can be 100x off either way,
    and a count-sized block then ran for seconds and filled the run's samples with one disturbed stretch (a baseline
    p50 0.83x a variant's whose paired rounds said 83x slower)."""
    out: list[float] = []
    t_end = time.perf_counter() + block_s
    while len(out) < min_n or time.perf_counter() < t_end:
        out += _timed(step, 1, sync)
    return out


MISMATCH_FACTOR = 2.0
"""How far apart (either way) the round-paired speed-up and the p50 ratio may be before the speed-up is called
disturbed: the spread of the rounds on a quiet machine is a few percent, so 2x is load, not noise."""


ROUND_SPREAD_LIMIT = 2.0
"""Most a variant's optimistic round may exceed its pessimistic one (the 10th and 90th percentiles of the per-round
ratios: the bracket printed beside the speed-up) for the median to stand as its speed-up. Each round compares the
fastest steps of two blocks timed side by side, so on a quiet machine the rounds agree within a few percent; rounds
2x apart mean the load changed while the variant was timed (a busy run gave onnx-int8 375x from rounds 2.71-445x:
whole baseline blocks stalled, torch's threads waiting for busy cores). Such rounds are re-measured once, and a
variant whose rounds still disagree is not recommended."""


STARVED_FACTOR = 2.0
"""Most the baseline's fastest step at torch's intra-op threads may exceed its fastest at 1 thread (timed right after
a variant's rounds) before its time is called waiting for busy cores: on idle cores more threads do not make a step
slower than one thread by this much (the pool's wake-up costs microseconds), while a busy 2-core run's
baseline took 44 ms a step at 2 threads against 68 µs standalone."""


def round_spread(ratios: Sequence[float]) -> float:
    """The 90th over the 10th percentile of the per-round ratios (variant / baseline fastest step): 1.0 when
    every round agrees."""
    xs = sorted(ratios)
    return quantile(xs, 0.9) / max(quantile(xs, 0.1), 1e-300)


def _rounds_disagree(r: VariantResult) -> bool:
    low, high = r.speedup_low, r.speedup_high
    return low is not None and high is not None and low > 0 and high / low > ROUND_SPREAD_LIMIT


def _disagrees(speedup: float | None, step_p50_s: float | None, base_p50_s: float | None) -> bool:
    if not (speedup and step_p50_s and base_p50_s) or min(speedup, step_p50_s, base_p50_s) <= 0:
        return False
    p50_ratio = base_p50_s / step_p50_s
    return max(speedup / p50_ratio, p50_ratio / speedup) > MISMATCH_FACTOR


def speedup_mismatch_note(name: str, speedup: float, step_p50_s: float, base_p50_s: float, *,
                          rounds: tuple[float | None, float | None] = (None, None),
                          busy: str | None = None) -> str | None:
    """A note when the round-paired speed-up and the ratio of the printed p50 step times differ by more than
    MISMATCH_FACTOR (ratios and times as the table prints them, fmt_ratio and fmt_seconds): the p50s are over
    different stretches of the run (the baseline's over every baseline block), so load that changed between them
    moves one and not the other. `rounds` is the variant's (speedup_low, speedup_high); `busy` what the run's
    contention checks saw (measure.contention.load_seen), None on a quiet machine. On a busy machine the advice
    names the load and stops at what the rounds show: a busy run's bf16 read 0.00039x from rounds that agreed, and
    the note said 'trust the speed-up' (STARVED_FACTOR's 44 ms against 68 µs: the fastest steps move with load too)."""
    if not _disagrees(speedup, step_p50_s, base_p50_s):
        return None
    p50_ratio = base_p50_s / step_p50_s
    low, high = rounds
    bracket = f" (rounds {fmt_ratio(low)}-{fmt_ratio(high)}x)" if low and high else ""
    seen = (f"speed-up {fmt_ratio(speedup)}x from its paired A/B rounds{bracket}, but the p50s give "
            f"{fmt_ratio(p50_ratio)}x (baseline {fmt_seconds(base_p50_s)} over the whole run / {name} "
            f"{fmt_seconds(step_p50_s)} over its rounds): the machine's load changed between stretches of the run and "
            "moved the p50s, while each round compares the fastest steps of blocks timed side by side")
    if busy is None:
        return (seen + ": go by the rounds' speed-up (the table's and the recommendation's), or rerun to see whether "
                "the p50s settle")
    slower, faster = (name, "the baseline") if speedup < 1.0 else ("the baseline", name)
    return (seen + f"; in the median round {slower}'s fastest step took {fmt_ratio(max(speedup, 1.0 / speedup))}x "
            f"{faster}'s, but the machine was busy ({busy}), and under load the fastest steps wait for busy cores too: "
            "the speed-up is what this run measured under that load, not the technique's; rerun on a quiet machine "
            "before relying on it")


# ---------------------------------------------------------------- quality
@dataclass
class _Scored:
    value: float | None
    finite: bool
    """The outputs and the metric's value are finite."""
    outputs: list[Any]
    outputs_finite: bool = True
    scores_note: str | None = None
    """Which Tensor of a dict output was taken as the scores, when that is not plain (compress.scores_note)."""
    non_finite: str | None = None
    """Where the first non-finite output was (_non_finite_rows): the baseline's error names it."""
    classes: int | None = None
    """The scores' classes (accuracy: those an argmax picks among) along `class_dim`, of the first held-out batch."""
    class_dim: int = -1
    """Where the scores hold their classes (compress.class_dim of the first held-out batch): -1, the last; 1 for a
    segmenter's (N, C, d1, ...) map with (N, d1, ...) targets. Top-1 agreement takes its argmax there."""
    counted: float = 0.0
    """The metric's weight over the held-out batches (accuracy: the target elements scored)."""
    cross_entropy: tuple[int, float, float, float] | None = None
    """metric 'loss' whose loss_fn is the cross-entropy of the scores against class ids (_cross_entropy_terms matched
    its mean on every held-out batch): (targets scored, mean and standard deviation of the per-target losses, the
    fraction of those targets the scores' argmax hits)."""
    kept: list[Kept] = field(default_factory=list)
    """Inference, per compared batch: the outputs besides the scores (drift.kept_outputs), for their drift."""
    scores_name: str = "output"
    """The scores' name in the output (drift.named_tensors)."""
    scores_dtype: Any = None
    """The scores' own dtype (they are kept cast to fp32): an integer output has no |diff|."""
    shapes: dict[str, list[int]] = field(default_factory=dict)
    """Each output's shape on the first compared batch, by name."""


def _score(v: Variant, bundle: ModelBundle, target: Target, keep_outputs: bool, strict: bool = False) -> _Scored:
    """The bundle's metric over its held-out batches, run through the variant's forward. `strict` (the
    baseline): held-out batches that give no quality to guard are an InputError, not a silent 'not measured'."""
    import torch

    if bundle.eval_batches is None:
        return _Scored(None, True, [])
    if v.model is not None and hasattr(v.model, "eval"):
        v.model.eval()
    total = weight = 0.0
    finite = True
    where: str | None = None
    batch_no = 1
    outs: list[Any] = []
    notes: list[str | None] = []  # the baseline's first batch: which Tensor of the output is the scores
    shape: list[int] = []  # the baseline's first batch: the scores' classes and the dim holding them (class_dim)
    ce: list[Any] = []  # the baseline's per-target cross-entropies while loss_fn matches them (None once it does not)
    # the current batch's first non-finite output besides the scores, one slot: a list of every batch's held each
    # NaN Tensor (on the device) until the scoring ended (rev3, 2026-12-06)
    others: list[tuple[str, Any] | None] = []
    kept: list[Kept] = []  # per batch, the outputs besides the scores (drift.kept_outputs)
    meta = _Scored(None, True, [])  # the scores' name and dtype, the outputs' shapes (first batch)

    def one(inputs: Any, targets: Any) -> tuple[Any, float, float]:
        """(output, metric total, weight) of one held-out batch."""
        x = to_device(as_tuple(inputs), target.device)
        if v.prepare_inputs is not None:
            x = v.prepare_inputs(x)
        with torch.inference_mode():
            raw = fp32_output(v.forward(*x))  # scored in fp32 as the fp32 baseline is, whatever its structure
        out = _first_tensor(raw)
        if out is None:
            return None, 0.0, 0.0
        others[:] = [non_finite_other_output(raw)]
        if keep_outputs and len(kept) < AGREEMENT_BATCHES:  # the other outputs' drift: the first batches'
            kept.append(_kept(raw, out, meta))
        y = to_device(targets, target.device)
        dim = class_dim(out, y)
        if not shape:
            shape.extend([int(out.shape[dim]) if out.dim() >= 1 else 1, dim])
        if strict and not notes:
            notes.append(scores_note(raw))
        out = out.float()  # integer scores (class ids) too, as before
        if strict and bundle.metric == "accuracy" and (out.dim() < 2 or out.shape[dim] < 2):
            along = "dim 1 (the targets' shape puts the classes there)" if dim == 1 else "the last dimension"
            per_class = "B, classes, d1, ..." if dim == 1 else "B, classes"
            raise InputError(f"metric 'accuracy' of model {bundle.name!r} takes the argmax over {along} "
                             f"of {scores_place(raw)}, which has shape {tuple(out.shape)}: every prediction would be "
                             "class 0", f"return one score per class ({per_class}) "
                             "there (a tuple's scores first, a "
                             "dict's under 'logits'), or pass a callable metric, e.g. "
                             f"metric=lambda out, y: ((out.squeeze({dim}) > 0) == y).float().mean().item() with "
                             "higher_is_better=True")
        t, w = batch_quality(bundle, out, y, raw)
        if strict and bundle.metric == "loss" and (not ce or ce[-1] is not None):
            terms = _cross_entropy_terms(bundle, out, y)
            same = terms is not None and w > 0 and terms.shape[1] == round(w) and math.isclose(
                float(terms[0].mean()), t / w, rel_tol=1e-3, abs_tol=1e-6)
            ce.append(terms if same else None)
        return out, t, w

    what = f"scoring {v.technique} on the held-out batches (eval_batches, metric {bundle.metric_name})"
    try:
        held_out = user_call(bundle, what, lambda: iter(bundle.eval_batches()))  # type: ignore[misc]
        while (item := user_call(bundle, what, next, held_out, _END)) is not _END:  # the generator's body runs here
            out, t, w = user_call(bundle, what, one, *_pair(item, bundle, "eval_batches"))
            if out is None:
                if strict:
                    raise InputError(f"the output of model {bundle.name!r} holds no tensor to score (no Tensor, "
                                     "tuple/list/dict of Tensors, or .logits)", "return the scores as a Tensor (or the "
                                     "first item of a tuple), or leave eval_batches out")
                return _Scored(None, True, [])
            if finite and not bool(torch.isfinite(out).all()):
                finite, where = False, _non_finite_rows(out, f"held-out batch {batch_no}")
            elif finite and others[-1] is not None:
                finite, where = False, _non_finite_rows(others[-1][1], f"held-out batch {batch_no}", others[-1][0])
            batch_no += 1
            total += t
            weight += w
            if keep_outputs:
                outs.append(out.detach().cpu())
    finally:
        if v.model is not None and hasattr(v.model, "train"):
            v.model.train(target.mode == "train")
    value = total / weight if weight else None
    if strict and not weight:
        raise _no_held_out(bundle)
    outputs_finite = finite
    if value is not None and not math.isfinite(value):
        finite = False
    ce_figures = None
    if ce and all(c is not None for c in ce):
        every = torch.cat(ce, dim=1)  # (2, targets): the losses, the hits
        loss = every[0]
        ce_figures = (loss.numel(), float(loss.mean()), float(loss.std()) if loss.numel() > 1 else 0.0,
                      float(every[1].mean()))
    return _Scored(value, finite, outs, outputs_finite, notes[0] if notes else None, where,
                   shape[0] if shape else None, shape[1] if shape else -1, weight, ce_figures, kept,
                   meta.scores_name, meta.scores_dtype, meta.shapes)


def _kept(raw: Any, scores: Any, meta: _Scored) -> Kept:
    """One batch's outputs besides the scores, each cut to its first score rows (_capped) on the CPU, for their
    drift (drift.drifts); on the first batch, also the scores' name and dtype and every output's shape into `meta`."""
    kept, name = kept_outputs(raw, scores, lambda t: _capped(t, OTHER_OUTPUT_MAX_ELEMENTS))
    if meta.scores_dtype is None:
        meta.scores_name, meta.scores_dtype = name or "output", scores.dtype
        meta.shapes = {n: list(t.shape) for n, t in named_tensors(raw)}
        meta.shapes.setdefault(meta.scores_name, list(scores.shape))
    return kept


def _cross_entropy_terms(bundle: ModelBundle, out: Any, targets: Any) -> Any:
    """(2, targets): -log softmax(out)[target] per target element (padding at the loss's ignore_index left out) and
    whether the argmax hit it (1.0/0.0), where the scores' class dim (compress.class_dim: the last, or dim 1 of a
    segmenter's map, moved last here) is the classes and the targets are class ids, one per row of scores; None
    where they are not (the caller keeps them only if their mean loss is loss_fn's: then the loss is that
    cross-entropy)."""
    import torch

    if class_dim(out, targets) == 1:
        out = out.movedim(1, -1)  # (N, C, d1, ...) -> (N, d1, ..., C): rows of scores in the targets' order
    if out.dim() < 2 or out.shape[-1] < 2 or not hasattr(targets, "is_floating_point") or \
            targets.is_floating_point() or targets.is_complex() or targets.numel() * out.shape[-1] != out.numel():
        return None
    classes = out.shape[-1]
    ids = targets.reshape(-1).long()
    kept = counted_targets(bundle.loss_fn, ids)
    logits = out.reshape(-1, classes)
    if kept is not None:
        ids, logits = ids[kept], logits[kept]
    if ids.numel() == 0 or bool((ids < 0).any()) or bool((ids >= classes).any()):
        return None
    loss = -torch.log_softmax(logits.float(), -1).gather(1, ids[:, None]).squeeze(1)
    return torch.stack([loss, (logits.argmax(-1) == ids).float()])


def accuracy_resolution(samples: float, tolerance_points: float) -> str | None:
    """What the accuracy figure can tell, where one held-out sample moves it by more than the tolerance: on 24 samples
    one changed prediction is 100/24 = 4.17 points against a 0.5-point tolerance, so 'within tolerance' meant no
    prediction changed and a variant changing one was outside it, unsaid. None where one sample is inside it."""
    if samples < 1:
        return None
    step = 100.0 / samples
    if step <= tolerance_points:
        return None
    needed = math.ceil(100.0 / tolerance_points) if tolerance_points > 0 else None
    more = (f"give eval_batches at least {needed:,} samples (100 / {tolerance_points:g}) to resolve the tolerance"
            if needed is not None else "a tolerance of 0 accepts no changed prediction at any size")
    return (f"ACCURACY RESOLUTION: one of the {samples:,.0f} held-out samples scored moves accuracy by 100/"
            f"{samples:,.0f} = {step:.3g} points, more than the quality tolerance {tolerance_points:g} points: a "
            "variant that changes one prediction's outcome is outside it, and 'within tolerance' means none changed; "
            f"{more}, or pass --quality-tolerance {math.ceil(step * 100) / 100:g} to accept one changed prediction")


LOSS_CHANCE_STANDARD_ERRORS = 2.0
"""A baseline's held-out cross-entropy is 'at chance' (loss_at_chance) when it is at least ln(classes), the
cross-entropy of a uniform guess, less this many standard errors of the mean per-target loss (sd / sqrt(n) over the n
targets scored; one-sided, as CHANCE_STANDARD_ERRORS is for accuracy), and the scores' top-1 accuracy on the same
targets is at chance too (accuracy_at_chance): a confident model can score a loss above ln C while its argmax
follows the targets (its loss still guards it)."""


def loss_at_chance(loss: float, classes: int | None, figures: tuple[int, float, float, float] | None) -> str | None:
    """Why the baseline's held-out cross-entropy cannot guard a lossy variant, or None. A uniform guess over C classes
    has cross-entropy H(p, u) = -sum_y p(y) ln(1/C) = ln C against any target distribution p (the definition of
    cross-entropy; Cover & Thomas, Elements of Information Theory, 2nd ed., Theorem 2.6.4: ln C is the entropy of the
    uniform distribution and the most any distribution over C values has). A model at or above it predicts the targets
    no better than guessing: an LSTM LM at 3.915 on a 50-token vocabulary (ln 50 = 3.912) had a lossy variant judged
    by that loss, and a tied-embedding LM at 26.95 (worse than guessing) recommended distill at 'better' 12.86."""
    if classes is None or classes < 2 or figures is None or figures[0] < 1:
        return None
    n, _, sd, hits = figures
    chance = math.log(classes)
    bound = chance - LOSS_CHANCE_STANDARD_ERRORS * sd / math.sqrt(n)
    top1_bound = _chance_bound(classes, n)
    if loss < bound or hits > top1_bound:
        return None
    return (f"the baseline's held-out loss {loss:.4g} is no better than chance for {classes:,} classes (at least "
            f"ln {classes:,} = {chance:.4g}, the cross-entropy of a uniform guess, less "
            f"{LOSS_CHANCE_STANDARD_ERRORS:g} standard errors of the mean over the {n:,} targets scored = {bound:.4g}; "
            f"its top-1 accuracy on them {100 * hits:.2f}%, at most 1/{classes:,} + {CHANCE_STANDARD_ERRORS:g} "
            f"standard errors = {100 * top1_bound:.2f}%): its predictions do not follow the targets, so a lossy "
            "variant's loss says nothing of what it lost")


CHANCE_STANDARD_ERRORS = 2.0
"""A baseline's held-out accuracy is 'at chance' (accuracy_at_chance) when it is no more than this many standard errors
of a binomial proportion, sqrt(p (1 - p) / n) at p = 1 / classes over the n samples scored (the normal approximation,
one-sided: about 2.3% of chance-level models read above it), over 1 / classes."""


def _chance_bound(classes: int, samples: float) -> float:
    """The most a chance-level top-1 accuracy reads over `samples` samples of `classes` classes: 1 / classes plus
    CHANCE_STANDARD_ERRORS standard errors of a binomial proportion, sqrt(p (1 - p) / n) at p = 1 / classes."""
    p = 1.0 / classes
    return p + CHANCE_STANDARD_ERRORS * math.sqrt(p * (1.0 - p) / samples)


def accuracy_at_chance(accuracy: float, classes: int | None, samples: float) -> str | None:
    """Why the baseline's held-out accuracy cannot guard a lossy variant, or None. A model whose predictions are
    unrelated to the labels (random weights, or random labels) scores chance whatever a technique does to it: a user
    ResNet at 16.67% on 24 held-out samples (10 classes) recommended prune-structured+onnx-fp32 at 3.12x 'inside the
    tolerance, accuracy 16.67% vs baseline 16.67%', its top-1 predictions agreeing with the baseline's on 12.5%; a bf16
    MLP recommended distill+onnx-fp32 at 35% agreement, accuracy 10.42% = baseline."""
    if classes is None or classes < 2 or samples < 1:
        return None
    p = 1.0 / classes
    bound = _chance_bound(classes, samples)
    if accuracy > bound:
        return None
    why = ("its predictions do not follow the labels, so a lossy variant's accuracy stays at chance whatever it "
           "changes" if bound < 1.0 else  # 4 binary samples: even 100% is inside the bound
           f"{samples:,.0f} samples are too few to tell any accuracy, 100% too, from chance, so a lossy variant's "
           "accuracy cannot show what it changed")
    return (f"the baseline's held-out accuracy {100 * accuracy:.2f}% is at chance for {classes} classes (at most "
            f"1/{classes} = {100 * p:.2f}% + {CHANCE_STANDARD_ERRORS:g} standard errors over the {samples:,.0f} "
            f"samples scored = {100 * bound:.2f}%): {why}")


def _non_finite_rows(out: Any, batch: str, what: str = "output") -> str:
    """"held-out batch 2's output holds 96 NaN/inf of its 128 values, in 24 of its 32 samples (rows 3, 7, 19, ...)":
    where a forward made NaN/inf from finite weights and inputs, which the baseline's error said only as 'non-finite
    outputs or loss ... fix the model or its data'. Rows along the first dimension (the batch)."""
    import torch

    if out.dim() < 1 or out.shape[0] < 1:
        return f"{batch}'s {what} holds {int((~torch.isfinite(out)).sum()):,} NaN/inf of its {out.numel():,} values"
    per_row = [int((~torch.isfinite(row)).sum()) for row in out]  # a row at a time: an LM's logits may be GBs
    rows = [i for i, n in enumerate(per_row) if n]
    text = f"{batch}'s {what} holds {sum(per_row):,} NaN/inf of its {out.numel():,} values"
    shown = ", ".join(str(r) for r in rows[:8]) + (", ..." if len(rows) > 8 else "")
    return text + f", in {len(rows):,} of its {out.shape[0]:,} samples (row{'s' if len(rows) > 1 else ''} {shown})"


NON_FINITE_FORWARD_FIX = ("the model's forward makes NaN/inf from finite weights and inputs for those samples (a log "
                          "or sqrt of a negative, a division by zero, an overflow, a NaN it writes): run the model on "
                          "those rows, find the first module whose output is not finite (torch.isfinite in a forward "
                          "hook) and fix it, or leave such inputs out of the batches")


AGREEMENT_BATCHES = 2
"""Inference without eval_batches: the variants' outputs are compared with the baseline's on this many of the first
training batches (fetched once: agreement only, no quality value)."""
AGREEMENT_MAX_ELEMENTS = 1 << 22
"""Of each such output, the first score rows (along the last dimension) up to this many elements (16 MiB in fp32) are
kept for the comparison, at least one score row (_capped): a language model's (B, T, vocab) logits at a realistic size
would hold GBs per batch."""


OTHER_OUTPUT_MAX_ELEMENTS = 1 << 20
"""Of each output besides the scores, the first score rows up to this many elements (4 MiB in fp32) are kept for its
drift, on the first AGREEMENT_BATCHES compared batches alone (_score keeps the scores of every held-out batch): a
Hugging Face model's hidden states or cache are one Tensor per layer."""


def _capped(out: Any, limit: int = AGREEMENT_MAX_ELEMENTS) -> Any:
    """The first score rows of `out` (vectors along its last dimension, which top-1 compares) up to `limit`
    elements, at least one; a 0-d or 1-d output up to that many elements. Cut before the copy to fp32 on the CPU:
    one sample of an LM's (B, T, vocab) logits alone is T x vocab (8192 x 152064: 5 GB in fp32)."""
    if out.dim() < 2:
        return out[:limit] if out.dim() else out
    width = max(1, out.shape[-1])
    rows = max(1, limit // width)
    lead = max(1, -(-rows // max(1, out[0].numel() // width)))  # leading-dim entries that hold `rows` score rows
    return out[:lead].reshape(-1, out.shape[-1])[:rows]


def _outputs_on(v: Variant, bundle: ModelBundle, target: Target, batches: list[tuple[Any, ...]],
                targets: Any = None) -> _Scored:
    """`v`'s outputs (scores, fp32, on the CPU) on `batches`, with no quality value: where a model has no held-out
    data, a non-lossy variant's outputs were never looked at, so one giving NaN (or constant scores) was measured
    fast and recommended as 'quality not measured'. `finite` says whether every output is finite. `targets`: the
    first batch's; where they say the classes are on dim 1 (compress.class_dim, a segmenter's (N, C, H, W) map) the
    outputs are kept with their classes moved last, so top-1 agreement (_agreement) and _capped's score rows are
    per pixel over the classes, not over a row's pixels."""
    import torch

    if v.model is not None and hasattr(v.model, "eval"):
        v.model.eval()
    outs: list[Any] = []
    kept: list[Kept] = []  # per batch, the outputs besides the scores (drift.kept_outputs)
    meta = _Scored(None, True, [])
    where: str | None = None
    dim = -1
    what = (f"running {v.technique} on the first training batches (no eval_batches: outputs compared with the "
            "baseline's)")
    try:
        for inputs in batches:
            x = to_device(inputs, target.device)
            if v.prepare_inputs is not None:
                x = v.prepare_inputs(x)

            def forward(x: tuple[Any, ...] = x) -> Any:
                with torch.inference_mode():
                    return fp32_output(v.forward(*x))

            raw = user_call(bundle, what, forward)
            out, other = _first_tensor(raw), non_finite_other_output(raw)
            if out is None:
                return _Scored(None, True, [])
            if not outs and targets is not None:
                dim = class_dim(out, targets)
            kept.append(_kept(raw, out, meta))
            outs.append(_capped(out.movedim(1, -1) if dim == 1 else out).detach().float().cpu())
            if where is None and not bool(torch.isfinite(outs[-1]).all()):
                where = _non_finite_rows(out, f"training batch {len(outs)}")
            elif where is None and other is not None:
                where = _non_finite_rows(other[1], f"training batch {len(outs)}", other[0])
    finally:
        if v.model is not None and hasattr(v.model, "train"):
            v.model.train(target.mode == "train")
    finite = where is None and all(bool(torch.isfinite(o).all()) for o in outs)
    return _Scored(None, finite, outs, finite, non_finite=where, kept=kept, scores_name=meta.scores_name,
                   scores_dtype=meta.scores_dtype, shapes=meta.shapes)


def _first_training_inputs(bundle: ModelBundle) -> tuple[list[tuple[Any, ...]], Any]:
    """The inputs of the first AGREEMENT_BATCHES training batches, fetched once for every variant's comparison (a
    batches() drawing new random data per call would otherwise read as disagreement), and the first batch's targets
    (where the outputs hold their classes: compress.class_dim)."""
    out: list[tuple[Any, ...]] = []
    first_targets = None
    it = user_call(bundle, "in batches() (outputs compared without eval_batches)", lambda: iter(bundle.batches()))
    while len(out) < AGREEMENT_BATCHES:
        item = user_call(bundle, "in batches() (outputs compared without eval_batches)", next, it, _END)
        if item is _END:
            break
        inputs, targets = _pair(item, bundle, "batches")
        first_targets = targets if not out else first_targets
        out.append(as_tuple(inputs))
    return out, first_targets


def _baseline_not_finite(bundle: ModelBundle, scored: _Scored, train_finite: bool, steps: int) -> InputError:
    """What made the baseline's quality non-finite. A callable metric returning NaN on finite outputs was reported
    as 'non-finite outputs or loss', sending the user to the model and data instead of the metric; a NaN/inf in the
    weights or the held-out data is named where it sits (_non_finite_source), also when only the loss was non-finite
    (an inf target read 'the metric loss ... is inf ...: make the metric return a finite number')."""
    if not train_finite:
        return _baseline_training_not_finite(bundle, steps)
    where = _non_finite_source(bundle)  # a NaN target read as the metric's own NaN (the metric 'loss' is loss_fn's)
    if scored.outputs_finite and scored.value is not None and where is None:
        return InputError(f"the metric {bundle.metric_name} of model {bundle.name!r} is {scored.value} on the "
                          "baseline's held-out batches, whose outputs are finite",
                          "make the metric return a finite number for every held-out batch")
    if where is not None:
        return InputError(f"the baseline itself gives non-finite outputs or loss on {bundle.name}'s held-out batches: "
                          f"{where[0]}", where[1])
    if scored.non_finite is not None:
        return InputError(f"the baseline itself gives non-finite outputs on {bundle.name}'s held-out batches: "
                          f"{scored.non_finite}; the model's weights and the held-out inputs are finite",
                          NON_FINITE_FORWARD_FIX)
    return InputError(f"the baseline itself gives non-finite outputs or loss on {bundle.name}'s held-out batches",
                      "fix the model or its data before optimizing it")


NON_FINITE_BATCHES = 64
"""Most held-out batches _non_finite_source reads for NaN/inf."""


def _non_finite_source(bundle: ModelBundle) -> tuple[str, str] | None:
    """(where NaN/inf sits, the fix): a floating parameter or buffer of the model, else a Tensor of the first
    NON_FINITE_BATCHES held-out batches (inputs, then targets); None where none holds one (the forward makes them).
    A held-out input with one NaN read only 'non-finite outputs or loss ... fix the model or its data'."""
    import torch

    def bad(t: Any) -> int:
        return int((~torch.isfinite(t)).sum()) if isinstance(t, torch.Tensor) and t.is_floating_point() else 0

    for name, t in [*bundle.model.named_parameters(), *bundle.model.named_buffers()]:
        if n := bad(t):
            return (f"the model's {name} holds {n:,} NaN/inf of its {t.numel():,} values",
                    "fix the model's weights (a training run that diverged, or a checkpoint that did not load) "
                    "before optimizing it")
    it = user_call(bundle, "in eval_batches()", lambda: iter(bundle.eval_batches() if bundle.eval_batches else ()))
    for i in range(NON_FINITE_BATCHES):
        item = user_call(bundle, "in eval_batches()", next, it, _END)
        if item is _END:
            break
        inputs, targets = _pair(item, bundle, "eval_batches")
        named = [(f"input in{k}", x) for k, x in enumerate(as_tuple(inputs))] + [("targets", targets)]
        for what, t in named:
            if n := bad(t):
                return (f"held-out batch {i + 1}'s {what} holds {n:,} NaN/inf of its {t.numel():,} values",
                        "clean the held-out data (eval_batches) of NaN/inf, or fill them, before optimizing")
    return None


def _copied_for_baseline(bundle: ModelBundle, target: Target) -> Any:
    """copy_model of the baseline; a model copy.deepcopy refuses (an attribute holding a lock or an open file, which
    `profile` runs as it is) is an InputError naming the attribute, with the fix: the error was 'model raised
    TypeError when copied ...: cannot pickle '_thread.lock' object' with the fix 'check ... shapes, dtypes, devices'."""
    try:
        return user_call(bundle, "when copied (copy.deepcopy) for the baseline", copy_model, bundle, target)
    except ModelCodeError as e:
        if not isinstance(e.__cause__, TypeError | copy.Error | AttributeError | NotImplementedError):
            raise
        where = _uncopyable_attribute(bundle.model)
        found = f" ({where})" if where else ""
        raise InputError(f"model {bundle.name!r} cannot be copied with copy.deepcopy{found}: "
                         f"{exception_text(e.__cause__, 300)}; optimize applies each technique to its own copy of "
                         "the model (yours is left as it was), the baseline's too",
                         "make the model deep-copyable: keep a lock, an open file, a socket or a process handle out "
                         "of the nn.Module (a global, or an argument of forward), or give its class a __deepcopy__ "
                         "that makes a new one") from None


def _uncopyable_attribute(model: Any) -> str | None:
    """'attribute lock of module inner.block (a lock)': the first plain attribute of the model's modules that
    copy.deepcopy refuses, with its type; None when each copies alone (the failure is elsewhere). Parameters, buffers
    and submodules are not tried one by one (tensors copy; a submodule's own attributes are walked)."""
    held = ("_parameters", "_buffers", "_modules")
    for path, module in model.named_modules():
        for key, value in vars(module).items():
            if key in held:
                continue
            try:
                copy.deepcopy(value)
            except Exception:
                owner = f"module {path}" if path else "the model"
                return f"attribute {key!r} of {owner}, a {type(value).__module__}.{type(value).__qualname__}"
    return None


def _failed_fix(fix: str, techniques: list[str]) -> str:
    """' (fix: ...)' for a variant whose model code raised (ModelCodeError): the error's own fix, and for a single
    technique the way to leave it out of the run (--skip), as a not-applicable row carries its fix. A combination
    is left out by skipping one of its parts, which the user chooses, so only the error's fix is given there."""
    parts = [fix] if fix else []
    if len(techniques) == 1:
        parts.append(f"leave it out: --skip {techniques[0]}")
    return f" (fix: {'; or '.join(parts)})" if parts else ""


def _baseline_training_not_finite(bundle: ModelBundle, steps: int) -> InputError:
    """The baseline's own training steps (train mode's quality steps) gave a non-finite loss. A float16 model, whose
    inference outputs are finite, read 'the baseline itself gives non-finite outputs ... fix the model or its data':
    one AdamW step on float16 weights made them NaN (its eps, 1e-8, is 0 in float16, so an update divides by 0).
    With eval_batches the steps run before the quality is scored; without them nothing is scored and the steps only
    check that the loss stays finite (Runner.quality), and the problem says which."""
    own = _own_dtypes(bundle.model)
    why = ("before its quality is scored on eval_batches" if bundle.eval_batches is not None else
           "run to check that the loss stays finite (no eval_batches, so no quality is scored)")
    problem = (f"the baseline's training loss became non-finite (NaN/inf) within its {steps} training steps {why} "
               f"(--quality-steps; the bundle's optimizer on batches())")
    if own and "float16" in own.split(" and "):
        return InputError(f"{problem}; model {bundle.name!r} has float16 weights, which the optimizer updates "
                          "directly (Adam's and AdamW's default eps, 1e-8, is 0 in float16)",
                          "keep the weights fp32 and pass --dtype fp16 or bf16 (autocast; fp16 with a GradScaler), "
                          "or give make_optimizer an eps float16 can hold (e.g. eps=1e-4), or use --mode inference")
    return InputError(f"{problem} of model {bundle.name!r}",
                      "lower the learning rate in make_optimizer, or check the loss and data in --mode train "
                      "on their own")


def tolerance_unit(bundle: ModelBundle) -> str:
    return "points" if bundle.metric == "accuracy" else "percent"


def _tolerance_text(tol: float, unit: str | None) -> str:
    return f"{tol:g} " + {"points": "accuracy points", "percent": "% of the baseline"}.get(unit or "", "(no unit)")


def _tolerance(opts: RunOptions, unit: str) -> tuple[Any, str | None, bool]:
    """(the quality tolerance, a note saying where it came from when a recipe is applied, whether the user gave it):
    --quality-tolerance, else the recipe's when its unit is this model's (a loss recipe's 10 % read as 10 accuracy
    points accepted a 10-point drop), else the default. A recipe's is given as a typed one is: it bounds each
    output's drift too (OptimizeResult.output_tolerance); before, `--apply` of a recipe chosen under
    --quality-tolerance 1 judged the metric by it and left the outputs unbounded (ut5opt, fix5a)."""
    default = DEFAULT_TOLERANCE["accuracy" if unit == "points" else "other"]
    typed = opts.quality_tolerance is not None
    if opts.recipe_tolerance is None:
        return (default if opts.quality_tolerance is None else opts.quality_tolerance), None, typed
    if opts.quality_tolerance is not None:
        return opts.quality_tolerance, "quality tolerance from --quality-tolerance (the recipe's is not used)", True
    r_tol, r_unit = opts.recipe_tolerance
    if r_tol is None:
        return default, (f"quality tolerance: the default {_tolerance_text(default, unit)} (the recipe records "
                         "none)"), False
    if r_unit != unit:
        return default, (f"quality tolerance: the default {_tolerance_text(default, unit)}; the recipe's "
                         f"{_tolerance_text(r_tol, r_unit)} is in another unit than this model's metric"), False
    return r_tol, f"quality tolerance {_tolerance_text(r_tol, r_unit)} {FROM_RECIPE}", True


FROM_RECIPE = "from the recipe"
"""How the note of a tolerance read from an --apply recipe ends (_tolerance; _output_out_text names it so)."""


def worse_by(bundle: ModelBundle, value: float, base: float) -> float:
    """How much worse `value` is than `base`: accuracy in percentage points, else percent of |base|."""
    sign = 1.0 if bundle.higher_is_better else -1.0
    diff = sign * (base - value) + 0.0  # + 0.0: a loss equal to the baseline's is 0, not -0.0 (the page read '-0')
    if bundle.metric == "accuracy":
        return diff * 100.0
    if base == 0:  # no scale to take a percent of: any change is infinitely large
        return 0.0 if diff == 0 else math.copysign(float("inf"), diff)
    return diff / abs(base) * 100.0


def _agreement(outs: list[Any], base: list[Any], dim: int = -1) -> tuple[float | None, float | None]:
    """(max |diff|, top-1 agreement) of a variant's held-out outputs against the baseline's; (None, None) where they
    cannot be compared: other shapes, or a non-finite output (NaN read as a max |diff| of 0 and a top-1 agreement of
    100%: Python's max(0.0, nan) is 0.0, and argmax picks a NaN's index; the status says quality-failure). `dim`:
    where the classes are (_Scored.class_dim; 1 for a segmenter's map, whose argmax over the last dim compared
    pixels of a row)."""
    if not outs or len(outs) != len(base):
        return None, None
    diff = 0.0
    same = total = 0
    for a, b in zip(outs, base, strict=True):
        if a.shape != b.shape or not bool(a.isfinite().all()):
            return None, None
        diff = max(diff, float((a - b).abs().max()))
        if a.dim() >= 2 and a.shape[dim] > 1:  # a (B,) output's argmax would be over its samples
            same += int((a.argmax(dim) == b.argmax(dim)).sum())
            total += int(a.argmax(dim).numel())
    return diff, (same / total if total else None)


_END = object()  # next()'s default: the held-out batches are exhausted


def _no_held_out(bundle: ModelBundle) -> InputError:
    return InputError(f"eval_batches() of model {bundle.name!r} yielded no held-out batch: quality could not be "
                      "measured, so no technique's loss of quality would be seen", "make eval_batches() return an "
                      "iterator of held-out (inputs, targets), or leave eval_batches out (None)")


def check_held_out_repeats(bundle: ModelBundle) -> None:
    """InputError when two calls of eval_batches() start with different batches: the baseline and every variant
    would be scored on other held-out data (a generator seeded once outside the function eval_batches returns, a
    DataLoader with shuffle=True), so a variant's quality change and its agreement with the baseline were noise
    (compile of a tied-weight LM read '+3.7% loss OUT' and 1.6% top-1 agreement). Costs one extra first batch."""
    if bundle.eval_batches is None:
        return
    what = "when eval_batches() was called twice to check it yields the same held-out batches"
    first = [user_call(bundle, what, lambda: next(iter(bundle.eval_batches()), _END))  # type: ignore[misc]
             for _ in range(2)]
    if first[0] is _END and first[1] is _END:  # named here, before profile's pass: it was named after it
        raise _no_held_out(bundle)
    if first[0] is _END or first[1] is _END:
        return  # the held-out batches ran out after one call: named where they are read
    if _same_batch(_pair(first[0], bundle, "eval_batches"), _pair(first[1], bundle, "eval_batches")):
        return
    raise InputError(f"eval_batches() of model {bundle.name!r} yields other held-out batches on each call (the first "
                     "batch of two calls differs): each variant would be scored on other data than the baseline, so "
                     "its quality change and agreement would be noise",
                     "make eval_batches() yield the same batches on every call: create the random generator inside "
                     "the function it returns (e.g. g = torch.Generator().manual_seed(1) there), or use a DataLoader "
                     "with shuffle=False")


HELD_OUT_SCAN = 16
"""Training batches the first held-out batch is compared with (as many as check_batch_rows scans)."""


def held_out_overlap_note(bundle: ModelBundle) -> str | None:
    """A note when eval_batches()'s first batch is one of the first training batches: the README and the bundle's
    contract call them held out, never seen in training, and a model whose eval_batches returned its training
    batches had its quality, and the fine-tuned variants' (prune-structured trains 200 steps, distill 300 on
    batches()), scored on data they trained on, with nothing said (prune-unstructured read +9.4 points). None
    when they differ, or when either cannot be read here (the run names that error where it reads them)."""
    if bundle.eval_batches is None:
        return None
    try:
        held = next(iter(bundle.eval_batches()), _END)
        it = iter(bundle.batches())
        train = [next(it, _END) for _ in range(HELD_OUT_SCAN)]
    except Exception:  # the run reads both again, and names the model's error there
        return None
    if held is _END or not isinstance(held, tuple | list) or len(held) != 2:
        return None
    for i, item in enumerate(t for t in train if t is not _END):
        if isinstance(item, tuple | list) and len(item) == 2 and _same_batch(tuple(held), tuple(item)):
            return (f"eval_batches() is not held out: its first batch is training batch {i} of batches(), so every "
                    f"{bundle.metric_name} here, and most of all the fine-tuned variants' (prune-*, distill, train "
                    "mode's quality steps), was scored on data the model trained on; give eval_batches() samples "
                    "batches() never yields (see examples/my_model.py)")
    return None


def _same_batch(a: Any, b: Any) -> bool:
    """Whether two held-out items hold the same values: Tensors equal element by element (NaN equal to NaN) in
    shape and dtype, through tuples/lists and dicts; other values by ==."""
    import torch

    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)) or a.shape != b.shape \
                or a.dtype != b.dtype:
            return False
        return bool(((a == b) | (a.isnan() & b.isnan()) if a.is_floating_point() else (a == b)).all())
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        return len(a) == len(b) and all(_same_batch(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_batch(a[k], b[k]) for k in a)
    try:
        return bool(a == b)
    except Exception:  # a value whose == is not a truth value (an array): not judged, taken as the same
        return True


def _pair(item: Any, bundle: ModelBundle, source: str) -> tuple[Any, Any]:
    """One (inputs, targets) item of the bundle's `source` iterator, or an InputError saying what it yielded."""
    if isinstance(item, tuple | list) and len(item) == 2:
        return item[0], item[1]
    what = f"a {type(item).__name__}" + (f" of {len(item)}" if isinstance(item, tuple | list) else "")
    raise InputError(f"{source}() of model {bundle.name!r} yielded {what}, not an (inputs, targets) pair",
                     f"make {source}() yield (inputs, targets) tuples (see examples/my_model.py)")


QUALITY_SEED = 0
"""The random seed each variant's quality steps start from (dropout masks, random augmentations)."""


def _train_for_quality(v: Variant, bundle: ModelBundle, target: Target, steps: int) -> bool:
    """`steps` training steps on the bundle's first batches, from the same random state for every variant
    (QUALITY_SEED; the run's own state put back after): each variant drew other dropout masks from wherever the
    run's random state stood, and on an MLP with dropout 0.3 fused-optimizer read -19.8 accuracy points, 'OUT' of
    the tolerance, a change that technique does not make. Python's `random` and numpy's generators too (a batches()
    shuffling with random.shuffle; compress.seeded). False if a loss was not finite."""
    with seeded(QUALITY_SEED, target):
        return _quality_steps(v, bundle, target, steps)


def random_outputs_note(v: Variant, bundle: ModelBundle, target: Target, inputs: tuple[Any, ...],
                        targets: Any = None) -> str | None:
    """A note when the baseline's outputs on one batch differ between two calls under other random seeds: a forward
    that draws random numbers in eval mode (F.dropout(x, p, training=True), Monte-Carlo dropout, added noise) gave
    each variant's scoring other draws, and a user MLP's bf16 read -2.73 points 'OUT' of the tolerance and 73%
    top-1 agreement, a change that technique does not make (it kept 100% under one seed). Every variant is now scored
    from QUALITY_SEED; this note says which figures the randomness still reaches. None when the two calls agree
    within 1e-3 of the outputs' scale: a CPU forward repeats exactly, but a GPU kernel summing with atomics may not,
    by far less than a dropout mask moves them (0.84 on logits of scale ~1 here)."""
    import torch

    with seeded(QUALITY_SEED, target):
        first = _outputs_on(v, bundle, target, [inputs], targets)
    with seeded(QUALITY_SEED + 1, target):
        second = _outputs_on(v, bundle, target, [inputs], targets)
    if not (first.outputs and second.outputs and first.finite and second.finite):
        return None
    a, b = first.outputs[0], second.outputs[0]
    if a.shape != b.shape or torch.allclose(a, b, rtol=1e-3, atol=1e-3 * float(a.abs().max().clamp(min=1.0))):
        return None
    diff, agree = _agreement([a], [b])  # classes last (_outputs_on)
    agreed = f", top-1 agreement {agree:.1%}" if agree is not None else ""
    return (f"RANDOM OUTPUTS: the baseline's outputs on one batch differ between two calls under other random seeds "
            f"(max |diff| {diff:.2g}{agreed}): {bundle.name}'s forward draws random numbers at inference (dropout "
            "with training=True, as Monte-Carlo dropout does, or added noise); every variant was scored from the same "
            f"seed ({QUALITY_SEED}), so a torch variant drawing the same numbers compares as a deterministic model "
            "would, but an onnx-* variant draws from ONNX Runtime's generator, not torch's, so its max |diff|, top-1 "
            "agreement and quality change hold that randomness too; to compare the techniques alone, make the "
            "forward deterministic in eval mode (nn.Dropout, or F.dropout(x, p, training=self.training))")


def _quality_steps(v: Variant, bundle: ModelBundle, target: Target, steps: int) -> bool:
    import torch

    stepper = _Stepper(v, bundle, target)
    stepper.it = _endless(bundle.batches)  # the same batches for every variant
    finite = True
    for _ in range(steps):
        inputs, targets = _pair(user_call(bundle, "in batches() (quality steps)", next, stepper.it), bundle, "batches")
        inputs = to_device(as_tuple(inputs), target.device)
        if v.prepare_inputs is not None:
            inputs = v.prepare_inputs(inputs)
        assert v.train_step is not None
        loss = user_call(bundle, f"in a train step of {v.technique} (quality steps)", v.train_step, inputs,
                         to_device(targets, target.device))
        finite = finite and math.isfinite(float(loss if not isinstance(loss, torch.Tensor) else loss.float()))
    return finite


# ---------------------------------------------------------------- memory, energy, size
def _malloc_trim() -> None:
    """Return freed heap to the OS (glibc), so the RSS high-water of the next step is the step's own."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _weights_bytes(v: Variant) -> float | None:
    from accelopt.measure.memory import tensor_bytes

    if v.model is None or not hasattr(v.model, "parameters"):
        return float(v.size_bytes) if v.size_bytes is not None else None
    try:
        return tensor_bytes([*v.model.parameters(), *v.model.buffers()])
    except RuntimeError:  # tensor subclasses (torchao's quantized weights) have no plain storage to read
        return float(v.size_bytes) if v.size_bytes is not None else None


def _counted_train_memory(step: Callable[[], None], v: Variant) -> tuple[float | None, str]:
    """CPU training: weights + gradients + optimizer state + the bytes autograd saves for backward during one
    step, each counted as tensor bytes once per storage. The CPU's RSS cannot resolve this: freed heap is
    reused between steps, so activation savings (checkpointing) do not show in it."""
    from accelopt.measure.memory import SavedTensorMeter, gradient_bytes, optimizer_state_bytes

    meter = SavedTensorMeter(exclude=v.model.parameters())
    segments = getattr(v.train_step, "backward_done", None)  # a step of micro-batches, each with its backward
    if segments is not None:
        segments.append(meter.end_segment)
    try:
        with meter.track():
            step()
    finally:
        if segments is not None:
            segments.remove(meter.end_segment)
    weights = _weights_bytes(v) or 0.0
    opt = optimizer_state_bytes(getattr(v.train_step, "optimizer", None))
    micro = ("; of micro-batches, the most one backward held (each micro-batch's backward frees its own)"
             if segments is not None else "")
    return weights + gradient_bytes(v.model) + opt + meter.peak_saved_bytes, (
        "counted tensor bytes: weights + gradients + optimizer state + activations saved for backward "
        "(saved_tensors_hooks), once per storage" + micro)


def _memory(step: Callable[[], None], v: Variant, device: str, train: bool) -> tuple[float | None, str]:
    from accelopt.measure.memory import measure_peak

    if train and not device.startswith("cuda") and v.model is not None and hasattr(v.model, "parameters"):
        return _counted_train_memory(step, v)
    if not device.startswith("cuda"):
        _malloc_trim()
    peak, before, kind, _ = measure_peak(step, device)
    weights = _weights_bytes(v)
    if peak is None or before is None or weights is None:
        return None, f"not measurable here ({kind})"
    return weights + max(0.0, peak - before), (
        f"weights (parameters + buffers) + step peak above the resident level before it ({kind}); "
        "optimizer state kept between steps is not included")


def _energy(step: Callable[[], None], step_s: float, target: Target, spec: Any) -> tuple[float | None, str, bool]:
    from accelopt.measure.energy import best_meter

    n = max(1, math.ceil(ENERGY_WINDOW_S / max(step_s, 1e-9)))
    sync = cuda_sync_for(target.device)
    try:
        meter = best_meter(target.device, spec)
        sync()
        meter.start()
        for _ in range(n):
            step()
        sync()
        reading = meter.stop()
    except AcceloptError as e:
        return None, f"none ({e.problem})", False
    return reading.energy_j / n, str(reading.source), bool(reading.is_estimate)


def _size(v: Variant) -> int | None:
    if v.size_bytes is not None:
        return v.size_bytes
    if v.model is None:
        return None
    try:
        return state_dict_bytes(v.model)
    except Exception:  # a model whose state cannot be pickled: size unknown, said in the table
        return None


# ---------------------------------------------------------------- the runner

CPU_FP16_BASELINE_NOTE = (
    f"the baseline runs --dtype fp16 under torch.autocast on a CPU, where {CPU_FP16_EMULATED} (why the fp16 technique "
    "does not apply here): every speedup below is against that slow baseline, and fp32 or bf16 variants gain partly "
    "by leaving it; for a baseline of how this model runs on a CPU, pass --dtype fp32 (or bf16)")
"""Said beside an optimize baseline at --dtype fp16 on a CPU (fp32 weights: autocast), as profile's diagnosis says."""


def bound_noise_text(breakdown: Mapping[str, Any], techniques: Sequence[str]) -> str:
    """What a variant above profile's bound is told of the bound's own measurement: the bound is 1 / (1 - the share
    removed) from the MEDIANS of profile's few instrumented steps (breakdown_steps, 3 in optimize's pass), so it is
    only as sure as those steps. Says how many there were and how far their step times spread; for fused-optimizer
    (bounded by 1 / (1 - s_opt), diagnose._rec_optimizer) also s_opt step by step and the bound each step gives. A
    GPT-2 train run on a busy machine read s_opt 10.7% (bound 1.12x) where fused-optimizer measured 1.53x and
    profile alone 35.5% (1.55x): the bound, not the gain, was off (s32 utopt). A step whose phases timed 0 s in
    all (below the clock's resolution) leaves the spread 'not measurable' (utleft8). '' without a breakdown."""
    phases = [st for st in breakdown.values() if getattr(st, "samples", ())]
    if not phases:
        return ""
    n = min(len(st.samples) for st in phases)
    totals = [sum(st.samples[i] for st in phases) for i in range(n)]
    text = (f"; the bound is not a sure limit here: it comes from the medians of {n} instrumented step"
            f"{'s' if n != 1 else ''} of profile's pass, whose step times ranged {fmt_seconds(min(totals))}-"
            f"{fmt_seconds(max(totals))} ("
            + (f"{fmt_ratio(max(totals) / min(totals))}x apart)" if min(totals) > 0
               else "their spread not measurable: a step timed 0 s)"))
    opt = breakdown.get("optimizer")
    if "fused-optimizer" in techniques and opt is not None and len(opt.samples) >= n and min(totals) > 0:
        shares = [opt.samples[i] / totals[i] for i in range(n)]
        lo, hi = min(shares), max(shares)
        text += (f"; the optimizer step took {lo:.1%}-{hi:.1%} of them step by step, a bound of "
                 f"{fmt_ratio(1 / (1 - lo))}-{fmt_ratio(1 / (1 - hi)) if hi < 1 else 'inf'}x (1 / (1 - s_opt))")
    return text + ": a busy machine moves a phase's share, so rerun on a quiet machine to settle which is wrong"


class _Run:
    def __init__(self, bundle: ModelBundle, opts: RunOptions) -> None:
        import torch

        self.bundle, self.opts = bundle, opts
        self.t0 = time.perf_counter()
        self.target = Target(mode=opts.mode, device=opts.device, dtype=opts.dtype, budget_s=60.0)
        self.sync = cuda_sync_for(opts.device)
        self.say = opts.progress or (lambda msg: print(msg, file=sys.stderr, flush=True))
        unit = tolerance_unit(bundle)
        tol, tol_note, given = _tolerance(opts, unit)
        if not (isinstance(tol, int | float) and math.isfinite(tol) and tol >= 0):
            raise InputError(f"quality tolerance {tol!r} is not a non-negative number",
                             "pass --quality-tolerance 0.5 (accuracy points) or 1 (percent of the loss)")
        if unit == "points" and tol > 100:  # accuracy is 0-100%: a variant scoring 0% passed '1e+308 points'
            typed = opts.quality_tolerance is not None
            raise InputError(f"{'--quality-tolerance' if typed else 'the recipe records a quality tolerance of'} "
                             f"{tol:g} accuracy points, more than accuracy's whole range (0-100 points): every "
                             "variant, one scoring 0%, would be within it",
                             "pass --quality-tolerance 0 to 100 (percentage points of accuracy; default 0.5)")
        self.result = OptimizeResult(
            name=bundle.name, mode=opts.mode, device=opts.device, dtype=opts.dtype, batch_size=bundle.batch_size,
            # + 0.0: a typed -0 is 0 (the reason, table and JSON read 'within -0 accuracy points', -0.0)
            # without eval_batches no metric is scored (only the outputs compared): null, not the one that would be
            metric=bundle.metric_name if bundle.eval_batches is not None else None,
            metric_note="" if bundle.eval_batches is not None else NO_METRIC_NOTE,
            higher_is_better=bundle.higher_is_better, quality_tolerance=float(tol) + 0.0,
            quality_tolerance_unit=unit, output_tolerance=given, variants=[],
            trained_quality=dict(bundle.meta.get("trained_quality") or {}),
            environment={"torch": torch.__version__, "threads": torch.get_num_threads(), "device": opts.device})
        if tol_note:
            self.result.notes.append(tol_note)
        self.variants: dict[str, Variant] = {}
        self.base_samples: list[float] = []
        self.base_scored = _Scored(None, True, [])  # the baseline's outputs, each variant's are compared with
        self.base_class_dim = -1  # where the baseline's scores hold their classes (_Scored.class_dim)
        self.agreement_inputs: list[tuple[Any, ...]] = []  # inference without eval_batches: _first_training_inputs
        self.agreement_targets: Any = None  # their first batch's targets
        self.bounds: Any = None
        self.bound_steps: dict[str, Any] = {}  # the breakdown (phase -> Stats) behind the bounds: bound_noise_text
        self.at_chance: str | None = None  # the baseline's held-out quality is chance: accuracy/loss_at_chance
        self.random_outputs = False  # the baseline's outputs differ between seeds (random_outputs_note)
        self.watch = Watch()  # the machine's load over the whole run: said in the notes when it was busy
        self.skipped_steps: list[VariantResult] = []  # --apply: recipe steps that never apply here
        # same_budget_baseline's, by the variant's steps and its optimizer's words (None: the bundle's)
        self.same_budget: dict[tuple[int, str | None], tuple[float, int] | None] = {}

    # ---- bookkeeping
    def left_s(self) -> float:
        return self.opts.budget_s - (time.perf_counter() - self.t0)

    def add(self, r: VariantResult) -> VariantResult:
        self.result.variants.append(r)
        return r

    # ---- the baseline
    def baseline(self) -> Variant:
        check_trainable(self.bundle, self.target.mode)
        check_autocast(self.bundle, self.target.dtype, self.target.device,
                       "optimize it at --dtype fp32 on this CPU (its bf16 variant is then listed as not applicable, "
                       "with the reason)")
        check_held_out_repeats(self.bundle)
        overlap = held_out_overlap_note(self.bundle)
        if overlap:
            self.result.notes.append(overlap)
        model = _copied_for_baseline(self.bundle, self.target)
        step = (user_call(self.bundle, "building its optimizer (make_optimizer) for the baseline", make_train_step,
                          model, self.bundle, self.target) if self.target.mode == "train" else None)
        own = _own_dtypes(model)
        if own:
            self.result.notes.append(
                f"the model's own weights are {own} (as given): the baseline runs them so, whatever --dtype "
                f"({self.target.dtype}) says, which sets autocast only; the onnx-* variants export an fp32 copy"
                + (", and on a CPU float16 kernels are emulated (slow), so their gains include leaving it"
                   if "float16" in own and not self.target.on_cuda else ""))
        if cpu_fp16_autocast(self.target.dtype, self.target.device, not own):
            self.result.notes.append(CPU_FP16_BASELINE_NOTE)
        fwd = model
        if self.target.dtype != "fp32" and self.target.mode == "inference":
            from accelopt.optimize.steps import AutocastModule, torch_dtype

            fwd = AutocastModule(model, self.target.device_type, torch_dtype(self.target.dtype))
        return Variant(technique="baseline", model=model, forward=fwd, train_step=step,
                       save=state_dict_saver(model, "baseline"))

    # ---- measuring one variant
    def measure(self, r: VariantResult, v: Variant, base: Variant | None) -> VariantResult:
        bundle, target = self.bundle, self.target
        r.setup_s, r.params, r.notes = v.setup_s, dict(v.params), [*r.notes, *v.notes]
        self.keep_made_state(v)
        q = self.quality(v, r.name == "baseline")
        r.quality = q
        r.notes += [_output_out_text(d, self.result) for d in q.outputs if d.within_tolerance is False]
        if q.own_train_steps:
            r.notes.append(self._same_budget_note(q, v.train_optimizer[0] if v.train_optimizer else
                                                  "the bundle's optimizer"))
        if q.within_tolerance is False:  # never recommended, so never saved: its copy need not be held
            v.made_state = None
        stepper = _Stepper(v, bundle, target)
        for _ in range(self.opts.warmup):
            stepper()
        self.sync()
        if base is None:  # the baseline: its samples accumulate over every comparison
            samples = _timed_for(stepper, self.opts.block_s, self.sync, min_n=3)
            self.base_samples += samples
            self.base_stepper = stepper
            r.speedup = 1.0
            r.speedup_low, r.speedup_high = self.self_noise(v)
        else:
            self.round_base_fastest_s: list[float] = []  # the starvation check's: one per round used
            samples, ratios = self.interleave(stepper)
            if round_spread(ratios) > ROUND_SPREAD_LIMIT:  # the load changed while it was timed: once more
                samples, ratios = self.remeasure(r, stepper, samples, ratios)
            ratios.sort()
            r.speedup = 1.0 / statistics.median(ratios)
            r.speedup_low, r.speedup_high = 1.0 / quantile(ratios, 0.9), 1.0 / quantile(ratios, 0.1)
            if r.speedup_low > 1.0:  # a candidate: is its baseline's time its own, or waiting for busy cores?
                self.starvation(r)
        xs = sorted(samples)
        r.step_time_p50_s, r.step_time_p99_s, r.step_samples = statistics.median(xs), quantile(xs, 0.99), len(xs)
        r.samples_per_s = (v.samples_per_step or bundle.batch_size) / r.step_time_p50_s
        r.memory_bytes, r.memory_method = _memory(stepper, v, target.device, target.mode == "train")
        r.energy_per_step_j, r.energy_meter, r.energy_is_estimate = _energy(stepper, r.step_time_p50_s, target,
                                                                            self.opts.spec)
        r.size_bytes = _size(v)
        r.status = "measured"
        if not q.finite:
            r.status, r.reason = "quality-failure", "non-finite outputs or loss (NaN/inf)"
        self.bound(r)
        return r

    def self_noise(self, v: Variant) -> tuple[float, float]:
        """The baseline timed against itself (a second stepper over the same model, the same rounds and blocks as a
        variant's): the bracket (pessimistic-optimistic round) of a variant that changes nothing, i.e. the noise of
        the speed-up on this machine and model. recommend passes over a variant whose rounds overlap it: on a 1,030-
        parameter dict-input model (58 µs a step, all host overhead) distill was recommended at 1.01x (rounds
        1.00-1.02x) and prune-structured read 1.02x (rounds 1.01-1.02x), while prune-unstructured, whose dense kernels
        run the same work as the baseline's, read 1.01x (rounds 0.997-1.02x). Rounds over ROUND_SPREAD_LIMIT apart
        are timed once more, as a variant's (remeasure)."""
        twin = _Stepper(v, self.bundle, self.target)
        self.round_base_fastest_s = []
        _, ratios = self.interleave(twin)
        if round_spread(ratios) > ROUND_SPREAD_LIMIT:
            _, more = self.interleave(twin)
            ratios = more if round_spread(more) <= ROUND_SPREAD_LIMIT else ratios + more
        ratios.sort()
        return 1.0 / quantile(ratios, 0.9), 1.0 / quantile(ratios, 0.1)

    def keep_made_state(self, v: Variant) -> None:
        """Train mode: a CPU copy of the variant's weights as the technique made them, for --save (Variant.
        made_state): its quality and timing steps train the model, so model-baseline.pt of a GRU held weights up to
        31 away from the user's after a few hundred steps on the first batches, and reloading it scored a loss of
        4.1e-4 against the 7.1e-4 the recipe recorded."""
        if self.target.mode == "train" and v.save is not None and v.model is not None:
            from accelopt.optimize.steps import tensors_copied

            v.made_state = tensors_copied(v.model)

    def interleave(self, stepper: _Stepper) -> tuple[list[float], list[float]]:
        """Rounds of (baseline block, variant block), order alternating, each block `block_s` long; per round the
        ratio of the blocks' fastest steps. On a busy CPU a step's time is bimodal (its own time, or that plus a
        wait of milliseconds for a descheduled intra-op thread), so a block's median flips between the two modes
        and a ratio of medians swung from 1/200 to 1.5 on one model; the fastest step is the undisturbed time
        ("higher values are typically not caused by variability in Python's speed, but by other processes
        interfering", Python's timeit docs), which a quiet machine's medians agree with."""
        block_s, sync = self.opts.block_s, self.sync
        samples: list[float] = []
        ratios: list[float] = []
        for i in range(self.opts.rounds):
            if i % 2 == 0:
                b = _timed_for(self.base_stepper, block_s, sync)
                s = _timed_for(stepper, block_s, sync)
            else:
                s = _timed_for(stepper, block_s, sync)
                b = _timed_for(self.base_stepper, block_s, sync)
            self.base_samples += b
            samples += s
            ratios.append(min(s) / max(min(b), 1e-12))
            getattr(self, "round_base_fastest_s", []).append(min(b))
        return samples, ratios

    def starvation(self, r: VariantResult) -> None:
        """On a CPU with torch at 2+ threads: one baseline block at 1 thread right after the variant's rounds, and
        r.baseline_thread_slowdown = the baseline block's fastest step at torch's threads, median over the rounds the
        speed-up is from, / the fastest at 1 thread. torch's intra-op threads meet at every op, so on busy cores each
        op waits for the last thread to be scheduled: a busy run's baseline took 44 ms a step in every round (68 µs
        standalone) and onnx-int8 read 906x with agreeing rounds; on this 2-core machine at load 2.4 a 33k-param
        MLP's blocks took 17 ms a step at 2 threads and 50 µs at 1. Without load, threads do not make a step over
        STARVED_FACTOR slower than one thread does. Costs one block per candidate (speedup_low > 1)."""
        import torch

        threads = torch.get_num_threads()
        rounds_s = getattr(self, "round_base_fastest_s", [])
        if self.target.device != "cpu" or threads < 2 or not rounds_s:
            return
        threaded_s = statistics.median(rounds_s)  # as the speed-up is the median over the same rounds
        torch.set_num_threads(1)
        try:
            one_s = min(_timed_for(self.base_stepper, self.opts.block_s, self.sync))
        finally:
            torch.set_num_threads(threads)
        r.baseline_thread_slowdown = threaded_s / max(one_s, 1e-12)
        if r.baseline_thread_slowdown > STARVED_FACTOR:
            r.notes.append(
                f"the baseline's fastest step at torch's {threads} threads, {fmt_seconds(threaded_s)} (median over the "
                f"rounds), is {fmt_ratio(r.baseline_thread_slowdown)}x its fastest at 1 thread, {fmt_seconds(one_s)}, "
                "timed right after: torch's threads waited for busy cores at every op, so the speed-up measures the "
                "load, not the technique")

    def remeasure(self, r: VariantResult, stepper: _Stepper, samples: list[float],
                  ratios: list[float]) -> tuple[list[float], list[float]]:
        """Rounds that disagree (round_spread over ROUND_SPREAD_LIMIT) are timed once more, `rounds` fresh rounds:
        the fresh set is used when its rounds agree (the first set caught a burst of load), else both sets are
        kept, and their spread keeps the variant from being recommended (recommend). Only a disagreeing variant
        pays for it: a quiet run times no extra round."""
        first = sorted(ratios)
        n_first = len(self.round_base_fastest_s)
        more_samples, more = self.interleave(stepper)
        steady = round_spread(more) <= ROUND_SPREAD_LIMIT
        if steady:  # the starvation check looks at the rounds the speed-up comes from
            self.round_base_fastest_s = self.round_base_fastest_s[n_first:]
        r.notes.append(
            f"its first {len(first)} A/B rounds disagreed ({fmt_ratio(1.0 / quantile(first, 0.9))}-"
            f"{fmt_ratio(1.0 / quantile(first, 0.1))}x, over {ROUND_SPREAD_LIMIT:g}x apart: the machine's load "
            f"changed while it was timed), so it was re-measured with {len(more)} more rounds: "
            + ("they agree, and the speed-up is theirs" if steady else "they disagree too, and the speed-up is the "
               "median of all its rounds"))
        return samples + more_samples, (more if steady else ratios + more)

    def quality(self, v: Variant, is_base: bool) -> Quality:
        bundle, target = self.bundle, self.target
        metric = self.result.metric
        train_finite = True
        steps = 0
        if target.mode == "train" and bundle.eval_batches is not None:
            steps = self.opts.quality_steps
            train_finite = _train_for_quality(v, bundle, target, steps)
        elif target.mode == "train":  # nothing to score: the same steps guard the loss alone (a NaN variant won)
            train_finite = _train_for_quality(v, bundle, target, self.opts.quality_steps)
        steps_run = self.opts.quality_steps if target.mode == "train" else 0
        if bundle.eval_batches is None and target.mode == "inference":
            if is_base:
                self.agreement_inputs, self.agreement_targets = _first_training_inputs(bundle)
            with seeded(QUALITY_SEED, target):  # a forward drawing random numbers draws the same for every variant
                scored = _outputs_on(v, bundle, target, self.agreement_inputs, self.agreement_targets)
            if is_base and not scored.finite:
                raise InputError(f"the baseline itself gives non-finite outputs (NaN/inf) on {bundle.name}'s first "
                                 "training batches" + (f": {scored.non_finite}" if scored.non_finite else ""),
                                 "fix the model or its data before optimizing it: if the inputs are finite, "
                                 + NON_FINITE_FORWARD_FIX)
        else:
            with seeded(QUALITY_SEED, target):
                scored = _score(v, bundle, target, keep_outputs=target.mode == "inference", strict=is_base)
        q = Quality(metric=metric, value=scored.value, finite=scored.finite and train_finite, train_steps=steps)
        if is_base:
            self.base_class_dim = scored.class_dim
            self.base_quality = scored.value
            if bundle.metric == "accuracy" and scored.value is not None:
                self.at_chance = accuracy_at_chance(scored.value, scored.classes, scored.counted)
                self._note_at_chance("ACCURACY", "labels", "above")
            if bundle.metric == "accuracy" and scored.value is not None and (
                    coarse := accuracy_resolution(scored.counted, self.result.quality_tolerance)):
                self.result.notes.append(coarse)
            if bundle.metric == "loss" and scored.value is not None and math.isfinite(scored.value):
                self.at_chance = loss_at_chance(scored.value, scored.classes, scored.cross_entropy)
                self._note_at_chance("LOSS", "targets", "below")
            if scored.scores_note:
                self.result.notes.append(scored.scores_note)
            if not q.finite:
                raise _baseline_not_finite(bundle, scored, train_finite, steps_run)
            if target.mode == "inference" and (first := self._first_compared_inputs()) is not None and (
                    randomness := random_outputs_note(v, bundle, target, *first)):
                self.result.notes.append(randomness)
                self.random_outputs = True
            q.delta, q.worse_by, q.within_tolerance = 0.0, 0.0, True
            if target.mode == "inference":
                self.base_scored = scored
                self.output_drifts(q, scored)
            return q
        if target.mode == "inference":
            self.output_drifts(q, scored)
        base = getattr(self, "base_quality", None)
        if target.mode == "train" and v.trained_steps > 0 and bundle.eval_batches is not None:
            q.own_train_steps = v.trained_steps
            same = self.same_budget_baseline(v.trained_steps, v.train_optimizer) \
                if q.finite and q.value is not None else None
            if same is not None:
                q.same_budget_baseline, q.same_budget_steps = same
                base = same[0]
        if q.value is not None and base is not None and q.finite:
            q.delta = q.value - base
            q.worse_by = worse_by(bundle, q.value, base)
            q.within_tolerance = q.worse_by <= self.result.quality_tolerance
        elif not q.finite:
            q.within_tolerance = False
        if any(d.within_tolerance is False for d in q.outputs):  # a --quality-tolerance given bounds each output
            q.within_tolerance = False
        return q

    def output_drifts(self, q: Quality, scored: _Scored) -> None:
        """q.outputs: each output against the baseline's (drift.drifts), checked against a --quality-tolerance the
        user gave (result.output_tolerance); q.max_abs_diff and top1_agreement: the scores'."""
        base = self.base_scored
        scores = (base.scores_name, scored.outputs, base.outputs, base.shapes.get(base.scores_name, []),
                  self.base_class_dim, base.scores_dtype)
        q.outputs = drifts(scores, scored.kept, base.kept, base.shapes)
        if self.result.output_tolerance:
            for d in q.outputs:
                check_tolerance(d, self.result.quality_tolerance, self.result.quality_tolerance_unit)
        mine = next((d for d in q.outputs if d.scores), None)
        q.max_abs_diff, q.top1_agreement = (mine.max_abs_diff, mine.top1_agreement) if mine else (None, None)

    def _first_compared_inputs(self) -> tuple[tuple[Any, ...], Any] | None:
        """The (inputs, targets) of the first batch the variants' outputs are compared on: the first held-out batch,
        else the first of agreement_inputs; None where there is none."""
        bundle = self.bundle
        if bundle.eval_batches is None:
            return (self.agreement_inputs[0], self.agreement_targets) if self.agreement_inputs else None
        what = "reading the first held-out batch again (eval_batches)"
        item = user_call(bundle, what, lambda: next(iter(bundle.eval_batches()), _END))  # type: ignore[misc]
        if item is _END:
            return None
        inputs, targets = _pair(item, bundle, "eval_batches")
        return as_tuple(inputs), targets

    def same_budget_baseline(self, extra: int, optimizer: tuple[str, Callable[[Any], Any]] | None = None
                             ) -> tuple[float, int] | None:
        """(the baseline's held-out value, its training steps in all) after `extra` training steps (train_for, the
        bundle's optimizer, on batches()) and then the quality steps every variant takes, from a fresh copy of the
        model: what a variant that trained `extra` steps in its making is compared with. prune-structured (200
        fine-tune steps) and distill (300) were compared with the baseline after its 8 quality steps alone, and on
        an untrained transformer their loss read 47-53% better, the training's gain, not the technique's. Cached by
        `extra` and `optimizer`; None when that baseline's loss or value is not finite (the baseline row's value is
        used, said). `optimizer` (Variant.train_optimizer): the one the variant's own steps used when not the bundle's
        (distill's AdamW at its lr), so that the comparison differs by the technique alone."""
        key = (extra, optimizer[0] if optimizer else None)
        if key in self.same_budget:
            return self.same_budget[key]
        from accelopt.optimize.compress import model_variant, train_for, train_step_for

        bundle, target = self.bundle, self.target
        self.say(f"  training a baseline copy {extra} more steps (the variant's own training) ...")
        model = _copied_for_baseline(bundle, target)
        # from compress.TRAIN_SEED, as every variant's own training: the same dropout masks and batch order
        step = train_step_for(model, bundle, optimizer=optimizer[1](model)) if optimizer else None
        run = train_for(model, bundle, target, what="in the baseline's training as long as a variant's",
                        max_steps=extra, budget_s=max(1.0, self.left_s()), step=step)
        v = model_variant("baseline", model, bundle, target)
        finite = _train_for_quality(v, bundle, target, self.opts.quality_steps)
        scored = _score(v, bundle, target, keep_outputs=False)
        value = scored.value
        ok = finite and scored.finite and value is not None and math.isfinite(value)
        self.same_budget[key] = (float(value), run.steps + self.opts.quality_steps) if ok and value is not None \
            else None
        return self.same_budget[key]

    def _same_budget_note(self, q: Quality, optimizer: str) -> str:
        """What the variant's quality change is measured against, when it trained steps of its own (`optimizer`:
        the words of the one both trained those steps with)."""
        steps = q.own_train_steps + q.train_steps
        if not q.finite or q.value is None:  # same_budget_baseline was not run: nothing to compare with
            return (f"quality: the variant trained {q.own_train_steps} steps in its making and {q.train_steps} "
                    f"quality steps ({steps} in all); its {q.metric} or training loss is not finite, so no baseline "
                    "was trained as long to compare it with")
        if q.same_budget_baseline is None:
            return (f"quality: the variant trained {q.own_train_steps} steps in its making and {q.train_steps} "
                    f"quality steps ({steps} in all) against the baseline row's {q.train_steps}; the baseline "
                    f"trained as long gave no finite {q.metric}, so the change is from the baseline row's, and part "
                    "of it is the extra training's, not the technique's")
        cut = (f" (the run's time budget stopped it at {q.same_budget_steps} of {steps})"
               if q.same_budget_steps < steps else "")
        return (f"quality: the variant trained {q.own_train_steps} steps in its making and {q.train_steps} quality "
                f"steps, {steps} in all against the baseline row's {q.train_steps}: its change is from the baseline "
                f"trained as long, {q.same_budget_steps} steps from the same weights with {optimizer}"
                f"{cut}, {q.metric} {_value_text(q.same_budget_baseline, self.result)} (the baseline row's figure is "
                f"after {q.train_steps} steps alone)")

    # ---- profile's bounds
    def _note_at_chance(self, metric: str, truth: str, side: str) -> None:
        """The note a baseline at chance gets (self.at_chance from accuracy_at_chance / loss_at_chance): the lossy
        variants are withheld, and what would let the metric guard quality."""
        if self.at_chance:
            self.result.notes.append(
                f"{metric} AT CHANCE: {self.at_chance}; no lossy variant (quantized, pruned, distilled) is "
                f"recommended: give eval_batches the model predicts (train it first, real {truth}), or more "
                f"held-out samples if it is only a little {side} chance")

    def profile(self) -> None:
        if not self.opts.profile_bounds:
            return
        try:
            from accelopt.measure.diagnose import diagnose
            from accelopt.measure.profiler import profile_step

            self.say("profiling the baseline (profile's 'gain up to' bounds) ...")
            b = dataclasses.replace(self.bundle, model=copy.deepcopy(self.bundle.model), meta=dict(self.bundle.meta))
            res = profile_step(b, mode=self.opts.mode, dtype=self.opts.dtype, device=self.opts.device, steps=5,
                               warmup=2, spec=self.opts.spec, breakdown_steps=3, profiler_steps=2)
            self.bounds = diagnose(res, spec=self.opts.spec)
            self.bound_steps = dict(res.breakdown or {})
            self.result.profile_verdict = self.bounds.verdict
            c = res.ceilings
            self.result.notes.append(
                f"profile's roofs behind the bounds: {c.peak_flop_per_s / 1e9:.4g} GFLOP/s, "
                f"{c.memory_bandwidth_byte_per_s / 1e9:.4g} GB/s ({c.source}"
                f"{'; a lower bound' if c.lower_bound else ''}); a roof measured low (e.g. under load) makes the "
                "'gain up to' bounds of compute-bound ops too small")
        except KeyboardInterrupt:
            raise
        except Exception as e:  # the bounds are context; a model profile cannot capture must still be optimized
            from accelopt.measure.profiler import ProfileFailed

            failed = isinstance(e, ProfileFailed) and e.__cause__ is not None
            cause = e.__cause__ if failed else e  # the model's error, not ProfileFailed's list of the passes kept
            where = f" (profile's {e.partial.interrupted_during} pass failed)" if isinstance(e, ProfileFailed) else ""
            self.result.notes.append(f"profile's bounds not available{where}: {type(cause).__name__}: "
                                     f"{str(cause)[:200]}")

    def bound(self, r: VariantResult) -> None:
        if self.bounds is None or r.name == "baseline":
            return
        from accelopt.measure.diagnose import gain_bound

        r.gain_bound, r.gain_bound_source = gain_bound(self.bounds, r.techniques)
        if r.gain_bound is not None and r.speedup is not None and r.speedup > r.gain_bound:
            r.above_bound = True
            r.notes.append(f"MEASURED GAIN {fmt_ratio(r.speedup)}x IS ABOVE PROFILE'S BOUND "
                           f"{fmt_ratio(r.gain_bound)}x: one of the two is wrong; investigate"
                           + bound_noise_text(self.bound_steps, r.techniques))

    # ---- techniques
    def selection(self) -> list[Technique]:
        known = all_techniques()
        chosen = list(known)
        check_technique_names(self.opts.only, self.opts.skip)
        if self.opts.only:
            chosen = [n for n in chosen if n in self.opts.only]
        return [known[n]() for n in chosen if n not in self.opts.skip]

    def try_one(self, techs: Sequence[tuple[Technique, dict[str, Any]]], base: Variant) -> VariantResult | None:
        """Apply the chain `techs` (each on the previous one's model) and measure it."""
        name = "+".join(t.name for t, _ in techs)
        last = techs[-1][0]
        r = VariantResult(name=name, techniques=[t.name for t, _ in techs], family="+".join(t.family for t, _ in techs),
                          status="not-run", changes="; ".join(t.changes for t, _ in techs),
                          risks="; ".join(t.risks for t, _ in techs))
        if self.left_s() <= 0:
            why = _not_applicable_anyway([t for t, _ in techs], self.bundle, self.target)
            r.status, r.reason = ("not-applicable", why) if why else ("not-run", BUDGET_CUT)
            return self.add(r)
        self.target = dataclasses.replace(self.target, budget_s=max(1.0, min(60.0, self.left_s())))
        bundle = self.bundle
        v: Variant | None = None
        prepares: list[Any] = []
        setup = 0.0
        trained = 0  # each step's own training steps (prune-structured's fine-tune in prune-structured+bf16)
        params: dict[str, Any] = {}
        earlier_notes: list[str] = []  # a chain's variant is its last step's: the earlier steps' notes were lost
        try:
            for t, opt in techs:
                why = t.not_applicable(bundle, self.target)
                if why:
                    r.status, r.reason = "not-applicable", why if len(techs) == 1 else f"{t.name}: {why}"
                    return self.add(r)
                self.say(f"  {name}: applying {t.name} ...")
                v = t.apply(bundle, self.target, dict(opt))
                setup += v.setup_s
                trained += v.trained_steps
                if v.prepare_inputs is not None:
                    prepares.append(v.prepare_inputs)
                params[t.name] = dict(v.params)
                if t is not last:
                    bundle = dataclasses.replace(bundle, model=v.model, meta=dict(bundle.meta),
                                                 batches=_prepared(bundle.batches, v.prepare_inputs))
                    earlier_notes += [f"{t.name}: {n}" for n in v.notes]
            assert v is not None
            if len(techs) > 1:
                v = dataclasses.replace(v, technique=name, setup_s=setup, prepare_inputs=_chain(prepares),
                                        params=params, notes=[*earlier_notes, *v.notes], trained_steps=trained)
            v = _under_dtype(v, self.target)
            self.add(r)
            self.say(f"  {name}: measuring ...")
            self.measure(r, v, base)
            if len(techs) == 1:
                r.params = dict(v.params)
            self.variants[name] = v
        except UnsupportedError as e:
            r.status, r.reason = "not-applicable", f"{e.problem} (fix: {e.fix})" if e.fix else e.problem
            if r not in self.result.variants:
                self.add(r)
        except ModelCodeError as e:  # the model's own code failed under this technique: that variant's failure
            r.status, r.reason = "failed", (e.problem + self._scores_hint([t for t, _ in techs])
                                            + _failed_fix(e.fix, [t.name for t, _ in techs]))
            if r not in self.result.variants:
                self.add(r)
        except InputError:
            raise
        except KeyboardInterrupt:
            if r not in self.result.variants:
                self.add(r)
            r.status, r.reason = "not-run", f"interrupted ({stopped_by()}) while it ran"
            raise
        except Exception as e:  # a technique's bug must not lose the other results
            r.status, r.reason = "failed", (f"{type(e).__name__}: {exception_text(e, 300)}"
                                            + self._scores_hint([t for t, _ in techs]))
            if r not in self.result.variants:
                self.add(r)
        return r

    def _scores_hint(self, techs: list[Technique]) -> str:
        """A failed prune-structured / distill on a model whose dict output has no 'logits' key: their output layer
        and soft targets come from the dict's first value, so a failure there (a pruned classifier's 'Target 4 is
        out of bounds') most likely means that value is not the scores; the pointer the bare error lacked."""
        note = next((n for n in self.result.notes if "none is 'logits'" in n), None)
        if note is None or not {t.name for t in techs} & {"prune-structured", "distill"}:
            return ""
        first = note.split("its first value, ", 1)[1].split(",", 1)[0]
        return (f" (the scores were taken as {first}, the dict's first value: if that is not the scores, return "
                "them under the key 'logits' or first)")

    def pairs(self, singles: list[tuple[Technique, VariantResult]]) -> list[list[Technique]]:
        """Compatible pairs of measured, faster-or-leaner, quality-keeping singles: a composable first, and no
        wrapping one (bf16's autocast) before one that refuses a wrapped model (onnx-*): bf16+onnx-int8 and
        bf16+onnx-fp32 took every combination slot of a CPU run and were both listed as not-applicable."""
        good = [(t, r) for t, r in singles if r.measured and r.quality and r.quality.within_tolerance is not False
                and (r.speedup or 0) > 1.0]
        out: list[tuple[float, list[Technique]]] = []
        for ta, ra in good:
            if not ta.composable:
                continue
            for tb, rb in good:
                if tb.name == ta.name or tb.family == ta.family or (ta.wraps_model and not tb.takes_wrapped_model):
                    continue
                out.append(((ra.speedup or 1) * (rb.speedup or 1), [ta, tb]))
        out.sort(key=lambda x: -x[0])
        seen: set[frozenset[str]] = set()
        chosen = []
        for _, pair in [(0.0, p) for p in self.compile_pairs(singles)] + out:
            key = frozenset(t.name for t in pair)
            if key not in seen:
                seen.add(key)
                chosen.append(pair)
        return chosen[: self.opts.combinations]

    def compile_pairs(self, singles: list[tuple[Technique, VariantResult]]) -> list[list[Technique]]:
        """On a CUDA target, each technique made to run compiled (Technique.made_for_compile: torchao's configs) that
        kept the quality but lost time, paired with `compile` where compile itself was measured: eager torchao ran
        int8-dynamic at 0.02x, float8-dynamic 0.08x and int4-weight-only 0.12x of bf16 eager on an H200
        (benchmarks/results/gpu_nvidia-h200), and the pairs above take only faster singles, so the compiled
        quantized model, the path torchao documents, was never measured. First in the list, slowest loss first
        out; --combinations still caps the total."""
        if not self.target.on_cuda:
            return []
        compiler = next((t for t, r in singles if t.name == "compile" and r.measured), None)
        if compiler is None:
            return []
        lost = [(r.speedup or 0.0, t) for t, r in singles
                if t.made_for_compile and r.measured and r.quality and r.quality.within_tolerance is not False
                and (r.speedup or 0.0) <= 1.0]
        return [[t, compiler] for _, t in sorted(lost, key=lambda x: -x[0])]

    def run(self) -> OptimizeResult:
        base_v = self.baseline()
        self.drop_inapplicable_steps()
        self.check_only_applies()
        self.check_bundle()
        current = "baseline"
        planned: list[Technique] = []  # the techniques the run means to try, for the not-run list after a Ctrl-C
        # the baseline's row before profile's minute: a Ctrl-C there left the result without one, and --save's
        # recipe.save (OptimizeResult.baseline) ended the run in an AssertionError, nothing printed
        r = self.add(VariantResult(name="baseline", techniques=[], family="", status="not-run",
                                   changes="the model as given"))
        try:
            self.profile()
            self.say("measuring the baseline ...")
            self.measure(r, base_v, None)
            self.variants["baseline"] = base_v
            if self.opts.recipe is not None and self.opts.recipe:
                known = all_techniques()
                chain = [(known[n](), p) for n, p in self.opts.recipe]
                current = "+".join(n for n, _ in self.opts.recipe)
                self.say(f"[1/1] {current}")
                self.try_one(chain, base_v)
            elif self.opts.recipe is None:
                techs = planned = self.selection()
                singles = []
                for i, t in enumerate(techs, 1):
                    current = t.name
                    self.say(f"[{i}/{len(techs)}] {t.name}")
                    res = self.try_one([(t, {})], base_v)
                    if res is not None:
                        singles.append((t, res))
                for pair in self.pairs(singles):
                    current = "+".join(t.name for t in pair)
                    self.say(f"[combination] {current}")
                    self.try_one([(t, {}) for t in pair], base_v)
        except KeyboardInterrupt:
            self.result.interrupted = True
            self.result.notes.append(f"interrupted ({stopped_by()}) during {current}; the results measured before are "
                                     "kept")
            if r.status == "not-run" and not r.reason:
                r.reason = f"interrupted ({stopped_by()}) before its measurement finished"
            self.not_started(planned)
        for r in self.skipped_steps:  # drop_inapplicable_steps: listed after the chain's row
            self.add(r)
        self.finish()
        return self.result

    def drop_inapplicable_steps(self) -> None:
        """--apply: each step of the recipe that never applies here (Technique.not_applicable on the model as given)
        is left out of the chain, named with its reason in a note and a not-applicable row; when none applies it is
        an InputError before anything is measured. A recipe of channels-last applied to an MLP measured the
        baseline, listed the chain as not-applicable and exited 0 recommending the baseline."""
        if not self.opts.recipe:
            return
        known = all_techniques()
        why = {n: _not_applicable_anyway([known[n]()], self.bundle, self.target) for n, _ in self.opts.recipe}
        out = [(n, w) for n, w in why.items() if w]
        if not out:
            return
        listed = "; ".join(f"{n}: {w}" for n, w in out)
        where = f"{self.bundle.name} ({self.target.mode}, {self.target.device}, {self.target.dtype})"
        if len(out) == len(self.opts.recipe):
            raise InputError(f"no technique of the recipe applies to {where}: {listed}",
                             "run `accelopt optimize MODEL` without --apply to measure the techniques that apply "
                             "here, or --apply a recipe that `optimize --save` wrote for this model and device")
        rest = [(n, p) for n, p in self.opts.recipe if not why[n]]
        self.opts = dataclasses.replace(self.opts, recipe=rest)
        self.skipped_steps = [VariantResult(name=n, techniques=[n], family=(t := known[n]()).family,
                                            status="not-applicable", reason=w, changes=t.changes, risks=t.risks)
                              for n, w in out]
        kept = "+".join(n for n, _ in rest)
        self.result.notes.append(f"skipped from the recipe, not applicable to {where}: {listed}; this run applies "
                                 f"the rest of its chain, {kept}")

    def check_only_applies(self) -> None:
        """--only: when no technique it names ever applies here (Technique.not_applicable on the model as given), an
        InputError naming each with its reason before anything is measured, as --apply's drop_inapplicable_steps does
        for a recipe: `optimize MODEL --only power-limit` on a CPU measured the baseline, listed power-limit as not
        applicable and exited 0 recommending the baseline. One that applies runs, and the table says why the others
        did not."""
        if self.opts.recipe is not None or not self.opts.only:
            return
        why = {t.name: _not_applicable_anyway([t], self.bundle, self.target) for t in self.selection()}
        if why and all(why.values()):
            where = f"{self.bundle.name} ({self.target.mode}, {self.target.device}, {self.target.dtype})"
            raise InputError(f"no technique of --only applies to {where}: "
                             + "; ".join(f"{n}: {w}" for n, w in why.items()),
                             "leave out --only to measure every technique that applies here, or name ones that do")

    def check_bundle(self) -> None:
        """Each technique the run will try checks the inputs only it reads (Technique.check_bundle), before anything
        is measured."""
        if self.opts.recipe is not None:
            known = all_techniques()
            techs = [(known[n](), dict(p)) for n, p in self.opts.recipe]
        else:
            techs = [(t, {}) for t in self.selection()]
        for t, options in techs:
            t.check_bundle(self.bundle, self.target, options)

    def not_started(self, planned: Sequence[Technique]) -> None:
        """List each planned technique that a Ctrl-C kept from starting as not run (they were left out of the
        result without a word, so a recommendation from 3 of 23 techniques read like one from all of them); one
        that never applies here says why, as when the budget runs out (power-limit on a CPU read 'interrupted
        (Ctrl-C) before it started', as if a run left alone would have measured it)."""
        for t in planned:
            if self.result.get(t.name) is None:
                why = _not_applicable_anyway([t], self.bundle, self.target)
                self.add(VariantResult(name=t.name, techniques=[t.name], family=t.family,
                                       status="not-applicable" if why else "not-run",
                                       reason=why or f"interrupted ({stopped_by()}) before it started",
                                       changes=t.changes,
                                       risks=t.risks))

    def note_budget_cut(self) -> None:
        """Say that the recommendation comes from the techniques the budget let start (as a Ctrl-C run says)."""
        cut = [r.name for r in self.result.variants if r.status == "not-run" and r.reason == BUDGET_CUT]
        if cut:
            n = len(cut)
            self.result.notes.append(
                f"the time budget (--budget-min {self.opts.budget_s / 60:g}) ran out before {n} "
                f"technique{'s' if n > 1 else ''} started ({', '.join(cut)}): the recommendation is the best of "
                "those measured; give a larger --budget-min, or --only, to measure the rest")

    def note_speedup_mismatches(self, base_p50_s: float, contention: ContentionReport) -> None:
        busy = load_seen(contention) if contention.busy else None
        for r in self.result.variants:
            if r.measured and r.name != "baseline" and r.speedup and r.step_time_p50_s:
                note = speedup_mismatch_note(r.name, r.speedup, r.step_time_p50_s, base_p50_s,
                                             rounds=(r.speedup_low, r.speedup_high), busy=busy)
                if note:
                    r.notes.append(note)

    def finish(self) -> None:
        import torch

        contention = _contention(self.watch, self.opts.device)
        base = self.result.get("baseline")
        if base is not None and base.measured and self.base_samples:  # every baseline block of the run
            xs = sorted(self.base_samples)
            base.step_time_p50_s, base.step_time_p99_s = statistics.median(xs), quantile(xs, 0.99)
            base.step_samples = len(xs)
            base.samples_per_s = self.bundle.batch_size / base.step_time_p50_s
            self.note_speedup_mismatches(base.step_time_p50_s, contention)
        pareto_flags(self.result.variants, self.bundle.higher_is_better)
        note_pointers_refused(self.result.variants)
        self.result.recommendation = recommend(
            self.result, fewer_threads_help=self.opts.device == "cpu" and torch.get_num_threads() > 1,
            at_chance=self.at_chance, random_outputs=self.random_outputs)
        self.result.duration_s = time.perf_counter() - self.t0
        self.result.contention = contention
        busy = _busy_note(contention)
        if busy:
            self.result.notes.insert(0, busy)
        self.note_budget_cut()
        if self.bundle.eval_batches is None:
            self.result.notes.append("the model has no eval_batches: quality was not measured, so no lossy variant "
                                     "(quantized, pruned, distilled) is recommended (see examples/my_model.py)"
                                     + (f"; each variant's outputs were compared with the baseline's on the first "
                                        f"{len(self.agreement_inputs)} training batches (max |diff|, top-1 agree; "
                                        "non-finite outputs fail it)" if self.agreement_inputs else "")
                                     + (f"; each variant's loss over {self.opts.quality_steps} training steps "
                                        "(--quality-steps) was checked finite" if self.target.mode == "train" else ""))


def _prepared(batches: Any, prepare: Any) -> Any:
    """`batches` with each batch's inputs passed through a chain step's prepare_inputs, for the next step's own
    first calls (compile warms the model on the bundle's first batch: a bf16 int4 model given fp32 inputs failed).
    Unchanged without a prepare."""
    if prepare is None:
        return batches

    def stream() -> Any:
        for inputs, targets in batches():
            yield prepare(as_tuple(inputs)), targets  # prepare_inputs takes and returns the inputs as a tuple

    return stream


def _under_dtype(v: Variant, target: Target) -> Variant:
    """An inference variant's forward under the baseline's --dtype bf16/fp16 autocast, as the baseline's is: it ran
    in fp32 (prune-*, distill, channels-last, compile, torchao int8 ...), so with --dtype bf16 on a CPU without bf16
    units every such variant read faster for leaving bf16. Not an ONNX Runtime variant (no torch model; it exports
    fp32, said in its notes) nor one already under autocast."""
    if target.mode != "inference" or target.dtype == "fp32" or v.model is None:
        return v
    if (wrapper_name(v.model) or "").startswith("autocast"):
        return v
    import torch

    from accelopt.optimize.steps import torch_dtype

    inner, dtype = v.forward, torch_dtype(target.dtype)

    def forward(*inputs: Any) -> Any:
        with torch.autocast(target.device_type, dtype=dtype):
            return inner(*inputs)

    return dataclasses.replace(v, forward=forward, notes=[*v.notes, f"run under the baseline's {target.dtype} "
                                                          f"autocast (--dtype {target.dtype}), as the baseline"])


def _contention(watch: Watch, device: str) -> ContentionReport:
    """What competed for the cores during the run (measure/contention's checks and thresholds), torch's intra-op
    threads counted on a CPU."""
    import torch

    threads = torch.get_num_threads() if device == "cpu" else None
    report = ContentionReport()
    check_setup(report, threads=threads, load_1min=watch.load_1min)
    watch.finish(report, ("step time",), threads=threads)
    return report


def _busy_note(report: ContentionReport) -> str | None:
    """A note when other processes competed for the cores during the run, None on a quiet machine. On a CPU the
    gains are the most distorted: torch's intra-op pool waits at every op for its threads to be scheduled, ONNX
    Runtime's (spinning off) less so. Measured on 2 cores at load 9: a 2-layer GPT-2's step took 264 ms at torch's
    2 threads, 1.1 ms at 1; onnx-fp32 read 307x."""
    if not report.busy:
        return None
    threads = report.threads
    advice = (f"on a CPU torch's {threads} intra-op threads wait for busy cores at every op, other runtimes less, "
              "so speed-ups over torch can be off by orders of magnitude: rerun on a quiet machine, or with --threads 1"
              if threads is not None and threads > 1 else "rerun on a quiet machine to trust them")
    return "BUSY MACHINE, step times and speed-ups disturbed: " + "; ".join(report.warnings) + "; " + advice


def _chain(prepares: list[Any]) -> Any:
    if not prepares:
        return None

    def prepare(inputs: tuple[Any, ...]) -> tuple[Any, ...]:
        for p in prepares:
            inputs = p(inputs)
        return inputs

    return prepare


def _relative_time(r: VariantResult, base_p50_s: float | None) -> float | None:
    """Step time as a fraction of the baseline's: 1 / the A/B speed-up the recommendation ranks by (robust to the
    machine's load); a variant without one (the baseline: 1) by its p50 over the baseline's p50. The p50s alone
    drift with the load between stretches of the run: a recommended variant showed as dominated by a slower one."""
    if r.speedup:
        return 1.0 / r.speedup
    if r.step_time_p50_s is not None and base_p50_s:
        return r.step_time_p50_s / base_p50_s
    return None


def _objectives(r: VariantResult, higher_is_better: bool | None, base_p50_s: float | None) -> list[float | None]:
    """Lower is better for each: step time (relative to the baseline's), memory, energy, and quality (negated
    when higher is better)."""
    q = r.quality.value if r.quality else None
    if q is not None and higher_is_better:
        q = -q
    return [_relative_time(r, base_p50_s), r.memory_bytes, r.energy_per_step_j, q]


def _dominates(a: list[float | None], b: list[float | None]) -> bool:
    """Objectives a are no worse than b on every one both have, and better on at least one."""
    pairs = [(x, y) for x, y in zip(a, b, strict=True) if x is not None and y is not None]
    return bool(pairs) and all(x <= y for x, y in pairs) and any(x < y for x, y in pairs)


def pareto_flags(variants: Sequence[VariantResult], higher_is_better: bool | None) -> None:
    """Sets `pareto` on each measured variant: no other measured one dominates it."""
    measured = [r for r in variants if r.measured]
    base_p50_s = next((r.step_time_p50_s for r in measured if r.name == "baseline"), None)
    objs = {id(r): _objectives(r, higher_is_better, base_p50_s) for r in measured}
    for r in measured:
        r.pareto = not any(_dominates(objs[id(o)], objs[id(r)]) for o in measured if o is not r)


def _output_out_text(d: OutputDrift, result: OptimizeResult) -> str:
    """'output 'boxes' drifts beyond --quality-tolerance 1 (% of the baseline): relative error 3.1%': why a variant
    whose metric kept within the tolerance is outside it."""
    tol = f"{result.quality_tolerance:g}{'%' if result.quality_tolerance_unit == 'percent' else ' points'}"
    if d.equal_fraction is not None:
        figure = f"{100 * (1 - d.equal_fraction):.3g}% of its {d.dtype} elements changed"
    elif d.relative_error is not None and result.quality_tolerance_unit == "percent":
        figure = f"relative error {100 * d.relative_error:.3g}% (max|diff| / the baseline's largest |value|)"
    elif d.top1_agreement is not None and result.quality_tolerance_unit == "points":
        figure = f"top-1 predictions disagree with the baseline's on {100 * (1 - d.top1_agreement):.3g}%"
    else:
        figure = d.note
    recipe = any(n.startswith("quality tolerance") and n.endswith(FROM_RECIPE) for n in result.notes)
    given = "the recipe's quality tolerance" if recipe else "--quality-tolerance"
    return f"OUTPUT OUT OF TOLERANCE: {d.name} {tuple(d.shape)} drifts beyond {given} {tol}: {figure}"


def _lossy(r: VariantResult) -> bool:
    """A technique of the variant changes what the model computes (Technique.lossy)."""
    known = all_techniques()
    return any(known[t].lossy for t in r.techniques if t in known)


def _quality_unmeasured(r: VariantResult) -> bool:
    return r.quality is None or r.quality.value is None


def _unguarded(r: VariantResult) -> bool:
    """On a model whose outputs are random (random_outputs_note), a variant whose quality was not measured (no
    eval_batches) and whose outputs are not the baseline's (top-1 agreement under 100%; without top-1, any |diff|):
    the comparison cannot tell what the technique changed from the draws (an onnx-* variant draws from ONNX Runtime's
    generator: an MC-dropout MLP's onnx-fp32 read 92.2% top-1 agreement and was recommended 'inside the tolerance',
    quality not measured). A torch variant drawing the same numbers compares as on a deterministic model (100%)."""
    q = r.quality
    if q is None or q.value is not None:
        return False
    if q.top1_agreement is not None:
        return q.top1_agreement < 1.0
    return q.max_abs_diff is None or q.max_abs_diff > 0.0


def recommend(result: OptimizeResult, fewer_threads_help: bool = True, at_chance: str | None = None,
              random_outputs: bool = False) -> Recommendation:
    """The fastest measured variant inside the quality tolerance whose speed-up holds in (nearly) every interleaved
    round beyond the baseline's own noise (speedup_low > _noise_floor), or, among those within noise of it (rounds'
    brackets overlapping) that no candidate is ahead of beyond noise, the one that loses less, then the simpler
    (_within_noise_pick); the baseline when none does. A recommendation left unstarred on the Pareto front says
    whose figures are ahead of it (_off_front_text).
    A lossy variant (quantized, pruned, distilled) whose quality was not measured is never recommended: nothing
    would guard what it changed (the reason names the fastest one withheld). Nor is a variant whose speed-up is
    above profile's 'gain up to' bound (above_bound): one of the two figures is wrong, and the reason says which
    variant and bound (a train run of a GRU LM on a busy machine recommended input-pipeline at 1.11x, rounds
    1.01-1.26x, where profile measured batch loading at 0.16% of the step: at most 1.0016x). fewer_threads_help:
    torch ran on a CPU at 2+ threads, so a variant passed over for the machine's load may be settled by rerunning
    with --threads 1 (a run already at 1 thread, or on a GPU, was told to rerun 'with --threads 1'). at_chance: why the
    baseline's held-out accuracy (accuracy_at_chance) or cross-entropy (loss_at_chance) is chance, which withholds every
    lossy variant as well. random_outputs: the baseline's outputs are random, so a variant of unmeasured quality whose
    outputs are not the baseline's is withheld too (_unguarded): nothing measured it within the tolerance."""
    or_one_thread = ", or with --threads 1" if fewer_threads_help else ""
    base = result.get("baseline")
    floor = _noise_floor(base)
    faster = [r for r in result.variants if r.measured and r.name != "baseline"
              and (r.quality is None or r.quality.within_tolerance is not False)
              and (r.speedup_low or 0) > floor]
    withheld = [r for r in faster if _lossy(r) and _quality_unmeasured(r)]
    withheld += [r for r in faster if random_outputs and r not in withheld and _unguarded(r)]
    chance = [r for r in faster if at_chance and _lossy(r) and r not in withheld]
    faster = [r for r in faster if r not in chance]
    base_p50_s = base.step_time_p50_s if base is not None else None
    unsteady = [r for r in faster if r not in withheld and _rounds_disagree(r)]  # each named for one reason
    starved = [r for r in faster if r not in withheld and r not in unsteady
               and (r.baseline_thread_slowdown or 0) > STARVED_FACTOR]
    disturbed = [r for r in faster if r not in withheld and r not in unsteady and r not in starved
                 and _disagrees(r.speedup, r.step_time_p50_s, base_p50_s)]
    above = [r for r in faster if r not in withheld and r not in unsteady and r not in starved and r not in disturbed
             and r.above_bound]
    ok = [r for r in faster if r not in withheld and r not in disturbed and r not in unsteady and r not in starved
          and r not in above]
    rec = _recommend_among(result, ok)
    others = " and the other lossy variants" if sum(map(_lossy, withheld)) > 1 else ""
    why_not: list[tuple[list[VariantResult], Callable[[VariantResult], str]]] = [
        (starved, lambda r: f"({fmt_ratio(r.speedup)}x), whose baseline at torch's threads was "
                            f"{fmt_ratio(r.baseline_thread_slowdown)}x slower than at 1 thread (over "
                            f"{STARVED_FACTOR:g}x: its threads waited for busy cores, see its notes): rerun with "
                            "--threads 1, or on a quiet machine"),
        (unsteady, lambda r: f"({fmt_ratio(r.speedup)}x, the median of its rounds), whose rounds disagree "
                             f"({fmt_ratio(r.speedup_low)}-{fmt_ratio(r.speedup_high)}x, over {ROUND_SPREAD_LIMIT:g}x "
                             "apart, after a re-measure: the machine's load changed while it was timed): rerun on a "
                             f"quiet machine{or_one_thread}"),
        (disturbed, lambda r: f"({fmt_ratio(r.speedup)}x from its rounds), whose p50 step time says otherwise by "
                              f"over {MISMATCH_FACTOR:g}x (the machine's load: rerun on a quiet machine"
                              f"{or_one_thread})"),
        (above, lambda r: f"({fmt_ratio(r.speedup)}x), above profile's bound {fmt_ratio(r.gain_bound)}x on what it "
                          f"changes ({r.gain_bound_source}): one of the two is wrong; rerun on a quiet machine"
                          f"{or_one_thread}, and if the gain holds there, the bound is what is wrong "
                          "(--no-profile-bounds ranks without it)"),
        (withheld, lambda r: f"({fmt_ratio(r.speedup)}x){others}, whose quality was not measured (give the model "
                             "eval_batches, see examples/my_model.py, to have it checked)"
                             + (f"{_agree_text(r)}, and the model's outputs are random (RANDOM OUTPUTS), so that "
                                "comparison cannot tell the technique's change from the draws"
                                if random_outputs and not _lossy(r) else "")),
        (chance, lambda r: f"({fmt_ratio(r.speedup)}x){' and the other lossy variants' if len(chance) > 1 else ''}, "
                           f"whose {result.metric} cannot guard quality here: {at_chance}"
                           + _agree_text(r)),
    ]
    for group, why in why_not:  # the fastest of each group passed over, where it beat the recommendation
        top = max(group, key=lambda r: r.speedup or 0, default=None)
        if top is not None and (top.speedup or 0) > (rec.speedup or 1.0):
            rec.reason += f"; not recommended: {top.name} {why(top)}"
    rec.reason += _unsteady_text(result, rec) + _self_noise_text(result, rec, floor) + _off_front_text(result, rec, ok)
    return rec


def _agree_text(r: VariantResult) -> str:
    """' (its top-1 predictions agree with the baseline's on 12.5%)': how much a withheld variant changed them."""
    agree = r.quality.top1_agreement if r.quality is not None else None
    return f" (its top-1 predictions agree with the baseline's on {agree:.1%})" if agree is not None else ""


def _noise_floor(base: VariantResult | None) -> float:
    """The speed-up a variant's pessimistic round must beat to be told from noise: the optimistic round of the
    baseline timed against itself (_Run.self_noise, kept as the baseline's speedup_high), and at least 1.0 (a
    result without that measurement: the baseline's bracket is 1.0-1.0)."""
    high = base.speedup_high if base is not None and base.measured else None
    return max(1.0, high if high is not None and math.isfinite(high) else 1.0)


def _self_noise_text(result: OptimizeResult, rec: Recommendation, floor: float) -> str:
    """Why the fastest variant faster than the baseline in every round, above the recommendation and inside the
    tolerance, was still passed over: its pessimistic round does not beat the baseline timed against itself."""
    base = result.get("baseline")
    noisy = [r for r in result.variants if r.measured and r.name != "baseline"
             and (r.quality is None or r.quality.within_tolerance is not False)
             and 1.0 < (r.speedup_low or 0) <= floor and (r.speedup or 0) > (rec.speedup or 1.0)]
    top = max(noisy, key=lambda r: r.speedup or 0, default=None)
    if top is None or base is None:
        return ""
    return (f"; not recommended: {top.name} ({fmt_ratio(top.speedup)}x, rounds {fmt_ratio(top.speedup_low)}-"
            f"{fmt_ratio(top.speedup_high)}x), within noise of the baseline: timed against itself, the baseline "
            f"read rounds {fmt_ratio(base.speedup_low)}-{fmt_ratio(base.speedup_high)}x, and its pessimistic round "
            "does not beat that optimistic one; rerun with more --rounds or a longer --block-s, on a quiet machine, "
            "to settle it")


def _off_front_text(result: OptimizeResult, rec: Recommendation, ok: list[VariantResult]) -> str:
    """Why the recommendation is not starred on the Pareto front (pareto_flags, exact figures) where a measured
    variant's figures are ahead of it on every measure: a candidate ahead by less than each measure's noise, or one
    not recommended (its reason above or in its notes)."""
    chosen, base = result.get(rec.name), result.get("baseline")
    if chosen is None or not chosen.measured or rec.name == "baseline":
        return ""
    base_p50_s = base.step_time_p50_s if base is not None else None
    mine = _objectives(chosen, result.higher_is_better, base_p50_s)
    over = [r for r in result.variants if r.measured and r is not chosen
            and _dominates(_objectives(r, result.higher_is_better, base_p50_s), mine)]
    if not over:
        return ""
    top = max(over, key=lambda r: r.speedup or 0)
    why = ("by less than each measure's noise (speed-up rounds overlapping, memory and energy within "
           f"{MEMORY_NOISE_FRACTION:.0%}, quality no worse)" if top in ok
           else "but it is not a candidate (see its reason or notes)")
    return (f"; off the Pareto front (no *): {top.name}'s figures ({fmt_ratio(top.speedup)}x) are ahead of it on "
            f"every measure, {why}")


def _unsteady_text(result: OptimizeResult, rec: Recommendation) -> str:
    """Why the variant of the highest median speed-up above the recommendation's, inside the tolerance, was passed
    over: its pessimistic round was not faster than the baseline (speedup_low <= 1). The reason said 'fastest inside
    the tolerance: channels-last 1.12x' beside fused-optimizer's 1.41x in the table, and nothing of why."""
    unsteady = [r for r in result.variants if r.measured and r.name != "baseline"
                and (r.quality is None or r.quality.within_tolerance is not False)
                and (r.speedup_low or 0) <= 1.0 < (r.speedup or 0) and (r.speedup or 0) > (rec.speedup or 1.0)]
    top = max(unsteady, key=lambda r: r.speedup or 0, default=None)
    if top is None:
        return ""
    return (f"; not recommended: {top.name} ({fmt_ratio(top.speedup)}x, the median of its rounds), which was not "
            f"faster than the baseline in every round ({fmt_ratio(top.speedup_low)}x in its pessimistic one): rerun "
            "with more --rounds, on a quiet machine, to settle it")


def _overlaps(a: VariantResult, b: VariantResult) -> bool:
    """The rounds' brackets (speedup_low-speedup_high, the 10th-90th percentile of the per-round ratios, the
    spread the table prints beside the speed-up) overlap: the rounds cannot tell the two speed-ups apart."""
    if None in (a.speedup_low, a.speedup_high, b.speedup_low, b.speedup_high):
        return False
    return max(a.speedup_low or 0, b.speedup_low or 0) <= min(a.speedup_high or 0, b.speedup_high or 0)


def _loss_key(r: VariantResult) -> tuple[bool, float]:
    """What the variant gives up: a lossy technique (Technique.lossy) whose measured quality is worse than the
    baseline's first, then how much worse its measured quality is (worse_by; a gain counts as none: it is as likely
    noise as a loss is). A lossy variant that measured no loss counts as lossless: a GRU LM's onnx-int8 (5.12x, loss
    5.3164, less memory) lost to onnx-fp32 (3.19x, loss 5.3173) as 'lossless' though it was ahead on every figure."""
    worse = max(r.quality.worse_by if r.quality is not None and r.quality.worse_by is not None else 0.0, 0.0)
    return _lossy(r) and (worse > 0.0 or _quality_unmeasured(r)), worse


MEMORY_NOISE_FRACTION = 0.3
MEMORY_NOISE_BYTES = 16 * 2**10
"""Two memory figures closer than MEMORY_NOISE_FRACTION of the larger, or MEMORY_NOISE_BYTES, are within noise: on a
CPU the step's peak is an RSS high-water mark, which moves by whole 4 KiB pages and with the allocator's arenas.
prune-unstructured, whose weights are the baseline's own dense tensors, read 0.71x-1.23x of the baseline's memory
in the recorded CPU inference runs of 2026-12-05 (utopt3's trials: dwnet, reg, grulm, dictout) and 16 KiB more on a
180 B model (tiny). Energy per step (one meter window, no spread measured) is given the same fraction."""


def _apart(a: float | None, b: float | None, floor: float) -> int:
    """-1 when a is below b beyond noise (MEMORY_NOISE_FRACTION of the larger, at least `floor`), 1 when above, 0
    within noise or unknown."""
    if a is None or b is None:
        return 0
    band = max(MEMORY_NOISE_FRACTION * max(abs(a), abs(b)), floor)
    return -1 if b - a > band else (1 if a - b > band else 0)


def _ahead_beyond_noise(d: VariantResult, x: VariantResult) -> list[str]:
    """The measures on which d is ahead of x beyond noise, where d is behind on none beyond noise (else []): speed-up
    (rounds' brackets apart), memory and energy per step (MEMORY_NOISE_FRACTION), quality (worse_by, a gain counting
    as none, as _loss_key: the held-out batches are the same for both, so any loss is the variant's)."""
    ahead, behind = [], False
    if None not in (d.speedup_low, d.speedup_high, x.speedup_low, x.speedup_high):
        if (d.speedup_low or 0) > (x.speedup_high or 0):
            ahead.append("speed-up")
        behind |= (d.speedup_high or 0) < (x.speedup_low or 0)
    for what, dv, xv, floor in (("memory", d.memory_bytes, x.memory_bytes, MEMORY_NOISE_BYTES),
                                ("energy", d.energy_per_step_j, x.energy_per_step_j, 0.0)):
        side = _apart(dv, xv, floor)
        if side < 0:
            ahead.append(what)
        behind |= side > 0
    dq, xq = _loss_key(d)[1], _loss_key(x)[1]
    if dq < xq:
        ahead.append("quality")
    behind |= dq > xq
    return [] if behind else ahead


def _within_noise_pick(fastest: VariantResult, ok: list[VariantResult]) -> VariantResult:
    """Among the variants whose rounds overlap the fastest median's (within noise of it) and that no other candidate
    is ahead of beyond noise (_ahead_beyond_noise), the one that loses less (_loss_key), then the simpler (fewer
    techniques), then the faster median. A 2-technique lossy chain at 2.21x was recommended over a lossless single
    technique at 2.20x from rounds that could not tell them apart."""
    tied = [r for r in ok if r is fastest or _overlaps(r, fastest)]
    kept = [r for r in tied if not any(_ahead_beyond_noise(o, r) for o in ok if o is not r)] or tied
    return min(kept, key=lambda r: (_loss_key(r), len(r.techniques), -(r.speedup or 0)))


def _noise_text(fastest: VariantResult, chosen: VariantResult, result: OptimizeResult, tol: str) -> str:
    """The reason's clause for a choice other than the fastest median: whose rounds it overlaps, and why it won, with
    the figures (what the fastest loses; the measures the chosen is ahead on beyond noise)."""
    why, figures = [], []
    if _loss_key(chosen) < _loss_key(fastest):
        lost = _loss_key(chosen)[0] or _loss_key(chosen)[1] > 0
        why.append("loses less" if lost else "lossless" if not _lossy(chosen) else "no quality loss measured")
        figures.append(f"{fastest.name} loses {_worse_text(fastest, result)}"
                       + (f", {chosen.name} {_worse_text(chosen, result)}" if _loss_key(chosen)[1] > 0 else ""))
    ahead = [a for a in _ahead_beyond_noise(chosen, fastest) if a != "quality" or not why]  # quality said above
    if ahead:
        why.append(f"ahead of it beyond noise on {' and '.join(ahead)}")
        figures += [f for f in (_figure_text(what, chosen, fastest, result) for what in ahead) if f]
    if len(chosen.techniques) < len(fastest.techniques):
        why.append(f"{len(chosen.techniques)} technique{'s' if len(chosen.techniques) > 1 else ''} "
                   f"instead of {len(fastest.techniques)}")
    return (f"within noise of {fastest.name} ({fmt_ratio(fastest.speedup)}x, rounds {fmt_ratio(fastest.speedup_low)}-"
            f"{fmt_ratio(fastest.speedup_high)}x, overlapping {chosen.name}'s): chose {chosen.name}, "
            f"{', '.join(why) or 'no worse'}{' (' + '; '.join(figures) + ')' if figures else ''}, inside the "
            f"tolerance ({tol})")


def _worse_text(r: VariantResult, result: OptimizeResult) -> str:
    """How much worse r's quality is than the baseline's, in the tolerance's unit, with both values as the table
    prints them."""
    q, base_q = r.quality, result.baseline.quality
    if q is None or q.worse_by is None or q.value is None or base_q is None or base_q.value is None:
        return "quality not measured"
    amount = (f"{max(q.worse_by, 0.0):.3g} accuracy points" if result.quality_tolerance_unit == "points"
              else f"{max(q.worse_by, 0.0):.3g}%")
    return f"{amount}: {result.metric} {_value_text(q.value, result)} vs {_baseline_text(q, base_q.value, result)}"


def _baseline_text(q: Quality, base_value: float, result: OptimizeResult) -> str:
    """The baseline a variant's quality is compared with, as the table's cell says it: the baseline trained as
    long as the variant (Quality.same_budget_baseline) where it trained in its making, else the baseline row's."""
    if q.same_budget_baseline is not None:
        return (f"the baseline trained as long, {_value_text(q.same_budget_baseline, result)} after "
                f"{q.same_budget_steps} steps")
    return f"baseline {_value_text(base_value, result)}"


def _figure_text(what: str, a: VariantResult, b: VariantResult, result: OptimizeResult) -> str | None:
    """One measure of a against b as the table prints it (memory, energy per step; quality by _worse_text)."""
    if what == "memory" and a.memory_bytes is not None and b.memory_bytes is not None:
        return (f"memory {fmt_bytes(a.memory_bytes, binary=True)} vs {fmt_bytes(b.memory_bytes, binary=True)}, "
                f"over {MEMORY_NOISE_FRACTION:.0%} apart")
    if what == "energy" and a.energy_per_step_j is not None and b.energy_per_step_j is not None:
        return (f"energy/step {fmt_joules(a.energy_per_step_j)} vs {fmt_joules(b.energy_per_step_j)}, over "
                f"{MEMORY_NOISE_FRACTION:.0%} apart")
    if what == "quality":
        return f"{a.name} {_worse_text(a, result)}, {b.name} {_worse_text(b, result)}"
    return None


def _counts_lossless_text(best: VariantResult, tied: list[VariantResult], result: OptimizeResult) -> str:
    """Where a lossy variant with no measured loss was chosen within noise of a lossless one: says that it counts as
    lossless, with the figures."""
    plain = [r for r in tied if r is not best and not _lossy(r)]
    if not _lossy(best) or _loss_key(best)[0] or not plain:
        return ""
    other = max(plain, key=lambda r: r.speedup or 0)
    agree = best.quality.top1_agreement if best.quality is not None else None
    # the outputs did change: say by how much, beside the metric the tolerance is on
    agreed = f"; its top-1 predictions agree with the baseline's on {agree:.1%}" if agree is not None else ""
    return (f"; {other.name} (lossless, {fmt_ratio(other.speedup)}x, rounds {fmt_ratio(other.speedup_low)}-"
            f"{fmt_ratio(other.speedup_high)}x) is within noise of it, and {best.name} measured no quality loss "
            f"({_worse_text(best, result)}{agreed}), so it counts as lossless")


def _recommend_among(result: OptimizeResult, ok: list[VariantResult]) -> Recommendation:
    singles = [r for r in ok if len(r.techniques) == 1]
    best_single = max(singles, key=lambda r: r.speedup or 0, default=None)
    fastest = max(ok, key=lambda r: r.speedup or 0, default=None)
    best = _within_noise_pick(fastest, ok) if fastest is not None else None
    tol = f"{result.quality_tolerance:g} {'accuracy points' if result.quality_tolerance_unit == 'points' else '%'}"
    if result.metric is None:  # nothing was scored: no tolerance was applied to a quality figure
        tol = "no quality metric measured"
    if best is None:
        # the baseline's 1.0 is by definition, once it was timed: a Ctrl-C before its timing said 1.0 of nothing
        base = result.get("baseline")
        timed = base is not None and base.measured
        return Recommendation(name="baseline", techniques=[], speedup=1.0 if timed else None,
                              reason=_no_variant_text(result, tol) + ("" if timed else "; speed-up not measured (the "
                                                                      "baseline was not timed)"))
    q = best.quality
    base_q = result.baseline.quality
    # as the table shows them (the reason said 'accuracy 0.375 vs baseline 0.5781' beside 37.50% and 57.81%)
    qtext = (f"{result.metric} {_value_text(q.value, result)} vs {_baseline_text(q, base_q.value, result)}"
             if q and q.value is not None and base_q and base_q.value is not None else "quality not measured")
    lead = ("fastest, " + tol if result.metric is None and (best is fastest or fastest is None)
            else f"fastest inside the tolerance ({tol})" if best is fastest or fastest is None
            else _noise_text(fastest, best, result, tol))
    return Recommendation(name=best.name, techniques=list(best.techniques), speedup=best.speedup,
                          reason=f"{lead}: {fmt_ratio(best.speedup)}x "
                                 f"(rounds {fmt_ratio(best.speedup_low)}-{fmt_ratio(best.speedup_high)}x), {qtext}"
                                 + _counts_lossless_text(best, [r for r in ok if _overlaps(r, best)], result),
                          best_single=best_single.name if best_single else None,
                          best_single_speedup=best_single.speedup if best_single else None)


def _value_text(value: float, result: OptimizeResult) -> str:
    """A quality value as the results table prints it (report.optimize_view.quality_text): accuracy in percent."""
    return fmt_accuracy(value) if result.metric == "accuracy" else f"{value:.4g}"


def _no_variant_text(result: OptimizeResult, tol: str) -> str:
    """Why the baseline is recommended. With no variant measured (none applied, or Ctrl-C before the first finished)
    the reason said none 'was faster in nearly every interleaved round', of variants never timed."""
    tried = [r for r in result.variants if r.name != "baseline" and (r.measured or r.status == "quality-failure")]
    if not tried:
        return ("no variant was measured (no technique applied, or the run stopped before the first one finished): "
                "the model as given")
    if result.metric is None:
        return f"no variant was faster in nearly every interleaved round ({tol})"
    return (f"no variant was faster in nearly every interleaved round while keeping {result.metric} within {tol} "
            "of the baseline")


def check_technique_names(only: Sequence[str] | None, skip: Sequence[str]) -> None:
    """Every name in --only/--skip is a technique: an InputError naming the known ones (before any measuring)."""
    for flag, names in (("--only", only or []), ("--skip", skip)):
        for n in names:
            technique_named(n, flag)


def check_only_mode(only: Sequence[str] | None, mode: str) -> None:
    """A technique named in --only that never applies in `mode` is an error before the baseline is measured (it
    was measured, then the technique listed as not applicable)."""
    known = all_techniques()
    wrong = [n for n in only or [] if n in known and mode not in known[n].modes]
    if wrong:
        other = "train" if mode == "inference" else "inference"
        raise InputError(f"--only {', '.join(wrong)}: {' and '.join(wrong)} appl{'y' if len(wrong) > 1 else 'ies'} "
                         f"to --mode {other} only, and this run is --mode {mode}",
                         f"pass --mode {other}, or leave {', '.join(wrong)} out of --only")


def note_pointers_refused(variants: Sequence[VariantResult]) -> None:
    """Append to a not-applicable reason that points at other techniques ('— use onnx-int8-static ...') that those
    did not apply either, where this run tried them and they refused (or failed): each reason is decided before the
    techniques it names are tried (base.applicable_of asks their not_applicable, which cannot see an export fail),
    so a user CNN calling torch.linalg.eigvalsh was sent from int8-dynamic, int8-weight-only and onnx-int8 to
    onnx-int8-static, whose ONNX export then failed, two rows below."""
    import re

    refused = {r.name: r.status for r in variants if r.status in ("not-applicable", "failed")}
    names = sorted(all_techniques(), key=len, reverse=True)  # onnx-int8-static before onnx-int8
    for r in variants:
        if r.status != "not-applicable" or not r.reason or " — use " not in r.reason:
            continue
        advice = r.reason.split(" — use ", 1)[1].split(" (fix:", 1)[0]
        named = [n for n in names if re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", advice)]
        both = [n for n in named if n in refused and n != r.name]
        if not named or len(both) != len(named):
            continue
        said = ", ".join(f"{n} {'failed' if refused[n] == 'failed' else 'did not apply'}" for n in sorted(both))
        r.reason += f" (but in this run {said}: see {'its row' if len(both) == 1 else 'their rows'})"


def run_optimize(bundle: ModelBundle, opts: RunOptions) -> tuple[OptimizeResult, dict[str, Variant]]:
    """Measure the baseline and the techniques (or the recipe's chain); the result and the variants made. `only` and
    `skip` may name families (base.expand_families), as --only/--skip do."""
    opts = dataclasses.replace(opts, only=expand_families(opts.only, "--only", opts.mode),
                               skip=expand_families(opts.skip, "--skip", opts.mode) or [])
    check_technique_names(opts.only, opts.skip)
    check_only_mode(opts.only, opts.mode)
    for i, (name, params) in enumerate(opts.recipe or []):  # as load_recipe does for a file: before measuring
        check_step(i, name, params, opts.mode, "recipe")
    bundle.check_batch_rows()  # samples/s and grad-accumulation's micro-batches are counted from batch_size
    run = _Run(bundle, opts)
    result = run.run()
    return result, run.variants
