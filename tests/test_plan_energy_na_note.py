"""`plan` on a device of the user's own without a TDP: its energy (est.) column reads n/a, and a line under the
tables says why and what to give, as the cost column's n/a already did (a price) and `plan serve` does for
J/out tok. The energy n/a went unexplained (uttrial3, 2026-12-05)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main_expect as _cli

SPEC = """[sources]
doc = "Our design review rev 1 (2026-11), table 1"

[[device]]
name = "my-fpga"
display_name = "My FPGA board"
kind = "fpga"
vendor = "Acme"
peak_flop_per_s = {{ fp16 = [20e12, "doc"] }}
memory_bytes = [16e9, "doc"]
memory_bandwidth_byte_per_s = [512e9, "doc"]
scaleout_bandwidth_byte_per_s = [12.5e9, "doc"]
{tdp}"""


def _plan(tmp_path: Path, capsys: pytest.CaptureFixture[str], tdp: str) -> tuple[dict, str]:
    spec = tmp_path / "fpga.toml"
    spec.write_text(SPEC.format(tdp=tdp))
    args = ("plan", "--model", "llama2-7b", "--hardware", str(spec), "--devices", "64", "--tokens", "1e9",
            "--dtype", "fp16", "--top", "1")
    out, _ = _cli(capsys, *args, "--json")
    text, _ = _cli(capsys, *args)
    return json.loads(out), " ".join(text.split())


def test_energy_na_is_explained_beside_the_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc, text = _plan(tmp_path, capsys, "")
    assert doc["best"][0]["energy_j"] is None and doc["best"][0]["carbon_kg"] is None
    # the fix names the --hardware file the device came from (it said 'in a --catalog TOML': ut2runs)
    said = (f"energy (est.) and carbon are n/a on my-fpga: no TDP in its spec — add tdp_w to the [[device]] table of "
            f"my-fpga in {tmp_path / 'fpga.toml'} (the --hardware file), written as [value, source] like the table's "
            "other figures")
    assert said in text and said in doc["notes"]


def test_no_such_line_with_a_tdp(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc, text = _plan(tmp_path, capsys, 'tdp_w = [75, "doc"]\n')
    assert doc["best"][0]["energy_j"] > 0 and "energy (est.) and carbon are n/a" not in text
