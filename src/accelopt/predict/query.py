"""One training layout's prediction from every input the predictor takes: the public path shared by
`plan explain` (flags) and `validate` (rows of the runs file), so the two cannot disagree.

`LayoutQuery` holds every input; `predict_layout` resolves the device and calibration, builds the
`Setup` and `Layout`, checks the structural rules and evaluates it (training.evaluate).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from accelopt.errors import InfeasibleError, InputError
from accelopt.hardware.catalog import get_device
from accelopt.hardware.spec import AcceleratorSpec
from accelopt.predict.calibration import DEFAULT_STACK, STACKS, Calibration, calibration_for, load_calibrations
from accelopt.predict.comm import Assumption
from accelopt.predict.cost import Facility
from accelopt.predict.training import RECOMPUTE, Layout, Layouts, Setup, evaluate, structural_problems
from accelopt.workload.transformer import TransformerConfig

DEFAULT_BATCH_TOKENS = 4 * 2**20
"""~4M tokens per step, the Llama 2 batch (Touvron et al. 2023, sec. 2.2): the global batch when none is given."""


def default_global_batch(seq_len: int) -> int:
    """Sequences of `seq_len` making ~4M tokens (DEFAULT_BATCH_TOKENS)."""
    return max(1, round(DEFAULT_BATCH_TOKENS / seq_len))


@dataclass(frozen=True, kw_only=True)
class LayoutQuery:
    """Every input of one training-layout prediction (each one is a flag of `plan explain`)."""

    model: TransformerConfig
    hardware: str
    """Catalog name or spec TOML path."""
    devices: int
    tp: int = 1
    pp: int = 1
    cp: int = 1
    ep: int = 1
    vp: int = 1
    mbs: int = 1
    zero: int = 1
    recompute: str = "selective"
    sp: bool = True
    """Sequence parallelism; only takes effect with tp > 1."""
    overlap: bool = True
    flash: bool = True
    """Fused attention (no s x s tensor); off for the pre-2022 Megatron-LM runs."""
    edge_stage_layers: int | None = None
    """Layers on the first and last pipeline stage when fewer than the others (Setup.edge_stage_layers)."""
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


def _check_values(q: LayoutQuery) -> None:
    for flag, val in (("--devices", q.devices), ("--tp", q.tp), ("--pp", q.pp), ("--cp", q.cp), ("--ep", q.ep),
                      ("--vp", q.vp), ("--mbs", q.mbs)):
        if val < 1:
            raise InputError(f"{flag} {val} must be >= 1", f"give a positive {flag}")
    if q.zero not in (0, 1, 2, 3):
        raise InputError(f"--zero {q.zero} is not a ZeRO stage", "give --zero 0, 1, 2 or 3 (3 = FSDP)")
    if q.recompute not in RECOMPUTE:
        raise InputError(f"--recompute {q.recompute!r}", "give --recompute none, selective or full")
    if q.stack not in STACKS:
        raise InputError(f"--stack: unknown software stack {q.stack!r}", f"use one of: {', '.join(STACKS)}")
    if q.seq_len is not None and q.seq_len < 1:
        raise InputError(f"--seq-len {q.seq_len} must be >= 1",
                         f"give a positive --seq-len (the model's is {q.model.seq_len})")


def layout_text(lay: Layout) -> str:
    return (f"tp={lay.tp} pp={lay.pp} dp={lay.dp} cp={lay.cp} ep={lay.ep} vp={lay.vp} mbs={lay.mbs} m={lay.m} "
            f"zero={lay.zero} recompute={lay.recompute}")


def structural_fix(model: TransformerConfig, mp: int) -> str:
    """What to change so that a layout obeys the rules of `structural_problems`."""
    heads = ", ".join(str(t) for t in (1, 2, 4, 8, 16, 32) if model.heads % t == 0)
    return (f"use --devices a multiple of tp x pp x cp (= {mp}); a --tp dividing the {model.heads} heads "
            f"({heads}); --pp x --vp <= {model.layers} layers; a --global-batch divisible by dp x --mbs; or run "
            "`accelopt plan` to search only valid layouts")


def predict_layout(q: LayoutQuery, cals: dict[str, Calibration] | None = None) -> LayoutResult:
    """Predict one layout. A layout breaking a structural rule raises InfeasibleError (its arithmetic would
    mean nothing); one that only overflows memory is returned with fits_memory False. `cals` (loaded
    calibrations) defaults to load_calibrations(q.calibration)."""
    _check_values(q)
    seq_len = q.seq_len if q.seq_len is not None else q.model.seq_len
    batch = q.global_batch_seqs if q.global_batch_seqs is not None else default_global_batch(seq_len)
    setup = Setup(model=q.model, seq_len=seq_len, global_batch=batch, tokens=q.tokens, dtype=q.dtype,
                  flash=q.flash, edge_stage_layers=q.edge_stage_layers, facility=q.facility)
    spec = get_device(q.hardware, q.catalog)
    cal = calibration_for(spec, cals if cals is not None else load_calibrations(q.calibration), q.stack)
    mp = q.tp * q.pp * q.cp
    dp = max(1, q.devices // mp)
    m = max(1, batch // (dp * q.mbs))
    lay = Layout(tp=q.tp, pp=q.pp, dp=dp, cp=q.cp, ep=q.ep, vp=q.vp, mbs=q.mbs, m=m, zero=q.zero,
                 recompute=q.recompute, sp=q.sp and q.tp > 1, overlap=q.overlap)
    arr = Layouts.of([lay])
    why = [msg for mask, msg in structural_problems(setup, arr, np.array([q.devices])) if bool(np.any(mask))]
    if q.devices % mp:
        why.insert(0, f"{q.devices} devices is not a multiple of tp x pp x cp = {mp}")
    if why:
        raise InfeasibleError(f"layout {layout_text(lay)} on {q.devices} x {spec.name} is invalid: "
                              + "; ".join(why), structural_fix(q.model, mp))
    pred = evaluate(setup, spec, arr, cal)
    return LayoutResult(setup=setup, spec=spec, layout=lay, cal=cal, terms=pred.row(0),
                        fits_memory=bool(pred.feasible[0]), assumed=pred.assumed)

