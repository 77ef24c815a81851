"""Transformer Engine's fused cross-entropy as a setup flag (issue 10, rtece, 2026-12-05): plan / plan explain
--te-cross-entropy, runs-file column te_cross_entropy, compute.logits_step_s's TE_CE_* passes.

Megatron-Core with cross_entropy_loss_fusion and cross_entropy_fusion_impl 'te' (Megatron-Bridge's recipes and its
performance scripts) runs Transformer Engine's Triton parallel_cross_entropy: 2 B forward + 4 B backward per 16-bit
logit element in 3 kernels (compute.TE_CE_*, cited there), where the model's default charges three fp32 read + write
passes, 24 B. Not set on any row: a lead (tests/test_te_cross_entropy_lead.py, the runs file's te_cross_entropy block).
All of these fail before the change: the flag, the column and the constants are new."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import explain_terms, row_explain_argv, run_main

from accelopt.errors import InputError
from accelopt.predict import compute as C
from accelopt.predict.query import predict_layout
from accelopt.predict.run_command import plan_argv
from accelopt.predict.validation import read_runs, reproduce, run_query

ROWS = {r["id"]: r for r in read_runs()}
ROW = "mb2604-h100-llama3-70b-fp8"


def _te(row: dict[str, str]) -> dict[str, str]:
    return {**row, "te_cross_entropy": "1"}


def test_the_passes_are_te_s() -> None:
    assert C.TE_CE_FWD_BYTES + C.TE_CE_BWD_BYTES == 6.0 and C.TE_CE_FWD_KERNELS + C.TE_CE_BWD_KERNELS == 3.0


def test_the_loss_term_is_the_gemms_and_te_s_passes() -> None:
    """t_logits_s with the flag = the same three GEMMs + TE's passes; the default's loss costs more (24 B)."""
    row = ROWS[ROW]
    base, te = (predict_layout(run_query(r)).terms for r in (row, _te(row)))
    q = run_query(row)
    assert q.te_cross_entropy is False and run_query(_te(row)).te_cross_entropy is True
    assert 0 < float(te["t_logits_s"]) < float(base["t_logits_s"])
    assert reproduce(_te(row)).predicted_step_s < reproduce(row).predicted_step_s


def test_the_cli_and_validate_agree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    row = _te(ROWS[ROW])
    argv = row_explain_argv(row, tmp_path)
    assert "--te-cross-entropy" in argv and "--te-cross-entropy" in plan_argv(run_query(row), row["id"])
    code, out, err = run_main(argv, capsys)
    assert code in (0, 2), err
    doc = json.loads(out)
    assert doc["te_cross_entropy"] is True
    terms = explain_terms(doc)
    assert terms["step_time_s"] == reproduce(row).predicted_step_s
    assert terms["t_logits_s"] == predict_layout(run_query(row)).terms["t_logits_s"]


def test_with_eager_cross_entropy_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [*row_explain_argv(_te(ROWS[ROW]), tmp_path), "--eager-cross-entropy"]
    code, _, err = run_main(argv, capsys)
    assert code == 2 and "--te-cross-entropy with --eager-cross-entropy" in err
    with pytest.raises(InputError, match="not both"):
        predict_layout(run_query({**_te(ROWS[ROW]), "eager_cross_entropy": "1"}))


def test_a_jax_stack_or_a_tpu_is_refused() -> None:
    with pytest.raises(InputError, match="--te-cross-entropy charges Transformer Engine's Triton"):
        C.check_stack_flags("maxtext", eager_cross_entropy=False, tp_comm_overlap=False, attention_unpad=False,
                            te_cross_entropy=True)
    tpu = next(r for r in ROWS.values() if r["hardware"].startswith("tpu-v5p"))
    with pytest.raises(InputError, match=r"--te-cross-entropy charges .*\(GPU kernels\); tpu-v5p is"):
        predict_layout(run_query({**_te(tpu), "stack": ""}))


def test_no_row_sets_the_cell_yet() -> None:
    """A lead: the Megatron-Bridge rows run it, but set there it fails the adoption rule (the runs file's block)."""
    assert not [rid for rid, r in ROWS.items() if (r.get("te_cross_entropy") or "").strip()]
