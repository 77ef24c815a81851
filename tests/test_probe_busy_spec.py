"""A spec `probe` measured on a busy machine was saved like a quiet one: the TOML kept no trace of the
"machine was busy" warning, so a later `profile --probed FILE` (or `plan --hardware FILE`, `catalog show FILE`)
used its low peaks without a word. The warning now travels in the figures' source (as the collectives link's
does), and profile prints it as a note (console, JSON, HTML)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main
from test_distributed_units import _probe_result

from accelopt.hardware.catalog import get_device
from accelopt.measure.contention import ContentionReport, spec_warning
from accelopt.measure.probe import spec_toml

BUSY = "other processes used 1.50 cores on average while measuring"


def _spec(tmp_path: Path, report: ContentionReport) -> Path:
    import dataclasses

    result = _probe_result()
    copy = dataclasses.replace(result.figures[-1], metric="stream.copy")  # measured, never saved into the spec
    result.figures.append(copy)
    result.contention = report
    path = tmp_path / "probed.toml"
    path.write_text(spec_toml(result))
    return path


def test_a_busy_probe_marks_the_saved_peaks(tmp_path: Path) -> None:
    report = ContentionReport()
    report.add(BUSY, "matmul.fp32", "stream.triad")
    spec = get_device(str(_spec(tmp_path, report)))
    assert spec_warning(spec) == BUSY
    assert BUSY in (spec.source_of("peak_flop_per_s.fp32") or "")


def test_a_quiet_probe_or_an_unsaved_figure_leaves_no_mark(tmp_path: Path) -> None:
    assert spec_warning(get_device(str(_spec(tmp_path, ContentionReport())))) is None
    report = ContentionReport()  # stream.copy is measured but not saved into the spec
    report.add("stream.copy: spread (p90 - p10) / median = 64% (threshold 50%)", "stream.copy")
    assert spec_warning(get_device(str(_spec(tmp_path, report)))) is None
    assert spec_warning(get_device("h100-sxm")) is None


def test_a_saved_figures_warning_keeps_the_machine_wide_ones_only(tmp_path: Path) -> None:
    report = ContentionReport()
    report.add(BUSY, "matmul.fp32", "stream.copy", "stream.triad")
    report.add("stream.copy: spread (p90 - p10) / median = 64% (threshold 50%)", "stream.copy")
    assert spec_warning(get_device(str(_spec(tmp_path, report)))) == BUSY


def test_profile_with_a_busy_probed_spec_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report = ContentionReport()
    report.add(BUSY, "matmul.fp32", "stream.triad")
    path = _spec(tmp_path, report)
    code, out, err = run_main(["profile", "mlp", "--steps", "3", "--warmup", "1", "--probed", str(path), "--json"],
                              capsys)
    assert code == 0, err
    notes = json.loads(out)["diagnosis"]["notes"]
    assert any(n.startswith("--probed testhost-cpu was probed on a busy machine (" + BUSY) for n in notes), notes


@pytest.mark.parametrize("argv", [
    ["plan", "--model", "gpt3-125m", "--devices", "1", "--tokens", "1e9", "--json"],
    ["plan", "explain", "--model", "gpt3-125m", "--devices", "1", "--tokens", "1e9", "--json"],
    ["plan", "serve", "--model", "gpt3-125m", "--batch", "1", "--json"],
])
def test_plan_with_a_busy_hardware_spec_says_so(argv: list[str], tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """plan, plan explain and plan serve warn on stderr (the JSON stays whole) that --hardware FILE was probed on a
    busy machine; a quiet spec gets no warning. This spec has no bf16 peak, so each run then exits 2: the warning
    comes first, as the spec is read."""
    for report, busy in ((ContentionReport(), False), (_busy_report(), True)):
        path = _spec(tmp_path, report)
        code, out, err = run_main([*argv, "--hardware", str(path)], capsys)
        assert ("--hardware testhost-cpu was probed on a busy machine (" + BUSY in err) is busy, err
        if code == 0:
            json.loads(out)


def _busy_report() -> ContentionReport:
    report = ContentionReport()
    report.add(BUSY, "matmul.fp32", "stream.triad")
    return report


def test_a_busy_probe_marks_the_saved_op_size_curve(tmp_path: Path) -> None:
    # the ladder is timed in the same busy window, and its curve is fitted against the disturbed matmul peak: its
    # source (catalog show prints it beside inference_curve.*) carried no warning while the peaks' did
    report = ContentionReport()
    report.add(BUSY, "matmul.fp32", "stream.triad")
    result = _probe_result()
    result.contention = report
    path = tmp_path / "probed.toml"
    path.write_text(spec_toml(result, curve=({"matmul_eff_max": 0.8, "matmul_half_flop": 1e5}, "fitted by x")))
    spec = get_device(str(path))
    assert BUSY in (spec.source_of("inference_curve.matmul_half_flop") or "")
    quiet = _probe_result()
    path.write_text(spec_toml(quiet, curve=({"matmul_eff_max": 0.8, "matmul_half_flop": 1e5}, "fitted by x")))
    assert get_device(str(path)).source_of("inference_curve.matmul_half_flop") == "fitted by x"
