"""A user's own calibration TOML (`plan --calibration`): a new family for a device a bundled family also matches is
used, not passed over; a family that matches nothing, a misspelt field and non-finite or absurd sizes are errors
that name the file, the field and the fix (exit 2), never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main_expect as _cli

FAMILY = """[family.{name}]
match = ["{glob}"]
matmul_eff_max = {eff}
matmul_half_flop = {half}
memory_eff = 0.80
scaleup_bw_eff = 0.80
scaleout_bw_eff = 0.80
overlap_eff = 0.80
kernel_overhead_s = {kernel}
framework_overhead_bytes = 2.5e9
"""


def _file(tmp_path: Path, **kw: str) -> str:
    cells = {"name": "my-h100", "glob": "h100*", "eff": "0.30", "half": "0.5e9", "kernel": "4e-6", **kw}
    p = tmp_path / "mine.toml"
    p.write_text(FAMILY.format(**cells))
    return str(p)


def _plan(capsys: pytest.CaptureFixture[str], *extra: str, code: int = 0) -> tuple[str, str]:
    return _cli(capsys, "plan", "--model", "gpt3-125m", "--hardware", "h100-sxm", "--devices", "8", *extra, code=code)


def test_a_new_family_for_a_bundled_device_is_used(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Was silently ignored: families are matched first-in-file-order and the file's came after the bundled
    nvidia-hopper, whose glob h100* matched first; the plan ran on the bundled 0.74 without a word."""
    bundled = json.loads(_plan(capsys, "--json")[0])
    mine = json.loads(_plan(capsys, "--json", "--calibration", _file(tmp_path))[0])
    assert mine["calibration_basis"][0]["family"] == "my-h100"
    assert mine["best"][0]["step_time_s"] > 1.5 * bundled["best"][0]["step_time_s"]  # GEMMs at 0.30, not 0.74


@pytest.mark.parametrize(("cells", "named"), [
    ({"half": "inf"}, "matmul_half_flop = inf"),
    ({"half": "nan"}, "matmul_half_flop = nan"),
    ({"kernel": "1e300"}, "kernel_overhead_s = 1e+300"),
])
def test_a_non_finite_or_absurd_size_is_refused(cells: dict[str, str], named: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Was a traceback (KeyError 'time' after overflow warnings: every layout's step time inf or NaN)."""
    path = _file(tmp_path, **cells)
    _, err = _plan(capsys, "--calibration", path, code=2)
    assert path in err and named in err and "fix:" in err and "Traceback" not in err


def test_a_family_without_match_globs_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Was accepted and never used (no device can match an empty glob list)."""
    p = Path(_file(tmp_path))
    p.write_text(p.read_text().replace('match = ["h100*"]\n', ""))
    _, err = _plan(capsys, "--calibration", str(p), code=2)
    assert "[family.my-h100] has no match globs" in err and "match = [" in err


def test_a_misspelt_field_is_named_as_such(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Was "family 'my-h100' lacks memory_eff": the misspelling itself went unnamed."""
    p = Path(_file(tmp_path))
    p.write_text(p.read_text().replace("memory_eff", "memory_efff"))
    _, err = _plan(capsys, "--calibration", str(p), code=2)
    assert "unknown field(s) memory_efff" in err
    assert "did you mean 'memory_eff' for 'memory_efff'?" in " ".join(err.split())  # errors.unknown_fields


def test_a_misspelt_serving_field_names_the_field_meant(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """[serving.NAME] listed every allowed field without saying which one was meant (hyg's finding)."""
    p = tmp_path / "serve.toml"
    p.write_text('[serving.my]\nmatch = ["h100*"]\ndecode_bandwidth_eficiency = 0.5\n', encoding="utf-8")
    _, err = _cli(capsys, "plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--batch", "1",
                  "--calibration", str(p), code=2)
    flat = " ".join(err.split())
    assert "unknown field(s) decode_bandwidth_eficiency" in flat
    assert "did you mean 'decode_bandwidth_efficiency' for 'decode_bandwidth_eficiency'?" in flat


@pytest.mark.parametrize(("overhead", "refused"), [("2.5", True), ("0", False), ("3.2e8", False)])
def test_a_framework_overhead_in_gb_is_a_unit_slip(overhead: str, refused: bool, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """framework_overhead_bytes = 2.5 (meaning 2.5 GB) loaded as 2.5 bytes: every mem/dev left the overhead out and a
    layout over the device's memory was reported as fitting (uttrial3). 0 (the TPU families') and the CPU family's
    3.2e8 load."""
    p = Path(_file(tmp_path))
    p.write_text(p.read_text().replace("framework_overhead_bytes = 2.5e9", f"framework_overhead_bytes = {overhead}"))
    _, err = _plan(capsys, "--calibration", str(p), code=2 if refused else 0)
    said = "framework_overhead_bytes = 2.5 is under 1e+06 bytes"
    assert (said in err and "write 2.5e9 if 2.5 is in GB" in err) if refused else said not in err, err
