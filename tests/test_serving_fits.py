"""Every fitted `[serving.*]` value in the bundled calibration.toml is what its declared rule gives on today's model.

The serving counterpart of tests/test_calibration_fits.py. Each rule (grids, fitted fields, rows, start) is written in
calibration.toml above its table; fit_serving runs it from the rule's declared START (the [serving.default] values of
the fitted fields), not from the bundled values: a search started at the bundled values only shows they are a local
grid optimum, and passes on values the rule would no longer give. A model change that moves a fit row must be
followed by re-running the rule and recording the new values (with the date and reason) in calibration.toml."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from accelopt.hardware.catalog import get_device
from accelopt.predict import serving
from accelopt.predict.serving_validation import fit_serving


def _grid(lo: float, hi: float, step: float) -> list[float]:
    return [round(float(x), 10) for x in np.arange(lo, hi + step / 2, step)]


# The Hopper table's grids, reused by the Gaudi tables ("on the Hopper table's grids", calibration.toml).
_EFF, _BW = _grid(0.10, 1.00, 0.05), _grid(0.50, 0.95, 0.025)
_STEP_S, _REQUEST_S = _grid(0, 10e-3, 0.25e-3), _grid(0, 10e-3, 0.5e-3)

# table -> (the declared grids, in the rule's order, and the fit's mean |log error| recorded in calibration.toml)
RULES: dict[str, tuple[dict[str, list[float]], float]] = {
    "nvidia-hopper": ({"prefill_compute_efficiency": _EFF, "attention_compute_efficiency": _EFF,
                       "decode_compute_efficiency": _EFF, "decode_bandwidth_efficiency": _BW,
                       "per_step_overhead_s": _STEP_S, "per_request_overhead_s": _REQUEST_S}, 0.050),
    "nvidia-blackwell": ({"fp4_gemm_efficiency_ratio": _grid(0.30, 1.00, 0.05)}, 0.108),
    "intel-gaudi2": ({"prefill_compute_efficiency": _EFF, "decode_compute_efficiency": _EFF,
                      "decode_bandwidth_efficiency": _BW, "per_step_overhead_s": _STEP_S,
                      "per_request_overhead_s": _REQUEST_S}, 0.092),
    "intel-gaudi3": ({"prefill_compute_efficiency": _EFF, "decode_compute_efficiency": _EFF,
                      "decode_bandwidth_efficiency": _BW, "per_step_overhead_s": _STEP_S}, 0.026),
    "amd-instinct-cdna3": ({"decode_bandwidth_efficiency": _grid(0.40, 0.95, 0.025),
                            "decode_compute_efficiency": _EFF, "per_step_overhead_s": _grid(0, 20e-3, 0.25e-3)},
                           0.066),
    "google-tpu-v6e": ({"decode_bandwidth_efficiency": _grid(0.20, 0.95, 0.025), "per_step_overhead_s": _STEP_S,
                        "prefill_compute_efficiency": _EFF}, 0.135),
    "aws-neuroncore-v2": ({"decode_bandwidth_efficiency": _grid(0.30, 0.95, 0.025),
                           "link_step_latency_s": _grid(0, 20e-6, 0.5e-6),
                           "prefill_compute_efficiency": _grid(0.05, 0.95, 0.025),
                           "per_step_overhead_s": _grid(0, 5e-3, 0.1e-3),
                           "per_request_overhead_s": _grid(0, 50e-3, 1e-3)}, 0.044),  # 0.050 until rtrn2
    "nvidia-ampere": ({"prefill_compute_efficiency": _EFF, "attention_compute_efficiency": _EFF,
                       "decode_compute_efficiency": _EFF, "per_step_overhead_s": _STEP_S}, 0.101),
    "nvidia-ada": ({"prefill_compute_efficiency": _EFF, "decode_compute_efficiency": _EFF,
                    "decode_bandwidth_efficiency": _BW, "per_step_overhead_s": _STEP_S}, 0.014),
}
# nvidia-ampere's decode bandwidth is not in its grid: it is gpt-fast's published achieved bandwidth over the A100's.
GPT_FAST_A100_7B_BYTE_PER_S = 1397.31e9  # gpt-fast README, Llama-2-7B bf16 batch 1 on A100-80GB: 1397.31 GB/s


def test_every_fitted_table_has_a_rule_here() -> None:
    """[serving.default]'s one fitted cell, pp_host_per_request_s (rpphost, 2026-12-06), is re-run from its declared
    start 0 by tests/test_serving_pp_host_loop.py (its rule holds every other value of the table, so this file's
    start-from-[serving.default] form does not apply to it)."""
    tables = serving.serving_calibrations()
    fitted = {name for name, t in tables.items() if t.fitted_on}
    assert fitted == set(RULES) | {"default"}
    assert sorted(tables["default"].fitted_on) == [f"trt10-rtx6k-l33-70b-tp1-pp{pp}-1000-1000" for pp in (2, 4, 8)]


@pytest.mark.parametrize("table", sorted(RULES))
def test_bundled_values_are_what_the_declared_rule_gives_from_its_start(table: str) -> None:
    grid, recorded_loss = RULES[table]
    tables = serving.serving_calibrations()
    bundled, default = tables[table], tables["default"]
    # the declared start: [serving.default]'s value of each fitted field (None where default has none: e.g. the link
    # latency then comes from predict/comm.py, as in the rule)
    start = replace(bundled, **{k: getattr(default, k) for k in grid})
    fit, loss = fit_serving(table, grid, start=start)
    for name in grid:
        assert getattr(fit, name) == pytest.approx(getattr(bundled, name), abs=1e-12), (table, name)
    assert loss == pytest.approx(recorded_loss, abs=0.0005)


def test_ampere_bandwidth_is_the_published_achieved_fraction() -> None:
    peak_byte_per_s = get_device("a100-sxm-80gb").memory_bandwidth_byte_per_s
    bundled = serving.serving_calibrations()["nvidia-ampere"]
    assert bundled.decode_bandwidth_efficiency == round(GPT_FAST_A100_7B_BYTE_PER_S / peak_byte_per_s, 2)


def test_grouped_gemm_rules_hopper_fitted_blackwell_carried() -> None:
    """[serving.nvidia-hopper]'s grouped-GEMM pair is what serving_moe.fit_grouped_gemm gives on the kernel table's
    fit rows (mean |log error| 0.057, calibration.toml); [serving.nvidia-blackwell] carries it (srvmoe, 2026-12-04:
    the rule's branch (2), no Blackwell kernel table; test_serving_blackwell_grouped_gemm.py)."""
    from accelopt.predict import serving_moe

    compute_eff, bandwidth_eff, loss = serving_moe.fit_grouped_gemm(serving_moe.read_grouped_gemm_table()[0])
    assert loss == pytest.approx(0.057, abs=0.0005)
    tables = serving.serving_calibrations()
    for table in ("nvidia-hopper", "nvidia-blackwell"):
        got = (tables[table].grouped_gemm_compute_efficiency, tables[table].grouped_gemm_bandwidth_efficiency)
        assert got == pytest.approx((compute_eff, bandwidth_eff)), table
