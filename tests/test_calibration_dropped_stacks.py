"""A user's calibration file that replaces a bundled family without the family's [family.NAME.stack.STACK] tables
drops the bundled stack values: a pytorch-fsdp Hopper run then takes the file's family values (utval, 2026-12-02:
1.94 s -> 1.76 s on a torchtitan row) without a word. load_calibrations replaces by name (documented); the loss is now
said (predict.calibration.dropped_stack_lines) on stderr and in the result's input_warnings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tomli_w
import tomllib
from conftest import run_main

from accelopt.predict.calibration import bundled_text, dropped_stack_lines

EXPLAIN = ["plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "8", "--stack",
           "pytorch-fsdp", "--zero", "3", "--json"]


def _hopper_file(tmp_path: Path, *, with_stack: bool, stack_only: bool = False) -> Path:
    table = dict(tomllib.loads(bundled_text())["family"]["nvidia-hopper"])
    assert "pytorch-fsdp" in table["stack"]  # the premise: the bundled family has a stack table
    if stack_only:
        table = {"stack": table["stack"]}
    elif not with_stack:
        table.pop("stack")
    path = tmp_path / "mine.toml"
    path.write_text(tomli_w.dumps({"family": {"nvidia-hopper": table}}), encoding="utf-8")
    return path


def test_a_family_copied_without_its_stack_table_is_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _hopper_file(tmp_path, with_stack=False)
    (line,) = dropped_stack_lines(path)
    assert "[family.nvidia-hopper.stack.pytorch-fsdp]" in line and line.startswith(f"warning: {path}")
    code, out, err = run_main([*EXPLAIN, "--calibration", str(path)], capsys)
    assert code == 0, err
    assert any("[family.nvidia-hopper.stack.pytorch-fsdp]" in w for w in json.loads(out)["input_warnings"])
    assert "[family.nvidia-hopper.stack.pytorch-fsdp]" in err  # stderr: --json stays valid on stdout


@pytest.mark.parametrize(("with_stack", "stack_only"), [(True, False), (False, True)])
def test_nothing_is_said_where_nothing_is_dropped(tmp_path: Path, with_stack: bool, stack_only: bool) -> None:
    assert dropped_stack_lines(_hopper_file(tmp_path, with_stack=with_stack, stack_only=stack_only)) == []
    assert dropped_stack_lines(None) == []


def test_the_dropped_stack_changes_the_prediction(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The premise of the warning: the same file with its stack table predicts the bundled step; without it, another."""
    def step(path: Path | None) -> float:
        extra = ["--calibration", str(path)] if path else []
        code, out, err = run_main([*EXPLAIN, *extra], capsys)
        assert code == 0, err
        return float(next(t["value"] for t in json.loads(out)["terms"] if t["name"] == "step_time_s"))

    bundled = step(None)
    assert step(_hopper_file(tmp_path, with_stack=True)) == pytest.approx(bundled, rel=1e-12)
    assert step(_hopper_file(tmp_path, with_stack=False)) != pytest.approx(bundled, rel=1e-3)
