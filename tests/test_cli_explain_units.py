"""plan explain's tables print each term in the unit its Term declares, as --json and the page do: the inputs were
printed as bare counts ('in_peak_flop_per_s 989,500,000,000,000', 'in_scaleup_latency_s 2.4e-06', an efficiency
0.7391) and the terms' units were guessed from their names."""

from __future__ import annotations

import json

import pytest
from conftest import run_main_expect

from accelopt.units import fmt_quantity

EXPLAIN = ("plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "64")


def test_every_explain_value_is_printed_in_its_declared_unit(capsys: pytest.CaptureFixture[str]) -> None:
    terms = json.loads(run_main_expect(capsys, *EXPLAIN, "--json")[0])["terms"]
    out, _ = run_main_expect(capsys, *EXPLAIN)
    cells = {}
    for row in out.splitlines():
        parts = [p.strip() for p in row.split("│")]
        if len(parts) > 3 and parts[1]:
            cells.setdefault(parts[1], parts[2])
    units = {t["unit"] for t in terms}
    assert {"FLOP/s", "B/s", "s", "fraction"} <= units  # the units the name-guess and the counts got wrong
    for t in terms:
        if t["name"] in cells:
            assert cells[t["name"]] == fmt_quantity(t["value"], t["unit"]), t
    assert cells["in_peak_flop_per_s"].endswith("FLOP/s") and cells["in_first_gemm_eff"].endswith("%")
