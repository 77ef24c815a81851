"""AWS's Neuron Reference for Megatron-LM as a software stack of its own (calibration.toml, aws-trainium1 /
neuron-megatron-lm, 2026-12-03, trnstack; issue 10: "calibrate per family and software stack on declared rows").

Sources: AWS's Trn1 training tables (aws-neuron/aws-neuron-sdk general/benchmarks/trn1/nlp_data.csv at 377a240,
trn1_trn1n_nlp_data.csv at 968e572 and 12ad249) name ':ref:`megatron-lm-pretraining-tutorial`' for every GPT3-6.7B
row; that tutorial runs github.com/aws-neuron/aws-neuron-reference-for-megatron-lm (a PyTorch/XLA port of
Megatron-LM), not NeuronX Distributed or neuronx-nemo-megatron."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest
from conftest import run_main_expect

from accelopt.hardware.catalog import get_device
from accelopt.predict.calibration import STACKS, calibration_for, load_calibrations
from accelopt.predict.query import predict_layout
from accelopt.predict.validation import fit_stack_eff_max, read_runs, run_query, validate_report

STACK = "neuron-megatron-lm"
MEGLM_ROWS = [r for r in read_runs() if r["id"].startswith("trn1-meglm-gpt3-6.7b")]
# the row's Neuron release as its note gives it: 'Neuron 2.12.0', or for the table without a version column 'says
# Neuron 2.5.0' (the same table at 0d3521c)
_RELEASE = re.compile(r"Neuron (\d+)\.(\d+)\.(\d+)")


def _release(row: dict[str, str]) -> tuple[int, int, int]:
    m = _RELEASE.search(row["note"])
    assert m, row["id"]
    return int(m[1]), int(m[2]), int(m[3])


def test_the_five_megatron_lm_rows_carry_the_stack() -> None:
    assert STACK in STACKS
    assert len(MEGLM_ROWS) == 5
    assert all(r["stack"] == STACK for r in MEGLM_ROWS)
    # no other training row is on it: the NxD and NeMo Trainium rows stay on the megatron stack
    assert {r["id"] for r in read_runs() if r.get("stack") == STACK} == {r["id"] for r in MEGLM_ROWS}


def test_stack_fit_row_is_the_newest_release_and_the_value_is_the_rules() -> None:
    fam = load_calibrations()["aws-trainium1"]
    cal = fam.stacks[STACK]
    newest = max(MEGLM_ROWS, key=_release)
    assert _release(newest) == (2, 12, 0)
    assert cal.fitted_on == (newest["id"],)  # exactly one row, picked by release
    fit = fit_stack_eff_max("aws-trainium1", STACK, [newest["id"]])
    # 0.38 until rtrn2 (2026-12-06): the rule re-run with the family's link at NCCOM-TEST's measured bus bandwidth
    assert fit.matmul_eff_max == pytest.approx(cal.matmul_eff_max) == pytest.approx(0.46)
    assert 0.30 < cal.matmul_eff_max < 0.98  # interior: a grid edge would be rejected
    assert cal.matmul_half_flop == fam.matmul_half_flop and cal.memory_eff == fam.memory_eff  # only eff_max fitted


def test_the_stack_differs_from_megatron_only_by_its_table() -> None:
    """With the family's own value the stack's prediction is the megatron stack's (modelled as Megatron-LM:
    calibration.MEGATRON_STACKS), so the fit moves the rows by the efficiency alone."""
    row = next(r for r in MEGLM_ROWS if r["id"].endswith("-n211"))
    q = run_query(row)
    cals = load_calibrations()
    fam = cals["aws-trainium1"]
    same = {**cals, "aws-trainium1": replace(fam, stacks={})}
    t_stack = predict_layout(q, same).terms["step_time_s"]
    t_meg = predict_layout(replace(q, stack="megatron"), same).terms["step_time_s"]
    assert t_stack == pytest.approx(t_meg, rel=1e-12)
    assert predict_layout(q).terms["step_time_s"] > t_stack  # 0.46 < 0.58: slower (0.38 < 0.48 until rtrn2)
    spec = get_device("trainium1-core")
    assert calibration_for(spec, cals, STACK).matmul_eff_max == 0.46  # 2026-12-06 (rtrn2): 0.38 -> 0.46
    # 2026-12-04 (xlaadopt): 0.50 -> 0.48, rule v2 re-run; 2026-12-06 (rtrn2): 0.48 -> 0.58, re-run at the measured link
    assert calibration_for(spec, cals).matmul_eff_max == 0.58


def test_trainium1_held_out_rows_of_the_stack() -> None:
    res = {r.id: r for r in validate_report().runs if r.id.startswith("trn1-meglm-")}
    held = [r for r in res.values() if not r.fitted]
    assert len(held) == 4 and all(r.stack == STACK for r in res.values())
    assert all(abs(r.error) <= 0.25 for r in held)  # -33.4 / -34.2 / -23.8 / -18.6% at the family's 0.50


def test_plan_and_explain_accept_the_stack_and_help_lists_it(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["plan", "--model", "llama3-8b", "--tokens", "1e12", "--hardware", "trainium1-core", "--devices", "64",
            "--top", "1", "--json"]
    d = json.loads(run_main_expect(capsys, *base, "--stack", STACK)[0])
    assert d["stack"] == STACK
    ex = ["plan", "explain", "--model", "llama3-8b", "--hardware", "trainium1-core", "--devices", "32", "--tp", "8",
          "--stack", STACK, "--json"]
    e = json.loads(run_main_expect(capsys, *ex)[0])
    assert e["stack"] == STACK and e["calibration_fitted_on"] == ["trn1-meglm-gpt3-6.7b-n212"]
    out = " ".join(run_main_expect(capsys, "plan", "--help")[0].split())
    assert STACK in out
    _, err = run_main_expect(capsys, *base, "--stack", "neuron-megatron", code=2)
    assert "unknown software stack" in err and STACK in err
