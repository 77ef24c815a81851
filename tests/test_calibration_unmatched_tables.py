"""A --calibration file whose [family.NAME] / [serving.NAME] table's match globs fit no catalog device (a typo,
h100-sx for h100-sxm), or none of the command's devices, changed nothing in plan / plan explain / plan serve /
validate without a word (ut3io's leftover, session 35): each now warns on stderr (and in the JSON input_warnings
where the command has them), naming the table, its globs, what they fit and the closest device and bundled table
names. A table whose globs fit a device of the command is used as before and not warned of."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import run_main_expect as _cli

from accelopt.predict.calibration import bundled_text

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


_LEFT_OUT = ("match", "fitted_on", "derived_on", "fp8_fitted_on", "reference_device")
"""Fields naming bundled runs or a device of the bundled globs: the copy is the user's own table."""


def _table(section: str, bundled: str, name: str, match: str) -> list[str]:
    """The bundled [SECTION.BUNDLED] table's own fields (no sub-tables) as [SECTION.NAME] with match = [MATCH]."""
    table = tomllib.loads(bundled_text())[section][bundled]
    lines = [f"[{section}.{name}]", f"match = {json.dumps([match])}"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in table.items()
              if k not in _LEFT_OUT and not isinstance(v, dict)]
    return lines


def _cal(tmp_path: Path, match: str, section: str = "family") -> Path:
    p = tmp_path / f"mine-{section}-{match.replace('*', 'x')}.toml"
    bundled = "nvidia-hopper"
    p.write_text("\n".join(_table(section, bundled, f"my-{bundled}", match)) + "\n")
    return p


def test_plan_explain_names_a_family_table_that_fits_no_device(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    p = _cal(tmp_path, "h100-sx")
    out, err = _cli(capsys, "plan", "explain", "--model", "llama2-7b", "--hardware", "h100-sxm", "--devices", "8",
                    "--calibration", str(p), "--json")
    line = next(w for w in json.loads(out)["input_warnings"] if "[family.my-nvidia-hopper]" in w)
    assert "match = ['h100-sx'] fits no catalog device" in line and "change nothing" in line
    assert "closest device names: h100-sxm" in line and "[family.nvidia-hopper]" in line
    assert "[family.my-nvidia-hopper] match" in " ".join(err.split())  # said on stderr too


def test_a_family_table_that_fits_the_device_is_not_warned_of(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    p = _cal(tmp_path, "h100*")
    out, err = _cli(capsys, "plan", "explain", "--model", "llama2-7b", "--hardware", "h100-sxm", "--devices", "8",
                    "--calibration", str(p), "--json")
    assert not any("my-nvidia-hopper" in w for w in json.loads(out)["input_warnings"])
    assert "my-nvidia-hopper" not in err


def test_plan_names_a_family_table_that_fits_other_devices(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    p = _cal(tmp_path, "h100*")
    _, err = _cli(capsys, "plan", "--model", "llama2-7b", "--hardware", "mi300x", "--devices", "8",
                  "--calibration", str(p), "--top", "1")
    err = " ".join(err.split())
    assert "[family.my-nvidia-hopper] match = ['h100*'] fits h100" in err
    assert "but no device of this command (mi300x)" in err


def test_plan_serve_names_a_serving_table_that_fits_no_device_of_the_command(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = _cal(tmp_path, "h100*", "serving")
    out, err = _cli(capsys, "plan", "serve", "--model", "llama2-7b", "--hardware", "mi300x", "--calibration", str(p),
                    "--json")
    assert any("[serving.my-nvidia-hopper] match = ['h100*']" in w and "no device of this command (mi300x)" in w
               for w in json.loads(out)["input_warnings"])
    _, err = _cli(capsys, "plan", "serve", "--model", "llama2-7b", "--hardware", "h100-sxm", "--calibration", str(p))
    assert "my-nvidia-hopper" not in err


def test_validate_names_a_family_table_that_fits_no_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from test_runs_file_every_bad_row import CELLS, HEADER

    runs = tmp_path / "mine.csv"
    runs.write_text(HEADER + "\n" + ",".join(CELLS.values()) + "\n")  # one h100-sxm row
    p = _cal(tmp_path, "a100*")
    _, err = _cli(capsys, "validate", "--runs", str(runs), "--calibration", str(p))
    assert "[family.my-nvidia-hopper] match = ['a100*'] fits a100" in " ".join(err.split())
    # the JSON report (and the page built from it) carries it too, as plan's input_warnings do; said once on stderr
    # (rev1: it reached stderr alone)
    out, err = _cli(capsys, "validate", "--runs", str(runs), "--calibration", str(p), "--json")
    assert any("[family.my-nvidia-hopper] match = ['a100*'] fits a100" in n for n in json.loads(out)["input_notes"])
    assert " ".join(err.split()).count("[family.my-nvidia-hopper] match") == 1


def test_validate_serving_names_a_serving_table_that_fits_no_row(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from test_runs_file_every_bad_row import SERVING_CELLS, SERVING_HEADER

    runs = tmp_path / "serving.csv"
    runs.write_text(SERVING_HEADER + "\n" + ",".join(SERVING_CELLS.values()) + "\n")  # one h100-sxm row
    p = _cal(tmp_path, "h100-sx", "serving")
    out, _ = _cli(capsys, "validate", "--serving", "--runs", str(runs), "--calibration", str(p), "--json")
    assert any("[serving.my-nvidia-hopper] match = ['h100-sx'] fits no catalog device" in w
               for w in json.loads(out)["input_warnings"])


def test_validate_keeps_the_warning_in_its_result_as_its_other_input_notes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """validate said the warning on stderr only, while its JSON and page carry the other input warnings (a busy
    probed spec, a model cell's keys: input_notes): `validate --json` and `--html` dropped it (rev2)."""
    from test_runs_file_every_bad_row import CELLS, HEADER

    runs = tmp_path / "mine.csv"
    runs.write_text(HEADER + "\n" + ",".join(CELLS.values()) + "\n")  # one h100-sxm row
    p = _cal(tmp_path, "a100*")
    page = tmp_path / "v.html"
    out, err = _cli(capsys, "validate", "--runs", str(runs), "--calibration", str(p), "--json", "--html", str(page))
    said = "[family.my-nvidia-hopper] match = ['a100*'] fits a100"
    assert sum(said in n for n in json.loads(out)["input_notes"]) == 1
    assert " ".join(err.split()).count(said) == 1  # on stderr once, with the other notes
    assert said.replace("'", "&#x27;") in " ".join(page.read_text(encoding="utf-8").split())
