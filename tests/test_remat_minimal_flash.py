"""`--recompute minimal_flash`: MaxText's remat_policy 'minimal_flash' (AI-Hypercomputer/maxtext
MaxText/layers/models.py @0042423ad678428ccc53441834f7364fdc665003 get_remat_policy: save_from_both_policies(
checkpoint_dots_with_no_batch_dims, save_only_these_names('context'))), the policy of the five MaxText A3 Llama 2 7B
rows (configs/a3/llama_2_7b 1vm.sh @78daad19 ... 16vm.sh @d2aa7f25: remat_policy=minimal_flash,
attention=cudnn_flash_te).

What is checked, from the model's own terms: memory = minimal's saved set + the attention output 'context' (2 B x
heads x head_dim per token per layer, split over tp); time = none's with a fused attention kernel (context saved, the
kernel is not rerun) and minimal's with flash off (the unfused core's probabilities are not saved). Before 2026-12-02
(remat) `--recompute minimal_flash` was an input error and the A3 rows carried none (85.8 GiB of 79.6 predicted)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from conftest import plan_explain_terms, run_main_expect

from accelopt.errors import InfeasibleError
from accelopt.predict.query import LayoutQuery, predict_layout
from accelopt.predict.validation import read_runs, run_query
from accelopt.workload.presets import get_model

A3_IDS = [f"maxtext-a3-llama2-7b-x{n}" for n in (1, 2, 4, 8, 16)]
A3_ROWS = [r for r in read_runs() if r["id"] in A3_IDS]
BASE = LayoutQuery(model=get_model("llama3-8b"), hardware="h100-sxm", devices=16, tp=4, pp=2, recompute="none",
                   sp=True, seq_len=4096, global_batch_seqs=64)


def _terms(q: LayoutQuery, recompute: str) -> dict[str, float]:
    return predict_layout(replace(q, recompute=recompute)).terms


def test_memory_is_minimal_plus_the_context() -> None:
    """Per stage: minimal_flash keeps minimal's bytes + 2 B x o_width / tp per token, per layer, per micro-batch held
    (tp 4 with sequence parallel, pp 2: the first stage holds 2 micro-batches of 16 layers)."""
    mf, mn, none = _terms(BASE, "minimal_flash"), _terms(BASE, "minimal"), _terms(BASE, "none")
    model = BASE.model
    in_flight = min(mf["in_micro_batches"], BASE.pp)  # 1F1B first stage: min(m, p) micro-batches (memory.py)
    context = in_flight * (model.layers / BASE.pp) * BASE.seq_len * 2 * model.o_width / BASE.tp
    assert mf["mem_activations_bytes"] - mn["mem_activations_bytes"] == pytest.approx(context, rel=1e-9)
    assert mn["mem_activations_bytes"] < mf["mem_activations_bytes"] < none["mem_activations_bytes"]


def test_time_is_none_with_flash_and_minimal_without() -> None:
    mf, mn, none = _terms(BASE, "minimal_flash"), _terms(BASE, "minimal"), _terms(BASE, "none")
    assert mf["t_recompute_s"] == none["t_recompute_s"] == 0.0 < mn["t_recompute_s"]
    assert mf["step_time_s"] == none["step_time_s"]
    assert mf["hw_flops_per_step"] == none["hw_flops_per_step"]
    unfused = replace(BASE, flash=False)
    mf_u, mn_u = _terms(unfused, "minimal_flash"), _terms(unfused, "minimal")
    assert mf_u["t_recompute_s"] == mn_u["t_recompute_s"] > 0.0
    assert mf_u["hw_flops_per_step"] == mn_u["hw_flops_per_step"]


def test_a3_rows_carry_minimal_flash_and_fit() -> None:
    """The five A3 rows' cell is their scripts' policy; under it they fit the 79.6 GiB of an 80GB H100 (63.1 GiB:
    none's 85.8 less the 22.7 GiB minimal_flash does not keep), and the step is what none gave."""
    assert len(A3_ROWS) == 5
    for row in A3_ROWS:
        assert row["recompute"] == "minimal_flash" and "remat minimal_flash" in row["note"]
        mf = predict_layout(run_query(row))
        none = predict_layout(run_query({**row, "recompute": "none"}))
        minimal = predict_layout(run_query({**row, "recompute": "minimal"}))
        tokens = int(row["mbs"]) * int(row["seq"])
        context = int(row["layers"]) * tokens * 2 * int(row["hidden"])  # llama2-7b: 32 heads x 128 = hidden
        assert mf.terms["mem_total_bytes"] == pytest.approx(minimal.terms["mem_total_bytes"] + context, rel=1e-12)
        gib = (none.terms["mem_total_bytes"] / 2**30, mf.terms["mem_total_bytes"] / 2**30)
        assert (f"{gib[0]:.1f}", f"{gib[1]:.1f}") == ("85.8", "63.1")
        assert mf.fits_memory and not none.fits_memory
        assert mf.terms["step_time_s"] == none.terms["step_time_s"]


def test_no_module_list_with_minimal_flash() -> None:
    with pytest.raises(InfeasibleError, match="recompute modules") as e:
        predict_layout(replace(BASE, recompute="minimal_flash", recompute_modules=("mlp",)))
    assert "--recompute none, selective or mlp with --recompute-modules" in e.value.fix


def test_cli_plan_explain_says_minimal_flash(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["plan", "explain", "--model", "llama2-7b", "--hardware", "h100-sxm", "--devices", "8", "--zero", "3",
            "--mbs", "4", "--seq-len", "4096", "--global-batch", "32seq", "--json"]
    t_mf = plan_explain_terms(capsys, *args, "--recompute", "minimal_flash")
    t_mn = plan_explain_terms(capsys, *args, "--recompute", "minimal")
    assert t_mf["t_recompute_s"] == 0.0 < t_mn["t_recompute_s"]
    assert t_mf["mem_activations_bytes"] > t_mn["mem_activations_bytes"]
    _, err = run_main_expect(capsys, *args, "--recompute", "minimal-flash", code=2)
    assert "minimal_flash" in err  # the error lists the mode names, MaxText's spelling among them
