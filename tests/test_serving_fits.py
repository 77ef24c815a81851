"""Every fitted `[serving.*]` value in the bundled calibration.toml is what its declared rule gives on today's model.

The serving counterpart of tests/test_calibration_fits.py. Each rule (grids, fitted fields, rows, start) is written in
calibration.toml above its table; fit_serving runs it from the rule's declared START (the [serving.default] values of
the fitted fields), not from the bundled values: a search started at the bundled values only shows they are a local
grid optimum, and passes on values the rule would no longer give. A model change that moves a fit row must be
followed by re-running the rule and recording the new values (with the date and reason) in calibration.toml."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from accelopt.hardware.catalog import get_device
from accelopt.predict import serving
from accelopt.predict.serving_validation import fit_serving
from accelopt.workload.presets import get_model


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


# --- derived tables (rmi355, 2026-12-06): values read off a measurement, not fitted ---------------------------------
# [serving.amd-instinct-cdna4]: the sglang-mi355x-l31-8b page (public GitHub repository file '# Llama-3.1-8B-Instruct on
# MI355X — SGLang + aiter, TP=1, ragged-gather prefill attention', code index id 60964108166), the profiler trace of
# its stock run. 'Workload': 'decode 17.28 ms/step x 3072 steps = 53.1 s of a 74.6 s run ... Within a prefill batch:
# GEMM 66.0%, attention 23.3%'; 'What was tried' row 11: the small-kernel bucket, '1154 us of a 17281 us decode step'.
TRACE_RUN_S, TRACE_STEP_S, TRACE_STEPS, TRACE_WAVES = 74.6, 17.28e-3, 3072, 3
TRACE_PREFILL_ATTN_SHARE = 0.233
SMALL_KERNELS_STEP_S, SMALL_KERNELS_OF_STEP_S = 1154e-6, 17281e-6
WAVE, PROMPT = 64, 8192  # 'Workload': concurrency 64, ISL 8192 (three waves of 64)
# The same page's cross-checks ('The numbers, kept separate on purpose'; 'Engagement check'): the isolated prefill
# attention kernel at the benchmark's chunk shape (3 sequences, q 2 / 8193 / 8189 on kv 8193 / 8193 / 8189) takes
# 1724.25 us a layer; the scheduler's stock prefill batches run at 70616 tok/s (16384 tokens each)
ISOLATED_ATTN_LAYER_S, STOCK_PREFILL_TOK_S, CHUNK_TOKENS = 1724.25e-6, 70616, 16384


def _trace_prefill_attention_rate() -> float:
    """FLOP/s of the trace's prefill attention: the wave's causal attention FLOPs over its share of a wave's prefill."""
    prefill_s = (TRACE_RUN_S - TRACE_STEP_S * TRACE_STEPS) / TRACE_WAVES
    flops = serving.prefill_attention_flops(get_model("llama3-8b"), WAVE, PROMPT)
    return flops / (TRACE_PREFILL_ATTN_SHARE * prefill_s)


def _cdna4_derived() -> dict[str, float]:
    bf16_peak = get_device("mi355x").peak_flop_per_s["bf16"]
    return {"per_step_overhead_s": SMALL_KERNELS_STEP_S,
            "attention_compute_efficiency": round(_trace_prefill_attention_rate() / bf16_peak, 3)}


DERIVED = {"amd-instinct-cdna4": _cdna4_derived}
"""Each derived [serving.*] table -> its values recomputed from the measurement its derived_from cites."""


def test_every_derived_table_has_its_derivation_here() -> None:
    tables = serving.serving_calibrations()
    assert {name for name, t in tables.items() if t.derived_from} == set(DERIVED)
    for name in DERIVED:
        t = tables[name]
        assert not t.fitted and not t.fitted_on and t.derived_on  # derived, not fitted; its run's rows named


@pytest.mark.parametrize("table", sorted(DERIVED))
def test_derived_values_are_the_measurements(table: str) -> None:
    t, values = serving.serving_calibrations()[table], DERIVED[table]()
    assert set(t.derived_fields) == set(values)  # the table gives nothing else of its own
    for name, value in values.items():
        assert getattr(t, name) == pytest.approx(value, abs=1e-12), name


def test_cdna4_values_are_of_the_trace_and_agree_with_the_pages_kernel_times() -> None:
    """The figures the table's comment quotes; the page's isolated kernel time at the benchmark's chunk shape gives the
    prefill attention within 6% of the trace's rate, and the scheduler's batch time puts it at the trace's share."""
    spec, llama = get_device("mi355x"), get_model("llama3-8b")
    assert pytest.approx(SMALL_KERNELS_OF_STEP_S, abs=1e-5) == TRACE_STEP_S  # row 11's step is the trace's
    rate = _trace_prefill_attention_rate()
    assert f"{rate / 1e12:.0f}" == "674" and f"{rate / spec.peak_flop_per_s['bf16']:.3f}" == "0.268"
    # one chunk, one layer: the 2-token continuation on 8193 keys, two causal prompts of 8193 and 8189
    pairs = 2 * 8193 + 8193 * 8194 / 2 + 8189 * 8190 / 2
    kernel_rate = llama.attn_core_flops_per_key() * pairs / ISOLATED_ATTN_LAYER_S
    assert f"{kernel_rate / 1e12:.0f}" == "638" and f"{kernel_rate / spec.peak_flop_per_s['bf16']:.3f}" == "0.253"
    assert abs(kernel_rate / rate - 1) < 0.06
    share = llama.layers * ISOLATED_ATTN_LAYER_S / (CHUNK_TOKENS / STOCK_PREFILL_TOK_S)
    assert f"{share:.1%}" == "23.8%" and abs(share - TRACE_PREFILL_ATTN_SHARE) < 0.01


def test_derived_rows_have_the_derived_role_and_no_held_out_figure() -> None:
    from accelopt.predict.serving_validation import read_serving_runs, role_lines, validate_serving

    rows = read_serving_runs()[0]
    derived_on = {rid for t in serving.serving_calibrations().values() for rid in t.derived_on}
    assert {r["id"] for r in rows if r["role"] == "derived"} == derived_on
    assert not role_lines(rows, None)  # the bundled files agree
    report = validate_serving()
    held = sorted(abs(r.error) for r in report.runs if r.role == "test" and r.error is not None)
    assert report.median_abs_error_held_out == pytest.approx(float(np.median(held)))
    assert all(r.error is not None for r in report.runs if r.id in derived_on)  # predicted, just not judged
    test_row = next(r for r in rows if r["id"] == sorted(derived_on)[0])
    assert role_lines([{**test_row, "role": "test"}], None)[0].endswith("— write derived")


def test_a_derived_table_must_say_what_it_is_derived_from(tmp_path: Path) -> None:
    from accelopt.errors import InputError
    from accelopt.predict.calibration import load_serving_tables

    f = tmp_path / "cal.toml"
    f.write_text('[serving.mine]\nmatch = ["mi355*"]\nderived_on = ["some-row"]\nper_step_overhead_s = 1e-3\n',
                 encoding="utf-8")
    with pytest.raises(InputError, match="derived_on rows but gives no derived_from"):
        load_serving_tables(f)
    f.write_text('[serving.mine]\nmatch = ["mi355*"]\nderived_from = 0.268\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"derived_from = 0\.268 is not text"):
        load_serving_tables(f)


def test_a_user_derived_table_caption_names_what_it_rests_on(tmp_path: Path) -> None:
    """A user's derived [serving.default] said its other values were '[serving.default]'s' (itself), and a derived
    table setting no value printed 'derived, not fitted:  from ...' with an empty list (rev1, 2026-12-06)."""
    f = tmp_path / "cal.toml"
    f.write_text('[serving.default]\nper_step_overhead_s = 1e-3\nderived_from = "my trace"\n'
                 '[serving.mine]\nmatch = ["mi355*"]\nderived_from = "my trace"\n', encoding="utf-8")
    cals = serving.serving_calibrations(str(f))
    default = cals["default"].uncalibrated_caveat("mi350x")
    assert "per_step_overhead_s from my trace" in default and "[serving.default]'s" not in default
    assert "ServingCalibration's built-in defaults" in default
    mine = cals["mine"].uncalibrated_caveat("mi355x")
    assert "sets no value of its own" in mine and ":  from" not in mine
    f.write_text('[serving.mine]\nmatch = ["mi355*"]\nmemory_basis = "total"\nreference_device = "mi355x"\n'
                 'per_step_overhead_s = 1e-3\nderived_from = "my trace"\n', encoding="utf-8")
    mine = serving.serving_calibrations(str(f))["mine"]
    assert mine.derived_fields == ("per_step_overhead_s",)  # the text rules are not derived figures


def test_a_user_table_naming_no_known_run_is_warned_about(tmp_path: Path) -> None:
    """A --calibration file's [serving.*] fitted_on / derived_on id that is in neither the runs validated nor the
    bundled file (a typo) left the run the user meant held out without a word, where training's [family.*]
    fitted_on says so (rev1's leftover, 2026-12-06): the warning names the table, the key, the id and the closest."""
    from accelopt.predict.serving_validation import read_serving_runs, unknown_id_lines

    rows = read_serving_runs()[0]
    rid = next(r["id"] for r in rows if r["hardware"] == "mi355x")
    f = tmp_path / "cal.toml"
    f.write_text(f'[serving.mine]\nmatch = ["mi355*"]\nfitted_on = ["{rid}", "{rid}x"]\n'
                 f'derived_on = ["nosuch-row"]\nderived_from = "my trace"\nper_step_overhead_s = 1e-3\n',
                 encoding="utf-8")
    lines = unknown_id_lines(rows, str(f))
    assert len(lines) == 2, lines
    assert lines[0].startswith(f"warning: [serving.mine] fitted_on names '{rid}x', a run in neither")
    assert f"(did you mean '{rid}'?)" in lines[0]
    assert lines[1].startswith("warning: [serving.mine] derived_on names 'nosuch-row'")
    assert not unknown_id_lines(rows, None)  # the bundled tables name bundled rows
    f.write_text(f'[serving.mine]\nmatch = ["mi355*"]\nfitted_on = ["{rid}"]\n', encoding="utf-8")
    assert not unknown_id_lines(rows, str(f))
