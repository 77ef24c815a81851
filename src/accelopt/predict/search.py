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
        (ZeRO 1, 2 and 3 only where a shard group has more than one rank: over one rank they shard nothing and are
        ZeRO 0's layout, _zero_shards_nothing)
    etp 0 (= tp) and powers of two below tp (MoE only: Megatron-Core's expert grid, so ep may exceed dp x cp),
        kept where no larger etp on the same link is valid (a larger one holds less, _etp_can_gain)
    dp = n / (tp pp cp),  m = ceil(ceil(global batch / dp) / mbs) (a dp not dividing the batch gives uneven
    ranks, timed by the busiest: training.seqs_per_rank); sequence parallel on whenever tp > 1; overlap on.
    The pipeline schedule is the one asked for (1f1b by default).
Two dimensions are derived from evaluated layouts, keeping only variants that can win (pruning that loses no
best layout, checked against brute force in tests/test_plan_search_dims.py):
    hsdp  (hybrid sharding, shard group g) for ZeRO-3 layouts that fit and expose ZeRO/data-parallel traffic:
          g = powers of two from 2 below dp x cp dividing it. A smaller shard group holds more state (so a layout
          that does not fit fully sharded does not fit with any g) and only its communication can be faster (a
          layout whose ZeRO traffic is hidden cannot gain; its optimizer step only grows). ep = 1 (the model's).
    recompute_layers (full recompute of N layers per stage, Megatron-LM --recompute-method block) for full-
          recompute layouts that fit and whose no-recompute form does not (_plain_fits): the smallest N that
          fits, since time grows with N and memory shrinks with it. Memory is linear in N on each pipeline stage
          (memory.py), so N comes from the two ends N = 1 and N = L_s; where the busiest stage changes between
          them the line lies above the (convex) curve and the N found still fits, at most a layer or so above the
          smallest.
`SearchAxes` lists values for these three instead (the `plan` flags --hsdp, --etp, --recompute-layers).
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from accelopt.errors import DeviceUnsupportedError
from accelopt.hardware.spec import AcceleratorSpec
from accelopt.predict import userbuffers
from accelopt.predict.calibration import Calibration, calibration_for
from accelopt.predict.comm import (
    MOE_DISPATCHER_DEVICE_FIX,
    NO_LINK_FIX,
    Assumption,
    MeasuredLink,
    lists_no_link,
    moe_dispatcher_device_problem,
    no_link_problem,
)
from accelopt.predict.compute import attention_kernel_device, fp8_cast_bytes
from accelopt.predict.training import (
    LAYOUT_FIELDS,
    RECOMPUTE,
    SCHEDULES,
    Layouts,
    Prediction,
    Setup,
    device_setup,
    evaluate,
    micro_batches,
    op_recompute_models,
    schedule_error,
    splits_kv_heads,
    structural_problems,
)
from accelopt.units import unit

OBJECTIVES = {"time": "train_time_s", "cost": "cost_usd", "energy": "energy_j"}


@dataclass(frozen=True)
class SearchAxes:
    """Values searched for the dimensions `plan` derives (None: the automatic set of the module docstring).

    0 means the plain form: hsdp 0 = shard over all of dp x cp, etp 0 = etp = tp, recompute_layers 0 = every layer
    of a full-recompute layout. A tuple without 0 leaves the plain form out (e.g. hsdp (8,): ZeRO-3 layouts only
    with 8-rank shard groups)."""

    hsdp: tuple[int, ...] | None = unit("count", "ZeRO-3 shard groups (null: 0 and the powers of two dividing dp x "
                                       "cp, where hybrid sharding can win)", default=None)
    etp: tuple[int, ...] | None = unit("count", "expert tensor-parallel degrees (null: 0 = tp, and powers of two "
                                      "below tp; MoE models only)", default=None)
    recompute_layers: tuple[int, ...] | None = unit("count", "layers per stage full recompute covers (null: 0 = "
                                                   "all, and the fewest that fit)", default=None)
    recompute: tuple[str, ...] | None = None
    """Recompute modes searched (training.RECOMPUTE's names: none, selective, full, minimal, minimal_flash,
    save_dot_except_mlpwi, mlp, op); null: none, selective and full."""

    def __post_init__(self) -> None:
        from accelopt.errors import InputError

        for name in ("hsdp", "etp", "recompute_layers"):
            vals = getattr(self, name)
            if vals is not None and (not vals or any(v < 0 for v in vals)):
                flag = "--" + name.replace("_", "-")
                raise InputError(f"{flag} {','.join(map(str, vals))}: values must be 0 (off) or positive counts",
                                 f"give {flag} auto, off or a list such as 0,8")
        if self.recompute is not None and (not self.recompute or set(self.recompute) - set(RECOMPUTE)):
            raise InputError(f"--recompute {','.join(self.recompute)}: not a list of recompute modes",
                             f"give --recompute auto or a comma-separated list of {', '.join(RECOMPUTE)}")


def _pow2_upto(n: int) -> list[int]:
    out, v = [], 1
    while v <= n:
        out.append(v)
        v *= 2
    return out


def candidate_axes(setup: Setup) -> dict[str, list[int]]:
    mdl = setup.model
    tp = [t for t in _pow2_upto(min(mdl.heads, 64)) if mdl.heads % t == 0 and splits_kv_heads(mdl, t)]
    pp = sorted({*_pow2_upto(mdl.layers), *(d for d in range(1, mdl.layers + 1) if mdl.layers % d == 0)})
    cp = _pow2_upto(max(1, setup.seq_len // 2048))
    ep = [e for e in _pow2_upto(mdl.experts) if mdl.experts % e == 0] if mdl.is_moe else [1]
    etp = [0] + [e for e in tp if e < max(tp)] if mdl.is_moe else [0]
    return {"tp": tp, "pp": pp, "cp": cp, "ep": ep, "vp": [1, 2, 4], "mbs": [1, 2, 4, 8], "zero": [0, 1, 2, 3],
            "recompute": [0, 1, 2], "etp": etp}


def enumerate_layouts(setup: Setup, device_counts: list[int], schedule: str = "1f1b",
                      etp: tuple[int, ...] | None = None, domain: int | None = None,
                      recompute: tuple[str, ...] | None = None) -> Layouts:
    """Every combination of the axes for each device count, minus those breaking a structural rule.
    `etp`: the expert tensor-parallel degrees to take (None: 0 and powers of two below tp, MoE only, keeping only
    layouts that can gain from it given the scale-up `domain`, see _etp_can_gain); `recompute`: the recompute modes
    to take, by name (None: none, selective, full)."""
    axes = candidate_axes(setup)
    if etp is not None:
        axes["etp"] = sorted(set(etp))
    if recompute is not None:
        axes["recompute"] = sorted({RECOMPUTE[r] for r in recompute})
    names = list(axes)
    grid = np.array(list(itertools.product(*axes.values())), dtype=np.int64)  # (combos, axes)
    # etp = tp is etp 0 (the default grid): that duplicate only when 0 is not asked for. Never etp > tp (Megatron-Core's
    # expert grid folds etp x ep into tp x dp x cp): such values of --etp are skipped, an error when every one is.
    g_tp, g_etp = grid[:, names.index("tp")], grid[:, names.index("etp")]
    keep = (g_etp == 0) | (g_etp < g_tp) | ((g_etp == g_tp) & (etp is not None and 0 not in etp))
    grid = grid[keep]
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
                      overlap=np.ones(k, dtype=bool),
                      # a layout without a pipeline (pp 1) has no schedule to run: 1f1b, kept, where a zero-bubble
                      # schedule on it broke training's 'zb needs pp > 1' rule and dropped it unsaid
                      schedule=np.where(cols["pp"][idx] > 1, SCHEDULES[schedule], SCHEDULES["1f1b"]),
                      hsdp=np.zeros(k, dtype=np.int64), etp=cols["etp"][idx],
                      recompute_layers=np.zeros(k, dtype=np.int64))
        bad: np.ndarray = np.zeros(len(lay), dtype=bool)
        for p in structural_problems(setup, lay, np.full(len(lay), n)):
            bad |= np.broadcast_to(p.mask, bad.shape)
        if etp is None and domain is not None:
            bad |= (lay.etp > 0) & ~_etp_can_gain(lay, domain)
        bad |= _zero_shards_nothing(lay)
        parts.append(lay.take(np.nonzero(~bad)[0]))
    return Layouts(**{f: np.concatenate([getattr(p, f) for p in parts]) for f in LAYOUT_FIELDS})


def _zero_shards_nothing(lay: Layouts) -> np.ndarray:
    """ZeRO 1, 2 and 3 layouts whose shard groups are one rank each: the dense state's (dp x cp) and the routed
    experts' (tp x dp x cp / (etp x ep), memory._state_bytes). They keep the whole optimizer state and gradients
    and all-reduce as ZeRO 0 does: the same layout, listed three times with the same numbers (`plan --model
    llama3.1-405b --devices 8`: "closest to fitting memory" showed ZeRO 0, 1, 2 at dp 1). ZeRO 3 over one rank is
    ZeRO 0 too: PyTorch FSDP clamps FULL_SHARD to NO_SHARD at world size 1, "since they are currently functionally
    equivalent" (pytorch/pytorch@39ec502d torch/distributed/fsdp/_init_utils.py, _init_core_state). The model
    would still charge it its gathered-layer buffers and list it beside ZeRO 0 at the same step time (`plan --model
    llama3-8b --devices 1`: ZeRO 0 and 3 rows alternating, 1 GiB apart); never better than ZeRO 0's
    (tests/test_plan_zero_one_rank.py), so it goes too."""
    etp = np.where(lay.etp == 0, lay.tp, lay.etp)
    dpcp = lay.dp * lay.cp
    expert_group = lay.tp * dpcp // np.maximum(etp * lay.ep, 1)
    return (lay.zero > 0) & (dpcp == 1) & (expert_group <= 1)


def _etp_can_gain(lay: Layouts, domain: int) -> np.ndarray:
    """Where an expert tensor-parallel degree below tp is kept: where 2 etp (or etp = tp, the etp 0 row) is not a
    valid layout on the same link (both inside the scale-up domain or both beyond it). A heuristic, not a bound: a
    smaller etp holds more expert weights per device and all-reduces more gradient bytes, and it changes the expert
    all-to-all's link (training.evaluate), but since the expert GEMMs run on the etp x ep grid (compute.moe_forward)
    it also gives each rank wider, fewer-token GEMMs and other FP8 quantize bytes, which can go either way.
    tests/test_plan_search_dims.py::test_etp_pruning_loses_nothing checks, bf16 and FP8, that no best layout is lost
    against the unpruned list (2026-12-01, four MoE searches: none lost; unpruned costs 1.1-1.6x the time)."""
    dpcp: np.ndarray = lay.dp * lay.cp
    nxt: np.ndarray = 2 * lay.etp
    valid = np.where(nxt < lay.tp, (lay.tp * dpcp) % np.maximum(nxt * lay.ep, 1) == 0,
                     (nxt == lay.tp) & (dpcp % lay.ep == 0))
    same_link = (nxt * lay.ep <= domain) == (lay.etp * lay.ep <= domain)
    return ~(valid & same_link)


@dataclass
class Candidates:
    """Every evaluated layout across device kinds (rows aligned across the arrays)."""

    hardware: np.ndarray          # device name per row
    layouts: Layouts
    terms: dict[str, np.ndarray]
    feasible: np.ndarray          # fits memory and meets deadline/budget
    fits_memory: np.ndarray | None = None  # fits memory, whatever the deadline/budget (None: as feasible)
    reasons: dict[str, int] = field(default_factory=dict)  # why candidates were dropped, counts
    assumed: dict[str, list[Assumption]] = field(default_factory=dict)  # device -> defaults for missing figures
    skipped_devices: dict[str, str] = field(default_factory=dict)  # device name -> why it was not searched
    skipped_options: dict[str, str] = field(default_factory=dict)  # device name -> the flag it cannot run
    # ('--dtype': no peak at it; else DeviceUnsupportedError.option)
    kernels: dict[str, str] = field(default_factory=dict)  # device name -> the attention kernel its rows were timed
    # with (training.device_setup: a soft-capped model's per-device kernel when --attention-kernel is left out)

    def __len__(self) -> int:
        return len(self.hardware)


def _concat(lays: list[Layouts], preds: list[Prediction]) -> tuple[Layouts, Prediction]:
    lay = Layouts(**{f: np.concatenate([getattr(x, f) for x in lays]) for f in LAYOUT_FIELDS})
    terms = {k: np.concatenate([p.terms[k] for p in preds]) for k in preds[0].terms}
    return lay, Prediction(terms=terms, feasible=np.concatenate([p.feasible for p in preds]),
                           assumed=preds[0].assumed, measured=preds[0].measured)


def _with(lay: Layouts, idx: np.ndarray, **cols: np.ndarray) -> Layouts:
    """Rows `idx` of `lay` with the given columns replaced."""
    sub = lay.take(idx)
    return Layouts(**{f: cols.get(f, getattr(sub, f)) for f in LAYOUT_FIELDS})


def hsdp_variants(lay: Layouts, pred: Prediction, groups: tuple[int, ...] | None) -> Layouts:
    """Hybrid-sharding copies of the ZeRO-3 layouts that can gain from it (module docstring): those that fit and
    expose ZeRO or data-parallel traffic, one per shard group g (None: powers of two 2 <= g < dp x cp) dividing
    dp x cp."""
    dpcp = lay.dp * lay.cp
    exposed = (pred.terms["t_zero3_comm_s"] + pred.terms["t_dp_comm_s"]) > 0
    if groups is not None and 0 not in groups:  # full sharding left out: a hidden-traffic layout no longer loses
        exposed = np.ones(len(lay), dtype=bool)
    base = np.nonzero((lay.zero == 3) & (lay.ep == 1) & pred.feasible & exposed & (dpcp >= 4))[0]
    cands = _pow2_upto(int(dpcp[base].max()) // 2)[1:] if groups is None and len(base) else sorted(set(groups or ()))
    parts = []
    for g in cands:
        if g <= 0:
            continue
        idx = base[(dpcp[base] % g == 0) & (dpcp[base] > g)]
        parts.append(_with(lay, idx, hsdp=np.full(len(idx), g, dtype=np.int64)))
    return _join(parts)


def _join(parts: list[Layouts]) -> Layouts:
    if not parts:
        return Layouts(**{f: np.zeros(0, dtype=bool if f in ("sp", "overlap") else np.int64) for f in LAYOUT_FIELDS})
    return Layouts(**{f: np.concatenate([getattr(x, f) for x in parts]) for f in LAYOUT_FIELDS})


def _stage_cap(setup: Setup, lay: Layouts, pred: Prediction) -> np.ndarray:
    """Most layers per stage recompute_layers may name: the busiest stage's, within training's rule ceil(L / pp)."""
    return np.minimum(pred.terms["layers_per_stage"], np.ceil(setup.model.layers / lay.pp)).astype(np.int64)


def _layout_keys(lay: Layouts, skip: tuple[str, ...]) -> np.ndarray:
    """One 64-bit key per layout from its fields but `skip` (random odd multipliers, wrapping: a collision among
    1e6 layouts has odds ~1e-7); np.unique on these is ~100x faster than on rows."""
    fields = [f for f in LAYOUT_FIELDS if f not in skip]
    mult = np.random.default_rng(0).integers(1, 2**63, size=len(fields), dtype=np.uint64) | np.uint64(1)
    key: np.ndarray = np.zeros(len(lay), dtype=np.uint64)
    for f, k in zip(fields, mult, strict=True):
        key = key * k + np.asarray(getattr(lay, f)).astype(np.uint64)
    return key


def _plain_fits(lay: Layouts, pred: Prediction) -> np.ndarray:
    """Rows whose same layout without recompute fits. Recomputing some layers cannot beat it: recompute adds its
    forward and tensor-parallel traffic, and hides at most as much ZeRO-3 traffic as it adds (overlap_eff <= 1)."""
    _, group = np.unique(_layout_keys(lay, ("recompute", "recompute_layers")), return_inverse=True)
    group = group.reshape(-1)
    fits: np.ndarray = np.zeros(int(group.max()) + 1 if len(group) else 0, dtype=bool)
    fits[group[(lay.recompute == 0) & pred.feasible]] = True
    return fits[group]


def partial_recompute_variants(setup: Setup, lay: Layouts, pred: Prediction, run: Any,
                               counts: tuple[int, ...] | None) -> tuple[Layouts, Prediction | None]:
    """Full-recompute layouts that fit, recomputing fewer layers per stage: the smallest N that fits (None) or each
    N of `counts` below the stage's layers. `run(layouts) -> Prediction` evaluates."""
    cap = _stage_cap(setup, lay, pred)
    base = np.nonzero((lay.recompute == 2) & (lay.recompute_layers == 0) & pred.feasible & (cap > 1)
                      & ~_plain_fits(lay, pred))[0]
    if counts is not None:
        parts = [_with(lay, base[cap[base] > n], recompute_layers=np.full(int((cap[base] > n).sum()), n))
                 for n in sorted(set(counts)) if n > 0]
        out = _join(parts)
        return out, (run(out) if len(out) else None)
    one = _with(lay, base, recompute_layers=np.ones(len(base), dtype=np.int64))
    p1 = run(one)
    keep1 = np.nonzero(p1.feasible)[0]
    rest = np.nonzero(~p1.feasible)[0]
    # Memory linear in N between N = 1 (does not fit) and N = L_s (fits): the N where the line meets the capacity.
    m1, mall = p1.terms["mem_total_bytes"][rest], pred.terms["mem_total_bytes"][base[rest]]
    cap_b, ls = p1.terms["mem_capacity_bytes"][rest], cap[base[rest]]
    n_line = np.ceil(1 + (m1 - cap_b) / np.maximum(m1 - mall, 1.0) * (ls - 1) - 1e-9).astype(np.int64)
    sel = np.nonzero(n_line < ls)[0]
    mid = _with(lay, base[rest[sel]], recompute_layers=np.maximum(n_line[sel], 1))
    pm = run(mid) if len(mid) else None
    lays, preds = [one.take(keep1)], [_take(p1, keep1)]
    if pm is not None:
        ok = np.nonzero(pm.feasible)[0]
        lays.append(mid.take(ok))
        preds.append(_take(pm, ok))
    out_lay, out_pred = _concat(lays, preds)
    return out_lay, out_pred


def _take(p: Prediction, idx: np.ndarray) -> Prediction:
    return Prediction(terms={k: v[idx] for k, v in p.terms.items()}, feasible=p.feasible[idx], assumed=p.assumed,
                      measured=p.measured)


_OTHER_FRAMEWORK_MODES = ("minimal", "minimal_flash", "save_dot_except_mlpwi", "op")


def recompute_mode_problems(setup: Setup, modes: tuple[str, ...]) -> dict[str, str]:
    """Listed recompute modes no layout of this model can take -> why (training.structural_problems' model-wide
    rules: op on a block that is not a dense Llama-style one; another framework's policy beside
    --recompute-modules)."""
    out = {}
    for mode in modes:
        if mode == "op" and not op_recompute_models(setup.model):
            out[mode] = ("torchtitan's op policy is modelled for dense Llama-style blocks; this model has experts, MLA "
                         "or a parallel block")
        elif mode in _OTHER_FRAMEWORK_MODES and setup.recompute_modules:
            out[mode] = "--recompute-modules adds to none, selective or mlp, not to another framework's policy"
    return out


def search_spec(setup: Setup, spec: AcceleratorSpec, device_counts: list[int], cal: Calibration, *,
                schedule: str = "1f1b", measured: MeasuredLink | None = None,
                axes: SearchAxes | None = None) -> tuple[Layouts, Prediction]:
    """Every layout of one device kind: the enumerated grid, then its hsdp and partial-recompute variants."""
    axes = axes or SearchAxes()
    if axes.etp is not None and any(axes.etp) and not setup.model.is_moe:
        from accelopt.errors import InputError

        raise InputError(f"--etp {','.join(map(str, axes.etp))}: {setup.model.name} has no experts",
                         "leave --etp out (expert tensor parallelism is for mixture-of-experts models)")
    if axes.recompute is not None and len(bad := recompute_mode_problems(setup, axes.recompute)) == len(
            set(axes.recompute)):
        from accelopt.errors import InputError

        raise InputError("; ".join(f"--recompute {m}: {why}" for m, why in bad.items()),
                         "give --recompute a mode this model takes, e.g. none,selective,full (or auto)")
    max_tp = max(candidate_axes(setup)["tp"])
    if axes.etp is not None and all(e > max_tp for e in axes.etp):  # etp > tp is skipped (enumerate_layouts)
        from accelopt.errors import InputError

        raise InputError(f"--etp {','.join(map(str, axes.etp))}: every value is above the largest tensor-parallel "
                         f"degree searched ({max_tp}), and etp above tp is not modelled",
                         f"give --etp values of at most {max_tp}, or 0 (= tp)")
    lay = enumerate_layouts(setup, device_counts, schedule, etp=axes.etp, domain=int(spec.scaleup_domain_devices),
                            recompute=axes.recompute)

    def run(layouts: Layouts) -> Prediction:
        return evaluate(setup, spec, layouts, cal, measured=measured)

    pred = run(lay)
    lays, preds = [lay], [pred]
    if axes.hsdp != (0,):
        hs = hsdp_variants(lay, pred, axes.hsdp)
        if len(hs):
            lays.append(hs)
            preds.append(run(hs))
    if axes.recompute_layers != (0,):
        all_lay, all_pred = _concat(lays, preds)
        rl, rp = partial_recompute_variants(setup, all_lay, all_pred, run, axes.recompute_layers)
        if rp is not None and len(rl):
            lays.append(rl)
            preds.append(rp)
    all_lay, all_pred = _concat(lays, preds)
    drop: np.ndarray = np.zeros(len(all_lay), dtype=bool)
    if axes.hsdp is not None and 0 not in axes.hsdp:  # the plain form left out: ZeRO-3 only with the groups named
        drop |= (all_lay.zero == 3) & (all_lay.hsdp == 0)
    if axes.recompute_layers is not None and 0 not in axes.recompute_layers:
        drop |= (all_lay.recompute == 2) & (all_lay.recompute_layers == 0)
    keep = np.nonzero(~drop)[0]
    return all_lay.take(keep), _take(all_pred, keep)


def search(setup: Setup, specs: list[AcceleratorSpec], device_counts: list[int], *,
           deadline_s: float | None = None, budget_usd: float | None = None,
           cals: dict[str, Calibration] | None = None, stack: str = "megatron", schedule: str = "1f1b",
           measured: MeasuredLink | None = None, axes: SearchAxes | None = None,
           slice_devices: int = 0) -> Candidates:
    """Evaluate every valid layout on every device kind. `schedule`: the pipeline schedule of every layout
    (training.SCHEDULES); `measured`: a scale-up link from `probe --collectives` replacing the catalog's; `axes`:
    the values of hsdp, etp and recompute_layers to search (None: the automatic sets); `slice_devices`: devices
    per slice (a TPU ICI slice, a GPU NVLink domain: comm.slice_spec; 0: the catalog's scale-up domain), each
    device count a whole number of slices or fewer than one (query.check_slices, as `plan explain`)."""
    from accelopt.errors import InputError
    from accelopt.predict.comm import slice_spec
    from accelopt.predict.query import check_slices
    from accelopt.workload.hf import available_memory_bytes

    if slice_devices < 0:
        raise InputError(f"--slice-devices {slice_devices} must be >= 0",
                         "give --slice-devices 0 (off) or the devices per slice, e.g. 256 for a TPU v5e-256 ICI slice")
    for n in device_counts:
        check_slices(n, slice_devices)
    specs = [slice_spec(sp, slice_devices) for sp in specs]
    if schedule not in SCHEDULES:
        raise schedule_error(schedule)
    for flag, limit in (("--deadline", deadline_s), ("--budget-usd", budget_usd)):
        if limit is not None and not 0 < limit < float("inf"):  # NaN too: it would drop every layout unsaid
            raise InputError(f"{flag} {limit!r} must be a finite number > 0", f"give {flag} e.g. "
                             + ("30d" if flag == "--deadline" else "2e7") + ", or leave it out")
    hw: list[np.ndarray] = []
    lays: list[Layouts] = []
    preds: list[Prediction] = []
    assumed: dict[str, list[Assumption]] = {}
    skipped = {s.name for s in specs if s.peak(setup.dtype) is None}
    unsupported = _recipe_unsupported(setup, [s for s in specs if s.name not in skipped], cals, stack)
    if unsupported and not {s.name for s in specs} - skipped - set(unsupported):
        options = dict.fromkeys(e.option for _, e in sorted(unsupported.items()))
        raise InputError(f"{', '.join(f'{n}: {e.problem}' for n, e in sorted(unsupported.items()))}",
                         "; or ".join(_all_unsupported_fix(o, setup) for o in options))
    if skipped == {s.name for s in specs}:
        listed = {s.name: [d for d in ("bf16", "fp16", "fp8") if s.peak(d) is not None] for s in specs}
        options_text = "; ".join(f"{n} lists {', '.join(d) if d else 'no bf16/fp16/fp8 peak'}"
                                 for n, d in sorted(listed.items()))
        raise InputError(f"none of {', '.join(sorted(skipped))} lists a {setup.dtype} peak in the catalog",
                         f"pick a --dtype the device lists ({options_text}) or other --hardware; training needs "
                         "bf16, fp16 or fp8")
    # A spec listing no link at all is searched at one device only, as plan explain and plan serve refuse more
    # (comm.no_link_problem); a device with no count left is skipped with the reason.
    many = [n for n in device_counts if n > 1]
    unlinked = {s.name: no_link_problem(s, "training", many) for s in specs
                if many and s.name not in skipped and s.name not in unsupported and lists_no_link(s, measured)}
    if 1 not in device_counts and unlinked and set(unlinked) == {s.name for s in specs} - skipped - set(unsupported):
        raise InputError("; ".join(unlinked.values()), f"include 1 in --devices, or {NO_LINK_FIX}")
    kernels = {}
    todo = [s for s in specs if s.name not in skipped and s.name not in unsupported
            and not (s.name in unlinked and 1 not in device_counts)]
    avail, held = available_memory_bytes(), 0
    rss = [current_rss_bytes()]  # the process's resident memory before the search, then after each device
    for i, spec in enumerate(todo):
        dsetup = device_setup(setup, spec)  # a soft-capped model's kernel on this device
        kernels[spec.name] = dsetup.attention_kernel
        lay, pred = search_spec(dsetup, spec, [1] if spec.name in unlinked else device_counts,
                                calibration_for(spec, cals, stack, dsetup.cudnn_before_9_17), schedule=schedule,
                                measured=measured, axes=axes)
        hw.append(np.full(len(lay), spec.name, dtype=object))
        lays.append(lay)
        preds.append(pred)
        if pred.assumed:
            assumed[spec.name] = pred.assumed
        held += _candidate_bytes(lay, pred)
        rss.append(current_rss_bytes())
        if avail is not None and i + 1 < len(todo):
            _check_fits_in_memory(setup, device_counts, held, i + 1, len(todo), avail, rss)
    layouts = Layouts(**{f: np.concatenate([getattr(p, f) for p in lays]) for f in LAYOUT_FIELDS})
    terms = {k: np.concatenate([p.terms[k] for p in preds]) for k in preds[0].terms}
    fits = np.concatenate([p.feasible for p in preds])
    ok = fits.copy()
    reasons = {"does not fit memory": int((~fits).sum())}
    for name in sorted(skipped):
        reasons[f"{name}: no {setup.dtype} peak in the catalog (skipped)"] = 0
    for name in sorted(unsupported):
        reasons[f"{name}: {_skip_label(unsupported[name].option, setup)} (skipped)"] = 0
    if deadline_s is not None:
        late = terms["train_time_s"] > deadline_s
        reasons["misses the deadline"] = int((late & ok).sum())
        ok &= ~late
    if budget_usd is not None:
        over = ~(terms["cost_usd"] <= budget_usd)  # NaN (no price) counts as over a stated budget
        reasons["over budget or no price"] = int((over & ok).sum())
        ok &= ~over
    why = f"no {setup.dtype} peak in the catalog"
    gone = {name: f"{problem}: it runs on one device only" for name, problem in unlinked.items()
            if 1 not in device_counts}
    return Candidates(hardware=np.concatenate(hw), layouts=layouts, terms=terms, feasible=ok, fits_memory=fits,
                      reasons=reasons, assumed=assumed, kernels=kernels,
                      skipped_devices={**{name: why for name in sorted(skipped)},
                                       **{name: e.problem for name, e in unsupported.items()}, **gone},
                      skipped_options={**{name: "--dtype" for name in sorted(skipped)},
                                       **{name: e.option for name, e in unsupported.items()},
                                       **{name: "--hardware" for name in gone}})


def _candidate_bytes(lay: Layouts, pred: Prediction) -> int:
    """Bytes one device's evaluated layouts hold: their layout fields, every term and the fit mask (numpy arrays)."""
    return (sum(np.asarray(getattr(lay, f)).nbytes for f in LAYOUT_FIELDS)
            + sum(np.asarray(v).nbytes for v in pred.terms.values()) + pred.feasible.nbytes)


def current_rss_bytes() -> int | None:
    """This process's resident memory now (/proc/self/statm's resident pages), None where there is no /proc."""
    try:
        with open("/proc/self/statm", encoding="ascii") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def _check_fits_in_memory(setup: Setup, device_counts: list[int], held: int, done: int, total: int,
                          avail: int, rss: list[int | None] | None = None) -> None:
    """An InputError when the layouts of the devices still to search would not fit this machine's available memory
    (`avail`, measured before the search): `held` bytes of evaluated layouts for the first `done` of `total`
    devices, so about held / done x total for all, twice that while search() joins them (np.concatenate copies).
    DeepSeek-V3's config with --devices 64..8192 --hardware all held ~0.8M layouts (~1.5 GB) per device and the
    kernel's OOM killer ended the process after 4 minutes on a 23 GB machine, without a word (a user trial, utplanhf).
    Where the process's resident memory is known (`rss`: before the search, then after each device), the projection
    is what the process grew by so far + the devices left at the larger of held / done and the last device's growth
    + one more copy of all the layouts: the arrays counted were not all it grew by (DeepSeek-V3 on h100-sxm, b200,
    mi300x kept 0.47 GB per device, but the first device's search grew the process by 1.50 GB, the modules and
    tables it loads once; the three devices' search peaked 3.2 GB above its start where 2 x 3 x 0.47 = 2.8 GB was
    projected: a machine with 3 GB available passed the check and was then short of memory; utplan3)."""
    from accelopt.errors import InputError
    from accelopt.units import fmt_bytes

    kept = held / done * total
    need, grown = 2 * kept, ""
    now, start = (rss[done], rss[0]) if rss and len(rss) > done else (None, None)
    if now is not None and start is not None and rss:
        before = rss[done - 1]
        last = now - before if done > 1 and before is not None else 0
        per_device = max(held / done, last)
        need = max(need, (now - start) + (total - done) * per_device + kept)
        grown = f"; this process grew by {fmt_bytes(now - start)} over those"
    if need <= avail:
        return
    raise InputError(f"the layout search of {setup.model.name} over {total} devices x {len(device_counts)} device "
                     f"counts would need about {fmt_bytes(need)} ({fmt_bytes(held / done)} of evaluated layouts per "
                     f"device, measured on the first {done}{grown}), more than the {fmt_bytes(avail)} this machine "
                     "has available", "search fewer devices or device counts in one run (fewer --hardware names "
                     "than 'all', a narrower --devices range), or run on a machine with more memory")


_ALL_UNSUPPORTED_FIX = {
    "--tp-comm-overlap": "leave --tp-comm-overlap out or add a device with a cited SM count to --hardware",
    "--attention-kernel": "give --attention-kernel fused (the default) or unfused, or add {device} to --hardware",
    "--attention-kernel fused": ("leave --attention-kernel out (a soft-capped model is timed with flash2 where "
                                 "FlashAttention-2 runs), or give --attention-kernel flash2 or unfused"),
    "--eager-cross-entropy": "leave --eager-cross-entropy out, or add a GPU to --hardware",
    "--te-cross-entropy": "leave --te-cross-entropy out, or add a GPU to --hardware",
    "--fp8-recipe": "use --fp8-recipe delayed or current, or add a Blackwell device to --hardware",
    "--moe-dispatcher": "give --moe-dispatcher alltoall (the default), or add an NVIDIA GPU to --hardware",
    "--moe-grouped-mlp": "give --moe-grouped-mlp te (the default) or cutedsl, or add a TPU to --hardware",
}
"""The fix when every device searched is left out for the option (DeviceUnsupportedError.option) it cannot run."""


def _all_unsupported_fix(option: str, setup: Setup) -> str:
    """_ALL_UNSUPPORTED_FIX[option], naming the devices that run the asked attention kernel (a GPU for flash2 and
    triton, an AWS Neuron device for nki_flash)."""
    if option == "--attention-kernel" and (setup.attention_kernel == "fused" or (  # softcap_fused_problem
            setup.attention_kernel == "triton" and setup.model.attn_logit_softcap)):
        return _ALL_UNSUPPORTED_FIX["--attention-kernel fused"]
    return _ALL_UNSUPPORTED_FIX[option].format(device=attention_kernel_device(setup.attention_kernel))


def _skip_label(option: str, setup: Setup) -> str:
    """The short reason, in the dropped counts, for a device left out for `option` (DeviceUnsupportedError.option)."""
    return {"--tp-comm-overlap": "no cited SM count for --tp-comm-overlap",
            "--attention-kernel": (f"no --attention-kernel {setup.attention_kernel} ("
                                   + ("not an AWS Neuron device" if setup.attention_kernel == "nki_flash"
                                      else f"{setup.model.name} soft-caps its attention logits"
                                      if setup.attention_kernel == "fused" or (  # softcap_fused_problem
                                          setup.attention_kernel == "triton" and setup.model.attn_logit_softcap)
                                      else "not a GPU that runs FlashAttention-2" if setup.attention_kernel == "flash2"
                                      else "not a GPU that runs FlashAttention in Triton") + ")"),
            "--eager-cross-entropy": "no --eager-cross-entropy (not a GPU)",
            "--te-cross-entropy": "no --te-cross-entropy (not a GPU)",
            "--fp8-recipe": f"no --fp8-recipe {setup.fp8_recipe}",
            "--moe-dispatcher": f"no --moe-dispatcher {setup.moe_dispatcher} (not an NVIDIA GPU)",
            "--moe-grouped-mlp": "no --moe-grouped-mlp megablox (not a TPU)",
            }.get(option, f"no {option}")


def _recipe_unsupported(setup: Setup, specs: list[AcceleratorSpec], cals: dict[str, Calibration] | None,
                        stack: str) -> dict[str, DeviceUnsupportedError]:
    """Device name -> why it cannot run the FP8 recipe of `setup` (compute.fp8_cast_bytes refuses it, e.g. MXFP8 off
    Blackwell), its --tp-comm-overlap (no cited SM count, userbuffers.sm_count) or its --attention-kernel (flash2 or
    triton off a GPU, compute.attention_kernel_device_problem) or its --eager-cross-entropy (CUDA passes off a GPU,
    compute.eager_cross_entropy_device_problem) or --te-cross-entropy (Triton kernels off a GPU): such a device is
    left out of a search over several, with the reason printed, as one without the dtype's peak is. Only a
    DeviceUnsupportedError is a skip (its option says which flag); any other error of a device's checks is raised,
    whatever its words."""
    from accelopt.predict.compute import (
        attention_kernel_device_problem,
        eager_cross_entropy_device_problem,
        moe_grouped_mlp_device_problem,
        softcap_fused_problem,
        te_cross_entropy_device_problem,
    )

    out = {}
    for spec in specs:
        try:
            if problem := attention_kernel_device_problem(setup.attention_kernel, spec):
                raise DeviceUnsupportedError(problem, "give --attention-kernel fused or unfused",
                                             option="--attention-kernel")
            if not setup.attention_kernel_auto and (
                    problem := softcap_fused_problem(setup.model, setup.attention_kernel, spec)):
                raise DeviceUnsupportedError(problem, _ALL_UNSUPPORTED_FIX["--attention-kernel fused"],
                                             option="--attention-kernel")
            if problem := moe_dispatcher_device_problem(setup.moe_dispatcher, spec):
                raise DeviceUnsupportedError(problem, MOE_DISPATCHER_DEVICE_FIX, option="--moe-dispatcher")
            if setup.model.is_moe and (problem := moe_grouped_mlp_device_problem(setup.moe_grouped_mlp, spec)):
                raise DeviceUnsupportedError(problem, _ALL_UNSUPPORTED_FIX["--moe-grouped-mlp"],
                                             option="--moe-grouped-mlp")
            if problem := eager_cross_entropy_device_problem(setup.eager_cross_entropy, spec):
                raise DeviceUnsupportedError(problem, "leave --eager-cross-entropy out",
                                             option="--eager-cross-entropy")
            if problem := te_cross_entropy_device_problem(setup.te_cross_entropy, spec):
                raise DeviceUnsupportedError(problem, "leave --te-cross-entropy out", option="--te-cross-entropy")
            if setup.dtype == "fp8":
                fp8_cast_bytes(setup.fp8_recipe, calibration_for(spec, cals, stack).family, spec)
            if setup.tp_comm_overlap and stack != "torchtitan":  # userbuffers take SMs from the GEMMs: the device's
                # SM count is needed (torchtitan's async TP copies by copy engine: none taken)
                userbuffers.sm_count(spec)
        except DeviceUnsupportedError as e:
            out[spec.name] = e
    return out


def rank(c: Candidates, objective: str, top: int) -> np.ndarray:
    """Indices of the best `top` feasible candidates by objective (ties broken by time)."""
    key = c.terms[OBJECTIVES[objective]]
    idx = np.nonzero(c.feasible & np.isfinite(key))[0]
    order = np.lexsort((c.terms["train_time_s"][idx], key[idx]))
    return idx[order[:top]]


def closest_to_limits(c: Candidates, deadline_s: float | None, budget_usd: float | None, top: int) -> np.ndarray:
    """Indices of the `top` layouts that fit memory but miss --deadline / --budget-usd, nearest the limits first: by
    the larger of train time / deadline and cost / budget (no price: infinitely over a budget), ties by time. Empty
    when no limit was given or none of them fits memory: then nothing but memory dropped them."""
    fits = c.feasible if c.fits_memory is None else c.fits_memory
    if deadline_s is None and budget_usd is None:
        return np.zeros(0, dtype=int)
    over = np.zeros(len(c))
    if deadline_s is not None:
        over = np.maximum(over, c.terms["train_time_s"] / deadline_s)
    if budget_usd is not None:
        cost = c.terms["cost_usd"]
        over = np.maximum(over, np.where(np.isfinite(cost), cost / budget_usd, np.inf))
    idx = np.nonzero(fits & ~c.feasible)[0]
    order = np.lexsort((c.terms["train_time_s"][idx], over[idx]))
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
