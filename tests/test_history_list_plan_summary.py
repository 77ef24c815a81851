"""`history list` shows a run's first three key figures: for every `plan` run that was 'layouts evaluated 17,531;
feasible 14,219; devices 64', never the answer (how long, at what cost). The best layout's devices, time to train
and cost lead now, and a figure the run has no number for (a device without a catalog price: cost NaN) is left out
of the line rather than shown as 'n/a*' (utreport 2026-12-05)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main_expect as _cli

from accelopt.units import fmt_quantity

PLAN = ("plan", "--model", "llama3-8b", "--tokens", "1e11", "--devices", "8..16", "--json")
EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _summary(capsys: pytest.CaptureFixture[str]) -> str:
    return str(json.loads(_cli(capsys, "history", "list", "--json", "--limit", "1")[0])["runs"][0]["summary"])


def test_the_plan_line_leads_with_its_answer(capsys: pytest.CaptureFixture[str]) -> None:
    best = json.loads(_cli(capsys, *PLAN, "--hardware", "h100-sxm")[0])["best"][0]
    assert _summary(capsys) == (f"devices {best['devices']}; "
                                f"time to train {fmt_quantity(best['train_time_s'], 's')}*; "
                                f"cost {fmt_quantity(best['cost_usd'], 'USD')}*")


def test_a_figure_without_a_number_is_left_out(capsys: pytest.CaptureFixture[str]) -> None:
    doc = json.loads(_cli(capsys, *PLAN, "--catalog", str(EXAMPLES / "my_accelerator.toml"), "--hardware",
                          "my-asic")[0])
    assert doc["best"][0]["cost_usd"] is None  # no price in the example spec
    line = _summary(capsys)
    assert "n/a" not in line and "cost" not in line
    assert line.startswith(f"devices {doc['best'][0]['devices']}; time to train ") and "; step time " in line
