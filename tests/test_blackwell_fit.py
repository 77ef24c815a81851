"""The nvidia-blackwell FP8 fit's rule 2 and its Megatron-Bridge 26.02 / 26.02.01 rows (issue 10, 2026-12-01, bwell).

Rows: published_training_runs.csv, block 'bwell block', from NVIDIA-NeMo/Megatron-Bridge
docs/performance-summary-archive.md (stored commit 4da7335), sections "26.02.01 NeMo Container" and "26.02 NeMo
Container", every dense Blackwell row whose device
is in the catalog (GB200; NVFP4 rows not expressible, noted there). Committed with their roles before any was predicted,
then the rule was written in calibration.toml, then applied.

Tolerances, stated from the issue before the rows were predicted: every held-out row within 25% (beyond it a checked
note) and the family's held-out median within 12% (tests/test_validate_unseen_runs.py). Measured: the six held-out new
rows -7.9%..+9.0% (rule 2 at 0.56); the family 14.1% over 16 -> 8.4% over 22. With the FP8 recipe mechanism (plan
--fp8-recipe) and rule 2 re-applied (0.58): -9.8%..+8.0%, the family 9.3% over 25 (with the 25.11 FP8-MX rows); 10.2%
over 29 with the NeMo 25.02 / 25.04 tables' four Nemotron-4 rows (-20.9%..+10.2%).
"""

from __future__ import annotations

import json

import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict.calibration import calibration_for, load_calibrations
from accelopt.predict.compute import FP8_RECIPES, fp8_cast_bytes, linear_precision
from accelopt.predict.query import predict_layout
from accelopt.predict.validation import fit_fp8_eff_max, read_runs, run_query, validate_report

REPORT = validate_report()
RESULTS = {r.id: r for r in REPORT.runs}
ROWS = {r["id"]: r for r in read_runs()}

# Tokens / sec / GPU as published, per row (the tables' own column).
MB2602 = {
    "mb260201-gb200-llama3-70b-mxfp8": 3837, "mb260201-gb200-llama3-70b-fp8": 4357,
    "mb260201-gb200-llama31-405b-mxfp8": 775, "mb260201-gb200-llama31-405b-fp8": 818,
    "mb2602-gb200-llama3-70b-mxfp8": 3613, "mb2602-gb200-llama3-70b-fp8": 4040,
    "mb2602-gb200-llama31-405b-mxfp8": 786, "mb2602-gb200-llama31-405b-fp8": 793,
}
RULE2_FIT_ROWS = ["mb-b200-llama3-8b", "mb260201-gb200-llama3-70b-fp8", "mb2602-gb200-llama3-70b-fp8"]
ROW_BOUND = 0.25  # issue 10: a held-out row beyond 25% needs a checked note


@pytest.mark.parametrize("run_id", MB2602)
def test_step_is_the_tables_columns(run_id: str) -> None:
    row = ROWS[run_id]
    tokens = int(row["global_batch"]) * int(row["seq"])
    assert float(row["step_s"]) == pytest.approx(tokens / (MB2602[run_id] * int(row["devices"])), abs=1e-4)
    # dp = GPUs / (TP x PP x CP), as the tables' layout columns give it
    assert int(row["dp"]) * int(row["tp"]) * int(row["pp"]) * int(row["cp"]) == int(row["devices"])


def test_the_declared_fit_rows_are_the_calibrations_and_the_rest_is_held_out() -> None:
    cal = load_calibrations()["nvidia-blackwell"]
    assert list(cal.fp8_fitted_on) == RULE2_FIT_ROWS
    for run_id in MB2602:
        assert RESULTS[run_id].fitted == (run_id in RULE2_FIT_ROWS), run_id


def test_rule_2_reproduces_the_bundled_value() -> None:
    # calibration.toml's rule 2 run on its three declared rows gives the value the file carries (an interior grid point)
    fitted = fit_fp8_eff_max("nvidia-blackwell", RULE2_FIT_ROWS).fp8_matmul_eff_max
    assert fitted == pytest.approx(load_calibrations()["nvidia-blackwell"].fp8_matmul_eff_max)
    assert 0.30 < fitted < 0.98


@pytest.mark.parametrize("run_id", [r for r in MB2602 if r not in RULE2_FIT_ROWS])
def test_new_held_out_row_within_the_row_bound(run_id: str) -> None:
    assert abs(RESULTS[run_id].error) <= ROW_BOUND, f"{run_id}: {RESULTS[run_id].error:+.1%}"


# --- the FP8 recipe (plan --fp8-recipe, runs-file fp8_recipe; compute.fp8_cast_bytes) ---

def test_quantize_traffic_per_recipe_by_hand() -> None:
    # per element of a GEMM's 16-bit input: read 2 B, write the 1-B FP8 value (+1 B transpose where FP8 GEMMs are
    # TN-only: Hopper; not on Blackwell, TE is_non_tn_fp8_gemm_supported); current scaling reads the input once more
    # for its amax (2 B, a second kernel); MXFP8 writes a row-wise and a column-wise copy, each 1 B + a 1-B scale per 32
    assert fp8_cast_bytes("delayed", "nvidia-hopper") == (4.0, 1.0)
    assert fp8_cast_bytes("current", "nvidia-hopper") == (6.0, 2.0)
    assert fp8_cast_bytes("delayed", "nvidia-blackwell") == (3.0, 1.0)
    assert fp8_cast_bytes("current", "nvidia-blackwell") == (5.0, 2.0)
    assert fp8_cast_bytes("mxfp8", "nvidia-blackwell") == (2.0 + 2.0 * 33.0 / 32.0, 1.0)
    lin = linear_precision(get_device("b200"), "fp8", calibration_for(get_device("b200")), "mxfp8")
    assert lin is not None and lin.operand_bytes == 1.0 + 1.0 / 32  # MXFP8 operands carry their block scales


def test_current_scaling_costs_its_amax_pass_in_the_step() -> None:
    # the same B200 run under the three recipes: current = delayed + one more read of every quantized input
    row = dict(ROWS["mb-b200-llama3-8b"])
    steps = {}
    for recipe in FP8_RECIPES:
        row["fp8_recipe"] = recipe
        steps[recipe] = predict_layout(run_query(row)).terms["step_time_s"]
    assert steps["delayed"] < steps["mxfp8"] < steps["current"]
    assert steps["current"] / steps["delayed"] < 1.05  # a few % of an 8B step, not a release's 18%


def _explain(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    return run_main(["plan", "explain", "--model", "llama3-8b", "--devices", "8", "--tp", "1", "--pp", "1",
                     "--seq-len", "8192", "--global-batch", "128seq", "--mbs", "2", *extra], capsys)


def test_cli_fp8_recipe_reaches_the_json_and_moves_the_step(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _explain(capsys, "--hardware", "b200", "--dtype", "fp8", "--json")
    assert code == 0, err
    delayed = json.loads(out)
    code, out, err = _explain(capsys, "--hardware", "b200", "--dtype", "fp8", "--fp8-recipe", "current", "--json")
    assert code == 0, err
    current = json.loads(out)
    assert (delayed["fp8_recipe"], current["fp8_recipe"]) == ("delayed", "current")
    assert current["prediction"]["step_time_s"] > delayed["prediction"]["step_time_s"]
    code, out, _ = _explain(capsys, "--hardware", "b200", "--dtype", "fp8", "--fp8-recipe", "mxfp8")
    text = " ".join(out.split())  # the console wraps at the terminal's width
    assert code == 0 and "fp8 recipe mxfp8" in text  # the headline names a recipe other than the default
    assert "mxfp8 scaling: 4.0625 B moved per quantized input element" in text  # 2 + 2 x (1 + 1/32)


@pytest.mark.parametrize(("extra", "words"), [
    (("--hardware", "h100-sxm", "--dtype", "fp8", "--fp8-recipe", "mxfp8"), "needs block-scaled FP8 tensor cores"),
    (("--hardware", "b200", "--fp8-recipe", "current"), "give --dtype fp8 with --fp8-recipe"),
    (("--hardware", "b200", "--dtype", "fp8", "--fp8-recipe", "blockwise"), "give --fp8-recipe delayed, current"),
])
def test_cli_bad_fp8_recipe_exits_2_naming_the_fix(capsys: pytest.CaptureFixture[str], extra: tuple[str, ...],
                                                   words: str) -> None:
    code, out, err = _explain(capsys, *extra)
    assert code == 2 and words in out + err and "Traceback" not in out + err


MX_PAIRS = {"mb-b200-llama3-8b-mx": "mb-b200-llama3-8b", "mb-gb200-llama3-8b-mx": "mb-gb200-llama3-8b",
            "mb-b200-llama31-405b-mx": "mb-b200-llama31-405b"}


@pytest.mark.parametrize("run_id", MX_PAIRS)
def test_fp8_mx_row_is_the_tables_figure_and_held_out(run_id: str) -> None:
    row, cs = ROWS[run_id], ROWS[MX_PAIRS[run_id]]
    tokens = {"mb-b200-llama3-8b-mx": 29521, "mb-gb200-llama3-8b-mx": 29789, "mb-b200-llama31-405b-mx": 624}[run_id]
    assert float(row["step_s"]) == pytest.approx(
        int(row["global_batch"]) * int(row["seq"]) / (tokens * int(row["devices"])), abs=1e-4)
    layout = ("devices", "tp", "pp", "dp", "cp", "vp", "mbs", "global_batch", "seq", "recompute")
    assert [row[k] for k in layout] == [cs[k] for k in layout] and row["fp8_recipe"] == "mxfp8"
    assert not RESULTS[run_id].fitted and abs(RESULTS[run_id].error) <= ROW_BOUND


@pytest.mark.xfail(strict=True, reason=(
    "tolerance (b) of the recipe mechanism, stated in calibration.toml before measuring: the 25.11 tables publish "
    "MX/CS step ratios 1.037 / 1.058 / 1.059 on three same-layout pairs; the model, which charges MXFP8 only its "
    "quantize traffic (2 + 2 x 33/32 B per element vs current scaling's 5 B on Blackwell), gives 0.984: MXFP8's "
    "block-scaled GEMMs cost more than that, and no cited rate for them was found (2026-12-01, bwell)"))
@pytest.mark.parametrize("run_id", MX_PAIRS)
def test_mx_over_cs_ratio_within_3_points(run_id: str) -> None:
    mx, cs = RESULTS[run_id], RESULTS[MX_PAIRS[run_id]]
    published = mx.published_step_s / cs.published_step_s
    assert mx.predicted_step_s / cs.predicted_step_s == pytest.approx(published, abs=0.03)


def test_plan_search_leaves_out_a_device_without_the_recipe(capsys: pytest.CaptureFixture[str]) -> None:
    # a search over several devices drops the one that cannot run MXFP8, saying why, as it drops one without an fp8
    # peak; over that device alone it exits 2
    base = ["plan", "--model", "llama3-8b", "--devices", "8", "--dtype", "fp8", "--fp8-recipe", "mxfp8", "--top", "2"]
    code, out, err = run_main([*base, "--hardware", "h100-sxm,b200"], capsys)
    text = " ".join(out.split())
    assert code == 0, err
    assert "not searched: h100-sxm (--fp8-recipe mxfp8 needs block-scaled FP8 tensor cores" in text
    assert "pick another --fp8-recipe for it" in text and "│ b200" in out
    code, out, err = run_main([*base, "--hardware", "h100-sxm"], capsys)
    assert code == 2 and "use --fp8-recipe delayed or current" in " ".join((out + err).split())


@pytest.mark.parametrize(("typed", "recipe"), [("ds", "delayed"), ("CS", "current"), ("tensorwise", "current"),
                                               ("FP8-MX", "mxfp8"), ("MXFP8", "mxfp8")])
def test_cli_reads_the_stacks_names_of_a_recipe(capsys: pytest.CaptureFixture[str], typed: str, recipe: str) -> None:
    # NeMo's scripts say ds / cs / mxfp8, Megatron-LM says tensorwise, the Megatron-Bridge tables FP8-CS / FP8-MX
    code, out, err = _explain(capsys, "--hardware", "b200", "--dtype", "fp8", "--fp8-recipe", typed, "--json")
    assert code == 0, err
    assert json.loads(out)["fp8_recipe"] == recipe


# NeMo 25.02 DGX-B200 / 25.04 DGX-GB200 tables' Nemotron rows (Tokens / sec / GPU), added 2026-12-01 so that every dense
# row of the two tables is in the file; held out, committed before they were predicted.
NEMOTRON4 = {"nemo2502-b200-nemotron4-15b": 14760, "nemo2502-b200-nemotron4-340b": 602,
             "nemo2504-gb200-nemotron4-15b": 17809, "nemo2504-gb200-nemotron4-340b": 737}


@pytest.mark.parametrize("run_id", NEMOTRON4)
def test_nemotron4_rows_are_the_tables_and_held_out(run_id: str) -> None:
    row = ROWS[run_id]
    tokens = int(row["global_batch"]) * int(row["seq"])
    assert float(row["step_s"]) == pytest.approx(tokens / (NEMOTRON4[run_id] * int(row["devices"])), abs=1e-4)
    # NeMo Nemotron4Config15B / 340B: non-gated squared-ReLU MLP (the mlp=gelu cell's two GEMMs), untied, 8 KV groups
    assert (row["mlp"], row["tied"], row["kv_heads"], row["vocab"]) == ("gelu", "0", "8", "256000")
    assert not RESULTS[run_id].fitted and abs(RESULTS[run_id].error) <= ROW_BOUND
