"""AWS Neuron serving rows (issue 10, s-neusrv): AWS's Trn1/Inf2 transformers-neuronx tables against `plan serve`.

Bounds stated before any row was predicted (the issue's serving target): the held-out median |error| of each device
family with AWS rows <= 15%; every held-out AWS row beyond 25% carries a note with a specific, checked reason (its
arithmetic recomputed here from the published figures); a row without one is a strict xfail naming it.
"""

from __future__ import annotations

import statistics
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict import serving
from accelopt.predict.calibration import load_calibrations
from accelopt.predict.runs_csv import bundled_runs_text
from accelopt.predict.serving_validation import (
    ServingRunResult,
    _predict_row,
    predict_row,
    read_serving_runs,
    reproduce,
    validate_serving,
)
from accelopt.workload.presets import get_model

SERVING_MEDIAN_BOUND = 0.15  # issue 10, "Done when": serving median <= 15%
ROW_NOTE_BOUND = 0.25  # issue 10: a row beyond 25% carries a note with a specific, checked reason

ROWS, SOURCES = read_serving_runs()
AWS = [r for r in ROWS if r["id"].startswith("nrn-")]
PUB = {r["id"]: float(r["published"]) for r in AWS}
# held-out rows beyond 25% whose note says "not explained" (no checked reason found): strict xfails
UNEXPLAINED = {"nrn-trn1-l2-7b-b1-128-8064-ttft", "nrn-trn1-l2-7b-b8-128-8064-ttft"}


@pytest.fixture(scope="module")
def results() -> list[ServingRunResult]:
    return [reproduce(r, SOURCES) for r in AWS]


def test_aws_block_is_expressed_faithfully() -> None:
    # TP degrees count NeuronCores: the rows run on the per-core devices, at AWS's degree, with the static batch
    assert {r["hardware"] for r in AWS} == {"trainium1-core", "inferentia2-core", "trainium2-lnc2"}
    assert {r["tp"] for r in AWS if r["hardware"] == "trainium1-core"} == {"32"}
    assert {r["tp"] for r in AWS if r["hardware"] == "inferentia2-core"} == {"24"}
    assert {r["tp"] for r in AWS if r["hardware"] == "trainium2-lnc2"} == {"64"}  # LNC=2 logical cores
    assert all(r["engine"] == "neuron" and r["batch"] != "max" for r in AWS)
    fit = [r for r in AWS if r["role"] == "fit"]
    assert 0 < len(fit) <= len([r for r in AWS if r["role"] != "gap"]) / 3
    assert {r["metric"] for r in fit} == {"ttft_ms", "tpot_ms"}  # both regimes among the fit rows


def test_gap_rows_cannot_be_predicted_and_say_why() -> None:
    for r in (r for r in AWS if r["role"] == "gap"):
        heads = get_model(r["model"]).heads
        if heads % int(r["tp"]):  # plan serve rejects the layout: the reason given is that one
            assert f"does not divide {heads}" in r["note"], r["id"]
            with pytest.raises(serving.InfeasibleError):
                serving._check_layout(get_model(r["model"]), int(r["tp"]), 1)
        else:
            assert r["weight_dtype"] == "int8" and r["metric"] == "ttft_ms" and "weight-only" in r["note"], r["id"]


def _family_median(fam: str) -> float:
    # the family's held-out rows of the whole file (other vendors' rows of the family count too)
    res = validate_serving()
    return next(g.median_abs_error for g in res.groups if g.group == "family" and g.name == fam)


def test_held_out_median_trainium1_within_target(results: list[ServingRunResult]) -> None:
    # Inf2 has no held-out row: every Inf2 row is a gap row (TP 24 does not divide the heads)
    assert {r.family for r in results if r.role == "test"} == {"aws-trainium1", "default"}
    assert _family_median("aws-trainium1") <= SERVING_MEDIAN_BOUND


def test_held_out_median_default_family_within_target() -> None:
    # A strict xfail until 2026-12-01 (24 rows: 2 L40S, 4 Trn2, 18 L4, median 24.2%); with the 17 held-out L40S
    # TensorRT-LLM rows added that day (tests/test_serving_trtllm_ada_ampere.py) the family's 41 rows were within the
    # target. The Trainium2 rows alone are not: the strict xfail below keeps that gap. A strict xfail again from
    # 2026-12-02 (srvrows: the 3 MI355X SGLang rows, +13.3%, -21.7%, +45.3%, took the family's 48 rows to 15.11%)
    # until srvgap's 2 MI250X GCD and 12 Jetson AGX Orin rows joined the same day (their own median 13.2%): 62 rows at
    # 13.72%, within the target by which rows the family holds, not by a model change. 14.06% from srvfloor
    # (2026-12-02: the launch floor on NVIDIA GPUs moved the L4 and Jetson AGX Orin rows) to srv2 (the same day: the
    # floor a lower bound, max(roofline, floor), under every table), 13.72% since (README).
    assert _family_median("default") <= SERVING_MEDIAN_BOUND


@pytest.mark.xfail(strict=True, reason="Trainium2 is uncalibrated (two public runs, too few to fit): its rows "
                   "are -5.7% to -47.4% against [serving.default] (three beyond 25%)")
def test_held_out_median_trainium2_rows_within_target(results: list[ServingRunResult]) -> None:
    trn2 = [abs(r.error) for r in results if r.hardware.startswith("trainium2") and r.error is not None]
    assert len(trn2) == 4 and statistics.median(trn2) <= SERVING_MEDIAN_BOUND


def _beyond(results: list[ServingRunResult]) -> list[ServingRunResult]:
    return [r for r in results if r.role == "test" and r.error is not None and abs(r.error) > ROW_NOTE_BOUND]


def test_rows_beyond_25pct_carry_a_checked_reason(results: list[ServingRunResult]) -> None:
    assert _beyond(results)  # the loop below must check something (11 rows on 2026-11-30)
    for r in _beyond(results):
        if r.id in UNEXPLAINED:
            assert r.note.startswith("not explained:"), r.id
        else:
            assert r.note.startswith("checked:"), (r.id, r.error)


@pytest.mark.xfail(strict=True, reason="the Llama-2-7b TTFT row on Trn1 at batch 8 (128-token prompt) is -30.1% "
                   "with no checked reason (-39.3% until rtrn2, 2026-12-06, set the family's link to NCCOM-TEST's "
                   "measured bus bandwidth; its batch-1 twin went -31.6% -> -19.3%, within 25%): the published 7B "
                   "TTFT is 0.25x the 70B's at the same shape with 0.10x its FLOPs and 0.40x its layers")
def test_no_unexplained_row_beyond_25pct(results: list[ServingRunResult]) -> None:
    assert not [r.id for r in _beyond(results) if r.id in UNEXPLAINED]


# The rows whose notes' figures test_checked_notes_arithmetic recomputes, as it uses them
MISTRAL_B1, MISTRAL_B8 = "nrn-trn1-mistral-v02-b1-8192-8192-ttft", "nrn-trn1-mistral-v02-b8-8192-8192-ttft"
L3_VS_L2_70B_TTFT = (("b1-2048-2048", 0.79), ("b4-2048-2048", 0.61), ("b4-128-1024", 0.83), ("b4-128-128", 0.83))
PREFILL_TOKENS = (("nrn-trn1-l2-70b-b1-1024-1024-ttft", 1024), ("nrn-trn1-l2-70b-b4-256-256-ttft", 1024),
                  ("nrn-trn1-l2-70b-b1-2048-2048-ttft", 2048), ("nrn-trn1-l2-70b-b4-1024-1024-ttft", 4096))
TRN2_AT_TRN1_TABLE = (("nrn-trn2-l33-70b-b1-10000-1501-tpot", 0.023), ("nrn-trn2-l33-70b-b1-10000-1501-ttft", 0.9925))
TRN2_405B = "nrn-trn2-l31-405b-b1-10000-1785-ttft"
_PREFILL_NOTE = {r["note"] for r in AWS if r["id"] == PREFILL_TOKENS[0][0]}
RECOMPUTED_IDS = frozenset((MISTRAL_B1, MISTRAL_B8, *(f"nrn-trn1-l3-70b-{s}-ttft" for s, _ in L3_VS_L2_70B_TTFT),
                            *(rid for rid, _ in PREFILL_TOKENS), *(rid for rid, _ in TRN2_AT_TRN1_TABLE), TRN2_405B,
                            *(r["id"] for r in AWS if r["note"] in _PREFILL_NOTE)))  # rows sharing that note
"""Read by tests/test_row_notes_checked.py: a row beyond 25% must be one of them."""


@pytest.mark.usefixtures("trn1_link_before_rtrn2")
def test_checked_notes_arithmetic() -> None:
    # Trn1 against Inf2, same engine, model and 8192-token shape at batch 1
    assert PUB[MISTRAL_B1] / PUB["nrn-inf2-mistral-v02-b1-8192-8192-ttft"] == \
        pytest.approx(2.45, abs=0.005)
    for m in ("l2-13b", "codellama-13b"):
        assert PUB[f"nrn-trn1-{m}-b1-8192-8192-ttft"] / PUB[f"nrn-inf2-{m}-b1-8192-8192-ttft"] == \
            pytest.approx(2.4, abs=0.05)
    assert PUB[MISTRAL_B8] / PUB[MISTRAL_B1] == pytest.approx(6.5, abs=0.05)
    # Llama-3-70B against Llama-2-70B (same layers) at the same shape
    for shape, ratio in L3_VS_L2_70B_TTFT:
        assert PUB[f"nrn-trn1-l3-70b-{shape}-ttft"] / PUB[f"nrn-trn1-l2-70b-{shape}-ttft"] == \
            pytest.approx(ratio, abs=0.005)
    a, b = get_model("llama3-70b"), get_model("llama2-70b")
    assert (a.layers, a.hidden, a.heads, a.n_kv_heads, a.ffn) == (b.layers, b.hidden, b.heads, b.n_kv_heads, b.ffn)
    # prefill time per token is not one rate; the FLOPs per token nearly are
    l2 = get_model("llama2-70b")
    assert PUB["nrn-trn1-l2-70b-b1-2048-2048-ttft"] / PUB["nrn-trn1-l2-70b-b1-1024-1024-ttft"] == \
        pytest.approx(2.97, abs=0.005)
    assert serving.prefill_flops(l2, 1, 2048) / serving.prefill_flops(l2, 1, 1024) == pytest.approx(2.02, abs=0.005)
    attn = 2048 * serving.attention_flops_per_token(l2, 2049 / 2)
    assert attn / serving.prefill_flops(l2, 1, 2048) == pytest.approx(0.02, abs=0.005)
    per_token = {k: PUB[k] / n for k, n in PREFILL_TOKENS}
    assert [round(v, 3) for v in per_token.values()] == [0.227, 0.264, 0.337, 0.361]
    # Trn2 (uncalibrated): the fitted Trn1 table's values on its rows, quoted in their notes (not adopted)
    v2 = replace(serving.serving_calibrations()["aws-neuroncore-v2"], family="default")
    for rid, err in TRN2_AT_TRN1_TABLE:
        row = next(r for r in AWS if r["id"] == rid)
        assert predict_row(row, {"default": v2})[0] / PUB[rid] - 1 == pytest.approx(err, abs=0.0005)
    v2_405 = predict_row(next(r for r in AWS if r["id"] == TRN2_405B), {"default": v2})[0]
    assert v2_405 / PUB[TRN2_405B] - 1 == pytest.approx(1.414, abs=0.0005)
    # Trn2 prefill rates implied by the published TTFTs (share of the 64 logical cores' bf16 peak)
    peak = 64 * get_device("trainium2-lnc2").peak("bf16")
    for model, rid, share in (("llama3-70b", "nrn-trn2-l33-70b-b1-10000-1501-ttft", 0.244),
                              ("llama3.1-405b", "nrn-trn2-l31-405b-b1-10000-1785-ttft", 0.324)):
        flops = serving.prefill_flops(get_model(model), 1, 10000)
        assert flops / (PUB[rid] / 1e3) / peak == pytest.approx(share, abs=0.0005)
    # the unexplained 7B rows: ratios quoted in their notes
    assert PUB["nrn-trn1-l2-7b-b1-128-8064-ttft"] / PUB["nrn-trn1-l2-70b-b1-128-128-ttft"] == \
        pytest.approx(0.25, abs=0.005)


@pytest.mark.parametrize("hardware", ["trainium1-core", "trainium1", "inferentia2", "inferentia2-core"])
def test_plan_serve_on_neuroncore_v2_is_calibrated(hardware: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(["plan", "serve", "--model", "llama3-8b", "--hardware", hardware, "--tp", "8",
                             "--prompt", "128", "--output", "128"], capsys)
    assert code == 0 and "aws-neuroncore-v2" in out and "uncalibrated" not in out


def test_plan_serve_on_trainium2_stays_uncalibrated(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(["plan", "serve", "--model", "llama3-8b", "--hardware", "trainium2", "--prompt", "128",
                             "--output", "128"], capsys)
    assert code == 0 and "uncalibrated" in out


# The training curve's matmul_eff_max when the record below was written (rule v2, 2026-12-01); 0.50 since the rule's
# re-run of 2026-12-03 (trnfix). The record's ratios do not depend on it (both sizes scale by it); its absolute
# efficiencies are those of 0.46, and the test checks the ratio at the current value too.
RECORD_TRN1_EFF_MAX = 0.46


def _trn1_gemm_eff(model_name: str, tokens: int, eff_max: float | None = RECORD_TRN1_EFF_MAX) -> float:
    """Time-weighted efficiency of one layer's five GEMMs per NeuronCore at TP 32 (QKV with the K/V heads split, or
    one replicated head each when TP > KV heads; O; gate; up; down) on the training curve of [family.aws-trainium1]
    (at `eff_max` in place of its matmul_eff_max; None: the bundled value)."""
    cal = load_calibrations()["aws-trainium1"]
    if eff_max is not None:
        cal = replace(cal, matmul_eff_max=eff_max)
    m, tp = get_model(model_name), 32
    head_dim = m.hidden // m.heads
    q_n, kv_n = m.heads * head_dim // tp, max((m.kv_heads or m.heads) // tp, 1) * head_dim
    shapes = [(m.hidden, q_n + 2 * kv_n), (q_n, m.hidden), (m.hidden, m.ffn // tp), (m.hidden, m.ffn // tp),
              (m.ffn // tp, m.hidden)]  # (K, N) of a [tokens, K] x [K, N] GEMM
    flops = [2.0 * tokens * k * n for k, n in shapes]
    return sum(flops) / sum(f / float(cal.matmul_eff(f)) for f in flops)


@pytest.mark.usefixtures("trn1_link_before_rtrn2")
def test_gemm_size_is_not_the_7b_rows_reason() -> None:
    """The runs file's 'Checked 2026-12-01 (rows10' record above the Llama-2-7b rows: every figure recomputed."""
    runs_file = Path(__file__).resolve().parent.parent / "src/accelopt/predict/data/published_serving_runs.csv"
    text = " ".join(ln.lstrip("#").strip() for ln in runs_file.read_text(encoding="utf-8").splitlines()
                    if ln.startswith("#"))
    record = text[text.index("Checked 2026-12-01 (rows10, issue 10), a fresh angle"):]
    eff_70b = _trn1_gemm_eff("llama2-70b", 128)
    figures = {}
    for batch in (1, 8):
        row = next(r for r in AWS if r["id"] == f"nrn-trn1-l2-7b-b{batch}-128-8064-ttft")
        _, p = _predict_row(row, None, None)
        pf = p.prefill
        eff_7b = _trn1_gemm_eff("llama2-7b", 128 * batch)
        with_curve_s = max(pf.compute_s * eff_70b / eff_7b, pf.memory_s) + pf.comm_s + pf.overhead_s
        need = (PUB[row["id"]] * 1e-3 - pf.comm_s - pf.overhead_s) / pf.compute_s
        figures[batch] = (eff_7b, with_curve_s * 1e3 / PUB[row["id"]] - 1, need)
    assert f"at 0.181 for a 128-token prompt against {eff_70b:.3f}" in record and f"{figures[1][0]:.3f}" == "0.181"
    assert f"{eff_70b / figures[1][0]:.2f}x its time per FLOP" in record
    now_ratio = _trn1_gemm_eff("llama2-70b", 128, None) / _trn1_gemm_eff("llama2-7b", 128, None)
    assert f"{now_ratio:.2f}" == f"{eff_70b / figures[1][0]:.2f}"  # the bundled value's ratio is the record's
    assert f"batch-1 row to {figures[1][1] * 100:.1f}%" in record
    assert f"reach {figures[8][0]:.3f}" in record and f"that row faster, {figures[8][1] * 100:.1f}%" in record
    assert f"x{figures[1][2]:.2f} at batch 1 and x{figures[8][2]:.2f} at batch 8" in record
    assert abs(figures[1][1]) < ROW_NOTE_BOUND < abs(figures[8][1])  # closes one row, not the other: not a reason


def _runs_record(heading: str) -> str:
    """A comment record of the bundled runs file that starts with `heading` (its comment lines up to the next row,
    joined)."""
    block = []
    for line in bundled_runs_text("published_serving_runs.csv").split(heading, 1)[1].splitlines()[1:]:
        if not line.startswith("#"):
            break
        block.append(line.lstrip("#").strip())
    return " ".join([heading.lstrip("#").strip(), *block])


def _prefill_own_ms(rid: str) -> float:
    """The prefill's own time: the published TTFT less the published TPOT of the same run."""
    return PUB[rid] - PUB[rid.replace("-ttft", "-tpot")]


def _allreduce_payload_gb(rid: str) -> float:
    """Prompt tokens x 2 all-reduces a layer x layers x hidden x 2 B (bf16 activations)."""
    row = next(r for r in AWS if r["id"] == rid)
    m = get_model(row["model"])
    return int(row["batch"]) * int(row["prompt_len"]) * 2 * m.layers * m.hidden * 2 / 1e9


def _prefill_tflop(rid: str) -> float:
    row = next(r for r in AWS if r["id"] == rid)
    return 2 * get_model(row["model"]).params_total() * int(row["batch"]) * int(row["prompt_len"]) / 1e12


@pytest.mark.usefixtures("trn1_link_before_rtrn2")
def test_fixed_cost_per_forward_ruled_out_and_the_payload_lead() -> None:
    """l4nrn (2026-12-05): the runs file's 'Examined 2026-12-05 (l4nrn' record and the two Llama-2-7b notes. A fixed
    cost per forward cannot close both 7B rows (their misses differ 6.2x); the prefill's own time over the table's
    Llama-2 128-token rows goes with the all-reduce payload, not the FLOPs, but the Llama-3 rows break the rate."""
    record = _runs_record("# Examined 2026-12-05 (l4nrn, issue 10): a fixed cost per forward")
    b1, b8 = "nrn-trn1-l2-7b-b1-128-8064-ttft", "nrn-trn1-l2-7b-b8-128-8064-ttft"
    a70 = "nrn-trn1-l2-70b-b1-128-128-ttft"
    rows = {r["id"]: r for r in AWS}
    pred = {rid: _predict_row(rows[rid], None, None)[0] for rid in (b1, b8)}
    miss1, miss8 = PUB[b1] - pred[b1], PUB[b8] - pred[b8]
    flop_share = get_model("llama2-7b").params_total() / get_model("llama2-70b").params_total()
    assert round(flop_share, 2) == 0.10
    upper_f = (PUB[b1] - 0.10 * PUB[a70]) / 0.90  # F + w7 = 13.32, F + w70 = 53.91, w7 >= 0.10 w70
    with_const = (pred[b8] + miss1) / PUB[b8] - 1
    assert (f"the published {PUB[b1]:.2f} = F + w7 and {PUB[a70]:.2f} = F + w70 ms" in record
            and f"constant F of up to {upper_f:.2f} ms, and the batch-1 row needs {miss1:.2f} ms" in record)
    assert f"the model misses {miss8:.2f} ms at batch 8" in record and f"{miss8 / miss1:.1f}x the batch-1" in record
    assert f"leaves batch 8 at {100 * with_const:.1f}%" in record
    assert miss1 < upper_f and abs(with_const) > ROW_NOTE_BOUND  # the pair allows it; the batch-8 row does not
    assert rows[b1]["source"] != rows[b8]["source"] and "two documentation commits" in record
    llama2 = [b1, b8, *(f"nrn-trn1-l2-70b-b{b}-128-{n}-ttft" for b in (1, 4) for n in (128, 1024))]
    llama3 = sorted(r for r in PUB if r.startswith(("nrn-trn1-l3-8b-", "nrn-trn1-l3-70b-")) and "-128-" in r
                    and r.endswith("-ttft"))
    assert len(llama3) == 8  # 8B at 128+3968 / 128+8064, batch 1 / 8; 70B at 128+128 / 128+1024, batch 1 / 4
    per_gb = {rid: _prefill_own_ms(rid) / _allreduce_payload_gb(rid) for rid in (*llama2, *llama3)}
    per_tflop = {rid: _prefill_own_ms(rid) / _prefill_tflop(rid) for rid in llama2}
    g2, f2 = [per_gb[r] for r in llama2], list(per_tflop.values())
    assert (f"is {min(g2):.1f}-{max(g2):.1f} ms per GB of all-reduce payload" in record
            and f"a {max(g2) / min(g2):.2f}x spread) but {min(f2):.2f}-{max(f2):.2f} ms per TFLOP of prefill "
                f"({max(f2) / min(f2):.2f}x)" in record)
    assert max(g2) / min(g2) < 1.25 < 2.5 < max(f2) / min(f2)  # "goes with tokens x layers x hidden, not the FLOPs"
    r70 = [per_gb[r] for r in llama2[2:]]
    carried = {rid: [PUB[rid.replace("-ttft", "-tpot")] + r * _allreduce_payload_gb(rid) for r in (min(r70), max(r70))]
               for rid in (b1, b8)}
    assert (f"The 70B rows' {min(r70):.1f}-{max(r70):.1f} ms per GB carried to the 7B rows gives "
            f"{carried[b1][0]:.2f}-{carried[b1][1]:.2f} ms at batch 1 (published {PUB[b1]:.2f}) and "
            f"{carried[b8][0]:.2f}-{carried[b8][1]:.2f} ms at batch 8 ({PUB[b8]:.2f})") in record
    g3 = [per_gb[r] for r in llama3]
    l3_8b_b1 = [per_gb[r] for r in llama3 if "-l3-8b-b1-" in r]
    assert f"give {min(g3):.1f}-{max(g3):.1f} ms per GB" in record
    assert (f"the 8B at batch 1 {min(l3_8b_b1):.1f}-{max(l3_8b_b1):.1f} against the Llama-2-7b's {per_gb[b1]:.1f} "
            "with the same payload") in record
    assert _allreduce_payload_gb("nrn-trn1-l3-8b-b1-128-8064-ttft") == _allreduce_payload_gb(b1)
    assert min(l3_8b_b1) / per_gb[b1] > 1.3
    assert "A lead, not a reason" in record and "Not adopted." in record
    for rid in (b1, b8):  # the notes quote the record's figures
        note = rows[rid]["note"]
        assert note.startswith("not explained:") and "Ruled out (l4nrn, 2026-12-05): a fixed cost per forward" in note
        assert (f"the model misses {miss1:.2f} ms at batch 1 and {miss8:.2f} ms at batch 8" in note
                and f"{miss8 / miss1:.1f}x apart" in note and f"leaves batch 8 at {100 * with_const:.1f}%" in note)
        assert (f"the all-reduce payload ({min(g2):.1f}-{max(g2):.1f} ms per GB) rather than the FLOPs "
                f"({min(f2):.2f}-{max(f2):.2f} ms per TFLOP)" in note and f"give {min(g3):.1f}-{max(g3):.1f} ms per GB"
                in note)


NCCOM_TEST_ALLG_32 = {1024: 151, 8192: 149, 65536: 150, 524288: 179}  # the guide's 32-rank all-gather, bytes: us


def test_nccom_test_example_does_not_size_the_payload_lead() -> None:
    """l4nrn (2026-12-05): the NCCOM-TEST guide's 32-rank all-gather example (the only 32-rank Trn1 collective time
    found) against the Llama-2 rows' prefill own time per GB and the 7B's published TPOT, as the record quotes."""
    record = _runs_record("# Examined 2026-12-05 (l4nrn, issue 10): a fixed cost per forward")
    slope = (NCCOM_TEST_ALLG_32[524288] - NCCOM_TEST_ALLG_32[65536]) * 1e-3 / ((524288 - 65536) / 1e9)  # ms per GB
    b1 = "nrn-trn1-l2-7b-b1-128-8064-ttft"
    llama2 = [b1, "nrn-trn1-l2-7b-b8-128-8064-ttft",
              *(f"nrn-trn1-l2-70b-b{b}-128-{n}-ttft" for b in (1, 4) for n in (128, 1024))]
    most_per_gb = max(_prefill_own_ms(r) / _allreduce_payload_gb(r) for r in llama2)
    per_step_ms = 2 * get_model("llama2-7b").layers * NCCOM_TEST_ALLG_32[65536] * 1e-3
    tpot = PUB[b1.replace("-ttft", "-tpot")]
    assert (f"an all-gather of {min(NCCOM_TEST_ALLG_32.values())}-{NCCOM_TEST_ALLG_32[1024]} us up to 65536 B and "
            f"{NCCOM_TEST_ALLG_32[524288]} us at 524288 B") in record
    assert f"Its slope, {slope:.1f} ms per GB, doubled" in record and f"is {2 * slope:.1f} ms per GB" in record
    assert 2 * slope > most_per_gb  # "more than the Llama-2 rows' whole prefill own time per GB"
    assert f"64 all-reduces a 7B decode step, would be {per_step_ms:.2f} ms" in record
    assert f"the 7B's published TPOT of {tpot:.2f} ms" in record and per_step_ms > tpot
    assert "size neither part of the lead" in record


# rneuron (2026-12-05): (model, batch of the throughput table's run, compiled length's output) of every 128-token pair
# of one model, compiled length and release: the latency table's batch 1 and the throughput table's batch B
BATCH_PAIRS = (("l2-7b", 8, 8064), ("l2-70b", 4, 128), ("l2-70b", 4, 1024),  # Neuron 2.18.0
               ("l3-8b", 8, 3968), ("l3-8b", 8, 8064), ("l3-70b", 4, 128), ("l3-70b", 4, 1024))  # Neuron 2.18.1


def batch_slopes() -> dict[tuple[str, int], dict[str, float]]:
    """Per pair: the published prefill own time (TTFT - TPOT) as a + s x batch, s per layer x hidden unit (ns) and per
    prefill TFLOP of one 128-token sequence (ms), the same per GB of its all-reduce payload, and s over the model's
    slope of the TTFT."""
    rows, out = {r["id"]: r for r in AWS}, {}
    for name, batch, output_len in BATCH_PAIRS:
        r1, rb = (f"nrn-trn1-{name}-b{b}-128-{output_len}-ttft" for b in (1, batch))
        assert rows[r1]["source"] == "neuron-trn1-lat" and rows[rb]["source"] == "neuron-trn1-thr"
        s = (_prefill_own_ms(rb) - _prefill_own_ms(r1)) / (batch - 1)
        m = get_model(rows[r1]["model"])
        model_s = (_predict_row(rows[rb], None, None)[0] - _predict_row(rows[r1], None, None)[0]) / (batch - 1)
        out[(name, output_len)] = {"s": s, "a": _prefill_own_ms(r1) - s, "ns_lh": s * 1e6 / (m.layers * m.hidden),
                                   "ms_tflop": s / _prefill_tflop(r1), "ms_gb": s / _allreduce_payload_gb(r1),
                                   "vs_model": s / model_s, "batch_x": _prefill_own_ms(rb) / _prefill_own_ms(r1)}
    return out


def _span(values: list[float], fmt: str = ".1f") -> str:
    lo, hi = min(values), max(values)
    return f"{lo:{fmt}}" if f"{lo:{fmt}}" == f"{hi:{fmt}}" else f"{lo:{fmt}}-{hi:{fmt}}"


@pytest.mark.usefixtures("trn1_link_before_rtrn2")
def test_prefill_slope_by_batch_goes_with_layers_x_hidden_per_release() -> None:
    """rneuron (2026-12-05): the runs file's 'Examined 2026-12-05 (rneuron' record. Within one release the published
    per-sequence prefill work of the 7B / 8B and the 70B is one rate per layer x hidden unit (within 1.10x), not per
    FLOP (1.7x-2.2x apart); the rate steps 1.38x between the Llama-2 (2.18.0, HSB samples) and Llama-3 (2.18.1, BSH
    samples) rows; the 8B's slope is the model's."""
    record = _runs_record("# Examined 2026-12-05 (rneuron, issue 10): the 128-token prefill split by batch")
    sl = batch_slopes()
    rel0 = {k: v for k, v in sl.items() if k[0].startswith("l2-")}  # 2.18.0
    rel1 = {k: v for k, v in sl.items() if k[0].startswith("l3-")}  # 2.18.1
    assert len(rel0) == 3 and len(rel1) == 4

    def of(rel: dict[tuple[str, int], dict[str, float]], model: str, key: str) -> list[float]:
        return [v[key] for k, v in rel.items() if k[0] == model]

    s7, s70 = of(rel0, "l2-7b", "ns_lh"), of(rel0, "l2-70b", "ns_lh")
    s8, s70b = of(rel1, "l3-8b", "ns_lh"), of(rel1, "l3-70b", "ns_lh")
    assert (f"is {_span(s7)} ns (7B) and {_span(s70)} ns (70B) at 2.18.0, {_span(s8)} ns (8B int8) and "
            f"{_span(s70b)} ns (70B) at 2.18.1") in record
    spread = [max(r) / min(r) for r in ([v["ns_lh"] for v in rel0.values()], [v["ns_lh"] for v in rel1.values()])]
    assert max(spread) < 1.105 and "within 1.10x in each release" in record
    t7, t70 = of(rel0, "l2-7b", "ms_tflop"), of(rel0, "l2-70b", "ms_tflop")
    t8, t70b = of(rel1, "l3-8b", "ms_tflop"), of(rel1, "l3-70b", "ms_tflop")
    assert (f"it is {_span(t7, '.2f')} against {_span(t70, '.2f')} ms (2.18.0) and {_span(t8, '.2f')} against "
            f"{_span(t70b, '.2f')} ms (2.18.1)") in record
    assert min(t7) / max(t70) > 2.0 and min(t8) / max(t70b) > 1.6  # not one rate per FLOP
    vm = {m: of(rel, m, "vs_model") for rel, m in ((rel0, "l2-7b"), (rel1, "l3-8b"), (rel0, "l2-70b"),
                                                   (rel1, "l3-70b"))}
    assert (f"{_span(vm['l2-7b'], '.2f')} for the 7B, {_span(vm['l3-8b'], '.2f')} for the 8B, "
            f"{_span(vm['l2-70b'], '.2f')} and {_span(vm['l3-70b'], '.2f')} for the Llama-2 and Llama-3 70B") in record
    assert vm["l2-7b"][0] > 1.25 and all(0.85 < v < 1.0 for v in vm["l3-8b"])
    gb0, gb1 = [v["ms_gb"] for v in rel0.values()], [v["ms_gb"] for v in rel1.values()]
    assert f"{_span(gb0, '.0f')} ms per GB at 2.18.0, {_span(gb1, '.0f')} at 2.18.1" in record
    step = (sum(v["ns_lh"] for v in rel0.values()) / 3) / (sum(v["ns_lh"] for v in rel1.values()) / 4)
    assert f"(the Llama-2 rows over the Llama-3 rows: {step:.2f}x;" in record
    assert "attention_layout='BSH'" in record and "optimum-neuron PR #587" in record  # the groups' sample layouts
    a = [v["a"] for v in sl.values()]
    assert f"the intercepts a ({min(a):+.2f} to {max(a):+.2f} ms)" in record
    a8 = [sl[("l3-8b", n)]["a"] for n in (3968, 8064)]
    assert f"(a = {a8[0]:.2f} / {a8[1]:.2f} ms at 128+3968 / 128+8064)" in record
    assert f"So the 7B batch-8 prefill's {sl[('l2-7b', 8064)]['batch_x']:.1f}x its batch-1 own time" in record
    assert "A lead, not a reason" in record and "Not adopted." in record


# rtrn (2026-12-05): transformers-neuronx's bucket rule (utils.py power_of_two_bucket_sizes, bucket.py token_sizes /
# context_sizes / find, stored 3e15a8b): token buckets double from 128 up to n_positions, context buckets are half of
# them when no context_length_estimate is given, and a prompt runs on the smallest context bucket that holds it.
def context_bucket(prompt_len: int, n_positions: int) -> int:
    token, size = [], 128
    while size < n_positions:
        token.append(size)
        size *= 2
    context = [b // 2 for b in [*token, n_positions]]
    return next((b for b in context if b >= prompt_len), context[-1])


@pytest.mark.usefixtures("trn1_link_before_rtrn2")
def test_long_compiled_length_runs_the_same_context_bucket() -> None:
    """rtrn (2026-12-05): the runs file's 'Examined 2026-12-05 (rtrn' record. A 128-token prompt runs the 128 bucket at
    every compiled length of the table's 128-token rows, so the context pass (compiled for its bucket, its cache the
    bucket's slice) does not grow with the length, as the model has it; the published Llama-3-8B TTFT does."""
    record = _runs_record("# Examined 2026-12-05 (rtrn, issue 10): what the 128-token TTFT holds")
    rows = {r["id"]: r for r in AWS}
    compiled = {rid: int(r["prompt_len"]) + int(r["output_len"]) for rid, r in rows.items()
                if r["metric"] == "ttft_ms" and r["prompt_len"] == "128" and r["hardware"] == "trainium1-core"}
    assert {256, 4096, 8192} <= set(compiled.values())  # the 70B fit row, the 8B at 128+3968, the 7B / 8B at 128+8064
    assert all(context_bucket(128, n) == 128 for n in compiled.values())
    assert context_bucket(1024, 2048) == 1024 and context_bucket(2048, 4096) == 2048  # the rule on the long prompts
    assert "a 128-token prompt runs the 128 bucket at 256, 4096 and 8192 compiled positions alike" in record
    pred = {b: [_predict_row(rows[f"nrn-trn1-l3-8b-b{b}-128-{n}-ttft"], None, None)[0] for n in (3968, 8064)]
            for b in (1, 8)}
    assert all(abs(p[0] - p[1]) < 1e-9 for p in pred.values())
    assert f"{pred[1][0]:.2f} ms at batch 1, {pred[8][0]:.2f} ms at batch 8" in record

    def grow(name: str, b: int, short: int, long_: int, metric: str = "ttft") -> float:
        return PUB[f"nrn-trn1-{name}-b{b}-128-{long_}-{metric}"] - PUB[f"nrn-trn1-{name}-b{b}-128-{short}-{metric}"]

    g1, g8 = grow("l3-8b", 1, 3968, 8064), grow("l3-8b", 8, 3968, 8064)
    own1, own8 = g1 - grow("l3-8b", 1, 3968, 8064, "tpot"), g8 - grow("l3-8b", 8, 3968, 8064, "tpot")
    assert (f"+{g1:.2f} ms at batch 1 ({PUB['nrn-trn1-l3-8b-b1-128-3968-ttft']:.2f} -> "
            f"{PUB['nrn-trn1-l3-8b-b1-128-8064-ttft']:.2f}) and +{g8:.2f} ms at batch 8 "
            f"({PUB['nrn-trn1-l3-8b-b8-128-3968-ttft']:.2f} -> {PUB['nrn-trn1-l3-8b-b8-128-8064-ttft']:.2f}), of which "
            f"TTFT - TPOT +{own1:.2f} and +{own8:.2f} ms") in record
    assert {rows[f"nrn-trn1-l3-8b-b{b}-128-{n}-ttft"]["source"] for b in (1, 8) for n in (3968, 8064)} \
        == {"neuron-trn1-lat", "neuron-trn1-thr"}
    moves = (grow("l2-70b", 1, 128, 1024), grow("l3-70b", 1, 128, 1024), grow("l3-70b", 4, 128, 1024))
    assert (f"move {moves[0]:+.2f} ms (Llama-2, batch 1), {moves[1]:+.2f} ms (Llama-3, batch 1) and {moves[2]:+.2f} ms "
            f"(Llama-3, batch 4)") in record
    assert compiled["nrn-trn1-l2-70b-b1-128-1024-ttft"] == 1152 and compiled["nrn-trn1-l2-70b-b1-128-128-ttft"] == 256
    assert "Not a reason; nothing modelled." in record


# s32 rtrn (2026-12-05): what else grows with the compiled length (a pass over the whole KV cache per request), and a
# TTFT that holds the first decode step (at most the run's published TPOT).
def kv_cache_pass(batch: int, n_short: int = 4096, n_long: int = 8192) -> dict[str, float]:
    """The Llama-3-8B cache a core added from n_short to n_long positions (K and V of max(kv_heads / tp, 1) heads a
    core, bf16), and one write of it at the serving fit's HBM rate (decode_bandwidth_efficiency x the core's HBM)."""
    row = next(r for r in AWS if r["id"] == "nrn-trn1-l3-8b-b1-128-8064-ttft")
    m, tp = get_model(row["model"]), int(row["tp"])
    per_pos = m.layers * 2 * max(m.n_kv_heads // tp, 1) * (m.hidden // m.heads) * 2
    added = per_pos * (n_long - n_short) * batch
    cal = serving.serving_calibrations()["aws-neuroncore-v2"]
    bw = get_device(row["hardware"]).memory_bandwidth_byte_per_s
    return {"per_pos": per_pos, "added": added, "ms": added / (cal.decode_bandwidth_efficiency * bw) * 1e3,
            "eff": cal.decode_bandwidth_efficiency, "bw": bw}


@pytest.mark.usefixtures("trn1_link_before_rtrn2")
def test_kv_cache_pass_and_a_decode_in_the_ttft_do_not_size_the_growth() -> None:
    """s32 rtrn (2026-12-05): the runs file's 'Examined 2026-12-05 (s32 rtrn' record."""
    record = _runs_record("# Examined 2026-12-05 (s32 rtrn, issue 10): what else grows with the compiled length")
    k1, k8 = kv_cache_pass(1), kv_cache_pass(8)
    assert k1["per_pos"] == 16384 and f"x 128 x 2 B = {k1['per_pos']} B a position" in record
    assert f"add {k1['added'] / 1e6:.1f} MB a core at batch 1 and {k8['added'] / 1e6:.1f} MB at batch 8" in record
    assert (f"({k1['eff']:.2f} x {k1['bw'] / 1e9:.1f} GB/s) is {k1['ms']:.2f} / {k8['ms']:.2f} ms" in record)

    def grow(b: int, metric: str) -> float:
        return PUB[f"nrn-trn1-l3-8b-b{b}-128-8064-{metric}"] - PUB[f"nrn-trn1-l3-8b-b{b}-128-3968-{metric}"]

    g1, g8 = grow(1, "ttft"), grow(8, "ttft")
    o1, o8 = g1 - grow(1, "tpot"), g8 - grow(8, "tpot")
    assert k8["added"] / k1["added"] == 8
    assert f"where the published growth goes {g8 / g1:.1f}x (TTFT) and {o8 / o1:.1f}x (TTFT - TPOT)" in record
    assert (f"at batch 1, {g8 / 8:.2f} ms of the {g1:.2f} ms TTFT growth ({o8 / 8:.2f} of the {o1:.2f} ms TTFT - TPOT "
            "growth)") in record
    assert g8 / 8 < g1 and o8 / 8 < o1  # 'Not the growth'
    assert context_bucket(128, 4096) == context_bucket(128, 8192) == 128  # the first decode: position 129, bucket 256
    rows = {r["id"]: r for r in AWS}

    def err(rid: str, with_tpot: bool) -> str:
        pred = _predict_row(rows[rid], None, None)[0] + (PUB[rid.replace("-ttft", "-tpot")] if with_tpot else 0.0)
        return f"{100 * (pred / PUB[rid] - 1):+.1f}%"

    four = ("nrn-trn1-l2-7b-b1-128-8064-ttft", "nrn-trn1-l2-7b-b8-128-8064-ttft", "nrn-trn1-l3-8b-b1-128-8064-ttft",
            "nrn-trn1-l3-8b-b1-128-3968-ttft")
    before, after = [err(r, False) for r in four], [err(r, True) for r in four]
    b, a = [x.rstrip("%") for x in before], [x.rstrip("%") for x in after]
    assert (f"(Llama-2-7b batch 1 / 8 {b[0]} / {b[1]}% -> {a[0]} / {a[1]}%, Llama-3-8B at 128+8064 / 128+3968 "
            f"{b[2]} / {b[3]}% -> {a[2]} / {a[3]}%)") in record
    assert all(abs(float(a.rstrip("%"))) <= 25 for a in after)
    l2, l3, l2b4 = ("nrn-trn1-l2-70b-b1-128-128-ttft", "nrn-trn1-l3-70b-b1-128-128-ttft",
                    "nrn-trn1-l2-70b-b4-128-128-ttft")
    assert rows[l2]["role"] == "fit"
    assert (f"the Llama-2-70b fit row {err(l2, False)} -> {err(l2, True)}, the Llama-3-70B batch-1 row "
            f"{err(l3, False)} -> {err(l3, True)}, the Llama-2-70b batch-4 row {err(l2b4, False)} -> "
            f"{err(l2b4, True)}") in record
    assert all(abs(float(err(r, True).rstrip("%"))) > 25 >= abs(float(err(r, False).rstrip("%")))
               for r in (l2, l3, l2b4))


# rtrn3 (2026-12-06): the tables' 'Output Token Throughput (tokens/sec)' column, batch x output tokens over the
# request (aws-neuron-sdk about-neuron/benchmarks/trn1/latency_data_decoder.csv @7c165a3 for batch 1,
# general/benchmarks/trn1/throughput_data_decoder.csv @907af9f for batch 8), which the runs file does not carry: with
# the row's TTFT it gives the run's mean decode step, beside the P50 TPOT the rows publish.
OUTPUT_TOKEN_THROUGHPUT = {"l2-7b-b1-128-8064": 161.7081305, "l3-8b-b1-128-8064": 157.25202,
                           "l3-8b-b1-128-3968": 178.18923, "l3-8b-b1-4096-4096": 140.50031,
                           "l2-70b-b1-128-128": 39.28574, "l2-7b-b8-128-8064": 917.2452652,
                           "l3-8b-b8-128-8064": 933.50053, "l3-8b-b8-128-3968": 1142.69582,
                           "l3-8b-b8-4096-4096": 770.16291}


def token_bucket_steps(prompt_len: int, output_len: int) -> list[int]:
    """The token bucket each decode step runs (steps at positions prompt+1 .. prompt+output-1): transformers-neuronx's
    token buckets double from 128 up to n_positions = prompt + output (bucket.py token_sizes, utils.py
    power_of_two_bucket_sizes, stored 3e15a8b; context_bucket above), a step runs the smallest that holds its
    position (bucket.find), and its network's K / V cache parameters are that bucket's slice (the rtrn record)."""
    n = prompt_len + output_len
    token, size = [], 128
    while size < n:
        token.append(size)
        size *= 2
    token.append(n)
    return [next(b for b in token if b >= pos) for pos in range(prompt_len + 1, n)]


def decode_buckets(key: str) -> dict[str, float]:
    """One run of the tables (key 'l2-7b-b1-128-8064'): its mean decode step from the throughput column, its P50 TPOT,
    the mean and the median bucket of its steps, and, where they differ, the per-position cost s (ms per bucket
    position) and the intercept a of a step a + s x bucket through the two."""
    rid = f"nrn-trn1-{key}"
    row = next(r for r in AWS if r["id"] == f"{rid}-tpot")
    batch, prompt, out = int(row["batch"]), int(row["prompt_len"]), int(row["output_len"])
    ttft, p50 = PUB[f"{rid}-ttft"], PUB[f"{rid}-tpot"]
    mean = (batch * out / OUTPUT_TOKEN_THROUGHPUT[key] * 1e3 - ttft) / (out - 1)
    steps = token_bucket_steps(prompt, out)
    mean_bucket, median_bucket = statistics.fmean(steps), statistics.median_low(steps)
    s = (p50 - mean) / (median_bucket - mean_bucket) if median_bucket != mean_bucket else float("nan")
    return {"mean": mean, "p50": p50, "mean_bucket": mean_bucket, "median_bucket": median_bucket, "s": s,
            "a": p50 - s * median_bucket, "batch": batch, "ttft": ttft}


def model_decode_step_ms(key: str, context: int) -> float:
    """The model's decode step of the run at `context` cached tokens a sequence (serving._decode_step_time)."""
    row = next(r for r in AWS if r["id"] == f"nrn-trn1-{key}-tpot")
    spec, m = get_device(row["hardware"]), get_model(row["model"])
    from accelopt.predict.serving_validation import row_calibration
    cal = row_calibration(row, spec, None, None)
    s = serving._setup(m, spec, int(row["tp"]), int(row["pp"]), row["weight_dtype"], row["kv_dtype"], cal)
    return serving._decode_step_time(s, int(row["batch"]), context).total_s * 1e3


def test_rtrn3_p50_tpot_is_the_long_bucket_step() -> None:
    """rtrn3 (2026-12-06): the runs file's 'Examined 2026-12-06 (rtrn3' record. The tables' throughput column gives
    each run's mean decode step; at a 128-token prompt it is below the P50 TPOT, as the token-bucket rule puts more
    than half the steps in the last bucket; the per-position cost through the two, against the model's; and what it
    leaves for the 128-token TTFT rows."""
    record = _runs_record("# Examined 2026-12-06 (rtrn3, issue 10)")
    d = {k: decode_buckets(k) for k in OUTPUT_TOKEN_THROUGHPUT}

    def pair(k: str) -> str:
        return f"{d[k]['mean']:.2f} / {d[k]['p50']:.2f}"

    # one bucket for every step: the mean is the P50 (within 0.6%)
    for k in ("l2-70b-b1-128-128", "l3-8b-b1-4096-4096", "l3-8b-b8-4096-4096"):
        assert d[k]["mean_bucket"] == d[k]["median_bucket"] and abs(d[k]["mean"] / d[k]["p50"] - 1) < 0.006, k
    assert (f"(Llama-2-70b 128+128 {pair('l2-70b-b1-128-128')} ms; Llama-3-8B 4096+4096 {pair('l3-8b-b1-4096-4096')} "
            f"at batch 1, {pair('l3-8b-b8-4096-4096')} at batch 8)") in record
    b1 = ("l2-7b-b1-128-8064", "l3-8b-b1-128-8064", "l3-8b-b1-128-3968")
    b8 = ("l2-7b-b8-128-8064", "l3-8b-b8-128-8064", "l3-8b-b8-128-3968")
    assert all(d[k]["mean"] < d[k]["p50"] for k in (*b1, *b8))
    assert (f"{d[b1[0]]['mean']:.2f} against {d[b1[0]]['p50']:.2f} ms (Llama-2-7b 128+8064), {pair(b1[1])} and "
            f"{pair(b1[2])} (Llama-3-8B 128+8064 / 128+3968) at batch 1, {pair(b8[0])}, {pair(b8[1])} and "
            f"{pair(b8[2])} at batch 8") in record
    for n_out, last in ((8064, 8192), (3968, 4096)):
        steps = token_bucket_steps(128, n_out)
        assert steps.count(last) > len(steps) / 2  # 'more than half the steps ... run the last bucket'
    assert (f"the mean bucket is {d[b1[0]]['mean_bucket']:.0f} / {d[b1[2]]['mean_bucket']:.0f} positions"
            in record)

    def us(k: str) -> str:
        return f"{d[k]['s'] * 1e3:.3f}"

    assert (f"s = {us(b1[0])} us a bucket position (Llama-2-7b) and {us(b1[1])} / {us(b1[2])} (Llama-3-8B) at batch 1, "
            f"{us(b8[0])} and {us(b8[1])} / {us(b8[2])} at batch 8 (a = {d[b1[0]]['a']:.2f}, {d[b1[1]]['a']:.2f} / "
            f"{d[b1[2]]['a']:.2f} ms at batch 1; {d[b8[0]]['a']:.2f}, {d[b8[1]]['a']:.2f} / {d[b8[2]]['a']:.2f} at "
            "batch 8)") in record
    # the model's cost a position: its decode step's slope in the context
    model_ns = {b: (model_decode_step_ms(k, 8192) - model_decode_step_ms(k, 256)) / (8192 - 256) * 1e6
                for b, k in ((1, b1[0]), (8, b8[0]))}
    assert abs(model_decode_step_ms(b1[1], 8192) - model_decode_step_ms(b1[1], 256) - model_ns[1] * 7936e-6) < 1e-9
    k1 = kv_cache_pass(1)
    assert k1["per_pos"] == 16384 and abs(model_ns[1] - k1["per_pos"] / (k1["eff"] * k1["bw"]) * 1e9) < 0.01
    r1 = [model_ns[1] / (d[k]["s"] * 1e6) for k in b1]
    r8 = [model_ns[8] / (d[k]["s"] * 1e6) for k in b8]
    assert (f"is {model_ns[1]:.1f} ns at batch 1, {min(r1):.2f}-{max(r1):.2f}x the published, and {model_ns[8]:.0f} "
            f"ns at batch 8, {min(r8):.2f}-{max(r8):.2f}x it") in record
    eight = [8 * d[k]["s"] * 1e3 for k in b1]
    assert f"(8 x the batch-1 s would be {min(eight):.2f}-{max(eight):.2f} us)" in record
    assert max(r1) < 0.5 and min(r8) > 0.9  # the batch-1 cost is not a read; the batch-8 one is about the model's

    def short(k: str) -> float:
        return d[k]["a"] + 256 * d[k]["s"]

    m256 = {k: model_decode_step_ms(k, 256) for k in (*b1, b8[0], "l2-70b-b1-128-128")}
    assert (f"short-bucket step of {m256[b1[0]]:.2f} ms against the published {short(b1[0]):.2f} (a + 256 s), the "
            f"Llama-3-8B's {m256[b1[1]]:.2f} against {short(b1[1]):.2f} / {short(b1[2]):.2f}, and the Llama-2-70b "
            f"128+128 fit row's (all steps in the 256 bucket) at {m256['l2-70b-b1-128-128']:.2f} against "
            f"{d['l2-70b-b1-128-128']['p50']:.2f}") in record
    assert all(m256[k] > short(k) for k in (*b1, b8[0])) and m256["l2-70b-b1-128-128"] > d["l2-70b-b1-128-128"]["p50"]
    assert f"the 7B fit row's step at 8192 is {model_decode_step_ms(b1[0], 8192):.2f} ms, at 256 {m256[b1[0]]:.2f}" \
        in record
    # the 128-token TTFT rows: the prompt's own time with the first decode at the 256 bucket
    rows = {r["id"]: r for r in AWS}

    def model_ttft(k: str) -> float:
        return _predict_row(rows[f"nrn-trn1-{k}-ttft"], None, None)[0]

    own = {k: d[k]["ttft"] - short(k) for k in (b1[0], b8[0])}
    mown = {k: model_ttft(k) - m256[k] for k in (b1[0], b8[0])}
    fit = "l2-70b-b1-128-128"
    own70, mown70 = d[fit]["ttft"] - d[fit]["p50"], model_ttft(fit) - m256[fit]
    assert (f"it is {own[b1[0]]:.2f} ms (Llama-2-7b, batch 1) and {own[b8[0]]:.2f} ms (batch 8) against the model's "
            f"TTFT less its own 256-bucket step, {mown[b1[0]]:.2f} / {mown[b8[0]]:.2f} ms "
            f"({own[b1[0]] / mown[b1[0]]:.2f}x / {own[b8[0]] / mown[b8[0]]:.2f}x), and {own70:.2f} against "
            f"{mown70:.2f} ms ({own70 / mown70:.2f}x) for the Llama-2-70b fit row") in record
    grow = {b: PUB[f"nrn-trn1-l3-8b-b{b}-128-8064-ttft"] - PUB[f"nrn-trn1-l3-8b-b{b}-128-3968-ttft"] for b in (1, 8)}
    passes = {b: sorted(grow[b] / (4096 * d[f"l3-8b-b{b}-128-{n}"]["s"]) for n in (8064, 3968)) for b in (1, 8)}
    assert (f"(+{grow[1]:.2f} / +{grow[8]:.2f} ms at batch 1 / 8, the rtrn record) is {passes[1][0]:.2f}-"
            f"{passes[1][1]:.2f} / {passes[8][0]:.2f}-{passes[8][1]:.2f} passes over the added 4096 positions") \
        in record
    assert f"({grow[8] / grow[1]:.1f}x from batch 1 to 8)" in record
    assert "not a reason; nothing modelled." in record


# rtrn5 (2026-12-06): the NCCOM-TEST guide's 2-rank all-reduce sweep (aws-neuron-sdk tools/neuron-sys-tools/
# nccom-test.rst @0f75c1e, 'nccom-test -r 2 --minbytes 1kb --maxbytes 1gb --stepfactor 4 --datatype fp32 allr'; the
# 1 GiB point is the rtrn2 link), bytes: P50 us. The only Trn1 all-reduce times at the prompts' message sizes.
NCCOM_TEST_ALLR_2 = {1024: 58, 4096: 58, 16384: 58, 65536: 58, 262144: 60, 1048576: 68, 4194304: 107,
                     16777216: 332, 67108864: 1214, 268435456: 4750, 1073741824: 18930}
RTRN5_TTFT_ROWS = ("nrn-trn1-l2-7b-b1-128-8064-ttft", "nrn-trn1-l2-7b-b8-128-8064-ttft",
                   "nrn-trn1-l3-8b-b1-128-8064-ttft", "nrn-trn1-l3-8b-b1-128-3968-ttft",
                   "nrn-trn1-l2-70b-b1-128-128-ttft")


def nccom_allreduce_32_us(n_bytes: float, ranks: int = 32) -> float:
    """An all-reduce of n_bytes over `ranks` from the 2-rank sweep: its bus bandwidth at that size (linear between the
    sweep's sizes; for 2 ranks busbw = algbw = size / time), carried to `ranks` by nccl-tests' definition (busbw =
    algbw x 2 (n-1) / n, NVIDIA/nccl-tests doc/PERFORMANCE.md, which the guide cites), so time = 2-rank time x
    (n-1) / (n/2)."""
    sizes = sorted(NCCOM_TEST_ALLR_2)
    t2 = float(np.interp(n_bytes, sizes, [NCCOM_TEST_ALLR_2[s] for s in sizes]))
    return t2 * 2 * (ranks - 1) / ranks


def nccom_sweep_prefill(rid: str) -> dict[str, float]:
    """The row's TTFT with its prefill's all-reduces (2 a layer, batch x prompt x hidden x 2 B each) timed from the
    sweep in place of the model's: the message, the model's and the sweep's time per all-reduce, the TTFT and error
    before and after."""
    row = next(r for r in AWS if r["id"] == rid)
    value, p = _predict_row(row, None, None)
    assert p.prefill is not None
    m = get_model(row["model"])
    n_bytes = int(row["batch"]) * int(row["prompt_len"]) * m.hidden * 2
    calls = m.tp_allreduces_per_layer * m.layers
    sweep_ms = calls * nccom_allreduce_32_us(n_bytes) * 1e-3
    after = value - p.prefill.comm_s * 1e3 + sweep_ms
    return {"bytes": n_bytes, "calls": calls, "model_us": p.prefill.comm_s / calls * 1e6,
            "sweep_us": nccom_allreduce_32_us(n_bytes), "model_ms": p.prefill.comm_s * 1e3, "sweep_ms": sweep_ms,
            "before": value / PUB[rid] - 1, "after": after / PUB[rid] - 1}


def nccom_sweep_decode(key: str) -> dict[str, float]:
    """A batch-1 decode step of the run (its all-reduces batch x hidden x 2 B, under the sweep's 64 KiB floor) with
    the sweep's all-reduce time in place of the model's: the all-reduces alone, against the run's P50 TPOT."""
    row = next(r for r in AWS if r["id"] == f"nrn-trn1-{key}-tpot")
    m = get_model(row["model"])
    n_bytes = int(row["batch"]) * m.hidden * 2
    calls = m.tp_allreduces_per_layer * m.layers
    return {"bytes": n_bytes, "calls": calls, "sweep_ms": calls * nccom_allreduce_32_us(n_bytes) * 1e-3,
            "p50": PUB[f"nrn-trn1-{key}-tpot"]}


def test_rtrn5_nccom_sweep_does_not_size_the_ttft_rows() -> None:
    """rtrn5 (2026-12-06): the runs file's 'Examined 2026-12-06 (rtrn5' record. The 2-rank all-reduce sweep, carried to
    32 ranks by bus bandwidth, at the prompts' message sizes: it moves the batch-1 rows up, leaves the batch-8 row where
    it is, and its floor on the decode steps' all-reduces alone exceeds the runs' whole P50 TPOT."""
    record = _runs_record("# Examined 2026-12-06 (rtrn5, issue 10)")
    # the guide's sweep as quoted; its 1 GiB point is rtrn2's link (52.83 GiB/s)
    assert (1073741824 / (NCCOM_TEST_ALLR_2[1073741824] * 1e-6) / 2**30) == pytest.approx(52.83, abs=0.005)
    floor = {s: t for s, t in NCCOM_TEST_ALLR_2.items() if s <= 65536}
    assert set(floor.values()) == {58} and "58 us up to 65536 B" in record
    assert all(f"{NCCOM_TEST_ALLR_2[s]} {'us at ' if s == 1048576 else 'at '}{s}" in record
               for s in (1048576, 4194304, 16777216))
    assert nccom_allreduce_32_us(1 << 20) == pytest.approx(68 * 31 / 16) and "time x 31/16" in record
    d = {rid: nccom_sweep_prefill(rid) for rid in RTRN5_TTFT_ROWS}
    b1, b8, l3, l3s, a70 = RTRN5_TTFT_ROWS

    def move(rid: str) -> str:
        return f"{100 * d[rid]['before']:+.1f}% -> {100 * d[rid]['after']:+.1f}%"

    assert d[b1]["bytes"] == d[l3]["bytes"] == d[l3s]["bytes"] == 1048576 and d[b1]["calls"] == 64
    assert (f"(1048576 B, 4096 hidden) takes {d[b1]['sweep_us']:.2f} us against the model's {d[b1]['model_us']:.2f} us "
            f"(64 a prefill: {d[b1]['sweep_ms']:.2f} against {d[b1]['model_ms']:.2f} ms)") in record
    assert (f"Llama-2-7b batch 1 {move(b1)}, Llama-3-8B 128+8064 {move(l3)}, 128+3968 {move(l3s)}; the Llama-2-70b "
            f"128+128 fit row ({d[a70]['bytes']} B, {d[a70]['calls']} a prefill) {d[a70]['sweep_us']:.2f} against "
            f"{d[a70]['model_us']:.2f} us, {move(a70)}") in record
    assert (f"at batch 8 ({d[b8]['bytes']} B) {d[b8]['sweep_us']:.2f} against {d[b8]['model_us']:.2f} us: Llama-2-7b "
            f"batch 8 {move(b8)}") in record
    # the batch-8 row stays beyond 25% (it does not come in); the sweep's time there is within 3% of the model's
    assert abs(d[b8]["after"]) > ROW_NOTE_BOUND and abs(d[b8]["sweep_us"] / d[b8]["model_us"] - 1) < 0.03
    assert abs(d[l3]["after"]) < ROW_NOTE_BOUND < abs(d[l3]["before"])  # the row it would bring in
    # the extra time at 1 MiB is the floor: the 1 -> 4 MiB marginal rate is above the model's link
    marginal = (4194304 - 1048576) / ((NCCOM_TEST_ALLR_2[4194304] - NCCOM_TEST_ALLR_2[1048576]) * 1e-6) / 2**30
    link = 0.275 * 192  # GiB/s: [family.aws-trainium1] scaleup_bw_eff x the catalog's per-direction link
    assert f"adds 39 us for 3 MiB ({marginal:.1f} GiB/s, above the {link:.1f} GiB/s link" in record and marginal > link
    dec = {k: nccom_sweep_decode(k) for k in ("l2-7b-b1-128-8064", "l3-8b-b1-128-8064", "l2-70b-b1-128-128")}
    s7, s8, s70 = dec.values()
    assert s7["bytes"] == s8["bytes"] == 8192 < 65536 and s70["bytes"] == 16384
    assert f"({s7['bytes']} B, under 65536 B: {nccom_allreduce_32_us(8192):.2f} us each at 32 ranks)" in record
    assert (f"step at {s7['sweep_ms']:.2f} ms, above those runs' whole P50 TPOT ({s7['p50']:.2f} / {s8['p50']:.2f} ms"
            in record and s7["sweep_ms"] > s7["p50"] and s8["sweep_ms"] > s8["p50"])
    assert f"the 160 of a Llama-2-70b step at {s70['sweep_ms']:.2f} ms" in record
    # the later guide's 32-rank all-gather, the same command as NCCOM_TEST_ALLG_32's (avg us at 1024 B)
    later = 6.19
    assert (f"at {later:.2f} us (avg) at 1024 B, {NCCOM_TEST_ALLG_32[1024] / later:.1f}x below the "
            f"{NCCOM_TEST_ALLG_32[1024]} us above") in record
    assert "Not a reason; nothing modelled" in record


DMA_SATURATING_BYTES_PER_PARTITION = 4096  # aws-neuron-sdk nki/about/nki-dma-overview.rst @38ce84f


def test_rtrn5_batch1_position_cost_as_a_read_rate() -> None:
    """rtrn5 (2026-12-06): the record's lead (b). The per-position cost s of the rtrn3 record, read as a K / V read of
    the cache a core, is a rate far below the model's at batch 1 and about it at batch 8; a position's K row a layer
    is 256 B at batch 1 and 2048 B at batch 8 (cache [n_positions, batch, heads a core, head_dim]), both under the DMA
    guide's 4096 B a partition."""
    record = _runs_record("# Examined 2026-12-06 (rtrn5, issue 10)")
    k1 = kv_cache_pass(1)
    model_gbs = k1["eff"] * k1["bw"] / 1e9

    def rate(key: str) -> float:
        d = decode_buckets(key)
        return k1["per_pos"] * d["batch"] / (d["s"] * 1e-3) / 1e9

    b1 = [rate(k) for k in ("l2-7b-b1-128-8064", "l3-8b-b1-128-8064", "l3-8b-b1-128-3968")]
    b8 = [rate(k) for k in ("l2-7b-b8-128-8064", "l3-8b-b8-128-8064", "l3-8b-b8-128-3968")]
    assert (f"a K / V read of {k1['per_pos']} B a position a core it runs at {b1[0]:.1f} GB/s (Llama-2-7b), "
            f"{b1[1]:.1f} / {b1[2]:.1f} (Llama-3-8B 128+8064 / 128+3968) at batch 1 and {b8[0]:.1f}, {b8[1]:.1f} / "
            f"{b8[2]:.1f} GB/s at batch 8, against the model's {model_gbs:.1f}") in record
    r1, r8 = [x / model_gbs for x in b1], [x / model_gbs for x in b8]
    assert (f"the batch-1 rate is {min(r1):.2f}-{max(r1):.2f}x the model's, the batch-8 one "
            f"{min(r8):.2f}-{max(r8):.2f}x") in record
    assert max(r1) < 0.5 and min(r8) > 0.9
    rows = {}
    for model in ("llama2-7b", "llama3-8b", "llama2-70b"):
        m = get_model(model)
        assert max(m.n_kv_heads // 32, 1) == 1  # one K / V head a core at TP 32 (replicated where fewer)
        rows[model] = {b: b * 1 * (m.hidden // m.heads) * 2 for b in (1, 8)}
    assert {r[1] for r in rows.values()} == {256} and {r[8] for r in rows.values()} == {2048}
    assert "row in a layer is 256 B at batch 1 and 2048 B at" in record
    assert max(r[8] for r in rows.values()) < DMA_SATURATING_BYTES_PER_PARTITION
    assert f"at {DMA_SATURATING_BYTES_PER_PARTITION} bytes or more a partition" in record



# AWS's DMA bandwidth guide (aws-neuron-sdk nki/deep-dives/nki-dma-bandwidth-guide.rst, the v2.29.1 copy dated
# 04/12/2026, stored as Reality2byte/aws-neuron-sdk@539a73c): TRN1's DMA engine rate, engines a NeuronCore and the fixed
# descriptor / synchronization / semaphore-to-start latency a transfer ('~1300 ns cross-engine')
DMA_GUIDE_TRN1_ENGINE_BYTES_PER_NS = 17
DMA_GUIDE_ENGINES_PER_CORE = 16
DMA_GUIDE_TRANSFER_LATENCY_NS = 1300
DMA_OVERVIEW_ENGINE_GBS = 27.2  # 'theoretical bandwidth of 27.2 GB/s for NeuronCore-v2', nki-dma-overview.rst @38ce84f
DMA_PARTITIONS_PER_ENGINE = 128 // 16  # 128 SBUF partitions over 16 DMA engines, nki-dma-overview.rst @38ce84f


def dma_guide_peak_gbs() -> float:
    """The guide's aggregate DMA rate a TRN1 NeuronCore: 17 B/ns x 16 engines (GB/s)."""
    return DMA_GUIDE_TRN1_ENGINE_BYTES_PER_NS * DMA_GUIDE_ENGINES_PER_CORE


def dma_serial_rate_gbs(bytes_per_engine: float) -> float:
    """The core's rate when each engine's transfer pays the guide's fixed latency once, then moves at its rate:
    peak x t_data / (t_data + 1300 ns), t_data = bytes / 17 B/ns (GB/s)."""
    t_data_ns = bytes_per_engine / DMA_GUIDE_TRN1_ENGINE_BYTES_PER_NS
    return dma_guide_peak_gbs() * t_data_ns / (t_data_ns + DMA_GUIDE_TRANSFER_LATENCY_NS)


def dma_serial_bytes_for(rate_gbs: float) -> float:
    """The transfer an engine would need, under dma_serial_rate_gbs, to reach `rate_gbs` (the inverse)."""
    e = rate_gbs / dma_guide_peak_gbs()
    return DMA_GUIDE_TRN1_ENGINE_BYTES_PER_NS * DMA_GUIDE_TRANSFER_LATENCY_NS * e / (1 - e)


def position_read_rates() -> dict[int, list[float]]:
    """The rtrn5 record's rates (GB/s) of the cost a cached position read as a K / V read of the cache a core, at
    batch 1 and 8: Llama-2-7b 128+8064, Llama-3-8B 128+8064, Llama-3-8B 128+3968."""
    per_pos = kv_cache_pass(1)["per_pos"]

    def rate(key: str) -> float:
        d = decode_buckets(key)
        return per_pos * d["batch"] / (d["s"] * 1e-3) / 1e9

    return {b: [rate(f"{m}-b{b}-128-{n}") for m, n in (("l2-7b", 8064), ("l3-8b", 8064), ("l3-8b", 3968))]
            for b in (1, 8)}


def test_rtrn6_dma_guide_does_not_size_the_batch1_rate() -> None:
    """rtrn6 (2026-12-06): the runs file's 'Examined 2026-12-06 (rtrn6' record. AWS's DMA bandwidth guide gives
    TRN1's DMA peak and a fixed latency a transfer, but no efficiency at a size: the batch-8 cost a cached position
    reads near that peak, the batch-1 one far below it, and the guide's fixed cost paid once a transfer cannot give
    both rates with one transfer granularity."""
    record = _runs_record("# Examined 2026-12-06 (rtrn6, issue 10)")
    peak = dma_guide_peak_gbs()
    assert peak == 272
    assert (f"TRN1 {DMA_GUIDE_TRN1_ENGINE_BYTES_PER_NS} B/ns a DMA engine x {DMA_GUIDE_ENGINES_PER_CORE} engines = "
            f"{peak} GB/s a NeuronCore") in record
    assert f"a fixed ~{DMA_GUIDE_TRANSFER_LATENCY_NS} ns a transfer" in record
    rates = position_read_rates()
    k1 = kv_cache_pass(1)
    model_gbs = k1["eff"] * k1["bw"] / 1e9
    f1, f8 = [r / peak for r in rates[1]], [r / peak for r in rates[8]]
    assert (f"the rtrn5 record's rates are {min(f1):.2f}-{max(f1):.2f} at batch 1 (256 B rows) and "
            f"{min(f8):.2f}-{max(f8):.2f} at batch 8 (2048 B rows); the model's {model_gbs:.1f} GB/s is "
            f"{model_gbs / peak:.2f}") in record
    # near the peak at 2 KiB rows (the guide's 'approaches peak' band), far below it at 256 B
    assert min(f8) > 0.9 and max(f1) < 0.35
    # one 256 B / 2048 B row a partition, 8 partitions an engine
    rows = {1: 256, 8: 2048}
    serial = {b: dma_serial_rate_gbs(rows[b] * DMA_PARTITIONS_PER_ENGINE) for b in (1, 8)}
    assert (f"gives {serial[1]:.1f} GB/s at batch 1 and {serial[8]:.1f} GB/s at batch 8 against the published "
            f"{min(rates[1]):.1f}-{max(rates[1]):.1f} and {min(rates[8]):.1f}-{max(rates[8]):.1f}: too slow at "
            "both") in record
    assert serial[1] < min(rates[1]) and serial[8] < min(rates[8])
    need = {b: [dma_serial_bytes_for(r) for r in rates[b]] for b in (1, 8)}
    for b, r in rates.items():  # the inverse holds
        assert all(abs(dma_serial_rate_gbs(x) / y - 1) < 1e-9 for x, y in zip(need[b], r, strict=True))
    ratios = [x8 / x1 for x1, x8 in zip(need[1], need[8], strict=True)]
    assert (f"it is {min(need[1]):.0f}-{max(need[1]):.0f} B an engine at batch 1 and {min(need[8]):.0f}-"
            f"{max(need[8]):.0f} B at batch 8, {min(ratios):.1f}-{max(ratios):.1f}x larger for rows "
            f"{rows[8] // rows[1]}x larger") in record
    assert min(ratios) > 3 * rows[8] / rows[1]
    overview_peak = DMA_OVERVIEW_ENGINE_GBS * DMA_GUIDE_ENGINES_PER_CORE
    g8 = [r / overview_peak for r in rates[8]]
    assert (f"{DMA_OVERVIEW_ENGINE_GBS} GB/s an engine in the DMA overview") in record
    assert (f"{overview_peak:.1f} GB/s for 16, against the guide's {DMA_GUIDE_TRN1_ENGINE_BYTES_PER_NS} B/ns; against "
            f"{overview_peak:.1f} the batch-8 rate is {min(g8):.2f}-{max(g8):.2f}") in record
    assert "Not modelled" in record
