"""Layout search: enumerate every valid layout, evaluate them vectorised, filter, rank, Pareto front.

The same `training.evaluate` predicts every candidate, so `plan` and `plan explain` always agree.
Enumerated per device kind and device count n (all combinations, then the rules of
`training.structural_problems` remove invalid ones):
    tp  powers of two dividing the heads, <= min(heads, 64)
    pp  1, powers of two and divisors of the layer count, <= layers
    cp  powers of two up to seq_len / 2048 (context parallel only for long sequences)
    ep  powers of two dividing the experts (MoE only)
    vp  1, 2, 4 (interleaved 1F1B)            mbs  1, 2, 4, 8
    zero 0..3 (3 = FSDP)                      recompute none / selective / full
    dp = n / (tp pp cp),  m = ceil(ceil(global batch / dp) / mbs) (a dp not dividing the batch gives uneven
    ranks, timed by the busiest: training.seqs_per_rank); sequence parallel on whenever tp > 1; overlap on.
    The pipeline schedule is the one asked for (1f1b by default); hybrid sharding, a separate expert
    tensor-parallel degree and recompute of only some layers are not searched (plan explain takes them).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from accelopt.hardware.spec import AcceleratorSpec
from accelopt.predict.calibration import Calibration, calibration_for
from accelopt.predict.comm import Assumption, MeasuredLink
from accelopt.predict.training import (
    LAYOUT_FIELDS,
    SCHEDULES,
    Layouts,
    Prediction,
    Setup,
    evaluate,
    micro_batches,
    structural_problems,
)

OBJECTIVES = {"time": "train_time_s", "cost": "cost_usd", "energy": "energy_j"}


def _pow2_upto(n: int) -> list[int]:
    out, v = [], 1
    while v <= n:
        out.append(v)
        v *= 2
    return out


def candidate_axes(setup: Setup) -> dict[str, list[int]]:
    mdl = setup.model
    tp = [t for t in _pow2_upto(min(mdl.heads, 64)) if mdl.heads % t == 0]
    pp = sorted({*_pow2_upto(mdl.layers), *(d for d in range(1, mdl.layers + 1) if mdl.layers % d == 0)})
    cp = _pow2_upto(max(1, setup.seq_len // 2048))
    ep = [e for e in _pow2_upto(mdl.experts) if mdl.experts % e == 0] if mdl.is_moe else [1]
    return {"tp": tp, "pp": pp, "cp": cp, "ep": ep, "vp": [1, 2, 4], "mbs": [1, 2, 4, 8], "zero": [0, 1, 2, 3],
            "recompute": [0, 1, 2]}


def enumerate_layouts(setup: Setup, device_counts: list[int], schedule: str = "1f1b") -> Layouts:
    """Every combination of the axes for each device count, minus those breaking a structural rule."""
    axes = candidate_axes(setup)
    names = list(axes)
    grid = np.array(list(itertools.product(*axes.values())), dtype=np.int64)  # (combos, axes)
    cols = {k: grid[:, i] for i, k in enumerate(names)}
    parts: list[Layouts] = []
    for n in device_counts:
        model_par = cols["tp"] * cols["pp"] * cols["cp"]
        ok = (n % model_par) == 0
        dp = np.where(ok, n // np.maximum(model_par, 1), 0)
        ok &= (dp > 0) & (dp <= setup.global_batch)
        m = np.where(ok, micro_batches(setup.global_batch, np.maximum(dp, 1), cols["mbs"]), 0)
        idx = np.nonzero(ok)[0]
        k = len(idx)
        lay = Layouts(tp=cols["tp"][idx], pp=cols["pp"][idx], dp=dp[idx], cp=cols["cp"][idx], ep=cols["ep"][idx],
                      vp=cols["vp"][idx], mbs=cols["mbs"][idx], m=m[idx], zero=cols["zero"][idx],
                      recompute=cols["recompute"][idx], sp=cols["tp"][idx] > 1,
                      overlap=np.ones(k, dtype=bool), schedule=np.full(k, SCHEDULES[schedule], dtype=np.int64),
                      hsdp=np.zeros(k, dtype=np.int64), etp=np.zeros(k, dtype=np.int64),
                      recompute_layers=np.zeros(k, dtype=np.int64))
        bad: np.ndarray = np.zeros(len(lay), dtype=bool)
        for mask, _why in structural_problems(setup, lay, np.full(len(lay), n)):
            bad |= np.broadcast_to(mask, bad.shape)
        parts.append(lay.take(np.nonzero(~bad)[0]))
    return Layouts(**{f: np.concatenate([getattr(p, f) for p in parts]) for f in LAYOUT_FIELDS})


@dataclass
class Candidates:
    """Every evaluated layout across device kinds (rows aligned across the arrays)."""

    hardware: np.ndarray          # device name per row
    layouts: Layouts
    terms: dict[str, np.ndarray]
    feasible: np.ndarray          # fits memory and meets deadline/budget
    reasons: dict[str, int] = field(default_factory=dict)  # why candidates were dropped, counts
    assumed: dict[str, list[Assumption]] = field(default_factory=dict)  # device -> defaults for missing figures
    skipped_devices: dict[str, str] = field(default_factory=dict)  # device name -> why it was not searched

    def __len__(self) -> int:
        return len(self.hardware)


def search(setup: Setup, specs: list[AcceleratorSpec], device_counts: list[int], *,
           deadline_s: float | None = None, budget_usd: float | None = None,
           cals: dict[str, Calibration] | None = None, stack: str = "megatron", schedule: str = "1f1b",
           measured: MeasuredLink | None = None) -> Candidates:
    """Evaluate every valid layout on every device kind. `schedule`: the pipeline schedule of every layout
    (training.SCHEDULES); `measured`: a scale-up link from `probe --collectives` replacing the catalog's."""
    from accelopt.errors import InputError

    if schedule not in SCHEDULES:
        raise InputError(f"--schedule {schedule!r}", f"use one of: {', '.join(SCHEDULES)}")
    for flag, limit in (("--deadline", deadline_s), ("--budget-usd", budget_usd)):
        if limit is not None and not 0 < limit < float("inf"):  # NaN too: it would drop every layout unsaid
            raise InputError(f"{flag} {limit!r} must be a finite number > 0", f"give {flag} e.g. "
                             + ("30d" if flag == "--deadline" else "2e7") + ", or leave it out")
    hw: list[np.ndarray] = []
    lays: list[Layouts] = []
    preds: list[Prediction] = []
    assumed: dict[str, list[Assumption]] = {}
    skipped = {s.name for s in specs if s.peak(setup.dtype) is None}
    if skipped == {s.name for s in specs}:
        listed = {s.name: [d for d in ("bf16", "fp16", "fp8") if s.peak(d) is not None] for s in specs}
        options = "; ".join(f"{n} lists {', '.join(d) if d else 'no bf16/fp16/fp8 peak'}"
                            for n, d in sorted(listed.items()))
        raise InputError(f"none of {', '.join(sorted(skipped))} lists a {setup.dtype} peak in the catalog",
                         f"pick a --dtype the device lists ({options}) or other --hardware; training needs "
                         "bf16, fp16 or fp8")
    for spec in specs:
        if spec.name in skipped:
            continue
        lay = enumerate_layouts(setup, device_counts, schedule)
        pred: Prediction = evaluate(setup, spec, lay, calibration_for(spec, cals, stack), measured=measured)
        hw.append(np.full(len(lay), spec.name, dtype=object))
        lays.append(lay)
        preds.append(pred)
        if pred.assumed:
            assumed[spec.name] = pred.assumed
    layouts = Layouts(**{f: np.concatenate([getattr(p, f) for p in lays]) for f in LAYOUT_FIELDS})
    terms = {k: np.concatenate([p.terms[k] for p in preds]) for k in preds[0].terms}
    fits = np.concatenate([p.feasible for p in preds])
    ok = fits.copy()
    reasons = {"does not fit memory": int((~fits).sum())}
    for name in sorted(skipped):
        reasons[f"{name}: no {setup.dtype} peak in the catalog (skipped)"] = 0
    if deadline_s is not None:
        late = terms["train_time_s"] > deadline_s
        reasons["misses the deadline"] = int((late & ok).sum())
        ok &= ~late
    if budget_usd is not None:
        over = ~(terms["cost_usd"] <= budget_usd)  # NaN (no price) counts as over a stated budget
        reasons["over budget or no price"] = int((over & ok).sum())
        ok &= ~over
    why = f"no {setup.dtype} peak in the catalog"
    return Candidates(hardware=np.concatenate(hw), layouts=layouts, terms=terms, feasible=ok, reasons=reasons,
                      assumed=assumed, skipped_devices={name: why for name in sorted(skipped)})


def rank(c: Candidates, objective: str, top: int) -> np.ndarray:
    """Indices of the best `top` feasible candidates by objective (ties broken by time)."""
    key = c.terms[OBJECTIVES[objective]]
    idx = np.nonzero(c.feasible & np.isfinite(key))[0]
    order = np.lexsort((c.terms["train_time_s"][idx], key[idx]))
    return idx[order[:top]]


def pareto_front(c: Candidates) -> np.ndarray:
    """Indices of feasible candidates not dominated in (time, cost, energy).

    Unknown cost (no price) or energy (no TDP) counts as +inf, so such a layout is on the front only
    through its time. Sorted by time, a point is kept if no kept point is both cheaper and lower-energy.
    """
    idx = np.nonzero(c.feasible)[0]
    if len(idx) == 0:
        return idx
    t = c.terms["train_time_s"][idx]
    cost = np.nan_to_num(c.terms["cost_usd"][idx], nan=np.inf)
    e = np.nan_to_num(c.terms["energy_j"][idx], nan=np.inf)
    order = np.lexsort((e, cost, t))
    cost, e, idx = cost[order], e[order], idx[order]
    # The fastest remaining point is never dominated (anything faster is on the front or was removed
    # as dominated by a front point, and dominance is transitive): take it, drop what it dominates.
    alive = np.arange(len(idx))
    out: list[int] = []
    while len(alive):
        i = alive[0]
        out.append(int(idx[i]))
        rest = alive[1:]
        alive = rest[~((cost[i] <= cost[rest]) & (e[i] <= e[rest]))]
    return np.asarray(out, dtype=np.int64)
