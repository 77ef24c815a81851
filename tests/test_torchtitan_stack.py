"""The torchtitan software stack (2026-12-04, ttstack; issue 10: "calibrate per family and software stack on declared
rows"): torchtitan shards with FSDP2 (pytorch/torchtitan docs/fsdp.md, stored 00293cb: fully_shard per TransformerBlock
and the root, DTensor parameters, no FlatParameter) and runs its own Llama model and activation checkpointing, so its
rows (tt-a100-*, tt-h200-*) carry stack torchtitan, modelled as pytorch-fsdp with calibration tables of its own."""

from __future__ import annotations

import json

import pytest
from conftest import explain_terms, run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict.calibration import calibration_for, load_calibrations
from accelopt.predict.validation import read_runs


def _explain(stack: str, hardware: str = "a100-sxm-80gb", *more: str) -> list[str]:
    return ["plan", "explain", "--model", "llama2-13b", "--hardware", hardware, "--devices", "64", "--seq-len", "4096",
            "--mbs", "2", "--global-batch", "128", "--zero", "3", "--recompute", "none", "--attention-kernel", "flash2",
            "--stack", stack, *more, "--json"]


def test_every_torchtitan_row_runs_on_the_torchtitan_stack() -> None:
    rows = [r for r in read_runs() if r["id"].startswith(("tt-a100-", "tt-h200-"))]
    assert len(rows) == 10 and {r["stack"] for r in rows} == {"torchtitan"}
    assert all(r["source"].startswith("torchtitan ") for r in rows)


def test_plan_explain_accepts_torchtitan_and_models_it_as_fsdp(capsys: pytest.CaptureFixture[str]) -> None:
    terms = {}
    for stack in ("pytorch-fsdp", "torchtitan"):
        code, out, err = run_main(_explain(stack), capsys)
        assert code == 0, err
        terms[stack] = explain_terms(json.loads(out))
    # FSDP2 issues one unit's collectives per block and the root, as FSDP1 does: same count, same ring latencies
    assert terms["torchtitan"]["in_fsdp_collectives"] == terms["pytorch-fsdp"]["in_fsdp_collectives"] == 3 * 40 + 2
    assert terms["torchtitan"]["t_fsdp_latency_s"] == pytest.approx(terms["pytorch-fsdp"]["t_fsdp_latency_s"])
    # its own A100 table (0.60, fitted on tt-a100-llama2-13b-noac) against llm-foundry's (0.68): slower GEMMs
    assert terms["torchtitan"]["t_fwd_s"] > terms["pytorch-fsdp"]["t_fwd_s"]


def test_full_recompute_stops_early_on_torchtitan_too(capsys: pytest.CaptureFixture[str]) -> None:
    # torchtitan checkpoints a block with ptd_checkpoint_wrapper (CheckpointImpl.NO_REENTRANT): the non-reentrant
    # checkpoint's early stop applies as on pytorch-fsdp, so full recompute redoes less than a whole forward
    args = [a if a != "none" else "full" for a in _explain("torchtitan")]
    code, out, err = run_main(args, capsys)
    assert code == 0, err
    t = explain_terms(json.loads(out))
    assert 0 < t["t_recompute_s"] < t["t_fwd_s"]


def test_torchtitan_tables_and_what_plan_prints(capsys: pytest.CaptureFixture[str]) -> None:
    cals = load_calibrations()
    a100, h200, mi300x = get_device("a100-sxm-80gb"), get_device("h200"), get_device("mi300x")
    amp = calibration_for(a100, cals, "torchtitan")
    assert (amp.stack, amp.matmul_eff_max, amp.fitted_on) == ("torchtitan", 0.60, ("tt-a100-llama2-13b-noac",))
    hop = cals["nvidia-hopper"].stacks["torchtitan"]  # the table as written (calibration_for scales it to a device)
    # 16-bit: the pytorch-fsdp table's value (no bf16 torchtitan Hopper row); fp8 fitted on the 4-host H200 row
    assert hop.matmul_eff_max == cals["nvidia-hopper"].stacks["pytorch-fsdp"].matmul_eff_max
    assert calibration_for(h200, cals, "torchtitan").stack == "torchtitan"
    assert (hop.fp8_matmul_eff_max, hop.fp8_fitted_on) == (0.46, ("tt-h200-llama31-8b-fp8-32",))
    # a family without a torchtitan table takes the family's own values
    assert calibration_for(mi300x, cals, "torchtitan").matmul_eff_max == calibration_for(mi300x, cals).matmul_eff_max
    code, out, err = run_main(["plan", "explain", "--model", "llama2-13b", "--hardware", "h200", "--devices", "64",
                               "--seq-len", "4096", "--mbs", "2", "--global-batch", "128", "--zero", "3",
                               "--stack", "torchtitan"], capsys)
    assert code == 0, err
    text = " ".join(out.split())
    assert "stack torchtitan" in text
    assert "carried over from the fit of [family.nvidia-hopper.stack.pytorch-fsdp] on mpt-1b-512, mpt-70b-512" in text
    code, out, err = run_main(["plan", "explain", "--model", "llama2-13b", "--hardware", "mi300x", "--devices", "64",
                               "--seq-len", "4096", "--mbs", "2", "--global-batch", "128", "--zero", "3",
                               "--stack", "torchtitan"], capsys)
    assert code == 0, err
    assert "no [family.amd-instinct-cdna3.stack.torchtitan] table" in " ".join(out.split())
