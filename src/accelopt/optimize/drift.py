"""Each output of a variant against the baseline's: max |diff|, relative error, top-1 agreement where the output is
class scores, and the fraction of equal elements of an integer or boolean output, which has no |diff|.

optimize compared the first Tensor of the output (the scores) only: a detection head's boxes, a second task head, an
LSTM language model's state, a dict's other values drifted unseen. The relative error is normwise, max |a - b| /
max |b| (the infinity-norm relative error, Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed., sec. 6.1),
so an output with zeros in it has one (an elementwise |a - b| / |b| is 0/0 at every zero).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from accelopt.optimize.results import OutputDrift

__all__ = ["CLASS_SCORES_KEY", "NOT_COMPARED", "Kept", "check_tolerance", "drifts", "kept_outputs", "named_tensors"]

CLASS_SCORES_KEY = "logits"
"""An output besides the scores is taken as class scores (top-1 agreement) when its key or field name holds this:
Hugging Face's ModelOutput names its prediction scores so (logits, start_logits, end_logits; transformers
modeling_outputs.py). Nothing else tells class scores from boxes or a hidden state, whose argmax means nothing."""

Kept = list[tuple[str, Any]]
"""One batch's outputs as kept for the comparison: (name, Tensor on the CPU), in the order the model returns them."""


def named_tensors(out: Any, name: str = "output") -> Kept:
    """Every Tensor of a model's output with its name, as compress.non_finite_other_output names them ('output item
    1', "output 'boxes'", 'output item 1.0', "output field 'var'"), through tuples/lists, dicts (Hugging Face's
    ModelOutput) and dataclasses."""
    import torch

    if isinstance(out, torch.Tensor):
        return [(name, out)]
    items: list[tuple[str, Any]] = []
    if isinstance(out, tuple | list):
        items = [(f"{name}.{i}" if name.endswith(tuple("0123456789")) else f"{name} item {i}", v)
                 for i, v in enumerate(out)]
    elif isinstance(out, dict):
        items = [(f"{name} {k!r}", v) for k, v in out.items()]
    elif dataclasses.is_dataclass(out) and not isinstance(out, type):
        items = [(f"{name} field {f.name!r}", getattr(out, f.name)) for f in dataclasses.fields(out)]
    return [t for n, v in items for t in named_tensors(v, n)]


def kept_outputs(raw: Any, scores: Any, cap: Any) -> tuple[Kept, str | None]:
    """The outputs of `raw` other than `scores` (kept by the caller as before), each cut by `cap` (runner._capped:
    an LM's hidden states may be GBs) and copied to the CPU in its own dtype; and the scores' name (None: `raw`
    does not hold them, as a callable's output may not)."""
    kept: Kept = []
    scores_name = None
    for n, t in named_tensors(raw):
        if t is scores:
            scores_name = n
            continue
        kept.append((n, cap(t).detach().cpu()))
    return kept, scores_name


NOT_COMPARED = "not compared"
"""Ends the note of an output the variant changed past comparing (no such Tensor, another shape): beyond any
tolerance (check_tolerance)."""


def _one(name: str, outs: Sequence[Any], base: Sequence[Any], shape: list[int], top1_dim: int | None,
         dtype: Any = None) -> OutputDrift:
    """One output over the compared batches; `top1_dim`: where its classes are, None where it is not class scores;
    `dtype`: the output's own (the scores are kept cast to fp32), else the kept Tensors'."""
    import torch

    dtype = dtype if dtype is not None else base[0].dtype
    d = OutputDrift(name=name, shape=shape, dtype=str(dtype).removeprefix("torch."))
    if len(outs) != len(base) or any(a is None for a in outs):
        d.note = f"the variant's output has no such Tensor: {NOT_COMPARED}"
        return d
    if any(a.shape != b.shape for a, b in zip(outs, base, strict=True)):
        other = next(a for a, b in zip(outs, base, strict=True) if a.shape != b.shape)
        d.note = f"the variant's has shape {tuple(other.shape)}, the baseline's {tuple(shape)}: {NOT_COMPARED}"
        return d
    if not (dtype.is_floating_point or dtype.is_complex):  # class ids, a boolean mask
        same = sum(int((a == b).sum()) for a, b in zip(outs, base, strict=True))
        total = sum(b.numel() for b in base)
        d.equal_fraction = same / total if total else None
        d.note = (f"{d.dtype} output: no |diff| is defined for it; the fraction of its elements equal to the "
                  "baseline's is given instead")
        return d
    if not all(bool(torch.isfinite(a).all()) for a in outs):
        d.note = "the variant's output holds NaN/inf: not compared (a quality failure)"
        return d
    pairs = [(a.float(), b.float()) for a, b in zip(outs, base, strict=True) if b.numel()]
    diff = max((float((a - b).abs().max()) for a, b in pairs), default=0.0)
    scale = max((float(b.abs().max()) for _, b in pairs), default=0.0)
    d.max_abs_diff = diff
    if scale > 0:
        d.relative_error = diff / scale
    elif diff == 0:
        d.relative_error = 0.0  # 0/0 of an all-zero output unchanged: no drift
    else:
        d.note = "the baseline's output is all zeros: no scale for a relative error (max |diff| is absolute)"
    # class scores have a batch dimension and classes: a (B,) regression's argmax is over the samples
    if top1_dim is not None and base[0].dim() >= 2 and base[0].shape[top1_dim] > 1:
        same = sum(int((a.argmax(top1_dim) == b.argmax(top1_dim)).sum()) for a, b in zip(outs, base, strict=True))
        total = sum(int(b.argmax(top1_dim).numel()) for b in base)
        d.top1_agreement = same / total if total else None
    return d


def drifts(scores: tuple[str, list[Any], list[Any], list[int], int, Any] | None, kept: Sequence[Kept],
           base_kept: Sequence[Kept], base_shapes: dict[str, list[int]]) -> list[OutputDrift]:
    """Every output's drift, in the baseline's order. `scores`: (its name, the variant's and the baseline's kept
    scores, its shape, its class dim, its dtype), None where the output has no scores; `kept`/`base_kept`: per
    batch, the other outputs (kept_outputs)."""
    out: list[OutputDrift] = []
    if scores is not None and scores[2]:
        name, mine, theirs, shape, dim, dtype = scores
        d = _one(name, mine, theirs, shape, dim, dtype)
        d.scores = True
        out.append(d)
    names = [n for n, _ in base_kept[0]] if base_kept else []
    for n in names:
        theirs = [dict(b).get(n) for b in base_kept]
        mine = [dict(b).get(n) for b in kept] if len(kept) == len(base_kept) else [None] * len(theirs)
        out.append(_one(n, mine, theirs, base_shapes.get(n, list(theirs[0].shape)),
                        -1 if CLASS_SCORES_KEY in n.lower() else None))
    return out


def check_tolerance(d: OutputDrift, tolerance: float, unit: str) -> None:
    """d.within_tolerance against a --quality-tolerance the user gave: 'percent' bounds the relative error in
    percent, 'points' (accuracy) the top-1 disagreement in percentage points; an integer/boolean output's elements
    changed count in either (class ids, a mask: each a prediction). Left None where the unit has no figure to
    bound (points on an output that is not class scores), or the output was not compared (its note says why)."""
    changed = None if d.equal_fraction is None else 100.0 * (1.0 - d.equal_fraction)
    if unit == "percent":
        figure = changed if changed is not None else (None if d.relative_error is None else 100.0 * d.relative_error)
        if figure is None and d.max_abs_diff is not None and d.max_abs_diff > 0:
            figure = float("inf")  # an all-zero baseline moved: infinitely far in percent of it
    else:
        figure = changed if changed is not None else (None if d.top1_agreement is None
                                                      else 100.0 * (1.0 - d.top1_agreement))
    if figure is None and d.note.endswith(NOT_COMPARED):
        figure = float("inf")
    d.within_tolerance = None if figure is None else figure <= tolerance
