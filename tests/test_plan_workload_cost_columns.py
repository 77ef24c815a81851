"""`plan --model WORKLOAD.json` prints each layout's cost and energy on the console, as its `--html` page and `--json`
rows carry them.

Before: the console table stopped at 'time' (hardware, dp, zero, fits, step, MFU, mem/dev, time) while the page's
table had 'cost' and 'energy' columns and the JSON cost_usd / energy_j, and the notes under the console table spoke of
the energy's defaults ('default used: energy (estimates) rest on figures not given ...') for a figure it never showed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main
from test_plan_workload_top import _workload

from accelopt.units import fmt_quantity


def test_console_rows_show_the_json_cost_and_energy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["plan", "--model", str(_workload(tmp_path)), "--hardware", "h100-sxm,mi250x", "--devices", "1,8",
            "--tokens", "1e9", "--top", "4"]
    code, out, err = run_main([*argv, "--json"], capsys)
    assert code == 0, err
    rows = json.loads(out)["layouts"]
    code, out, err = run_main(argv, capsys)
    assert code == 0, err
    header = next(ln for ln in out.splitlines() if "hardware" in ln and "zero" in ln)
    assert "cost" in header and "energy" in header, header
    lines = [ln for ln in out.splitlines() if ln.startswith("│")]
    assert len(lines) == len(rows) == 4
    for ln, r in zip(lines, rows, strict=True):
        cells = [c.strip() for c in ln.strip("│").split("│")]
        assert cells[0] == r["hardware"]
        # mi250x has no catalog price: n/a, as the page shows it
        assert cells[-2:] == [fmt_quantity(r["cost_usd"], "USD"), fmt_quantity(r["energy_j"], "J")], ln
