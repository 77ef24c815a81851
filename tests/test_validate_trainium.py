"""AWS Trainium: cited link figures, the NeuronCore -> chip conversion of AWS's Trn1 training rows, their calibration.

Sources (published_training_runs.csv, AWS Trainium block; hardware/catalog/data/aws_neuron.toml): AWS Neuron docs,
'Trn1/Trn1n Training Performance' (Decoder Models), and the instance tables of 'AWS Trn1/Trn1n Architecture' and
'Amazon EC2 Trn2 Architecture'."""

from __future__ import annotations

import re
from dataclasses import replace
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict import calibration, comm
from accelopt.predict.calibration import calibration_for, load_calibrations
from accelopt.predict.compute import Device, logits_gemm_s, logits_step_s
from accelopt.predict.memory import stage_params
from accelopt.predict.query import LayoutQuery, predict_layout
from accelopt.predict.runs_csv import bundled_runs_text
from accelopt.predict.serving import serving_calibrations
from accelopt.predict.validation import read_runs, run_query, validate_report

TRN1_ROWS = [r for r in read_runs() if r["hardware"] == "trainium1-core"]  # ranks = NeuronCores, as AWS counts them
CORES_PER_CHIP = 2  # AWS 'Trainium Architecture': each Trainium chip has two NeuronCore-v2
CHIPS_PER_NODE = 16  # trn1.32xlarge: 16 Trainium chips = 32 NeuronCores (the table's world size = nodes x 32)


def test_link_figures_are_the_instance_tables() -> None:
    trn1, trn2 = get_device("trainium1"), get_device("trainium2")
    # Trn1 table: NeuronLink-v2 384 GiB/s per device, both directions together -> half each way;
    # EFA 800 Gbps per instance / 16 chips
    assert trn1.scaleup_bandwidth_byte_per_s == 384 * 2**30 / 2
    assert trn1.scaleout_bandwidth_byte_per_s == pytest.approx(800e9 / 8 / 16)
    # Trn2 table: intra-instance NeuronLink-v3 1,024 GB/s per chip (not the 1.28 TB/s total, which adds the
    # UltraServer's 256 GB/s between instances);
    # EFAv3 3,200 Gbps per trn2.48xlarge / 16 chips
    assert trn2.scaleup_bandwidth_byte_per_s == pytest.approx(1024e9 / 2)
    assert trn2.scaleout_bandwidth_byte_per_s == pytest.approx(3200e9 / 8 / 16)
    for spec, field, figure in ((trn1, "scaleup_bandwidth_byte_per_s", "384"),
                                (trn2, "scaleup_bandwidth_byte_per_s", "1,024"),
                                (trn2, "scaleout_bandwidth_byte_per_s", "3,200")):
        assert figure in (spec.source_of(field) or ""), (spec.name, field)


_LAYOUT = re.compile(r"(\d+) nodes; table TP=(\d+) DP=(\d+)(?: PP=(\d+))? in NeuronCores, "
                     r"the rows' unit \(trainium1-core\)")


@pytest.mark.parametrize("row", TRN1_ROWS, ids=lambda r: r["id"])
def test_row_is_the_table_layout_in_neuroncores(row: dict[str, str]) -> None:
    m = _LAYOUT.match(row["note"])
    assert m, row["note"]
    nodes, tp_cores, dp, pp = int(m[1]), int(m[2]), int(m[3]), int(m[4] or 1)
    assert tp_cores * dp * pp == nodes * CHIPS_PER_NODE * CORES_PER_CHIP  # the table's world size, in NeuronCores
    assert int(row["devices"]) == nodes * CHIPS_PER_NODE * CORES_PER_CHIP
    assert (int(row["tp"]), int(row["dp"]), int(row["pp"])) == (tp_cores, dp, pp)  # as published, no conversion


def test_neuroncore_is_half_a_chip_with_the_chips_ring_link() -> None:
    chip, core = get_device("trainium1"), get_device("trainium1-core")
    for dtype in ("fp32", "bf16", "fp8", "int8"):
        assert (core.peak(dtype) or 0.0) * CORES_PER_CHIP == chip.peak(dtype)
    assert core.memory_bytes * CORES_PER_CHIP == chip.memory_bytes
    assert core.memory_bandwidth_byte_per_s * CORES_PER_CHIP == chip.memory_bandwidth_byte_per_s
    assert core.scaleup_domain_devices == chip.scaleup_domain_devices * CORES_PER_CHIP  # 32 cores per trn1.32xlarge
    # a ring over the cores crosses each chip's NeuronLink once per step: the chip's link per core
    assert core.scaleup_bandwidth_byte_per_s == chip.scaleup_bandwidth_byte_per_s
    assert core.scaleout_bandwidth_byte_per_s * CORES_PER_CHIP == pytest.approx(chip.scaleout_bandwidth_byte_per_s)


# The 8B layout (TP 32 cores, 8K sequence, no recompute) at matmul_eff_max 0.50 (the rule-v2 re-run of 2026-12-03):
# its compute gets faster, its longer core rings do not, so the core form is 3.5% slower than the chip form (within 3%
# at 0.46): a real granularity cost above the bound's stated range, not a unit slip; the bound is kept. 2026-12-04
# (xla): at 0.48 (rule v2's re-run after the XLA dead recompute) 3.5% -> 3.03%, still above the bound.
# 2026-12-06 (s33 rtrn): with the NKI flash kernel's Tensor-Engine transposes counted (compute.nki_flash_work) the
# core's attention work grows in both forms, and the 8B layout's core form is 2.90% slower than its chip form, within
# the bound (by 0.1 point: a thin margin, recorded as such); its strict xfail passed and was removed.
# 2026-12-06 (rtrn2): with the family's collectives at NCCOM-TEST's measured bus bandwidth (scaleup_bw_eff 0.275) and
# rule v2 re-run (0.48 -> 0.58), the core form's rings (31 steps of half-size chunks) cost more beside a faster
# compute: the 8B layout's core form is 4.86% slower than its chip form, the Megatron-LM GPT3-6.7B layout's (TP 8 over
# 8 cores against 4 chips) 3.01-3.16%; both above the bound, which is kept (a real granularity cost, not a unit slip;
# the guard against a slip is the test above).
_GRANULARITY_ABOVE_3PCT: tuple[str, ...] = (
    "trn1-nxd-llama31-8b", "trn1-nxd-llama31-8b-n221", "trn1-nxd-llama31-8b-n220", "trn1-nxd-llama31-8b-n221d",
    "trn1-meglm-gpt3-6.7b-1n-nlp", "trn1-meglm-gpt3-6.7b-nlp", "trn1-meglm-gpt3-6.7b-n210",
    "trn1-meglm-gpt3-6.7b-n211", "trn1-meglm-gpt3-6.7b-n212")


def _per_chip(query: LayoutQuery) -> LayoutQuery:
    """The same run on trainium1 chips: devices and tp halved."""
    return replace(query, hardware="trainium1", devices=query.devices // CORES_PER_CHIP,
                   tp=query.tp // CORES_PER_CHIP)


def _core_and_chip_forms(row: dict[str, str]) -> tuple[float, float]:
    """Step times of the NeuronCore form and the per-chip form. Rows without sequence parallel (the Megatron-LM
    GPT3-6.7B rows) also replicate the unsharded memory-bound work (norms, residuals, dropout) on every TP rank, twice
    as many ranks per chip with half a chip's memory bandwidth each: a real per-core cost, not a granularity one, so
    for them both forms are taken with sequence parallel (which shards that work)."""
    q = run_query(row)
    q_sp = q if q.sp else replace(q, sp=True)
    return predict_layout(q_sp).terms["step_time_s"], predict_layout(_per_chip(q_sp)).terms["step_time_s"]


@pytest.mark.parametrize("row", TRN1_ROWS, ids=lambda r: r["id"])
def test_per_core_rows_keep_the_per_chip_flops_and_no_unit_slip(row: dict[str, str]) -> None:
    """The per-chip form of the same run has the same model FLOPs per step, and the NeuronCore form is not a factor
    near 2 off it (a core/chip slip in FLOPs or rate): every row, the four 8B rows included (their granularity bound
    below is a strict xfail since 2026-12-03, so this guard is kept apart from it)."""
    q = run_query(row)
    assert predict_layout(q).terms["model_flops_per_step"] == \
           pytest.approx(predict_layout(_per_chip(q)).terms["model_flops_per_step"], rel=1e-9)
    core_s, chip_s = _core_and_chip_forms(row)
    assert 1.0 <= core_s / chip_s < 1.5


@pytest.mark.parametrize("row", [pytest.param(r, marks=pytest.mark.xfail(
    strict=True, reason="2026-12-06 (rtrn2): at NCCOM-TEST's measured link (scaleup_bw_eff 0.275) and rule v2's "
    "0.58 the core form's 31-step rings cost more beside a faster compute: 4.86% slower than the chip form (8B), "
    "3.01-3.16% (Megatron-LM GPT3-6.7B); the bound is 3%")) if r["id"] in
    _GRANULARITY_ABOVE_3PCT else r for r in TRN1_ROWS], ids=lambda r: r["id"])
def test_per_core_rows_differ_by_granularity_only(row: dict[str, str]) -> None:
    """The NeuronCore form is slower than the per-chip form only by its half-size kernels and longer rings: 0 to 3%
    (the error seen was 0.6-2.2% when the bound was set; the 8B layout is above it since the rule's re-run)."""
    core_s, chip_s = _core_and_chip_forms(row)
    assert 1.0 <= core_s / chip_s <= 1.03


# AWS's own MFU column (Neuron 2.13 table, general/benchmarks/trn1/trn1_trn1n_nlp_data.csv): (seq/s, MFU %) per GPT3
# row; the rows carry the 2.17 throughput, so our FLOPs per sequence are taken at the 2.13 rate. Tolerance 10%, set for
# the failure this guards (a core/chip slip is a factor of 2), not from the error seen (3-5%): AWS's FLOP count is not
# published and may differ from ours by a few percent.
AWS_MFU_2_13 = {"trn1-nemo-gpt3-23b": (104.0, 32.61), "trn1-nemo-gpt3-46b": (45.25, 28.38),
                "trn1-nemo-gpt3-175b": (13.9, 33.14)}


@pytest.mark.parametrize("run_id", sorted(AWS_MFU_2_13))
def test_utilization_at_the_per_core_peak_matches_aws_mfu(run_id: str) -> None:
    row = next(r for r in TRN1_ROWS if r["id"] == run_id)
    res = predict_layout(run_query(row))
    seq_s_2_17 = int(row["global_batch"]) / float(row["step_s"])
    seq_s_2_13, aws_mfu_pct = AWS_MFU_2_13[run_id]
    flops_per_seq = res.terms["model_flops_per_step"] / int(row["global_batch"])
    peak_flop_per_s = get_device("trainium1-core").peak("bf16") or 0.0  # 95 TFLOP/s per NeuronCore-v2 (190 per chip)
    ours = flops_per_seq * seq_s_2_13 / (int(row["devices"]) * peak_flop_per_s)
    assert ours == pytest.approx(aws_mfu_pct / 100, rel=0.10), (run_id, ours, seq_s_2_17)


def test_full_recompute_with_sequence_parallel_is_read() -> None:
    row = next(r for r in TRN1_ROWS if r["recompute"] == "full+sp")
    q = run_query(row)
    assert (q.recompute, q.sp) == ("full", True)


def test_trainium1_calibrated_trainium2_not() -> None:
    cals = load_calibrations()
    trn1 = calibration_for(get_device("trainium1"), cals)
    assert trn1.family == "aws-trainium1" and trn1.calibrated("bf16") and not trn1.calibrated("fp8")
    assert calibration_for(get_device("trainium1-core"), cals) == trn1  # one family: the chip and its NeuronCore
    assert calibration_for(get_device("trainium2"), cals).family == "default"


def test_plan_says_uncalibrated_beside_trainium2_only(capsys: pytest.CaptureFixture[str]) -> None:
    for hw, flagged in (("trainium1", False), ("trainium2", True)):
        code, out, err = run_main(["plan", "--model", "llama3-8b", "--hardware", hw, "--devices", "32", "--top", "1"],
                                  capsys)
        assert code == 0, err
        assert (f"{hw} (uncalibrated: default curve)" in " ".join(out.split())) is flagged, hw


# calibration.toml, aws-trainium1 RULE v2 (declared in commit 6d3a095, before any of its held-out rows was collected):
# the fit rows are exactly these ten; every other trainium1-core training row is held out (the runs file's rule-v2
# block).
RULE_V2_FIT_ROWS = {"trn1-nxd-llama31-8b", "trn1-nxd-llama31-70b", "trn1-nxd-llama2-7b", "trn1-nxd-llama2-13b",
                    "trn1-nxd-llama2-70b", "trn1-nemo-gpt3-23b", "trn1-nemo-gpt3-46b", "trn1-nemo-gpt3-175b",
                    "trn1-nxd-llama31-8b-n221", "trn1-nxd-llama31-70b-n222"}
# calibration.toml, aws-trainium1 / neuron-megatron-lm (2026-12-03, trnstack): the stack's one fit row, the Megatron-LM
# GPT3-6.7B row of the newest Neuron release (2.12.0) among the five
STACK_FIT_ROWS = {"trn1-meglm-gpt3-6.7b-n212"}
_TWIN = re.compile(r"layout of fit row (\S+) at release ([\d.]+); rule-v2 held-out row")
_LAYOUT_COLUMNS = ("hardware", "params_b", "layers", "hidden", "heads", "ffn", "vocab", "seq", "global_batch", "tp",
                   "pp", "dp", "cp", "vp", "dtype", "recompute", "mbs", "zero", "kv_heads", "mlp", "tied")


def test_rule_v2_split_fit_rows_are_the_ten_and_every_other_row_is_held_out() -> None:
    cal = calibration_for(get_device("trainium1-core"), load_calibrations())
    assert set(cal.fitted_on) == RULE_V2_FIT_ROWS and len(cal.fitted_on) == 10
    results = {r.id: r for r in validate_report().runs if r.family == "aws-trainium1"}
    assert set(results) == {r["id"] for r in TRN1_ROWS}  # every trainium1-core row is on the family
    assert {k for k, r in results.items() if r.fitted} == RULE_V2_FIT_ROWS | STACK_FIT_ROWS
    held = [r for r in TRN1_ROWS if r["id"] not in RULE_V2_FIT_ROWS | STACK_FIT_ROWS]
    assert len(held) >= 4  # below 4 the rule makes no claim
    for row in held:  # each is in the rule-v2 block, labelled by the rule's split
        assert "rule-v2 held-out row" in row["note"], row["id"]
        assert ("NEW layout" in row["note"]) != bool(_TWIN.search(row["note"])), row["id"]


@pytest.mark.parametrize("row", [r for r in TRN1_ROWS if _TWIN.search(r["note"])], ids=lambda r: r["id"])
def test_fit_layout_rows_are_their_fit_row_at_another_release(row: dict[str, str]) -> None:
    m = _TWIN.search(row["note"])
    assert m
    twin = next(r for r in TRN1_ROWS if r["id"] == m[1])
    assert m[1] in RULE_V2_FIT_ROWS
    # same model and layout; the release differs (the fit row's own release is not the same published figure)
    same = [c for c in _LAYOUT_COLUMNS if c != "recompute"]
    assert {c: row[c] for c in same} == {c: twin[c] for c in same}
    if row["recompute"] != twin["recompute"]:  # the Llama 2 7B twins of 2.20 / 2.21 ran the flash kernel (below)
        assert row["id"] in NXD_FLASH_NO_RECOMPUTE and twin["source"].startswith("AWSNeuron-2.17"), row["id"]
    assert row["step_s"] != twin["step_s"]


# NeuronX Distributed checkpoints by module class and, with the NKI flash kernel, LlamaAttention never calls its
# CoreAttention (examples/training/llama/modeling_llama_nxd.py; the runs file's AWS header, RECOMPUTE CORRECTED,
# 2026-12-01): the Llama 3.1 70B rows (checkpoint classes CoreAttention + LlamaMLP at 8K) recompute the MLP block
# alone; the flash tp_zero1 rows of Neuron 2.20+ (checkpoint class CoreAttention) recompute nothing.
NXD_FLASH_MLP_RECOMPUTE = ("trn1-nxd-llama31-70b", "trn1-nxd-llama31-70b-n222", "trn1-nxd-llama31-70b-n220",
                           "trn1-nxd-llama31-70b-n221d")
NXD_FLASH_NO_RECOMPUTE = ("trn1-nxd-llama31-8b", "trn1-nxd-llama31-8b-n221", "trn1-nxd-llama31-8b-n220",
                          "trn1-nxd-llama31-8b-n221d", "trn1-nxd-llama2-7b-n220", "trn1-nxd-llama2-7b-n221d")


def test_nxd_flash_rows_recompute_what_the_scripts_checkpoint() -> None:
    rows = {r["id"]: r for r in TRN1_ROWS}
    for rid in NXD_FLASH_MLP_RECOMPUTE + NXD_FLASH_NO_RECOMPUTE:
        assert rows[rid]["flash"] == "1", rid
        want = "mlp+sp" if rid in NXD_FLASH_MLP_RECOMPUTE else "none+sp"
        assert rows[rid]["recompute"] == want, rid
        assert "the flash kernel never runs CoreAttention" in rows[rid]["note"] or \
            "CoreAttention, which the flash kernel never runs" in rows[rid]["note"], rid
        assert run_query(rows[rid]).recompute == want.removesuffix("+sp")
    # no other NxD row runs flash: the Llama 2 7B rows of Neuron 2.16 / 2.17 predate NxD's flash kernel (Neuron 2.19)
    # and ran CoreAttention (flash 0 / unfused since 2026-12-03; the runs file's ATTENTION KERNEL PER RELEASE)
    rest = [r for r in TRN1_ROWS if r["id"].startswith("trn1-nxd") and r["flash"] == "1"
            and r["id"] not in NXD_FLASH_MLP_RECOMPUTE + NXD_FLASH_NO_RECOMPUTE]
    assert rest == []


@pytest.mark.parametrize("row", [r for r in TRN1_ROWS if "rule-v2 held-out row" in r["note"]], ids=lambda r: r["id"])
def test_rule_v2_rows_are_the_table_figure_over_its_global_batch(row: dict[str, str]) -> None:
    m = re.search(r"; ([\d.]+) seq/s \(", row["note"])  # the table's Performance [seq/sec], as printed
    assert m
    seq_per_s = float(m[1])
    assert float(row["step_s"]) == pytest.approx(int(row["global_batch"]) / seq_per_s, abs=1e-4)


_BEYOND = re.compile(r"Beyond 25%, reason checked \(2026-1[12]-\d\d, rule v2, matmul_eff_max ([\d.]+)\): the published "
                     r"step is ([\d.]+)% model-FLOP utilization of 95 TFLOP/s per NeuronCore, the model's ([\d.]+)% "
                     r"\(compute alone, no communication: ([\d.]+) s against the published ([\d.]+) s\)")


RECOMPUTED_IDS = frozenset(r["id"] for r in TRN1_ROWS)  # the next test's rows (tests/test_row_notes_checked.py)


@pytest.mark.parametrize("row", TRN1_ROWS, ids=lambda r: r["id"])
def test_rows_beyond_25pct_carry_the_checked_arithmetic(row: dict[str, str]) -> None:
    """issue 10: a row beyond 25% carries a note with a specific, checked reason; the figures it quotes are recomputed
    here (to the note's rounding), so a refit or a model change that moves them fails until the note is rewritten."""
    res = next(r for r in validate_report().runs if r.id == row["id"])
    m = _BEYOND.search(row["note"])
    assert (abs(res.error) > 0.25) == bool(m), (row["id"], res.error)
    if not m:
        return
    cal = calibration_for(get_device("trainium1-core"), load_calibrations())
    terms = predict_layout(run_query(row)).terms
    published_s = float(row["step_s"])
    peak = get_device("trainium1-core").peak("bf16") or 0.0
    assert float(m[1]) == cal.matmul_eff_max and peak == 95e12
    assert float(m[2]) == round(100 * terms["model_flops_per_step"] / (published_s * terms["devices"] * peak), 1)
    assert float(m[3]) == round(100 * terms["mfu"], 1)
    compute_s = terms["t_fwd_s"] + terms["t_bwd_s"] + terms["t_recompute_s"] + terms["t_logits_s"]
    assert float(m[4]) == round(compute_s, 1) and float(m[5]) == round(published_s, 1)


def test_trainium1_held_out_within_family_bound() -> None:
    """issue 10: no family's held-out median above 12%. Rule v2's 23 held-out rows (committed before any was
    predicted) gave 13.3% (a strict xfail until 2026-11-30); 11.85% since two inputs were corrected from the runs'
    scripts (the two tests below; calibration.toml's aws-trainium1 record). Those rows had been seen by then: the
    corrections follow the scripts, not the errors, and no fit row or fitted value moved. 12.48% since 2026-12-03:
    a fit row's attention cells corrected from the release's code, the rule re-run (0.46 -> 0.50): a strict xfail.
    10.28% over 22 since 2026-12-03 (trnstack): the five Megatron-LM GPT3-6.7B rows on their own stack,
    neuron-megatron-lm, its matmul_eff_max (0.38) fitted by a rule declared before it was run on the newest release's
    row, which leaves the held-out set (calibration.toml); a passing test again."""
    fam = next(g for g in validate_report().by_family if g.group == "aws-trainium1")
    assert fam.held_out_runs >= 4
    assert fam.held_out_runs == len(TRN1_ROWS) - len(RULE_V2_FIT_ROWS) - len(STACK_FIT_ROWS)
    assert fam.median_abs_error <= 0.12  # issue 10: no family's held-out median above 12%


# AWS Neuron docs, 'Trn1/Trn1n Training Performance' ('Last update: May 20th, 2025'), Decoder Models: the two rows, as
# (id, the Neuron 2.24 row of the same layout, Performance [seq/sec]).
MAY_2025_ROWS = (("trn1-nxd-llama31-8b-n221", "trn1-nxd-llama31-8b", 41.99),
                 ("trn1-nxd-llama31-70b-n222", "trn1-nxd-llama31-70b", 7.51))
_RELEASE_COLUMNS = ("id", "source", "step_s", "note")


@pytest.mark.parametrize(("run_id", "twin_id", "seq_per_s"), MAY_2025_ROWS, ids=[r[0] for r in MAY_2025_ROWS])
def test_may_2025_rows_are_their_2_24_layouts(run_id: str, twin_id: str, seq_per_s: float) -> None:
    rows = {r["id"]: r for r in TRN1_ROWS}
    row, twin = rows[run_id], rows[twin_id]
    # the table's Globalbatch over its seq/sec, to the CSV's 4 decimals
    assert float(row["step_s"]) == pytest.approx(int(row["global_batch"]) / seq_per_s, abs=1e-4)
    # only the release differs: every layout/model column is the 2.24 row's
    assert {k: v for k, v in row.items() if k not in _RELEASE_COLUMNS} == \
           {k: v for k, v in twin.items() if k not in _RELEASE_COLUMNS}
    res = next(r for r in validate_report().runs if r.id == run_id)
    assert res.fitted and res.family == "aws-trainium1"  # held out under rule v1, fit rows under rule v2


# The scripts AWS's tables link (published_training_runs.csv, rule-v2 block header): run_llama2_13B_tp_pp.sh and
# run_llama2_70B_tp_pp.sh pass no --use_flash_attention and run_llama_nxd.py defaults it to 0 (neuronx-distributed
# 0598cd8), as for the 2.16/2.17 rows of the same scripts; the tutorial's 'enabled by default' is the tp_zero1 script's.
def test_llama2_tp_pp_rows_run_without_flash_attention() -> None:
    rows = [r for r in TRN1_ROWS if r["id"].startswith(("trn1-nxd-llama2-13b", "trn1-nxd-llama2-70b"))]
    assert len(rows) == 8
    assert all(r["flash"] == "0" for r in rows), [r["id"] for r in rows if r["flash"] != "0"]


# aws-neuron-reference-for-megatron-lm examples/pretrain_gpt3_6.7B_32layers_bf16_bs1024_slurm.sh (commit 2464eaa)
# passes --no-async-tensor-model-parallel-allreduce, so the rows run plan --no-tp-async. Whether that exposes more of
# the all-reduce on Trn1 is not verified: the fork's async path (megatron/mpu/layers.py, be67c84) has handle.wait()
# commented out and XLA schedules the whole graph; the runs file's header says so.
def test_megatron_lm_gpt3_rows_run_the_tp_allreduce_synchronously() -> None:
    rows = [r for r in TRN1_ROWS if r["id"].startswith("trn1-meglm-gpt3-6.7b")]
    assert len(rows) == 5
    for row in rows:
        assert row["no_tp_async"] == "1", row["id"]
        assert run_query(row).tp_async is False
    runs_csv = Path(__file__).resolve().parent.parent / "src/accelopt/predict/data/published_training_runs.csv"
    header = " ".join(line.lstrip("# ") for line in runs_csv.read_text(encoding="utf-8").splitlines()
                      if line.startswith("#"))
    assert ("has handle.wait() commented out" in header and "the compiler schedules the whole graph" in header
            and "is exposed is not known" in header)


# calibration.toml's aws-trainium1 audit record lists the nine corrected held-out rows, before -> after, in this order.
CORRECTED_ROWS = ("trn1-nxd-llama2-13b-pp8-n220", "trn1-nxd-llama2-70b-pp8-n220", "trn1-nxd-llama2-13b-pp8-n221d",
                  "trn1-nxd-llama2-70b-pp8-n221d", "trn1-meglm-gpt3-6.7b-1n-nlp", "trn1-meglm-gpt3-6.7b-nlp",
                  "trn1-meglm-gpt3-6.7b-n210", "trn1-meglm-gpt3-6.7b-n211", "trn1-meglm-gpt3-6.7b-n212")


# The bundled family value, which the record helpers below replace by the value a record was made at. 2026-12-04 (xla):
# 0.50 -> 0.48, rule v2's re-run after the XLA dead recompute (training.xla_dead_recompute).
BUNDLED_EFF_LINE = "\nmatmul_eff_max = 0.48\n"


@pytest.fixture
def optimizer_step_at_28_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The records below predate 2026-12-05 (utplan2), when the optimizer step charged 28 B per local parameter
    whatever the row's optimizer_state_bytes (the Trn1 rows' 4: bf16 Adam moments under XLA_USE_BF16); it now charges
    2 x that + 4 (training.optimizer_step_bytes), 12 B on these rows. A record is replayed at its state, so the step's
    old charge is put back for it (the GPT3-6.7B one-node step 5.80 s has 0.03 s of optimizer at 28 B, 0.01 s now)."""
    from accelopt.predict import training

    def old(dense, expert, shard, expert_shard, state_bytes):  # type: ignore[no-untyped-def]
        return (dense + expert) / shard * 28.0

    monkeypatch.setattr(training, "optimizer_step_bytes", old)


@pytest.mark.usefixtures("optimizer_step_at_28_bytes")
@pytest.mark.usefixtures("trn1_link_before_rtrn2")
def test_audit_record_says_which_rows_the_corrections_moved_away(tmp_path: Path) -> None:
    """The record said both corrections moved their rows toward the published figure; the two 13B PP 8 rows
    overshoot (|error| grew). It now says which shrank and which grew, with `validate`'s errors at the record's value
    of the family's fit (0.46: the rule-v2 re-run of 2026-12-03 moved it to 0.50, after the record)."""
    text = calibration.bundled_text()  # replayed before rtrn2 by the dated records' fixture (trn1_link_before_rtrn2)
    block = text[text.index("\n[family.aws-trainium1]\n") + 1:]  # the table header, not a comment naming it
    block = block[:block.index("\n\n")]
    assert BUNDLED_EFF_LINE in block
    at_record = tmp_path / "trn1_at_0.46.toml"
    at_record.write_text(block.replace(BUNDLED_EFF_LINE, "\nmatmul_eff_max = 0.46\n"), encoding="utf-8")
    record = " ".join(line.lstrip("# ") for line in text.splitlines() if line.startswith("#"))
    listed = record.split("Held-out rows, before -> after:")[1].split("Family held-out median")[0]
    pairs = [(float(a), float(b)) for a, b in re.findall(r"([-+][\d.]+) -> ([-+][\d.]+)%", listed)]
    assert len(pairs) == len(CORRECTED_ROWS)
    errors = {r.id: 100 * r.error for r in validate_report(calibration=at_record).runs if r.id in CORRECTED_ROWS}
    assert [after for _, after in pairs] == [round(errors[i], 1) for i in CORRECTED_ROWS]
    by_row = dict(zip(CORRECTED_ROWS, pairs, strict=True))
    grew = [i for i, (before, after) in by_row.items() if abs(after) > abs(before)]
    assert grew == ["trn1-nxd-llama2-13b-pp8-n220", "trn1-nxd-llama2-13b-pp8-n221d"]
    assert all(after > before for before, after in pairs)  # both corrections only make predictions slower
    assert ("|error| SHRANK on seven of the nine rows" in record and "GREW on the two 13B PP 8 rows" in record
            and "toward the published figure" not in record)
    moved = " and ".join(f"{by_row[i][0]:+.1f} -> {by_row[i][1]:+.1f}%" for i in grew)
    readme = " ".join((Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8").split())
    assert ("13.3% until two inputs of nine held-out rows were corrected from their scripts: |error| shrank on seven "
            f"and grew on the two Llama2 13B PP 8 rows, {moved};") in readme


def _family_table_file(tmp_path: Path, eff: str = "0.50") -> Path:
    """The bundled aws-trainium1 table alone, at matmul_eff_max `eff`, as a user file: it replaces the bundled family
    with its stack tables, so every Trn1 row takes the family's values, as before the neuron-megatron-lm stack's fit
    (2026-12-03, trnstack); the records written before it quote figures at that state."""
    text = calibration.bundled_text()  # replayed before rtrn2 by the dated records' fixture (trn1_link_before_rtrn2)
    block = text[text.index("\n[family.aws-trainium1]\n") + 1:]  # the table header, not a comment naming it
    block = block[:block.index("\n\n")]
    assert BUNDLED_EFF_LINE in block and "stack" not in block
    path = tmp_path / f"trn1_family_{eff}.toml"
    path.write_text(block.replace(BUNDLED_EFF_LINE, f"\nmatmul_eff_max = {eff}\n"), encoding="utf-8")
    return path


def _header_text() -> str:
    """The bundled runs file's comment lines, read from the installed package (as validate reads it), joined."""
    text = (resources.files("accelopt.predict") / "data" / "published_training_runs.csv").read_text("utf-8")
    return " ".join(line.lstrip("# ") for line in text.splitlines() if line.startswith("#"))


@pytest.mark.usefixtures("optimizer_step_at_28_bytes")
@pytest.mark.usefixtures("trn1_link_before_rtrn2")
def test_megatron_lm_gpt3_search_record_recomputes(tmp_path: Path) -> None:
    """issue 10 (trn1_fam, 2026-12-03): the runs file's record of what was searched for the Megatron-LM GPT-3 6.7B rows
    quotes figures; they are recomputed here, so a model change that moves them fails until the record is rewritten.
    At the record's state: the family's 0.50, before the rows' neuron-megatron-lm stack had its own value (trnstack).
    The fork's Throughput counts micro_batch_size x data-parallel ranks x micro-batches per step (megatron/training.py
    at 2249d1a): the global batch, so the rows' step is the global batch over the table's seq/s."""
    rows = {r["id"]: r for r in TRN1_ROWS if r["id"].startswith("trn1-meglm-gpt3-6.7b")}
    one, nlp, n212 = (rows[f"trn1-meglm-gpt3-6.7b-{k}"] for k in ("1n-nlp", "nlp", "n212"))
    header = _header_text()
    cal = str(_family_table_file(tmp_path))

    def query(row: dict[str, str]) -> LayoutQuery:
        return replace(run_query(row), calibration=cal)

    for row in rows.values():
        res = predict_layout(query(row))
        m = res.layout.m  # micro-batches per step
        assert (m, res.layout.recompute) == (16, "none"), row["id"]
        assert int(row["mbs"]) * int(row["dp"]) * m == int(row["global_batch"]), row["id"]
    assert "(1 x 64 x 16 = 1024; 1 x 4 x 16 = 64 on one node)" in header
    t1, t16 = predict_layout(query(one)).terms, predict_layout(query(nlp)).terms
    pub1, pub16 = float(one["step_s"]), float(nlp["step_s"])
    parts = ", ".join(f"{name} {t1[key]:.2f}" for name, key in (
        ("forward", "t_fwd_s"), ("backward", "t_bwd_s"), ("logits", "t_logits_s"), ("TP all-reduce", "t_tp_comm_s"),
        ("optimizer", "t_optimizer_s")))
    assert (f"one node {t1['step_time_s']:.2f} s ({parts}) against the published {pub1:.2f} s, so "
            f"{pub1 - t1['step_time_s']:.2f} s is missing") in header
    assert (f"16 nodes add {pub16 - pub1:.2f} s published ({pub16:.2f} s) and "
            f"{t16['step_time_s'] - t1['step_time_s']:.2f} s modelled ({t16['step_time_s']:.2f} s)") in header
    # the same layout at a later release: the model's figure is the same, the published step falls
    assert predict_layout(query(n212)).terms["step_time_s"] == pytest.approx(t16["step_time_s"])
    assert f"published step falls {pub16:.2f} -> {float(n212['step_s']):.2f} s from Neuron" in header


# neuronx-nemo-megatron nemo/examples/nlp/language_modeling/test.sh (stored commit 05dde85) passes
# model.hidden_dropout=0.1, so the NeMo GPT-3 rows run with dropout (their no_dropout cell empty: the model charges it).
def test_nemo_gpt3_rows_run_with_dropout() -> None:
    rows = [r for r in TRN1_ROWS if r["id"].startswith("trn1-nemo-gpt3")]
    assert len(rows) == 8
    assert all(r["no_dropout"] == "" for r in rows), [r["id"] for r in rows if r["no_dropout"]]
    assert all(run_query(r).no_dropout is False for r in rows)
    assert "model.hidden_dropout=0.1 agrees with their no_dropout cell (empty)" in _header_text()


def _record_above_8b_fit_row(marker: str) -> str:
    """The runs file's dated record that begins with MARKER and ends at the 8B fit row, its '#' prefixes stripped
    and joined into one line."""
    text = bundled_runs_text("published_training_runs.csv")
    start = text.index(marker)
    end = text.index("\ntrn1-nxd-llama31-8b,", start)
    return " ".join(line.lstrip("# ") for line in text[start:end].splitlines())


# calibration.toml's aws-trainium1 record of 2026-12-03 (trn1): the searches that found no checked mechanism quote the
# held-out medians per stack and two pairs of published steps against the model's; recomputed here to the record's
# rounding, so a model change that moves them fails until the record is rewritten.
def _trn1_record() -> str:
    text = (Path(__file__).resolve().parent.parent / "src/accelopt/predict/data/calibration.toml").read_text()
    start = text.index("# 2026-12-03 (trn1, issue 10): SEARCHED AGAIN")
    return " ".join(line.lstrip("# ") for line in text[start:text.index("[family.aws-trainium1]")].splitlines())


def _median_pct(errors: list[float]) -> str:
    s = sorted(abs(e) for e in errors)
    n = len(s)
    return f"{100 * (s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2):.1f}%"


@pytest.mark.usefixtures("optimizer_step_at_28_bytes")
@pytest.mark.usefixtures("nki_flash_transposes_off", "trn1_link_before_rtrn2")
def test_trn1_search_record_figures(tmp_path: Path) -> None:
    """At the record's state: the family's 0.50 on every Trn1 row (before trnstack gave the five Megatron-LM GPT3-6.7B
    rows their own stack value, which made one of them a fit row)."""
    record = _trn1_record()
    at_record = _family_table_file(tmp_path)
    held = {r.id: r.error for r in validate_report(calibration=at_record).runs
            if r.family == "aws-trainium1" and not r.fitted}
    assert len(held) == 23
    nxd = [e for k, e in held.items() if k.startswith("trn1-nxd-")]
    nemo = [e for k, e in held.items() if k.startswith("trn1-nemo-")]
    meglm = [e for k, e in held.items() if k.startswith("trn1-meglm-")]
    assert (len(nxd), len(nemo), len(meglm)) == (13, 5, 5)
    assert f"Llama 13 rows, median {_median_pct(nxd)}" in record
    assert f"GPT-3 5 rows, median {_median_pct(nemo)}" in record
    assert f"GPT3-6.7B 5 rows, median {_median_pct(meglm)}" in record
    lo, hi = min(-e for e in meglm), max(-e for e in meglm)
    assert all(e < 0 for e in meglm) and f"-{100 * lo:.1f} .. -{100 * hi:.1f}%" in record
    rows = {r["id"]: r for r in TRN1_ROWS}

    def terms(run_id: str) -> dict[str, float]:
        return predict_layout(run_query(rows[run_id])).terms

    # (3) the 7B layout: Neuron 2.17 (CoreAttention, selective) -> 2.20 (NKI flash, no recompute)
    t17, t20 = terms("trn1-nxd-llama2-7b"), terms("trn1-nxd-llama2-7b-n220")
    p17, p20 = float(rows["trn1-nxd-llama2-7b"]["step_s"]), float(rows["trn1-nxd-llama2-7b-n220"]["step_s"])
    s17, s20 = t17["step_time_s"], t20["step_time_s"]
    assert f"step moves {p17:.4f} -> {p20:.4f} s ({100 * (p20 / p17 - 1):.1f}%)" in record
    assert f"the model moves {s17:.2f} -> {s20:.2f} s ({100 * (s20 / s17 - 1):.1f}%)" in record
    fwd, bwd, rec = t17["t_fwd_s"] - t20["t_fwd_s"], t17["t_bwd_s"] - t20["t_bwd_s"], t17["t_recompute_s"]
    assert t20.get("t_recompute_s", 0.0) == 0.0
    assert (f"{fwd + bwd + rec:.2f} s of {s17:.2f} s (forward +{fwd:.2f}, backward +{bwd:.2f}, recompute {rec:.2f})"
            in record)
    # (4) the Llama 2 70B layout at PP 8 DP 4 against PP 4 DP 8
    pp8 = [float(rows[k]["step_s"]) for k in ("trn1-nxd-llama2-70b-pp8-n220", "trn1-nxd-llama2-70b-pp8-n221d")]
    pp4 = [float(rows[k]["step_s"]) for k in ("trn1-nxd-llama2-70b-n216", "trn1-nxd-llama2-70b")]
    assert f"publishes {pp8[0]:.4f} / {pp8[1]:.4f} s against PP 4 DP 8 (2.16 / 2.17) {pp4[0]:.4f} / {pp4[1]:.4f} s" \
        in record
    ratios = [a / b - 1 for a in pp8 for b in pp4]
    assert f"+{100 * min(ratios):.1f}% .. +{100 * max(ratios):.1f}%" in record
    m8, m4 = terms("trn1-nxd-llama2-70b-pp8-n220")["step_time_s"], terms("trn1-nxd-llama2-70b")["step_time_s"]
    assert f"the model gives +{100 * (m8 / m4 - 1):.1f}% ({m8:.2f} against {m4:.2f} s)" in record
    # (5) every modelled TP second tripled and exposed: an upper bound on the 8B and Llama 3.1 70B fit rows
    for run_id in ("trn1-nxd-llama31-8b", "trn1-nxd-llama31-70b"):
        t, pub = terms(run_id), float(rows[run_id]["step_s"])
        before, after = t["step_time_s"] / pub - 1, (t["step_time_s"] + 2 * t["t_tp_comm_s"]) / pub - 1
        assert f"{100 * before:+.1f}% -> {100 * after:+.1f}%" in record, run_id


KV_REPLICATOR = 4  # the Llama 3.1 scripts' --kv_replicator 4: each of the 8 K/V heads on 4 cores (kv_heads 32 at TP 32)
NCCOM_TEST_32_RANK_FLOOR_S = 150e-6  # the NCCOM-TEST guide's 32-rank all-gather, 149-151 us up to 65536 B


def kv_shared_allreduces(run_id: str) -> dict[str, float]:
    """NxD's GQAQKVLinearWithAsyncCommunication.backward all-reduces the K and V output gradients over the kv-shared
    group (qkv_linear.py @0598cd8): 2 per layer and micro-batch of seq x local K/V heads x head_dim x 2 B, timed as a
    4-rank all-reduce at the row's TP link and the serving fit's collective step latency."""
    row = {r["id"]: r for r in TRN1_ROWS}[run_id]
    t = predict_layout(run_query(row)).terms
    lat = serving_calibrations()["aws-neuroncore-v2"].link_step_latency_s
    assert lat is not None
    kv_local = max(int(row["kv_heads"]) // int(row["tp"]), 1)
    n_bytes = int(row["seq"]) * int(row["mbs"]) * kv_local * (int(row["hidden"]) // int(row["heads"])) * 2
    calls = 2 * int(t["layers_per_stage"]) * int(t["in_micro_batches"])
    one = float(comm.allreduce_s(np.asarray(float(n_bytes)), np.asarray(KV_REPLICATOR),
                                 np.asarray(t["in_tp_link_byte_per_s"]), np.asarray(lat),
                                 p_in=np.asarray(KV_REPLICATOR), lat_in=np.asarray(lat)))
    pub = float(row["step_s"])
    return {"bytes": n_bytes, "calls": calls, "one_s": one, "total_s": calls * one, "pub": pub,
            "step": t["step_time_s"], "link": t["in_tp_link_byte_per_s"], "lat": lat}


@pytest.mark.usefixtures("nki_flash_transposes_off", "trn1_link_before_rtrn2")
def test_kv_shared_allreduces_are_not_the_8b_layouts_gap() -> None:
    """rneuron (2026-12-05): the runs file's 'Examined 2026-12-05 (rneuron' record above the 8B fit row."""
    record = _record_above_8b_fit_row("# Examined 2026-12-05 (rneuron, issue 10): the kv-shared all-reduces")
    rows = {r["id"]: r for r in TRN1_ROWS}
    assert all(rows[k]["kv_heads"] == "32" and rows[k]["tp"] == "32" for k in ("trn1-nxd-llama31-8b",
                                                                                "trn1-nxd-llama31-70b"))
    k8, k70 = kv_shared_allreduces("trn1-nxd-llama31-8b"), kv_shared_allreduces("trn1-nxd-llama31-70b")
    assert k8["bytes"] == k70["bytes"] == 2097152 and f"x 2 B = {k8['bytes']} B each" in record
    assert (k8["calls"], k70["calls"]) == (2048, 5120)
    assert f"A step holds {k8['calls']} of them on the 8B" in record and f"and {k70['calls']} on each" in record
    assert f"{k8['one_s'] * 1e6:.1f} us each" in record and abs(k8["one_s"] - k70["one_s"]) < 1e-12
    assert f"Trn1 link ({k8['link'] / 1e9:.1f} GB/s)" in record and f"fit's {k8['lat'] * 1e6:.1f} us" in record

    def err(k: dict[str, float], extra: float) -> str:
        return f"{100 * ((k['step'] + extra) / k['pub'] - 1):+.1f}%"

    assert (f"so {k8['total_s']:.3f} s exposed on the 8B fit row ({100 * k8['total_s'] / k8['pub']:.2f}% of its "
            f"published {k8['pub']:.2f} s step; {err(k8, 0)} -> {err(k8, k8['total_s'])})") in record
    assert f"and {k70['total_s']:.3f} s on the 70B ({err(k70, 0)} -> {err(k70, k70['total_s'])})" in record
    floor = k8["calls"] * NCCOM_TEST_32_RANK_FLOOR_S
    assert f"150 us an op, {floor:.3f} s on the 8B ({err(k8, floor)})" in record
    miss = k8["pub"] - k8["step"]
    assert f"{100 * k8['total_s'] / miss:.1f}% of the 8B's {miss:.2f} s miss" in record
    assert k70["total_s"] > k8["total_s"] and k8["total_s"] / miss < 0.05  # more on the 70B; far from the 8B's miss


# rneuron2 (2026-12-05): NxD's GPU-compatible precision, run by both Llama 3.1 layouts (neither script passes
# --use_gpu_compatible_precision; both programs default it to 1), through torch_xla's ZeroRedundancyOptimizer
# (pytorch/xla torch_xla/distributed/zero_redundancy_optimizer.py @946fa8a): use_grad_acc_hook adds each micro-batch's
# gradient into an fp32 main_grad of the full local parameter; higher_cc_precision casts the gradients to fp32 before
# the reduce-scatter (the all-gather stays in the parameters' dtype).
GRAD_ACC_HOOK_BYTES_PER_PARAM = 10  # at most: the fp32 main_grad read and written (4 + 4 B), the bf16 grad read (2 B)


def gpu_compatible_precision(run_id: str) -> dict[str, float]:
    """The two costs the model does not charge, at their upper ends: the hook's memory pass per micro-batch at the
    family's memory_eff x the NeuronCore's HBM rate, and the reduce-scatter half of the model's 2-byte gradient
    all-reduce (t_dp_comm_raw_s / 2) carried a second time for its fp32 bytes."""
    row = {r["id"]: r for r in TRN1_ROWS}[run_id]
    q = run_query(row)
    t = predict_layout(q).terms
    dev = get_device(row["hardware"])
    cal = calibration_for(dev)
    params = float(stage_params(q.model, np.asarray(int(row["pp"])), np.asarray(1), np.asarray(int(row["tp"])),
                                np.asarray(1)).dense)
    m = t["in_micro_batches"]
    hook = m * params * GRAD_ACC_HOOK_BYTES_PER_PARAM / (cal.memory_eff * dev.memory_bandwidth_byte_per_s)
    rs = t["t_dp_comm_raw_s"] / 2
    return {"params": params, "m": m, "hook_s": hook, "rs_s": rs, "step": t["step_time_s"],
            "pub": float(row["step_s"])}


@pytest.mark.usefixtures("nki_flash_transposes_off", "trn1_link_before_rtrn2")
def test_gpu_compatible_precision_is_not_the_8b_layouts_gap() -> None:
    """rneuron2 (2026-12-05): the runs file's 'Examined 2026-12-05 (rneuron2' record above the 8B fit row."""
    record = _record_above_8b_fit_row("# Examined 2026-12-05 (rneuron2, issue 10)")
    p8, p70 = gpu_compatible_precision("trn1-nxd-llama31-8b"), gpu_compatible_precision("trn1-nxd-llama31-70b")

    def err(p: dict[str, float], extra: float) -> str:
        return f"{100 * ((p['step'] + extra) / p['pub'] - 1):+.1f}%"

    assert (p8["m"], p70["m"]) == (32, 256)
    for p, what in ((p8, "On the 8B"), (p70, "on the Llama 3.1 70B")):
        both = p["hook_s"] + p["rs_s"]
        assert (f"{what} ({p['params'] / 1e6:.1f} M parameters a core") in record
        assert (f"{p['hook_s']:.3f} s + {p['rs_s']:.3f} s, {err(p, 0)} -> {err(p, both)}") in record
    assert p70["hook_s"] + p70["rs_s"] > p8["hook_s"] + p8["rs_s"]  # 'the 70B more per step'
    miss = p8["pub"] - p8["step"]
    assert f"closing the 8B fit row's {miss:.2f} s miss would put the 70B at {err(p70, miss)}" in record
    assert "batch x DP x accumulation steps (1 x 32 x 32 = 1024 on the 8B)" in record
    row = {r["id"]: r for r in TRN1_ROWS}["trn1-nxd-llama31-8b"]
    assert int(row["global_batch"]) == 1 * 32 * 32 and int(row["dp"]) == 32 and int(row["mbs"]) == 1


# rtrn1 (2026-12-05): the fp32 loss both Llama 3.1 programs run over the 128256-entry output layer. Both build
# modeling_llama_nxd.py's LlamaForCausalLM (neuronx-distributed examples/training/llama @e834945): the vocab-parallel
# logits are cast to fp32 ('logits.to(torch.float32)'; .double() under XLA_DOWNCAST_BF16, fp32 on the device), shifted
# with '[..., :-1, :].clone().contiguous()', and passed to parallel_cross_entropy (src/neuronx_distributed/
# parallel_layers/loss_functions.py @3aa65c6: max, sub_, exp, sum, div_; backward an index update and mul_). Bytes a
# [T, V/t] logit, each op an unfused pass over the tensor (an upper end: XLA may fuse them).
FP32_LOSS_FWD_BYTES = (2 + 4) + (4 + 4) + 4 + (4 + 4) + (4 + 4) + 4 + (4 + 4)  # cast, clone, max, sub_, exp, sum, div_
FP32_LOSS_BWD_BYTES = (4 + 4) + (4 + 4) + (4 + 4) + (4 + 2)  # index update, mul_, the shift's gradient, the cast's


def fp32_loss_passes(run_id: str) -> dict[str, float]:
    """The loss passes over the fp32 [T, V/t] logits that the model does not charge: the code's (FP32_LOSS_*_BYTES)
    less what compute.logits_step_s charges for the loss (its time less 3 x the output GEMM's, in bytes a logit at
    memory_eff x the NeuronCore's HBM rate), per micro-batch, times the micro-batches that pass the loss a step."""
    row = {r["id"]: r for r in TRN1_ROWS}[run_id]
    q = run_query(row)
    t = predict_layout(q).terms
    spec = get_device(row["hardware"])
    cal = calibration_for(spec)
    peak = spec.peak("bf16")
    assert peak is not None
    dev = Device(peak_flop_per_s=peak, bw_byte_per_s=spec.memory_bandwidth_byte_per_s, cal=cal)
    tokens, tp = np.asarray(float(int(row["seq"]) * int(row["mbs"]))), np.asarray(float(row["tp"]))
    elems = float(tokens * q.model.vocab / tp)
    rate = cal.memory_eff * spec.memory_bandwidth_byte_per_s
    loss_charged_s = float(logits_step_s(q.model, tokens, tp, 2.0, dev)
                           - 3.0 * logits_gemm_s(q.model, tokens, tp, 2.0, dev)[0]) - 6.0 * cal.kernel_overhead_s
    charged_b = loss_charged_s * rate / elems
    extra_b = FP32_LOSS_FWD_BYTES + FP32_LOSS_BWD_BYTES - charged_b
    one = elems * extra_b / rate
    m = t["in_micro_batches"]
    return {"elems": elems, "per_v": q.model.vocab / float(tp), "charged_b": charged_b, "extra_b": extra_b,
            "one_s": one, "m": m, "total_s": m * one, "step": t["step_time_s"], "pub": float(row["step_s"]),
            "rate": spec.memory_bandwidth_byte_per_s}


@pytest.mark.usefixtures("nki_flash_transposes_off", "trn1_link_before_rtrn2")
def test_fp32_loss_is_not_the_8b_layouts_gap() -> None:
    """rtrn1 (2026-12-05): the runs file's 'Examined 2026-12-05 (rtrn1' record above the 8B fit row."""
    record = _record_above_8b_fit_row("# Examined 2026-12-05 (rtrn1, issue 10)")
    f8, f70 = fp32_loss_passes("trn1-nxd-llama31-8b"), fp32_loss_passes("trn1-nxd-llama31-70b")

    def err(f: dict[str, float], extra: float) -> str:
        return f"{100 * ((f['step'] + extra) / f['pub'] - 1):+.1f}%"

    assert (FP32_LOSS_FWD_BYTES, FP32_LOSS_BWD_BYTES) == (46, 30)
    assert f"{FP32_LOSS_FWD_BYTES} B a logit forward" in record and f"{FP32_LOSS_BWD_BYTES} B backward" in record
    assert f8["elems"] == f70["elems"] == 8192 * 4008 and f"8192 x {f8['per_v']:.0f} a core" in record
    assert abs(f8["charged_b"] - 24.0) < 1e-6 and f"({f8['charged_b']:.0f} B a logit" in record
    assert f"so {f8['extra_b']:.0f} B a logit more: {f8['one_s'] * 1e3:.3f} ms a micro-batch" in record
    assert f"the NeuronCore's {f8['rate'] / 1e9:.1f} GB/s" in record and abs(f8["one_s"] - f70["one_s"]) < 1e-12
    assert (f8["m"], f70["m"]) == (32, 256)
    miss = f8["pub"] - f8["step"]
    assert (f"The 8B pays it {f8['m']:.0f} times a step: {f8['total_s']:.3f} s, {err(f8, 0)} -> "
            f"{err(f8, f8['total_s'])} ({100 * f8['total_s'] / miss:.1f}% of its {miss:.2f} s miss)") in record
    assert (f"the 70B's last stage {f70['m']:.0f} times: {f70['total_s']:.3f} s, {err(f70, 0)} -> "
            f"{err(f70, f70['total_s'])}") in record
    assert f70["total_s"] > f8["total_s"] and f8["total_s"] / miss < 0.05  # more on the 70B; far from the 8B's miss


# rtrn (2026-12-05): the multi-node collective rate. The NCCOM-TEST User Guide's 'Multiple Instances Example'
# (aws-neuron-sdk tools/neuron-sys-tools/nccom-test.rst, stored copy code index id 48122256929): 'nccom-test -r 64 -N 2
# ... -d fp32 allr', its 1 GiB line: 1073741824 B in 41806 us (algbw 23.92, busbw 47.09 GiB/s).
NCCOM_TEST_2_INSTANCE_ALLREDUCE = (1073741824, 41806e-6, 64, 2)  # bytes, seconds, ranks, instances
CORES_PER_NODE = CORES_PER_CHIP * CHIPS_PER_NODE


def multi_node_dp_bound(run_id: str) -> dict[str, float]:
    """The data-parallel all-reduce at the slowest EFA rate the guide's two-instance figure allows: each instance sends
    the other at least the n-byte partial sum of its ranks (any all-reduce algorithm), so at least n / t bytes a second
    an instance each way, over its 32 cores. The model's volume is its ring's, 2 (d - 1)/d x the gradients a core."""
    row = {r["id"]: r for r in TRN1_ROWS}[run_id]
    t = predict_layout(run_query(row)).terms
    n_bytes, seconds, ranks, nodes = NCCOM_TEST_2_INSTANCE_ALLREDUCE
    node_rate = n_bytes * 2 * (nodes - 1) / nodes / seconds
    core_rate = node_rate / CORES_PER_NODE
    dp = int(row["dp"])
    volume = 2 * (dp - 1) / dp * t["mem_grads_bytes"]
    bound = volume / core_rate
    return {"node_rate": node_rate, "core_rate": core_rate, "model_rate": volume / t["t_dp_comm_raw_s"],
            "model_s": t["t_dp_comm_s"], "raw_s": t["t_dp_comm_raw_s"], "grads": t["mem_grads_bytes"], "dp": dp,
            "bound_s": bound, "bound_fp32_rs_s": 1.5 * bound, "step": t["step_time_s"], "pub": float(row["step_s"]),
            "ranks": ranks}


@pytest.mark.usefixtures("nki_flash_transposes_off", "trn1_link_before_rtrn2")
def test_multi_node_rate_is_not_the_8b_layouts_gap() -> None:
    """rtrn (2026-12-05): the runs file's 'Examined 2026-12-05 (rtrn' record above the 8B fit row."""
    record = _record_above_8b_fit_row("# Examined 2026-12-05 (rtrn, issue 10)")
    b = {rid: multi_node_dp_bound(rid) for rid in ("trn1-nxd-llama31-8b", "trn1-nxd-llama31-8b-n220",
                                                    "trn1-nxd-llama31-8b-n221", "trn1-nxd-llama31-70b")}
    b8 = b["trn1-nxd-llama31-8b"]
    n_bytes, seconds, ranks, nodes = NCCOM_TEST_2_INSTANCE_ALLREDUCE
    assert ranks == nodes * CORES_PER_NODE  # the example fills both instances, 32 ranks each
    assert f"a 64-rank all-reduce on two instances, {n_bytes} B in {seconds * 1e6:.0f} us" in record
    assert abs(n_bytes / seconds / 2**30 - 23.92) < 0.005  # the guide's algbw column, GiB/s
    assert (b8["dp"], b["trn1-nxd-llama31-70b"]["dp"]) == (32, 4)
    assert f"2 x 31/32 x {b8['grads'] / 1e6:.1f} MB of bf16 gradients a core" in record
    assert f"efficiency, {b8['model_rate'] / 1e9:.2f} GB/s a core: {b8['model_s']:.3f} s a step, exposed" in record
    assert b8["model_s"] == b8["raw_s"]  # exposed in full
    assert (f"at least {b8['node_rate'] / 1e9:.2f} GB/s an instance each way ({b8['core_rate'] / 1e9:.3f} GB/s a "
            f"core), {b8['model_rate'] / b8['core_rate']:.2f}x slower than the model's share") in record
    assert (f"takes at most {b8['bound_s']:.3f} s ({b8['bound_fp32_rs_s']:.3f} s with the fp32 reduce-scatter"
            in record)

    def err(p: dict[str, float], dp_s: float) -> str:
        return f"{100 * ((p['step'] - p['model_s'] + dp_s) / p['pub'] - 1):+.1f}%"

    for rid, what in (("trn1-nxd-llama31-8b", "2.24 fit row"), ("trn1-nxd-llama31-8b-n220", "2.20 row"),
                      ("trn1-nxd-llama31-8b-n221", "May 2025 2.21 row")):
        p = b[rid]
        assert f"{what} {err(p, p['model_s'])} -> {err(p, p['bound_s'])} ({err(p, p['bound_fp32_rs_s'])})" in record
    p70 = b["trn1-nxd-llama31-70b"]
    assert f"the 70B's 4-rank group {err(p70, p70['model_s'])} -> {err(p70, p70['bound_s'])}" in record
    n221 = b["trn1-nxd-llama31-8b-n221"]
    assert (n221["step"] - n221["model_s"] + n221["bound_fp32_rs_s"]) / n221["pub"] - 1 < -0.25  # 'does not reach'


def multi_node_pair_factor() -> dict[str, float]:
    """rtrn (2026-12-05): the GPT-3 6.7B Megatron-LM rows of one table on 1 node and on 16 (the same TP 8 x DP 4 layout
    per node): the published step difference over the model's, which moves only the data-parallel all-reduce, gives
    the 16-node all-reduce's measured time (the 1-node one taken at the model's) over the model's."""
    rows = {r["id"]: r for r in TRN1_ROWS}
    r1, r16 = rows["trn1-meglm-gpt3-6.7b-1n-nlp"], rows["trn1-meglm-gpt3-6.7b-nlp"]
    t1, t16 = (predict_layout(run_query(r)).terms for r in (r1, r16))
    p1, p16 = float(r1["step_s"]), float(r16["step_s"])
    measured = t1["t_dp_comm_s"] + (p16 - p1)
    return {"p1": p1, "p16": p16, "m1": t1["step_time_s"], "m16": t16["step_time_s"], "dp1": t1["t_dp_comm_s"],
            "dp16": t16["t_dp_comm_s"], "measured": measured, "factor": measured / t16["t_dp_comm_s"],
            "other_moved": abs((t16["step_time_s"] - t16["t_dp_comm_s"]) - (t1["step_time_s"] - t1["t_dp_comm_s"]))}


@pytest.mark.usefixtures("nki_flash_transposes_off", "trn1_link_before_rtrn2")
def test_multi_node_pair_sizes_the_rate_lead() -> None:
    """rtrn (2026-12-05): the record's measured pair: the 1-node and 16-node GPT-3 6.7B rows put the multi-node
    all-reduce at 1.82x the model's, which closes 5% of the 8B fit row's miss."""
    record = _record_above_8b_fit_row("# Examined 2026-12-05 (rtrn, issue 10)")
    rows = {r["id"]: r for r in TRN1_ROWS}
    r1, r16 = rows["trn1-meglm-gpt3-6.7b-1n-nlp"], rows["trn1-meglm-gpt3-6.7b-nlp"]
    assert r1["source"] == r16["source"] and "377a240" in r1["source"]  # one table
    assert (r1["tp"], r1["dp"], r16["tp"], r16["dp"]) == ("8", "4", "8", "64") and r1["mbs"] == r16["mbs"]
    assert int(r1["global_batch"]) // int(r1["dp"]) == int(r16["global_batch"]) // int(r16["dp"])  # same work a replica
    f = multi_node_pair_factor()
    assert f["other_moved"] < 1e-9  # 'the model moves only their data-parallel all-reduce'
    assert (f"({f['dp1']:.3f} -> {f['dp16']:.3f} s): published {f['p1']:.3f} -> {f['p16']:.3f} s "
            f"(+{f['p16'] - f['p1']:.3f} s), the model {f['m1']:.3f} -> {f['m16']:.3f} s (+{f['m16'] - f['m1']:.3f} s)"
            in record)
    assert f"the 16-node one took {f['measured']:.3f} s, {f['factor']:.2f}x the model's" in record
    b8 = multi_node_dp_bound("trn1-nxd-llama31-8b")
    x = b8["model_s"] * f["factor"]
    after = (b8["step"] - b8["model_s"] + x) / b8["pub"] - 1
    miss = b8["pub"] - b8["step"]
    assert (f"at {f['factor']:.2f}x the 8B's {b8['model_s']:.3f} s is {x:.3f} s: the 2.24 fit row "
            f"{100 * (b8['step'] / b8['pub'] - 1):+.1f}% -> {100 * after:+.1f}%, "
            f"{100 * (x - b8['model_s']) / miss:.1f}% of its {miss:.2f} s miss") in record
    assert abs(after) > 0.25 and f["factor"] * b8["model_s"] < b8["bound_s"]  # within the guide's upper end


# s32 rtrn (2026-12-05): the 8B layout against the Llama 2 7B rows of the same program (tp_zero1_llama_hf_pretrain.py)
# in the same two tables. The scripts' logging intervals: tp_zero1_llama2_7B_hf_pretrain.sh @0598cd8 passes
# --logging_interval 10, tp_zero1_llama3_8B_hf_pretrain.sh @083d3ea --logging_interval 1.
TWIN_PAIRS = {"2.20": ("trn1-nxd-llama31-8b-n220", "trn1-nxd-llama2-7b-n220"),
              "2.21 Dec": ("trn1-nxd-llama31-8b-n221d", "trn1-nxd-llama2-7b-n221d")}
LOGGING_INTERVAL_8B, LOGGING_INTERVAL_7B = 1, 10


def same_program_twin(release: str) -> dict[str, float]:
    """The pair's published and modelled steps, and two one-figure causes solved on the pair with one common factor k
    for everything else: (a) a per-step cost c the 8B pays every step and the 7B every tenth,
    pub8 = k (m8 + c), pub7 = k (m7 + c / 10); (b) the TP collectives at f x the model's exposed time,
    pub8 = k (m8 + (f - 1) T8), pub7 = k (m7 + (f - 1) T7)."""
    rows = {r["id"]: r for r in TRN1_ROWS}
    r8, r7 = (rows[rid] for rid in TWIN_PAIRS[release])
    t8, t7 = (predict_layout(run_query(r)).terms for r in (r8, r7))
    p8, p7 = float(r8["step_s"]), float(r7["step_s"])
    m8, m7, tp8, tp7 = t8["step_time_s"], t7["step_time_s"], t8["t_tp_comm_s"], t7["t_tp_comm_s"]
    share = LOGGING_INTERVAL_8B / LOGGING_INTERVAL_7B
    c = (p7 * m8 - p8 * m7) / (p8 * share - p7)
    ratio = p8 / p7
    x = (m8 - ratio * m7) / (ratio * tp7 - tp8)
    return {"p8": p8, "p7": p7, "m8": m8, "m7": m7, "e8": m8 / p8 - 1, "e7": m7 / p7 - 1, "pub_ratio": ratio,
            "model_ratio": m8 / m7, "c": c, "k_c": p7 / (m7 + c * share), "f": 1 + x, "k_f": p7 / (m7 + x * tp7),
            "tp8": tp8, "tp7": tp7}


@pytest.mark.usefixtures("nki_flash_transposes_off", "trn1_link_before_rtrn2")
def test_same_program_twin_sizes_no_one_cause() -> None:
    """s32 rtrn (2026-12-05): the runs file's 'Examined 2026-12-05 (s32 rtrn' record above the 8B fit row."""
    record = _record_above_8b_fit_row("# Examined 2026-12-05 (s32 rtrn, issue 10)")
    rows = {r["id"]: r for r in TRN1_ROWS}
    for r8, r7 in TWIN_PAIRS.values():
        a, b = rows[r8], rows[r7]
        assert a["source"] == b["source"] and a["attention_kernel"] == b["attention_kernel"] == "nki_flash"
        assert (a["mbs"], a["global_batch"], a["zero"], a["flash"]) == (b["mbs"], b["global_batch"], b["zero"],
                                                                       b["flash"])
        assert (a["tp"], b["tp"], a["seq"], b["seq"], a["kv_heads"], b["kv_heads"]) == ("32", "8", "8192", "4096",
                                                                                      "32", "")
    t = {rel: same_program_twin(rel) for rel in TWIN_PAIRS}
    t20, t21 = t["2.20"], t["2.21 Dec"]
    assert (f"The 7B rows are {100 * t20['e7']:+.1f}% and {100 * t21['e7']:+.1f}%, the 8B rows {100 * t20['e8']:+.1f}% "
            f"and {100 * t21['e8']:+.1f}%: published 8B over 7B step {t20['pub_ratio']:.3f} (2.20) and "
            f"{t21['pub_ratio']:.3f} (2.21 Dec), the model's {t20['model_ratio']:.3f}") in record
    assert abs(t20["model_ratio"] - t21["model_ratio"]) < 1e-12  # one model figure for both releases
    assert f"{t20['c']:.2f} s (2.20) and {t21['c']:.2f} s (2.21 Dec) a step" in record
    assert (f"(the 8B's {t20['tp8']:.3f} s, the 7B's {t20['tp7']:.3f} s): f = {t20['f']:.2f} and {t21['f']:.2f}"
            in record)
    for v in t.values():  # each solution is a real one: a positive cost and factor, a positive common factor
        assert v["c"] > 0 and v["f"] > 1 and v["k_c"] > 0 and v["k_f"] > 0
    assert t20["c"] / t21["c"] > 2 and t20["f"] / t21["f"] > 1.5  # 'neither is one figure across the two releases'
    d7, d8 = t21["p7"] / t20["p7"] - 1, t21["p8"] / t20["p8"] - 1
    assert f"moves {t20['pub_ratio']:.3f} -> {t21['pub_ratio']:.3f}: the 7B {100 * d7:.1f}% slower, the 8B " \
           f"{100 * -d8:.1f}% faster" in record
    dec, may = rows["trn1-nxd-llama31-8b-n221d"], rows["trn1-nxd-llama31-8b-n221"]
    assert "53.51 seq/s (Neuron 2.21.0" in dec["note"] and "41.99 seq/s (Neuron 2.21.0" in may["note"]
    spread = float(may["step_s"]) / float(dec["step_s"])
    assert abs(1024 / 53.51 - float(dec["step_s"])) < 1e-4 and abs(1024 / 41.99 - float(may["step_s"])) < 1e-4
    assert f"the 8B layout {spread:.2f}x apart: 53.51 seq/s" in record
    assert f"({dec['step_s']} s; the model {100 * t21['e8']:+.1f}%" in record
    e_may = predict_layout(run_query(may)).terms["step_time_s"] / float(may["step_s"]) - 1
    assert f"({may['step_s']} s; {100 * e_may:+.1f}%)" in record
    assert abs(t21["e8"]) <= 0.25 < abs(e_may)  # the fastest within 25%, the slowest not


NKI_ROWS_8B_70B_7B = ("trn1-nxd-llama31-8b", "trn1-nxd-llama31-8b-n220", "trn1-nxd-llama31-8b-n221",
                      "trn1-nxd-llama31-70b", "trn1-nxd-llama2-7b-n220")
NKI_CORE_RATE_TARGET = -0.25  # the fit row's error the core rate is solved for: the issue's 25% bound


def _nki_row_error(run_id: str, cols: float | None = None, rate: float = 0.0) -> float:
    """The row's step error with the NKI flash kernel's transposes at `cols` (None: as bundled; 0: none, the model
    before s33 rtrn) and its attention core at a fixed share `rate` of the bf16 peak in both passes (0: the GEMM
    curve, as bundled)."""
    from unittest import mock

    from accelopt.predict import compute

    row = {r["id"]: r for r in TRN1_ROWS}[run_id]
    fwd, bwd = compute.attention_kernel_rate, compute.attention_kernel_bwd_rate
    with mock.patch.object(compute, "NKI_PE_TRANSPOSE_COLS", compute.NKI_PE_TRANSPOSE_COLS if cols is None else cols), \
            mock.patch.object(compute, "attention_kernel_rate",
                              lambda k, cal: rate if k == "nki_flash" and rate else fwd(k, cal)), \
            mock.patch.object(compute, "attention_kernel_bwd_rate",
                              lambda k, cal: rate if k == "nki_flash" and rate else bwd(k, cal)):
        step = predict_layout(run_query(row)).terms["step_time_s"]
    return step / float(row["step_s"]) - 1


def nki_flash_core() -> dict[str, dict[str, float]]:
    """s33 rtrn (2026-12-06): each row's error without the kernel's transposes, with them (as bundled), and at the
    fixed core rate that brings the 8B fit row to -25% (bisection on the rate: a slower core, a longer step)."""
    lo, hi = 0.05, 0.95
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if _nki_row_error("trn1-nxd-llama31-8b", rate=mid) < NKI_CORE_RATE_TARGET else (mid, hi)
    rate = (lo + hi) / 2
    out = {rid: {"before": _nki_row_error(rid, cols=0.0), "now": _nki_row_error(rid),
                 "at_rate": _nki_row_error(rid, rate=rate)} for rid in NKI_ROWS_8B_70B_7B}
    out["rate"] = {"r": rate}
    return out


@pytest.mark.usefixtures("trn1_link_before_rtrn2")
def test_nki_flash_transposes_record() -> None:
    """s33 rtrn (2026-12-06): the runs file's 'Examined 2026-12-06 (s33 rtrn' record above the 8B fit row."""
    record = _record_above_8b_fit_row("# Examined 2026-12-06 (s33 rtrn, issue 10)")
    c = nki_flash_core()

    def pct(x: float) -> str:
        return f"{100 * x:+.1f}%"

    for rid, what in (("trn1-nxd-llama31-8b", "8B 2.24 fit row"), ("trn1-nxd-llama31-8b-n220", "2.20 row"),
                      ("trn1-nxd-llama31-8b-n221", "May 2025 2.21 row"), ("trn1-nxd-llama31-70b", "70B 2.24 fit row"),
                      ("trn1-nxd-llama2-7b-n220", "7B 2.20 row")):
        assert f"{what} {pct(c[rid]['before'])} -> {pct(c[rid]['now'])}" in record, rid
    r = c["rate"]["r"]
    e8 = c["trn1-nxd-llama31-8b"]
    assert f"reaches {pct(e8['at_rate'])} at r = {r:.3f}" in record and abs(e8["at_rate"] - NKI_CORE_RATE_TARGET) < 1e-6
    at = {rid: pct(c[rid]["at_rate"]) for rid in NKI_ROWS_8B_70B_7B}
    assert (f"where the 2.20 row is {at['trn1-nxd-llama31-8b-n220']} and the May 2.21 row "
            f"{at['trn1-nxd-llama31-8b-n221']}") in record
    e70 = c["trn1-nxd-llama31-70b"]
    assert (f"the 70B 2.24 fit row {pct(e70['now'])} -> {at['trn1-nxd-llama31-70b']}, the 7B 2.20 row "
            f"{pct(c['trn1-nxd-llama2-7b-n220']['now'])} -> {at['trn1-nxd-llama2-7b-n220']}") in record
    gap_now, gap_at = 100 * (e70["now"] - e8["now"]), 100 * (e70["at_rate"] - e8["at_rate"])
    assert f"the 8B-70B gap closes {gap_now:.1f} -> {gap_at:.1f} points" in record
    assert 0 < gap_now - gap_at < 1.0  # 'does not separate the layouts'
    assert all(c[rid]["at_rate"] > c[rid]["now"] for rid in NKI_ROWS_8B_70B_7B)  # every row moves the same way
    cal = calibration_for(get_device("trainium1-core"), load_calibrations())
    f_fwd = 2.0 * 8192 * 128 * (4352 + 5120 + 5120)  # one core, one layer, one micro-batch (test_trn1_nki_flash.py)
    assert f"(the GEMM curve runs the core at {cal.matmul_eff(f_fwd):.2f})" in record


# rtrn2 (2026-12-06): AWS's NCCOM-TEST guide (aws-neuron-sdk tools/neuron-sys-tools/nccom-test.rst @0f75c1e), its
# single-instance 2-rank fp32 all-reduce at 1 GiB and its two-instance 64-rank all-reduce at 1 GiB: (bytes, us)
NCCOM_2RANK_1GIB = (1073741824, 18930)
NCCOM_64RANK_2INST_1GIB = (1073741824, 41806)
TRN1_CHIP_LINK_GIB_PER_S = 192  # catalog aws_neuron.toml trn1-nl / trn1-core-nl: 384 GiB/s per device, both ways


def _rtrn2_record() -> str:
    text = calibration.bundled_text()
    start = text.index("# 2026-12-06 (rtrn2, issue 10): THE FAMILY'S LINK")
    return " ".join(line.lstrip("# ") for line in text[start:text.index("[family.aws-trainium1]\n")].splitlines())


def test_rtrn2_nccom_link_record() -> None:
    """calibration.toml's rtrn2 record: the link efficiency is NCCOM-TEST's measured bus bandwidth over the catalog's
    link, and the rows it moved, before (the dated cells, conftest.trn1_link_before_rtrn2_ctx) and after, as quoted."""
    from conftest import trn1_link_before_rtrn2_ctx

    from accelopt.predict.serving_validation import validate_serving

    record = _rtrn2_record()
    n, us = NCCOM_2RANK_1GIB
    busbw = n / (us * 1e-6) / 2**30  # 2 ranks: bus bandwidth = algorithm bandwidth (nccl-tests PERFORMANCE.md)
    printed = 52.83  # the page's busbw column, GiB/s
    assert f"{busbw:.2f}" == f"{printed:.2f}" and f"{printed / TRN1_CHIP_LINK_GIB_PER_S:.4f}" == "0.2752"
    n64, us64 = NCCOM_64RANK_2INST_1GIB
    bus64 = n64 / (us64 * 1e-6) / 2**30 * 2 * 63 / 64  # ring all-reduce over 64 ranks: 2 (n - 1) / n
    assert f"{bus64:.2f}" == "47.09" and f"({bus64 / TRN1_CHIP_LINK_GIB_PER_S:.3f})" in record
    fam = load_calibrations()["aws-trainium1"]
    assert fam.scaleup_bw_eff == round(printed / TRN1_CHIP_LINK_GIB_PER_S, 3) == 0.275
    assert (fam.matmul_eff_max, fam.stacks["neuron-megatron-lm"].matmul_eff_max) == (0.58, 0.46)
    assert "rule v2 (same ten rows, same grid) 0.48 -> 0.58" in record and "stack's rule (its one row" in record

    def train() -> tuple[dict[str, float], float, list[str]]:
        rep = validate_report()
        trn = {r.id: r.error for r in rep.runs if r.family == "aws-trainium1"}
        fam_s = next(s for s in rep.by_family if s.group == "aws-trainium1")
        return trn, 100 * fam_s.median_abs_error, [r.id for r in rep.runs if not r.fitted and abs(r.error) > 0.25]

    def serve() -> dict[str, float]:
        return {r.id: r.error for r in validate_serving().runs if r.id.startswith("nrn-trn1") and r.error is not None}

    after, med_after, beyond_after = train()
    srv_after = serve()
    with trn1_link_before_rtrn2_ctx():
        before, med_before, beyond_before = train()
        srv_before = serve()
    fit = {"8B": "trn1-nxd-llama31-8b", "70B": "trn1-nxd-llama31-70b", "Llama2 7B": "trn1-nxd-llama2-7b",
           "13B": "trn1-nxd-llama2-13b", "70B -": "trn1-nxd-llama2-70b", "GPT3 23B": "trn1-nemo-gpt3-23b",
           "46B": "trn1-nemo-gpt3-46b", "175B": "trn1-nemo-gpt3-175b", "8B 2.21": "trn1-nxd-llama31-8b-n221",
           "70B 2.22": "trn1-nxd-llama31-70b-n222"}
    for label, rid in fit.items():
        moved = f"{100 * before[rid]:+.1f} -> {100 * after[rid]:+.1f}%"
        assert f"{label.rstrip(' -')} {moved}" in record, (label, moved)
    assert set(fit.values()) == set(fam.fitted_on)
    assert f"the family {med_before:.2f}% -> {med_after:.2f}% over 22" in record
    assert f"8B 2.20 {100 * before['trn1-nxd-llama31-8b-n220']:+.1f} -> " \
           f"{100 * after['trn1-nxd-llama31-8b-n220']:+.1f}%" in record
    assert f"8B 2.21 Dec {100 * after['trn1-nxd-llama31-8b-n221d']:+.1f}%" in record
    trn_beyond = [[r for r in rows if r.startswith("trn1-")] for rows in (beyond_before, beyond_after)]
    assert (len(trn_beyond[0]), len(trn_beyond[1])) == (1, 0) and "beyond 25% 1 -> 0" in record
    assert len(beyond_before) - len(beyond_after) == 1 and "beyond 25% 35 -> 34" in record
    worst = "trn1-meglm-gpt3-6.7b-nlp"
    assert f"worst {100 * after[worst]:.1f}% ({worst}, {100 * before[worst]:.1f}% before)" in record
    for rid, label in (("nrn-trn1-l2-7b-b1-128-8064-ttft", "batch 1"), ("nrn-trn1-l3-8b-b1-128-3968-ttft", "128+3968")):
        assert f"{label} {100 * srv_before[rid]:+.1f} -> {100 * srv_after[rid]:+.1f}%" in record, rid
    assert abs(srv_after["nrn-trn1-l2-7b-b1-128-8064-ttft"]) < 0.25 < abs(srv_before["nrn-trn1-l2-7b-b1-128-8064-ttft"])
