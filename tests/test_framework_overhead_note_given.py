"""The framework-overhead note (predict.calibration.framework_overhead_notes). Before: a --calibration file whose
family gives framework_overhead_bytes = 2.5e9, the bundled GPU figure, was reported as 'default used: ... give
framework_overhead_bytes in a --calibration TOML to replace it' (the figure was compared with the bundled one, not
looked up in the file), and `plan explain` printed no framework-overhead note at all though its mem/dev holds the
same 2.33 GiB `plan` notes. Now: a figure the file gives is named as the file's, and `plan explain` prints the same
line `plan` prints, from the same function."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

_FAMILY = """[family.my-hopper]
match = ["h100*"]
matmul_eff_max = 0.7
matmul_half_flop = 1e10
memory_eff = 0.8
scaleup_bw_eff = 0.8
scaleout_bw_eff = 0.8
overlap_eff = 0.9
kernel_overhead_s = 5e-6
framework_overhead_bytes = 2.5e9
"""
_PLAN = ["plan", "--model", "gpt3-125m", "--hardware", "h100-sxm", "--devices", "8", "--tokens", "1e9", "--top", "1"]
_EXPLAIN = ["plan", "explain", "--model", "gpt3-125m", "--hardware", "h100-sxm", "--devices", "8", "--tp", "1",
            "--pp", "1", "--zero", "1", "--tokens", "1e9"]


def _overhead(notes: list[str]) -> list[str]:
    return [n for n in notes if "framework overhead per device" in n]


@pytest.mark.parametrize("cmd", [_PLAN, _EXPLAIN])
def test_a_calibration_file_giving_the_bundled_figure_is_named(cmd: list[str], tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    cal = tmp_path / "mine.toml"
    cal.write_text(_FAMILY, encoding="utf-8")
    code, out, err = run_main([*cmd, "--calibration", str(cal), "--json"], capsys)
    assert code == 0, err
    notes = _overhead(json.loads(out)["notes"])
    assert len(notes) == 1, notes
    assert not notes[0].startswith("default used") and "[family.my-hopper]" in notes[0]
    assert f"framework_overhead_bytes of the --calibration file {cal}" in notes[0]


def test_a_file_of_stack_tables_alone_keeps_the_default_note(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    cal = tmp_path / "stack.toml"
    cal.write_text("[family.nvidia-hopper.stack.pytorch-fsdp]\nmatmul_eff_max = 0.6\n", encoding="utf-8")
    code, out, err = run_main([*_EXPLAIN, "--calibration", str(cal), "--json"], capsys)
    assert code == 0, err
    notes = _overhead(json.loads(out)["notes"])
    assert len(notes) == 1 and notes[0].startswith("default used: mem/dev includes a framework overhead"), notes


def test_plan_explain_prints_the_line_plan_prints(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main([*_PLAN, "--json"], capsys)
    assert code == 0, err
    planned = _overhead(json.loads(out)["notes"])
    code, out, err = run_main([*_EXPLAIN, "--json"], capsys)
    assert code == 0, err
    assert planned and _overhead(json.loads(out)["notes"]) == planned
    code, out, err = run_main(_EXPLAIN, capsys)
    assert code == 0, err
    assert "default used: mem/dev includes a framework overhead per device of h100-sxm 2.33 GiB" in " ".join(
        out.split())
