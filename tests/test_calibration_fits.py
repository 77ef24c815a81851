"""Every fitted value in the bundled calibration.toml is what its declared rule gives on today's model.

The rules are written in calibration.toml before each fit (which rows, which parameters, which grid). A model change
that moves a fit row must be followed by re-running the same rule (and saying so in the file); this test fails
when a bundled value is stale, i.e. it is no longer the rule's result on the current model and runs file."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accelopt.hardware.catalog import get_device
from accelopt.predict.calibration import Calibration, load_calibrations
from accelopt.predict.validation import (
    fit_family,
    fit_fp8_device_factor,
    fit_fp8_eff_max,
    fit_stack_eff_max,
    fit_stack_fp8_eff_max,
)

# family (or family/stack) -> (the declared rule, the fields it fits); rows are the file's fitted_on / fp8_fitted_on
RULES: dict[str, tuple[Callable[[str, list[str]], Calibration], tuple[str, ...]]] = {
    "nvidia-ampere": (fit_family, ("matmul_eff_max", "matmul_half_flop")),
    "google-tpu-v5e": (fit_family, ("matmul_eff_max", "matmul_half_flop")),
    "google-tpu-v5p": (lambda fam, rows: fit_stack_eff_max(fam, "megatron", rows), ("matmul_eff_max",)),
    "google-tpu-v4": (lambda fam, rows: fit_stack_eff_max(fam, "megatron", rows), ("matmul_eff_max",)),
    "google-tpu-v6e": (lambda fam, rows: fit_stack_eff_max(fam, "megatron", rows), ("matmul_eff_max",)),
    # hopbf16 (2026-12-01): only matmul_eff_max, on the dgxc-benchmarking H100 BF16 tables' smallest and largest model
    "nvidia-hopper": (lambda fam, rows: fit_stack_eff_max(fam, "megatron", rows), ("matmul_eff_max",)),
    "nvidia-hopper/pytorch-fsdp": (lambda fam, rows: fit_stack_eff_max(fam, "pytorch-fsdp", rows),
                                   ("matmul_eff_max",)),
    # a3stack (2026-12-04): only the stack's matmul_eff_max, on the one single-VM MaxText A3 row (no DCN traffic)
    "nvidia-hopper/maxtext": (lambda fam, rows: fit_stack_eff_max(fam, "maxtext", rows), ("matmul_eff_max",)),
    # ampfsdp (2026-12-02): the Hopper stack rule carried over, on llm-foundry's A100 MPT-1B and MPT-70B at seq 2048
    "nvidia-ampere/pytorch-fsdp": (lambda fam, rows: fit_stack_eff_max(fam, "pytorch-fsdp", rows),
                                   ("matmul_eff_max",)),
    # ttstack (2026-12-04): only the stack's matmul_eff_max, on the one torchtitan A100 row without activation
    # checkpointing (tt-a100-llama2-13b-noac: no recompute model enters the fit)
    "nvidia-ampere/torchtitan": (lambda fam, rows: fit_stack_eff_max(fam, "torchtitan", rows), ("matmul_eff_max",)),
    # ttstack (2026-12-04): only the stack's fp8_matmul_eff_max, on the torchtitan H200 FP8 row on fewer hosts (4 of 8)
    "nvidia-hopper/torchtitan/fp8": (lambda fam, rows: fit_stack_fp8_eff_max(fam, "torchtitan", rows),
                                     ("fp8_matmul_eff_max",)),
    "nvidia-hopper/fp8": (fit_fp8_eff_max, ("fp8_matmul_eff_max",)),
    "nvidia-blackwell/fp8": (fit_fp8_eff_max, ("fp8_matmul_eff_max",)),
    "intel-gaudi2/fp8": (fit_fp8_eff_max, ("fp8_matmul_eff_max",)),
    "amd-instinct-cdna3": (lambda fam, rows: fit_stack_eff_max(fam, "megatron", rows), ("matmul_eff_max",)),
    "aws-trainium1": (lambda fam, rows: fit_stack_eff_max(fam, "megatron", rows), ("matmul_eff_max",)),
    # trnstack (2026-12-03): only the stack's matmul_eff_max, on the Megatron-LM GPT3-6.7B row of the newest release
    "aws-trainium1/neuron-megatron-lm": (lambda fam, rows: fit_stack_eff_max(fam, "neuron-megatron-lm", rows),
                                         ("matmul_eff_max",)),
}


# AMD ROCm blog 'Measuring Max-Achievable FLOPs - Part 2' (2025-02-28; ROCm/rocm-blogs at 8e011952aebc), Table 1:
# MI300X BF16 MAF 708 TFLOP/s, one hipBLASLt suite with its FP8 figure (the catalog's measured_matmul_flop_per_s.fp8,
# source 'amd-maf'); the catalog's bf16 measurement is another suite's (stas00 MAMF), so this one is quoted here.
AMD_MAF_BF16_MI300X_FLOP_PER_S = 708e12


def _cdna3_fp8(fam: Calibration) -> float:
    """calibration.toml (amd-instinct-cdna3, 2026-12-02): the family's bf16 fit x MI300X's measured FP8 / BF16 GEMM
    fractions of peak, one suite, rounded to two decimals."""
    mi300x = get_device("mi300x")
    fp8 = mi300x.measured_matmul_fraction("fp8")
    assert fp8 is not None
    return round(fam.matmul_eff_max * fp8 / (AMD_MAF_BF16_MI300X_FLOP_PER_S / mi300x.peak_flop_per_s["bf16"]), 2)


# stas00/ml-engineering's MAMF table, BF16 (the catalog's 'mamf' source, code index id 58395098631): 'AMD MI355X |
# 1565.0'; the catalog stores no MI355X measured rate (its 'Theory' column prints 2300: calibration.toml, cdna4).
MAMF_BF16_MI355X_FLOP_PER_S = 1565.0e12


def _cdna4_bf16() -> float:
    """calibration.toml (amd-instinct-cdna4, cdna4 2026-12-04; two rows, no fit): amd-instinct-cdna3's fitted bf16 value
    x the MI355X / MI300X measured BF16 GEMM fractions of peak (one suite, MAMF), rounded to two decimals."""
    mi355x, mi300x = get_device("mi355x"), get_device("mi300x")
    mi300x_bf16 = mi300x.measured_matmul_fraction("bf16")
    assert mi300x_bf16 is not None
    share = (MAMF_BF16_MI355X_FLOP_PER_S / mi355x.peak_flop_per_s["bf16"]) / mi300x_bf16
    return round(load_calibrations()["amd-instinct-cdna3"].matmul_eff_max * share, 2)


# family -> the declared derivation of its fp8_matmul_eff_max (a value derived from a cited measurement, not fitted);
# amd-instinct-cdna4 (cdna4, 2026-12-04) takes cdna3's MI300X FP8 / BF16 ratio on its own derived bf16 value
FP8_DERIVED: dict[str, Callable[[Calibration], float]] = {"amd-instinct-cdna3": _cdna3_fp8,
                                                          "amd-instinct-cdna4": _cdna3_fp8}


def test_cdna4_bf16_value_is_its_declared_derivation() -> None:
    """A re-run of amd-instinct-cdna3's bf16 rule moves this derivation's input: the bundled value must follow."""
    fam = load_calibrations()["amd-instinct-cdna4"]
    assert not fam.fitted_on and fam.derived_from and fam.matmul_eff_max == pytest.approx(_cdna4_bf16())


def test_every_derived_fp8_value_has_its_derivation_here() -> None:
    cals = load_calibrations()
    assert {name for name, c in cals.items() if c.fp8_derived_from and not c.fp8_fitted_on} == set(FP8_DERIVED)


@pytest.mark.parametrize("family", sorted(FP8_DERIVED))
def test_bundled_fp8_value_is_its_declared_derivation(family: str) -> None:
    """A re-run of the family's bf16 rule moves the derivation's input: the bundled value must follow."""
    fam = load_calibrations()[family]
    assert fam.fp8_own and fam.fp8_matmul_eff_max == pytest.approx(FP8_DERIVED[family](fam))


# Declared rules that were run and REJECTED by their own terms (calibration.toml records the run and the term): the
# bundled value stays what it was. Re-run here, so a model change that moves such a rule's result off its grid edge
# fails this test: the declared rule (not a new reading of it) then applies, and the bundled value becomes its result.
GRID_EDGES = (0.30, 0.98)  # fit_stack_eff_max's and fit_fp8_eff_max's grid, 0.30..0.98 step 0.02
REJECTED_ON_EDGE: dict[str, tuple[Callable[[str, list[str]], Calibration], tuple[str, ...], str]] = {
    # amdfit (2026-12-03): the bf16 fit row's FP8 sibling, one row; optimum 0.30, the grid floor (the rule's term (a))
    "amd-instinct-cdna3/fp8": (fit_fp8_eff_max, ("amd-ih-mi300x-llama31-8b-fp8-s8192",), "fp8_matmul_eff_max"),
}


@pytest.mark.parametrize("key", sorted(REJECTED_ON_EDGE))
def test_a_rule_rejected_on_a_grid_edge_still_lands_there(key: str) -> None:
    rule, rows, name = REJECTED_ON_EDGE[key]
    family = key.partition("/")[0]
    fit = rule(family, list(rows))
    assert any(getattr(fit, name) == pytest.approx(edge) for edge in GRID_EDGES), (key, getattr(fit, name))
    bundled = load_calibrations()[family]
    fitted_on = bundled.fp8_fitted_on if key.endswith("/fp8") else bundled.fitted_on
    assert key not in RULES and not set(rows) & set(fitted_on)
    assert getattr(bundled, name) != pytest.approx(getattr(fit, name))  # the rejected value is not bundled


def _bundled(key: str) -> tuple[Calibration, list[str]]:
    cals = load_calibrations()
    family, _, part = key.partition("/")
    fam = cals[family]
    if part == "fp8":
        return fam, list(fam.fp8_fitted_on)
    stack, _, fp8 = part.partition("/")  # 'STACK' or 'STACK/fp8' (a stack's own fp8 fit)
    cal = fam.stacks[stack] if stack else fam
    return cal, list(cal.fp8_fitted_on if fp8 else cal.fitted_on)


def test_every_fitted_family_has_a_rule_here() -> None:
    cals = load_calibrations()
    fitted = {name for name, c in cals.items() if c.fitted_on}
    fitted |= {f"{name}/fp8" for name, c in cals.items() if c.fp8_fitted_on}
    fitted |= {f"{name}/{s}" for name, c in cals.items() for s, sc in c.stacks.items() if sc.fitted_on}
    fitted |= {f"{name}/{s}/fp8" for name, c in cals.items() for s, sc in c.stacks.items() if sc.fp8_fitted_on}
    assert fitted == set(RULES)


# A fit row moved by a change whose brief left the refit to the lead (it refits after merging): the rule's new result is
# recorded here and in the notes; strict, so the refit (bundled value = the rule's) turns this into a failure to remove.
STALE: dict[str, str] = {}


@pytest.mark.parametrize("key", [pytest.param(k, marks=pytest.mark.xfail(reason=STALE[k], strict=True))
                                 if k in STALE else k for k in sorted(RULES)])
def test_bundled_value_is_what_the_declared_rule_gives(key: str) -> None:
    rule, fields = RULES[key]
    bundled, rows = _bundled(key)
    assert rows, key
    fit = rule(key.partition("/")[0], sorted(rows))
    for name in fields:
        assert getattr(fit, name) == pytest.approx(getattr(bundled, name)), (key, name)


# family -> the declared rule of its fp8_device_factor (calibration.toml; a factor on one device's fp8_matmul_eff_max
# where it has no measured FP8 GEMM rate): the published forward-only ratio its two fit rows are fitted to.
def _mlperf51_8b_72_forward_ratio() -> float:
    """nvidia-blackwell (gb3, 2026-12-06): the median validation_step_time of the evaluation after the first block,
    steps 2-26, GB200 (tyche) over GB300 (theia), 72 GPUs (mlcommons/training_results_v5.1@4da2d1cd, the logs'
    figures as tests/test_gb300_mlperf_pair_scaling.py VALID_S quotes them)."""
    from test_gb300_mlperf_pair_scaling import _valid  # tests/ is on sys.path

    return _valid(72, "gb200") / _valid(72, "gb300")


DEVICE_FACTOR_RULES: dict[str, Callable[[], float]] = {"nvidia-blackwell": _mlperf51_8b_72_forward_ratio}


def test_every_device_factor_has_its_rule_here() -> None:
    cals = load_calibrations()
    assert {name for name, c in cals.items() if c.fp8_factor_fitted_on} == set(DEVICE_FACTOR_RULES)


@pytest.mark.parametrize("family", sorted(DEVICE_FACTOR_RULES))
def test_bundled_device_factor_is_what_the_declared_rule_gives(family: str) -> None:
    fam = load_calibrations()[family]
    assert fam.fp8_device_factor != 1.0 and fam.fp8_factor_device
    fit = fit_fp8_device_factor(family, fam.fp8_factor_fitted_on, DEVICE_FACTOR_RULES[family]())
    assert fit == pytest.approx(fam.fp8_device_factor)
    assert 1.0 < fit < 1.8  # interior of the bisection's interval
