"""A design number written as text with a unit ('clock_hz = "800MHz"') gets a fix that is valid TOML in SI units; the
fix said 'write it as a TOML number, without quotes: clock_hz = 800MHz', which TOML refuses again. A quoted plain
number ('"800e6"', '"inf"') still gets its unquoted self (tests/test_simulate_new_user_sweep.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import SMALL_DESIGN_TOML, run_main

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DESIGN = SMALL_DESIGN_TOML


@pytest.mark.parametrize(("line", "typed"), [("clock_hz = 800e6", 'clock_hz = "800MHz"'),
                                             ("clock_hz = 800e6", 'clock_hz = "1 GHz"'),
                                             ("dram_bandwidth_byte_per_s = 12.8e9",
                                              'dram_bandwidth_byte_per_s = "12.8 GB/s"'),
                                             ("tech_node_nm = 16", 'tech_node_nm = "16nm"')])
def test_the_fix_is_a_toml_number_that_loads(tmp_path: Path, capsys: pytest.CaptureFixture[str], line: str,
                                             typed: str) -> None:
    path = tmp_path / "d.toml"
    path.write_text(DESIGN.replace(line, typed))
    code, _, err = run_main(["simulate", "run", "-d", str(path), "-m", "alexnet-conv"], capsys)
    assert code == 2 and "Traceback" not in err
    fix = err.split("fix:", 1)[1]
    if "e.g. " in fix:  # an example ('16nm': no unit the fix converts)
        suggested = fix.split("e.g. ", 1)[1].split(" for ")[0].strip()  # e.g. 'clock_hz = 800e6'
    else:  # the text's own figure in SI units (tests/test_simulate_design_unit_text.py): 'write clock_hz = 1e9: ...'
        suggested = fix.split("write ", 1)[1].split(":", 1)[0].strip()
    assert suggested.split(" = ")[0] == typed.split(" = ")[0]
    path.write_text(DESIGN.replace(line, suggested))
    tomllib.loads(path.read_text())  # the suggestion is TOML
    code, _, err = run_main(["simulate", "run", "-d", str(path), "-m", "alexnet-conv"], capsys)
    assert code == 0, err
