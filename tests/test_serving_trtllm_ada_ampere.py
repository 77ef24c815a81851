"""TensorRT-LLM on L40S (Ada) and A100 (issue 10, userve; ampfit): the v0.6.1 page's L40S and A100 throughput tables
and its H100 GPT-J 6B rows, the v0.17 perf-overview's Llama 3.1 8B TP 1 rows on L40S and A100 and its A100 70B TP 2-8
rows, and the v0.14.0 perf-overview's rows of the same setups (trtllm-v014).

The v0.6.1/v0.17 rows were declared held out (`test`) before any was predicted. The v0.14 rows were added 2026-12-01
with their roles: 11 `fit` rows, on which [serving.nvidia-ampere] (A100) and the new [serving.nvidia-ada] (L40S) were
then fitted by the rules calibration.toml declares; every other row stays held out. Bound: the issue's 25% (a row
beyond it needs a checked note recomputed by a test, or an UNEXPLAINED entry in tests/test_row_notes_checked.py).
"""
from __future__ import annotations

import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from unittest import mock

import pytest
import test_trtllm_bench_limits as bench
from conftest import run_main_expect

from accelopt.hardware.catalog import get_device
from accelopt.predict import serving
from accelopt.predict.serving import kv_cache_bytes_per_token
from accelopt.predict.serving_validation import _predict_row, read_serving_runs, reproduce, row_max_batch_size
from accelopt.workload.presets import get_model

ROW_NOTE_BOUND = 0.25  # issue 10: beyond it a row needs a checked note; these rows carry none
ROWS, SOURCES = read_serving_runs()
TABLES = [r for r in ROWS if r["source"] == "trtllm-v061-ada-ampere"]
H100_GPTJ = [r for r in ROWS if r["id"].startswith("trt061-h100-gptj-")]
V017 = [r for r in ROWS if r["source"] == "trtllm-v017"]
NEW = TABLES + H100_GPTJ + V017
V017_LENGTHS = {(128, 128), (128, 2048), (128, 4096), (500, 2000), (1000, 1000), (2048, 128), (2048, 2048),
                (5000, 500), (20000, 2000)}  # the page's nine ISL/OSL pairs
V014 = [r for r in ROWS if r["source"] == "trtllm-v014"]
# the fit rows the [serving.nvidia-ampere] / [serving.nvidia-ada] rules declared in the runs CSV before fitting
V014_FIT = {"trt014-a100-l3.1-8b-tp1-128-128", "trt014-a100-l3.1-8b-tp1-128-2048", "trt014-a100-l3.1-8b-tp1-2048-128",
            "trt014-a100-l3.1-8b-tp1-20000-2000", "trt014-a100-l3.1-70b-tp4-128-2048",
            "trt014-a100-l3.1-70b-tp4-2048-128", "trt014-l40s-l3.1-8b-tp1-128-128", "trt014-l40s-l3.1-8b-tp1-128-2048",
            "trt014-l40s-l3.1-8b-tp1-2048-128", "trt014-l40s-l3.1-8b-tp1-2048-2048",
            "trt014-l40s-l3.1-8b-tp1-20000-2000"}
# A100 rows beyond 25% since the Ampere table was fitted (2026-12-01), by the reason their notes give (recomputed
# below): compute-bound decode at thousands in flight (too slow); decode bound by long-context KV reads (too fast);
# one v0.14 cell far below its v0.17 twin; and compute-bound TP 8 decode whose KV reads the step's roofline hides
# under its GEMMs (too fast; a100tp, 2026-12-01: the sequential-kernel trial below)
GEMM_ROWS = frozenset({"trt017-a100-l3-8b-tp1-128-128", "trt017-a100-l3-70b-tp4-128-128",
                       "trt014-a100-l3.1-8b-tp1-128-128"})
KV_READ_ROWS = frozenset({"trt017-a100-l3-70b-tp4-128-4096", "trt014-a100-l3.1-70b-tp2-128-2048",
                          "trt014-a100-l3.1-70b-tp4-128-4096", "trt014-a100-l3.1-70b-tp4-2048-2048",
                          "trt014-a100-l3.1-70b-tp4-20000-2000", "trt014-a100-l3.1-70b-tp8-20000-2000",
                          "trt017-a100-l3-70b-tp8-2048-2048"})
V014_OUTLIER = "trt014-a100-l3.1-70b-tp2-2048-2048"
TP8_ROWS = frozenset({"trt017-a100-l3-70b-tp8-128-4096", "trt014-a100-l3.1-70b-tp8-128-4096",
                      "trt014-a100-l3.1-70b-tp8-500-2000", "trt014-a100-l3.1-70b-tp8-2048-2048"})
NOTED = GEMM_ROWS | KV_READ_ROWS | {V014_OUTLIER} | TP8_ROWS
RECOMPUTED_IDS = frozenset(NOTED)  # tests/test_row_notes_checked.py: checked notes recomputed here
KV_READ_TRIAL = 0.50  # decode_bandwidth_efficiency of the KV-read check (a trial value, not fitted)
BY_ID = {r["id"]: r for r in ROWS}
# (hardware, model, batch, prompt, output): the page's TP 1 rows whose model has a preset (Falcon 180B has none)
PAGE_TP1 = {("l40s", "llama2-7b", 64, 128, 128), ("l40s", "llama2-7b", 64, 128, 2048),
            ("l40s", "llama2-7b", 32, 2048, 128), ("l40s", "llama2-7b", 16, 2048, 2048),
            ("l40s", "gptj-6b", 64, 128, 128), ("l40s", "gptj-6b", 64, 128, 2048),
            ("l40s", "gptj-6b", 32, 2048, 128), ("l40s", "gptj-6b", 32, 2048, 2048),
            ("a100-sxm-80gb", "llama2-7b", 384, 128, 128), ("a100-sxm-80gb", "llama2-7b", 60, 128, 2048),
            ("a100-sxm-80gb", "llama2-7b", 52, 2048, 128),
            ("a100-sxm-80gb", "gptj-6b", 512, 128, 128), ("a100-sxm-80gb", "gptj-6b", 60, 2048, 128)}


def _key(r: dict[str, str]) -> tuple[str, str, int, int, int]:
    return r["hardware"], r["model"], int(r["batch"]), int(r["prompt_len"]), int(r["output_len"])


def test_rows_are_the_tables_tp1_rows_held_out() -> None:
    assert {_key(r) for r in TABLES} == PAGE_TP1 and len(TABLES) == len(PAGE_TP1)
    assert all(r["role"] == "test" for r in NEW)
    # the v0.5/v0.6.1 page's sessions (built without --paged_kv_cache): the batch's own KV cache; v0.17: the pool
    assert all(r["engine"] == ("trtllm" if r in V017 else "trtllm-session") for r in NEW)
    assert all(r["tp"] == "1" for r in NEW if r["model"] != "llama3-70b")
    assert all((r["weight_dtype"], r["kv_dtype"]) == (("fp16", "fp16") if r["hardware"].startswith("a100")
                                                      else ("fp8", "fp8")) for r in NEW)
    assert len(H100_GPTJ) == 4 and all(r["source"] == "trtllm-v061" for r in H100_GPTJ)


def test_rows_report_their_family_table() -> None:
    expected = {"l40s": "nvidia-ada", "a100-sxm-80gb": "nvidia-ampere", "h100-sxm": "nvidia-hopper"}
    for r in NEW:
        assert reproduce(r, SOURCES).calibration == expected[r["hardware"]], r["id"]


def test_v017_rows_are_the_8b_tp1_rows_of_both_columns() -> None:
    for hw, dtype in (("l40s", "fp8"), ("a100-sxm-80gb", "fp16")):
        rows = [r for r in V017 if r["hardware"] == hw and r["model"] == "llama3-8b"]
        assert {(int(r["prompt_len"]), int(r["output_len"])) for r in rows} == V017_LENGTHS and len(rows) == 9
        assert all(r["batch"] == "max" and r["model"] == "llama3-8b" and r["metric"] == "output_tok_s"
                   and (r["weight_dtype"], r["kv_dtype"]) == (dtype, dtype) for r in rows)


def test_v017_a100_70b_rows_are_the_page_cells() -> None:
    rows = [r for r in V017 if r["model"] == "llama3-70b"]
    assert all(r["hardware"] == "a100-sxm-80gb" and (r["weight_dtype"], r["kv_dtype"]) == ("fp16", "fp16")
               and r["batch"] == "max" and not r["tp_allreduce"] for r in rows)
    cells = {(int(r["tp"]), int(r["prompt_len"]), int(r["output_len"])) for r in rows}
    # the page's A100 column leaves TP 2 128/4096 and 20000/2000 empty; the L40S 70B cells (PCIe) are not rows
    assert cells == {(tp, i, o) for tp in (2, 4, 8) for i, o in V017_LENGTHS} - {(2, 128, 4096), (2, 20000, 2000)}


def test_v017_rows_carry_the_trtllm_bench_heuristic_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(bench.BYTES_PER_ELEM, "fp16", 2.0)  # tuning.py: an unquantized engine stores 2 bytes
    for r in V017:
        assert row_max_batch_size(r) == bench.trtllm_bench_limits(r)[0], r["id"]


def _err(rid: str, cal: serving.ServingCalibration | None = None) -> float:
    row = BY_ID[rid]
    tables = None if cal is None else {cal.family: cal}
    return _predict_row(row, tables, None)[0] / float(row["published"]) - 1


def _ampere() -> serving.ServingCalibration:
    return serving.calibration_for_spec(get_device("a100-sxm-80gb"))


@contextmanager
def _sequential_kernels() -> Iterator[None]:
    """The TP 8 rows' trial (a100tp, 2026-12-01): a decode step's attention is a kernel of its own that runs after
    the layer's GEMMs, so each kernel meets its own roofline and their times add (the roofline is a per-kernel bound:
    Williams, Waterman & Patterson 2009, 'Roofline', CACM 52(4); LLM-Viewer sums per-layer roofline times: Yuan et al.
    2024, 'LLM Inference Unveiled: Survey and Roofline Model Insights', arXiv 2402.16363, sec. 2). The model's step
    takes one max(compute, memory) over the whole step instead, so at TP 8's compute-bound batches the KV-cache reads
    vanish under the GEMMs. Trial: step = max(GEMM FLOPs, weight reads) + max(attention FLOPs, KV reads) + all-reduces
    + overhead, the GEMM part being the step at context 0. A trial, not the model: every [serving.*] table was fitted
    with the overlap."""
    step = serving._decode_step_time

    def sequential(s: serving._Setup, batch: int, context: float) -> serving.PhaseTime:
        at, gemm = step(s, batch, context), step(s, batch, 0.0)  # the step, and its GEMMs alone (no cached tokens)
        kernels_s = (max(gemm.compute_s, gemm.memory_s)
                     + max(at.compute_s - gemm.compute_s, at.memory_s - gemm.memory_s))
        return replace(at, compute_s=kernels_s, memory_s=0.0, total_s=kernels_s + at.comm_s + at.overhead_s)

    with mock.patch.object(serving, "_decode_step_time", sequential):
        yield


def _sequential_err(rid: str) -> float:
    with _sequential_kernels():
        return _err(rid)


def _nccl_err(rid: str) -> float:
    """The row with its all-reduces timed as NCCL's (ring or tree), not the custom kernel's."""
    row = dict(BY_ID[rid], tp_allreduce="nccl")
    return _predict_row(row, None, None)[0] / float(row["published"]) - 1


def note_for(rid: str) -> str:
    """The note of an A100 row beyond 25%, with every figure from the model (the runs CSV holds this text)."""
    _, p = _predict_row(BY_ID[rid], None, None)
    st, amp = p.decode_step, _ampere()
    c_ms, m_ms, err = st.compute_s * 1e3, st.memory_s * 1e3, _err(rid)
    tag = "(2026-12-01, ampfit; recomputed by tests/test_serving_trtllm_ada_ampere.py)"
    if rid in GEMM_ROWS:
        trial = _err(rid, replace(amp, decode_compute_efficiency=amp.prefill_compute_efficiency))
        return (f"checked {tag}: compute-bound decode at {p.batch} sequences in flight ({c_ms:.1f} ms of GEMMs "
                f"against {m_ms:.1f} ms of reads per step), too slow: a decode GEMM of {p.batch} rows is as large as a "
                f"prefill chunk, and decode_compute_efficiency {amp.decode_compute_efficiency} is one constant "
                "fitted on "
                f"rows with fewer in flight (the Hopper 128/128 rows show the same); with decode GEMMs at this table's "
                f"prefill efficiency {amp.prefill_compute_efficiency} the row is {100 * trial:+.1f}%. Not adopted: a "
                "batch-dependent decode GEMM efficiency that the fit rows do not support")
    if rid in KV_READ_ROWS:
        trial = _err(rid, replace(amp, decode_bandwidth_efficiency=KV_READ_TRIAL))
        return (f"checked {tag}: the decode step's weight and KV reads take {m_ms:.1f} ms against {c_ms:.1f} ms of "
                f"GEMMs at {p.batch} in flight, too fast: this table's decode_bandwidth_efficiency "
                f"{amp.decode_bandwidth_efficiency} is gpt-fast's batch-1 weight-read rate (almost no KV cache); at "
                f"{KV_READ_TRIAL:.2f} for these long-context KV reads the row is {100 * trial:+.1f}%. Not adopted: no "
                "A100 fit row isolates the KV-read rate")
    if rid == V014_OUTLIER:
        twin = rid.replace("trt014-a100-l3.1-", "trt017-a100-l3-")
        ratio = float(BY_ID[twin]["published"]) / float(BY_ID[rid]["published"])
        lo, hi = _tp2_twin_ratios()
        return (f"checked {tag}: a v0.14 outlier: the v0.17 page publishes {ratio:.2f}x this cell ({twin}, "
                f"{float(BY_ID[twin]['published']):.1f} against {float(BY_ID[rid]['published']):.1f} tok/s), where the "
                f"model is {100 * _err(twin):+.1f}%; the other v0.14 TP 2 cells are {lo:.2f}-{hi:.2f}x their v0.17 "
                "twins. Not modelled: one release's figure for one cell")
    assert rid in TP8_ROWS, rid
    tp4 = rid.replace("-tp8-", "-tp4-")
    return (f"checked {tag.replace('ampfit', 'a100tp')}: compute-bound decode at TP 8, too fast by {100 * err:+.1f}% "
            f"(the same cell at TP 4: {100 * _err(tp4):+.1f}%): {p.batch} in flight, per step {c_ms:.1f} ms of "
            f"GEMMs against {m_ms:.1f} ms of weight and KV-cache reads and {st.comm_s * 1e3:.1f} ms of all-reduces; "
            "the model overlaps the reads with the GEMMs (one max over the step), so at TP 8 the KV reads vanish, "
            "but attention is a kernel of its own after the GEMMs: with each kernel's roofline added (Williams et "
            f"al. 2009; LLM-Viewer, Yuan et al. 2024) the row is {100 * _sequential_err(rid):+.1f}% (TP 4 cell: "
            f"{100 * _sequential_err(tp4):+.1f}%). Not adopted: every [serving.*] table was fitted with the overlap. "
            f"Not the all-reduce: timed as NCCL's the row is {100 * _nccl_err(rid):+.1f}%")


def _tp2_twin_ratios() -> tuple[float, float]:
    """min, max of v0.14 / v0.17 published over the A100 70B TP 2 cells both pages have, the outlier apart."""
    ratios = [float(r["published"]) / float(BY_ID[r["id"].replace("trt014-a100-l3.1-", "trt017-a100-l3-")]["published"])
              for r in V014 if "-70b-tp2-" in r["id"] and r["id"] != V014_OUTLIER
              and r["id"].replace("trt014-a100-l3.1-", "trt017-a100-l3-") in BY_ID]
    return min(ratios), max(ratios)


def test_v014_rows_are_the_page_cells_with_their_declared_roles() -> None:
    a100 = [r for r in V014 if r["hardware"] == "a100-sxm-80gb"]
    l40s = [r for r in V014 if r["hardware"] == "l40s"]
    assert len(V014) == 44 and len(l40s) == 9 and len(a100) == 35
    assert {(int(r["prompt_len"]), int(r["output_len"])) for r in l40s} == V017_LENGTHS
    cells = {(int(r["tp"]), int(r["prompt_len"]), int(r["output_len"])) for r in a100 if r["model"] == "llama3-70b"}
    assert cells == {(tp, i, o) for tp in (2, 4, 8) for i, o in V017_LENGTHS} - {(2, 20000, 2000)}
    assert {r["id"] for r in V014 if r["role"] == "fit"} == V014_FIT
    assert all(r["role"] == "test" for r in V014 if r["id"] not in V014_FIT)
    tables = serving.serving_calibrations()
    assert set(tables["nvidia-ada"].fitted_on) == {i for i in V014_FIT if "-l40s-" in i}
    assert set(tables["nvidia-ampere"].fitted_on) == {i for i in V014_FIT if "-a100-" in i} | {"gptfast-a100-7b-tp1"}


def test_v014_rows_carry_the_trtllm_bench_heuristic_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(bench.BYTES_PER_ELEM, "fp16", 2.0)
    for r in V014:
        assert row_max_batch_size(r) == bench.trtllm_bench_limits(r)[0], r["id"]


@pytest.mark.parametrize("row", [r for r in NEW + V014 if r["id"] not in NOTED and r["role"] == "test"],
                         ids=[r["id"] for r in NEW + V014 if r["id"] not in NOTED and r["role"] == "test"])
def test_row_within_the_note_bound(row: dict[str, str]) -> None:
    error = reproduce(row, SOURCES).error
    assert error is not None and abs(error) <= ROW_NOTE_BOUND and not row["note"]


@pytest.mark.parametrize("rid", sorted(NOTED))
def test_noted_rows_are_beyond_the_bound_and_their_notes_recompute(rid: str) -> None:
    assert abs(_err(rid)) > ROW_NOTE_BOUND
    assert BY_ID[rid]["note"] == note_for(rid)


def test_the_checks_the_notes_quote() -> None:
    """What each note claims of its trial: the GEMM and KV-read trials bring the row within the bound; the v0.14
    outlier's twin is within it; the TP 8 rows stay beyond it at both of those trials, come within it with each
    kernel's roofline added (_sequential_kernels), and stay beyond it with NCCL's all-reduce."""
    amp = _ampere()
    gemm = replace(amp, decode_compute_efficiency=amp.prefill_compute_efficiency)
    kv = replace(amp, decode_bandwidth_efficiency=KV_READ_TRIAL)
    for rid in GEMM_ROWS:
        assert _err(rid) < -ROW_NOTE_BOUND and abs(_err(rid, gemm)) <= ROW_NOTE_BOUND, rid
    for rid in KV_READ_ROWS:
        assert _err(rid) > ROW_NOTE_BOUND and abs(_err(rid, kv)) <= ROW_NOTE_BOUND, rid
    assert abs(_err(V014_OUTLIER.replace("trt014-a100-l3.1-", "trt017-a100-l3-"))) <= ROW_NOTE_BOUND
    for rid in TP8_ROWS:
        assert min(_err(rid, gemm), _err(rid, kv)) > ROW_NOTE_BOUND, rid
        assert abs(_sequential_err(rid)) <= ROW_NOTE_BOUND < _nccl_err(rid), rid


def test_sequential_trial_is_the_decode_step_split_in_two() -> None:
    """The trial's arithmetic on one step by hand: trt014-a100-l3.1-70b-tp8-128-4096 at its mean context, from the
    model's own step terms (GEMMs at context 0, reads at the context): the trial step is longer than the model's by
    exactly the part of the KV reads (and attention FLOPs) the max() hid."""
    _, p = _predict_row(BY_ID["trt014-a100-l3.1-70b-tp8-128-4096"], None, None)
    st = p.decode_step
    assert st.compute_s > st.memory_s  # compute-bound: the max() hides the reads
    with _sequential_kernels():
        _, q = _predict_row(BY_ID["trt014-a100-l3.1-70b-tp8-128-4096"], None, None)
    assert q.batch == p.batch and q.decode_step.comm_s == st.comm_s
    # GEMMs (compute-bound at 352 rows) + attention (bound by its KV reads) > the overlapped step
    assert st.total_s < q.decode_step.total_s < st.total_s + st.memory_s


def test_median_of_the_new_rows() -> None:
    """Reported in the note of this work: the held-out median |error| over the 60 + 33 rows, a figure, not a bound."""
    errors = [abs(reproduce(r, SOURCES).error or 0.0) for r in NEW + V014 if r["role"] == "test"]
    assert len(errors) == 93 and statistics.median(errors) < ROW_NOTE_BOUND


def test_l40s_decode_heavy_row_by_hand() -> None:
    """trt05-l40s-7b-b16-2048-2048 recomputed from the catalog and [serving.nvidia-ada] without the model: prefill of
    the batch at 0.45 of the fp8 peak (2 FLOPs per parameter per token; attention left out: 2% here) plus one per-step
    overhead, then 2047 decode steps each reading the fp8 weights and the batch's mean KV cache at 0.675 of the memory
    bandwidth plus the 1.5 ms per-step overhead."""
    row = next(r for r in TABLES if r["id"] == "trt05-l40s-7b-b16-2048-2048")
    spec, model = get_device("l40s"), get_model("llama2-7b")
    ada = serving.calibration_for_spec(spec)
    assert (ada.family, ada.prefill_compute_efficiency, ada.decode_bandwidth_efficiency, ada.per_step_overhead_s) == (
        "nvidia-ada", 0.45, 0.675, 0.0015)
    batch, prompt, out = 16, 2048, 2048
    params = model.params_total()
    prefill_s = 2 * params * batch * prompt / (0.45 * spec.peak_flop_per_s["fp8"]) + 0.0015
    kv_bytes = batch * (prompt + out / 2) * kv_cache_bytes_per_token(model, "fp8")
    step_s = (params * 1.0 + kv_bytes) / (0.675 * spec.memory_bandwidth_byte_per_s) + 0.0015
    by_hand = batch * out / (prefill_s + (out - 1) * step_s)
    predicted = reproduce(row, SOURCES).predicted
    assert predicted is not None and abs(predicted / by_hand - 1) < 0.03
    assert round(by_hand) == 447  # published 531: -16%, inside the note bound


def test_plan_serve_on_l40s_names_its_table(capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = run_main_expect(capsys, "plan", "serve", "-m", "llama2-7b", "--hardware", "l40s", "--batch", "16",
                             "--prompt", "2048", "--output", "2048", "--weight-dtype", "fp8", "--kv-dtype", "fp8",
                             "--engine", "trtllm")
    flat = " ".join(out.split())
    assert "[serving.nvidia-ada]" in flat and "uncalibrated" not in flat
