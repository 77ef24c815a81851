"""Where the GEMM-efficiency curve a training prediction uses comes from, in words that are true for every calibration
family, software stack and precision: fitted on named published runs, carried over from another family's fit (and
not fitted here), derived from a cited measurement, the default curve of a device no family covers, or a probed
spec's measured rates.

A static description of the calibration file (predict/data/calibration.toml or --calibration), read from its values
and `fitted_on` / `fp8_fitted_on` / `derived_from` / `fp8_derived_from` fields; nothing is validated at plan time
(`accelopt validate` reports held-out errors).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from accelopt.predict.calibration import Calibration
from accelopt.units import unit

KINDS = ("fitted", "carried", "derived", "default", "unfitted", "measured")
"""fitted: fitted on the runs in `fitted_on`; carried: the values of another family's fit (`from_family`), not fitted
on runs of this family; derived: derived from a cited measurement (`text`), not fitted; default: the default curve,
no calibration family matches the device (so none of its runs was fitted); unfitted: the family's own values, neither
fitted nor derived; measured: a probed spec, whose measured peaks are the achieved rates."""

_TAGS = {"fitted": "", "carried": "not fitted here: {from_family} fit", "derived": "not fitted: derived",
         "default": "uncalibrated: default curve", "unfitted": "uncalibrated", "measured": "probed"}


@dataclass(frozen=True, kw_only=True)
class CurveBasis:
    """Where the matmul-efficiency values of one device's calibration come from, for one precision and stack."""

    device: str
    family: str
    """The calibration family the device matches ([family.NAME])."""
    stack: str
    precision: str
    """'16-bit' (bf16/fp16 GEMMs: matmul_eff_max, matmul_half_flop) or 'fp8' (fp8_matmul_eff_max)."""
    kind: str
    """One of KINDS."""
    fitted_on: list[str] = field(default_factory=list)
    """Published runs the values were fitted on: this family's (fitted) or `from_family`'s (carried); else empty."""
    from_family: str = ""
    """carried: the family (and stack, 'family/stack' when not the family's own table) whose fit is used."""
    text: str
    """The sentence printed beside the prediction."""
    device_ratio: float = unit("x", default=1.0)
    """The factor on the family's eff_max at this precision for this device: its measured matmul fraction of peak
    over the family's reference device's (Calibration.device_scaled); 1 when not scaled."""

    @property
    def tag(self) -> str:
        """Short label for a table cell ('' when fitted)."""
        return _TAGS[self.kind].format(from_family=self.from_family)


def _curve(cal: Calibration, fp8: bool) -> tuple[float, ...]:
    """The values that set a GEMM's efficiency at this precision."""
    return (cal.fp8_matmul_eff_max,) if fp8 else (cal.matmul_eff_max, cal.matmul_half_flop, cal.matmul_half_s)


def _rows(cal: Calibration, fp8: bool) -> tuple[str, ...]:
    return cal.fp8_fitted_on if fp8 else cal.fitted_on


@dataclass(frozen=True)
class _Table:
    """One table of the calibration file: a family's own values or a per-stack override."""

    short: str
    """'nvidia-ampere' or 'nvidia-hopper/pytorch-fsdp' (CurveBasis.from_family)."""
    cited: str
    """'[family.nvidia-ampere] (megatron stack)' or '[family.nvidia-hopper.stack.pytorch-fsdp]'."""
    cal: Calibration


def _tables(cals: dict[str, Calibration]) -> list[_Table]:
    """Every family's own table and per-stack override table, in file order."""
    out: list[_Table] = []
    for name, fam in cals.items():
        out.append(_Table(name, f"[family.{name}] ({fam.stack} stack)", fam))
        out += [_Table(f"{name}/{stack}", f"[family.{name}.stack.{stack}]", sub) for stack, sub in fam.stacks.items()]
    return out


def _fitted_source(cal: Calibration, fp8: bool, cals: dict[str, Calibration]) -> _Table | None:
    """The first other fitted table of `cal`'s own family whose curve at this precision is `cal`'s exactly: where
    the curve came from (a stack table inherits what it does not set from its family's table, or copies a sibling
    stack's fit, as calibration.toml's nvidia-hopper / torchtitan says). Another family's table is never the source
    by equal values (an nvidia-ampere table edited to the nvidia-hopper fit's values was labelled as carried from
    it); a family that keeps another's fit says so in carried_from."""
    for t in _tables(cals):
        if t.cal.family != cal.family or t.cal.stack == cal.stack:
            continue
        if _rows(t.cal, fp8) and _curve(t.cal, fp8) == _curve(cal, fp8):
            return t
    return None


def curve_basis(device: str, cal: Calibration, dtype: str, cals: dict[str, Calibration]) -> CurveBasis:
    """The basis of `cal` (calibration_for(spec, cals, stack)) for GEMMs in `dtype` ('fp8', else 16-bit): that of
    the family's own values, plus what scaling them to this device did (Calibration.device_note)."""
    basis = _family_basis(device, cal.unscaled or cal, dtype, cals)
    fp8 = dtype == "fp8"
    note = cal.device_note_fp8 if fp8 else cal.device_note
    if not note:
        return basis
    return replace(basis, device_ratio=cal.device_ratio_fp8 if fp8 else cal.device_ratio, text=f"{basis.text}; {note}")


def _family_basis(device: str, cal: Calibration, dtype: str, cals: dict[str, Calibration]) -> CurveBasis:
    fp8 = dtype == "fp8"
    precision = "fp8" if fp8 else "16-bit"
    head = f"{precision} GEMM efficiency of [family.{cal.family}] ({cal.stack} stack)"

    def make(kind: str, text: str, fitted_on: tuple[str, ...] | list[str] = (), from_family: str = "") -> CurveBasis:
        return CurveBasis(device=device, family=cal.family, stack=cal.stack, precision=precision, kind=kind,
                          fitted_on=list(fitted_on), from_family=from_family, text=text)

    if cal.family == "probed":
        return make(kind="measured", text=f"{head}: a probed spec, its measured peaks used as achieved "
                          f"rates (eff_max {cal.matmul_eff_max:g}), not fitted on published runs (estimate); its MFU "
                          "divides by those measured peaks, not the datasheet's that a published MFU divides by "
                          "(PaLM, Chowdhery et al. 2022, app. B), so it reads higher (e.g. an H200 probed at 665 of "
                          "its 989.5 bf16 TFLOP/s: 1.49x, benchmarks/results/gpu_nvidia-h200)")
    rows = _rows(cal, fp8)
    if rows:
        fam = cals.get(cal.family)
        own_table = fam is None or cal.stack == fam.stack or cal.stack in fam.stacks
        note = "" if own_table else f" (the family's own values: no [family.{cal.family}.stack.{cal.stack}] table)"
        return make(kind="fitted", fitted_on=list(rows),
                          text=f"{head}: fitted on {', '.join(rows)}{note}")
    if fp8 and cal.fp8_own and cal.fp8_derived_from:
        return make(kind="derived", text=f"{head}: derived, not fitted: {cal.fp8_derived_from}")
    if fp8 and not cal.fp8_own:  # no fp8 value: fp8 GEMMs at the 16-bit eff_max
        inner = _family_basis(device, cal, "bf16", cals)
        own_fit = inner.kind == "fitted"  # fitted on 16-bit runs, not on fp8 ones
        return make(kind="carried" if own_fit else inner.kind, fitted_on=inner.fitted_on,
                          from_family=f"{cal.family} 16-bit" if own_fit else inner.from_family,
                          text=f"{head}: no fp8 value of its own, so fp8 GEMMs run at the 16-bit eff_max "
                               f"{cal.matmul_eff_max:g}, whose basis is: {inner.text.split(': ', 1)[1]}"
                               + ("; not fitted on fp8 runs (estimate)" if own_fit else ""))
    derived = "" if fp8 else cal.derived_from
    if derived:
        return make(kind="derived", text=f"{head}: derived, not fitted: {derived}")
    kept = "" if fp8 else cal.carried_from
    if kept:  # another family's earlier fit, kept here while that family was refitted
        name = kept.split(":", 1)[0].strip()
        return make(kind="carried", from_family=name, fitted_on=cals[name].fitted_on if name in cals else (),
                    text=f"{head}: carried over from {kept}; not fitted on runs of this family (estimate)")
    src = _fitted_source(cal, fp8, cals)
    carried = f"the fit of {src.cited} on {', '.join(_rows(src.cal, fp8))}" if src else ""
    if cal.family == "default":
        return make(kind="default", fitted_on=list(_rows(src.cal, fp8)) if src else [],
                          from_family=src.short if src else "",
                          text=f"{head}: the default curve{f' (the values of {carried})' if carried else ''}; no "
                               "calibration family "
                               f"matches {device}, so no run of it was fitted (uncalibrated estimate)")
    if src:
        return make(kind="carried", fitted_on=list(_rows(src.cal, fp8)), from_family=src.short,
                          text=f"{head}: carried over from {carried}; not fitted on runs of this family "
                               "(estimate)")
    return make(kind="unfitted", text=f"{head}: this family's own values, fitted on no published run "
                      "(uncalibrated estimate; see calibration.toml)")
