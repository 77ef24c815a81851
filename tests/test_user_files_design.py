"""A user's own simulator design TOML (`simulate run --design`): an odd but legal array runs with the SCALE-Sim
fold arithmetic (hand-checked below); a clock or DRAM bandwidth in the wrong unit, a misspelt [sources] key and a
table nothing reads are errors naming the file and the fix (exit 2), never silently used or dropped."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main_expect as _cli

DESIGN = """[design]
name = "[bold]odd[/]"
rows = 13
cols = 7
cores = 3
dataflow = "os"
ifmap_sram_bytes = 10000
filter_sram_bytes = 7000
ofmap_sram_bytes = 3000
dram_bandwidth_byte_per_s = {bw}
clock_hz = {clock}
dtype = "int8"
tech_node_nm = 28
"""


def _design(tmp_path: Path, tail: str = "", **cells: str) -> str:
    p = tmp_path / "odd.toml"
    p.write_text(DESIGN.format(**{"bw": "10e9", "clock": "7e8", **cells}) + tail)
    return str(p)


def _run(capsys: pytest.CaptureFixture[str], path: str, code: int = 0) -> tuple[str, str]:
    return _cli(capsys, "simulate", "run", "--design", path, "-m", "resnet50", "--batch", "1", "--max-rows", "1",
                code=code)


def test_an_odd_legal_design_runs_with_the_fold_arithmetic(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """conv1 of ResNet-50 is a 12544 x 64 x 147 GEMM. Output-stationary on 13 x 7 PEs: ceil(12544/13) = 965 row
    folds x ceil(64/7) = 10 column folds, each 2*13 + 7 + 147 - 2 = 178 cycles (SCALE-Sim's os fold), spread over 3
    cores: ceil(9650/3) = 3217 folds x 178 = 572,626 cycles; utilization = MACs / (PEs x cycles) =
    12544*64*147 / (273 x 572,626) = 75.5%. The name prints as typed, not as markup."""
    out, _ = _run(capsys, _design(tmp_path))
    assert "[bold]odd[/]: 13x7x3 os" in out
    assert "573k" in out and "75.5%" in out


@pytest.mark.parametrize(("cells", "named", "fix"), [
    ({"clock": "700"}, "clock_hz = 700 is under", "write 700e6 if 700 is in MHz"),
    ({"bw": "10"}, "dram_bandwidth_byte_per_s = 10 is under", "write 10e9 if 10 is in GB/s"),
])
def test_a_figure_in_the_wrong_unit_is_refused(cells: dict[str, str], named: str, fix: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Was simulated as given: a 700 Hz clock printed '0.0007 MHz', a 10 B/s DRAM 88.5T cycles for conv1."""
    path = _design(tmp_path, **cells)
    _, err = _run(capsys, path, code=2)
    assert path in err and named in err and fix in err


@pytest.mark.parametrize(("tail", "named"), [
    ('\n[sources]\nrowz = "my datasheet"\n', "[sources] names no field of [design]: rowz"),
    ('\n[sourcs]\nrows = "my datasheet"\n', "unknown table(s) or top-level key(s) sourcs"),
])
def test_a_misspelt_key_outside_design_is_refused(tail: str, named: str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Was accepted: the citation was never shown, with no word."""
    _, err = _run(capsys, _design(tmp_path, tail), code=2)
    assert named in err and "fix:" in err


def test_a_missing_field_is_shown_how_to_write(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the fix pointed at `accelopt simulate presets --help`, which shows no fields; now each missing field is
    # written out with a value of the right unit, and the written design runs
    path = tmp_path / "odd.toml"
    path.write_text(DESIGN.format(bw="10e9", clock="7e8").replace("clock_hz = 7e8\n", "").replace("rows = 13\n", ""))
    _, err = _run(capsys, str(path), code=2)
    fix = " ".join(err.split()).split("fix: ", 1)[1]
    assert "presets --help" not in fix and "rows = 32" in fix and "clock_hz = 1e9" in fix
    path.write_text(path.read_text() + "rows = 32\nclock_hz = 1e9\n")
    _run(capsys, str(path))
