"""[family.nvidia-blackwell]'s GB300 fp8 factor (gb3, session 37, 2026-12-06, issue 10): fp8_device_factor on
fp8_factor_device "gb300", fitted on MLPerf Training v5.1's 72-GPU GB300 / GB200 Llama 3.1 8B FP8 pair's forward-only
ratio (calibration.toml states the rule; tests/test_calibration_fits.py re-runs it). Here: it is applied by one rule
(every GB300 fp8 training prediction, every stack; nothing else), `plan explain` prints it with its source (text and
JSON), and a calibration file that gives a factor without its device or fit rows is refused."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from accelopt.cli.main import main
from accelopt.errors import InputError
from accelopt.hardware.catalog import get_device
from accelopt.predict.calibration import STACKS, bundled_text, calibration_for, load_calibrations, with_device_factor

FAMILY = "nvidia-blackwell"


def test_the_factor_scales_gb300_fp8_on_every_stack_and_nothing_else() -> None:
    cals = load_calibrations()
    fam = cals[FAMILY]
    f = fam.fp8_device_factor
    assert fam.fp8_factor_device == "gb300" and f > 1.0
    assert len(fam.fp8_factor_fitted_on) == 2
    for stack in STACKS:
        gb300 = calibration_for(get_device("gb300"), cals, stack)
        plain = calibration_for(get_device("gb300"), {**cals, FAMILY: replace(fam, fp8_device_factor=1.0)}, stack)
        assert gb300.fp8_matmul_eff_max == pytest.approx(min(1.0, plain.fp8_matmul_eff_max * f))
        assert gb300.matmul_eff_max == plain.matmul_eff_max  # the 16-bit curve keeps the family's value
    for other in ("b200", "gb200", "b300"):  # the family's other devices: unchanged
        spec = get_device(other)
        mine, plain = (calibration_for(spec, c) for c in (cals, {**cals, FAMILY: replace(fam, fp8_device_factor=1.0)}))
        assert (mine.fp8_matmul_eff_max, mine.device_note_fp8) == (plain.fp8_matmul_eff_max, plain.device_note_fp8)


def test_a_measured_fp8_rate_replaces_the_factor() -> None:
    fam = load_calibrations()[FAMILY]
    spec = get_device("gb300")
    measured = replace(spec, measured_matmul_flop_per_s={**spec.measured_matmul_flop_per_s, "fp8": 3.0e15})
    assert with_device_factor(fam, measured) is fam
    assert with_device_factor(fam, spec).fp8_matmul_eff_max == pytest.approx(fam.fp8_matmul_eff_max
                                                                             * fam.fp8_device_factor)


def _explain(capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    with pytest.raises(SystemExit) as e:
        main(["plan", "explain", "--model", "llama3-8b", "--hardware", "gb300", "--devices", "8", "--dtype", "fp8",
              *extra])
    assert e.value.code in (0, None)
    return capsys.readouterr().out


def test_plan_explain_shows_the_factor_and_its_source(capsys: pytest.CaptureFixture[str]) -> None:
    fam = load_calibrations()[FAMILY]
    text = " ".join(_explain(capsys).split())
    assert f"x{fam.fp8_device_factor:g} on gb300 (fp8_device_factor, FITTED on" in text
    assert "mlcommons/training_results_v5.1@4da2d1cd" in text
    doc = json.loads(_explain(capsys, "--json"))
    basis = doc["calibration_basis"]
    assert basis["device_ratio"] == pytest.approx(fam.fp8_device_factor)
    assert "fp8_device_factor" in basis["text"] and all(r in basis["text"] for r in fam.fp8_factor_fitted_on)


def test_a_factor_without_its_device_is_refused(tmp_path: Path) -> None:
    from accelopt.predict.calibration import user_families

    path = tmp_path / "cal.toml"
    path.write_text('[family.mine]\nmatch = ["gb300*"]\nmatmul_eff_max = 0.7\nmatmul_half_flop = 1e9\n'
                    "memory_eff = 0.8\nscaleup_bw_eff = 0.8\nscaleout_bw_eff = 0.8\noverlap_eff = 0.8\n"
                    "kernel_overhead_s = 4e-6\nframework_overhead_bytes = 2.5e9\nfp8_device_factor = 1.2\n")
    with pytest.raises(InputError, match="without fp8_factor_device and fp8_factor_fitted_on"):
        user_families(path)


THREE_TP4_ROWS = tuple(f"{rel}-gb300-llama31-405b-fp8" for rel in ("mb2604", "mb260401", "mb2606"))


def _errors() -> dict[str, float]:
    from accelopt.predict.validation import read_runs, reproduce_rows

    rows = [r for r in read_runs() if r["id"] in THREE_TP4_ROWS]
    return {r.id: r.error for r in reproduce_rows(rows)}


def test_the_three_tp4_rows_notes_quote_their_move() -> None:
    """The rows' notes quote before -> after; before: the model without the factor (conftest.gb300_before_gb3_ctx)."""
    from conftest import gb300_before_gb3_ctx  # tests/ is on sys.path

    from accelopt.predict.validation import read_runs

    after = _errors()
    with gb300_before_gb3_ctx():
        before = _errors()
    notes = {r["id"]: r["note"] for r in read_runs() if r["id"] in THREE_TP4_ROWS}
    for rid in THREE_TP4_ROWS:
        assert before[rid] > 0.25 >= abs(after[rid]), rid
        assert f"took this row from {100 * before[rid]:+.1f}% to {100 * after[rid]:+.1f}%" in notes[rid], rid


def test_the_fit_rows_notes_quote_the_forward_only_medians() -> None:
    """The two fit rows' notes and the runs file's gb3 block quote the published forward-only medians the rule fits."""
    from test_gb300_mlperf_pair_scaling import _valid  # tests/ is on sys.path

    from accelopt.predict.runs_csv import bundled_runs_text
    from accelopt.predict.validation import read_runs

    notes = {r["id"]: r["note"] for r in read_runs()}
    fam = load_calibrations()[FAMILY]
    for rid in fam.fp8_factor_fitted_on:
        hw = "gb300" if "-gb300-" in rid else "gb200"
        assert f"forward-only validation_step_time median {1e3 * _valid(72, hw):.1f} ms." in notes[rid], rid
    block = " ".join(bundled_runs_text("published_training_runs.csv").split())
    g3, g2 = 1e3 * _valid(72, "gb300"), 1e3 * _valid(72, "gb200")
    assert f"GB300 {g3:.1f} ms, GB200 {g2:.1f} ms, {g2 / g3:.3f}x" in block
    assert f"target {g2:.2f} / {g3:.2f} ms = {g2 / g3:.3f}x" in bundled_text()  # the FITTED comment
