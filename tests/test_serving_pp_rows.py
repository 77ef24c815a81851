"""The first serving rows with pipeline parallelism (srv_pp, issue 10): TensorRT-LLM v1.0's RTX PRO 6000 Blackwell
Server Edition tables (perf-overview.md at 00f37686, Llama 3.3 70B at TP1 x PP1/2/4/8 and Llama 3.1 405B at TP1 x PP8,
FP4, trtllm-bench throughput). These tests recompute every figure the runs file's block and the rows' notes quote,
and check the mechanism the rows showed: a closed loop at max load (`--batch max`, validate's max-load rows) keeps the
pipeline full, so a wave's prefill pays no pipeline fill (scheduling 'waves')."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from conftest import before_pp_host_loop, note_before_pp_host_loop, run_main

from accelopt.hardware.catalog import get_device
from accelopt.hardware.spec import AcceleratorSpec
from accelopt.predict import serving, serving_plan
from accelopt.predict.serving_validation import _predict_row, read_serving_runs, row_calibration
from accelopt.workload.presets import get_model

ROWS = {r["id"]: r for r in read_serving_runs()[0] if r["source"] == "trtllm-v10-rtx"}


@pytest.fixture(autouse=True)
def _before_pp_host_loop() -> Iterator[None]:
    """This module recomputes the figures the rows' notes quote of the model before rpphost (2026-12-06), which
    charges TensorRT-LLM's blocking PP loop per request (tests/test_serving_pp_host_loop.py has the model since)."""
    with before_pp_host_loop():
        yield
L70 = "trt10-rtx6k-l33-70b-tp1-pp{pp}-{isl}-{osl}"
L405 = "trt10-rtx6k-l31-405b-tp1-pp8-{isl}-{osl}"
PP_NOTED = tuple(L70.format(pp=pp, isl=i, osl=o) for pp, i, o in (
    (2, 128, 128), (4, 128, 128), (8, 128, 128), (4, 128, 2048), (8, 128, 2048), (8, 128, 4096), (8, 500, 2000),
    (4, 1000, 1000), (8, 1000, 1000), (8, 1000, 2000), (8, 2048, 128), (8, 2048, 2048)))
"""The 70B --pp 2-8 rows beyond 25% whose notes quote srvpp's and rtxpp2's figures (since rrtx, 2026-12-05, eight of
them with a checked reason, tests/test_serving_rtx_release12.py; the other four in UNEXPLAINED)."""


def _pred(rid: str) -> tuple[float, serving.ServingPrediction]:
    return _predict_row(ROWS[rid], None, None)


def _err_pct(rid: str) -> float:
    return 100.0 * (_pred(rid)[0] / float(ROWS[rid]["published"]) - 1.0)


def _static_err_pct(rid: str) -> float:
    """The row's error with the wave's prefill paying the pipeline fill (scheduling 'static'), as before srv_pp."""
    r = ROWS[rid]
    _, p = _pred(rid)
    spec, model = get_device(r["hardware"]), get_model(r["model"])
    q = serving.predict_serving(model, spec, tp=int(r["tp"]), pp=int(r["pp"]), batch=p.batch,
                                prompt_len=int(r["prompt_len"]), output_len=int(r["output_len"]),
                                weight_dtype=r["weight_dtype"], kv_dtype=r["kv_dtype"],
                                calibration=row_calibration(r, spec), scheduling="static")
    return 100.0 * (q.output_tokens_per_s / float(r["published"]) - 1.0)


def test_the_rows_are_the_two_tables() -> None:
    assert len(ROWS) == 46  # 10 lengths x 4 pp of the 70B table, 6 lengths of the 405B one
    assert {r["pp"] for r in ROWS.values()} == {"1", "2", "4", "8"}
    assert all(r["hardware"] == "rtx-pro-6000-server" for r in ROWS.values())
    # rpphost (2026-12-06): the 70B 1000/1000 row at --pp 2 / 4 / 8 fit [serving.default]'s pp_host_per_request_s
    fit = {L70.format(pp=pp, isl=1000, osl=1000) for pp in (2, 4, 8)}
    assert {rid for rid, r in ROWS.items() if r["role"] == "fit"} == fit
    assert all(r["role"] == "test" for rid, r in ROWS.items() if rid not in fit)
    assert float(ROWS[L70.format(pp=8, isl=128, osl=2048)]["published"]) == 9833  # the page's cell


def test_the_catalog_entry_is_the_product_page() -> None:
    d = get_device("rtx-pro-6000-server")
    assert d.memory_bandwidth_byte_per_s == 1597e9 and d.memory_bytes == 97887 * 2**20
    # the page's unlabelled 1 / 2 / 4 PFLOPS read as sparse (the Workstation datasheet's footnote), stored halved
    assert (d.peak_flop_per_s["bf16"], d.peak_flop_per_s["fp8"], d.peak_flop_per_s["fp4"]) == (500e12, 1e15, 2e15)
    assert d.scaleup_bandwidth_byte_per_s == pytest.approx(32e9 * 16 * 128 / 130 / 8, rel=1e-3)  # PCIe 5.0 x16


def test_a_max_load_wave_finds_the_pipeline_full() -> None:
    """'waves' (`--batch max`): the wave's prefill is the continuous one (no fill), not the static batch's; the
    throughput is then that of `--concurrency max` at the same batch, as serving_plan.MAX_LOAD says. At pp 1 the
    three agree."""
    model, spec = get_model("llama3-70b"), get_device("rtx-pro-6000-server")
    kw = {"tp": 1, "prompt_len": 2048, "output_len": 128, "weight_dtype": "nvfp4", "kv_dtype": "fp8", "batch": 128}
    for pp in (2, 4, 8):
        waves = serving.predict_serving(model, spec, pp=pp, scheduling="waves", **kw)
        static = serving.predict_serving(model, spec, pp=pp, scheduling="static", **kw)
        cont = serving.predict_serving(model, spec, pp=pp, scheduling="continuous", **kw)
        assert waves.prefill.total_s == pytest.approx(cont.prefill.total_s, rel=1e-12)
        assert static.prefill.total_s > 1.3 * waves.prefill.total_s  # the fill: pp + m - 1 stage times, not m
        assert waves.output_tokens_per_s == pytest.approx(cont.output_tokens_per_s, rel=1e-12)
        assert waves.ttft_s == pytest.approx(waves.prefill.total_s)  # still a static wave: TTFT holds the prefill
    one = {s: serving.predict_serving(model, spec, pp=1, scheduling=s, **kw) for s in ("waves", "static")}
    assert one["waves"].output_tokens_per_s == one["static"].output_tokens_per_s


def test_batch_max_runs_in_waves(capsys: pytest.CaptureFixture[str]) -> None:
    r = ROWS[L70.format(pp=2, isl=2048, osl=128)]
    code, out, err = run_main(["plan", "serve", "--model", r["model"], "--hardware", r["hardware"], "--pp", "2",
                               "--prompt", "2048", "--output", "128", "--weight-dtype", "nvfp4", "--kv-dtype", "fp8",
                               "--engine", "trtllm", "--max-batch-size", r["max_batch_size"], "--batch", "max",
                               "--json"], capsys)
    assert code == 0, err
    point = json.loads(out)["results"][0]["points"][0]
    assert point["scheduling"] == "waves"
    assert point["output_tokens_per_s"] == pytest.approx(_pred(r["id"])[0], rel=1e-12)


def test_the_blocks_before_and_after_figures() -> None:
    """The runs-file block: the prefill-heavy --pp > 1 rows were -18% to -42% with the fill (beside -10% to +1% at
    --pp 1); now 2048/128 -1% / +6% / +26% at --pp 2 / 4 / 8 and the 405B's -2%."""
    heavy = [L70.format(pp=pp, isl=i, osl=o) for pp in (2, 4, 8) for i, o in ((2048, 128), (5000, 500), (20000, 2000))]
    heavy.append(L405.format(isl=2048, osl=128))
    before = [_static_err_pct(rid) for rid in heavy]
    assert round(max(before)) == -18 and round(min(before)) == -42
    assert [round(_static_err_pct(L70.format(pp=pp, isl=2048, osl=128))) for pp in (2, 4, 8)] == [-29, -33, -25]
    pp1 = [_err_pct(L70.format(pp=1, isl=i, osl=o)) for i, o in ((2048, 128), (5000, 500), (20000, 2000))]
    assert round(min(pp1)) == -10 and round(max(pp1)) == 1
    assert [round(_err_pct(L70.format(pp=pp, isl=2048, osl=128))) for pp in (2, 4, 8)] == [-1, 6, 26]
    assert round(_err_pct(L405.format(isl=2048, osl=128))) == -2


def test_the_unexplained_notes_figures() -> None:
    """The figures the rows' notes and their UNEXPLAINED entry quote."""
    rid = {pp: L70.format(pp=pp, isl=128, osl=2048) for pp in (1, 2, 4, 8)}
    pub = {pp: float(ROWS[r]["published"]) for pp, r in rid.items()}
    model = {pp: _pred(r) for pp, r in rid.items()}
    assert [round(pub[pp] / pub[1], 2) for pp in (2, 4, 8)] == [2.06, 3.27, 4.06]
    assert [round(model[pp][0] / model[1][0], 2) for pp in (2, 4, 8)] == [2.31, 4.66, 8.76]
    assert (model[1][1].batch, model[8][1].batch) == (146, 1873)
    others405 = [_err_pct(L405.format(isl=i, osl=o)) for i, o in ((128, 2048), (1000, 1000), (1000, 2000),
                                                                  (2048, 128), (2048, 2048))]
    assert round(min(others405)) == -2 and round(max(others405)) == 11
    p405 = _pred(L405.format(isl=128, osl=128))[1]
    assert p405.batch == 4096 and p405.batch // p405.pp_microbatches == 512
    pp1 = [_err_pct(L70.format(pp=1, isl=i, osl=o)) for i, o in ((128, 2048), (128, 4096), (500, 2000), (1000, 1000),
                                                                 (1000, 2000), (2048, 128), (2048, 2048), (5000, 500),
                                                                 (20000, 2000))]
    assert round(min(pp1)) == -12 and round(max(pp1)) == 1
    assert _pred(L70.format(pp=1, isl=128, osl=128))[1].batch == 1230
    from test_row_notes_checked import LEFT_UNEXPLAINED, UNEXPLAINED
    UNEXPLAINED = {**UNEXPLAINED, **LEFT_UNEXPLAINED}  # as the notes were written (rpphost: one row left)

    for r in ROWS.values():  # every row beyond 25% says it is not explained or checked (rrtx, rtrt), and only those
        beyond = abs(_err_pct(r["id"])) > 25.0
        said = (("not explained (tests/test_row_notes_checked.py UNEXPLAINED)",) if r["id"] in UNEXPLAINED
                else ("checked (rrtx, 2026-12-05)", "checked (rtrt, 2026-12-05)"))
        assert beyond == note_before_pp_host_loop(r["note"]).startswith(said), r["id"]


def _err_pct_cap_in_all(rid: str) -> float:
    """The row with its max_batch_size capping the requests in flight in all, not per micro-batch (vLLM's rule,
    serving.ENGINES), as `validate` predicts a max-load row otherwise (serving_validation._predict_row)."""
    r = ROWS[rid]
    spec, model = get_device(r["hardware"]), get_model(r["model"])
    cal = replace(row_calibration(r, spec), max_batch_size_per_microbatch=False)
    common = {"tp": int(r["tp"]), "pp": int(r["pp"]), "prompt_len": int(r["prompt_len"]),
              "output_len": int(r["output_len"]), "weight_dtype": r["weight_dtype"], "kv_dtype": r["kv_dtype"],
              "calibration": cal}
    batch = serving.max_load_concurrency(model, spec, **common)
    p = serving.predict_serving(model, spec, batch=max(batch, 1), scheduling="waves", **common)
    return 100.0 * (p.output_tokens_per_s / float(r["published"]) - 1.0)


def test_a_cap_in_all_is_ruled_out() -> None:
    """srvpp (2026-12-05): the rows grow with --pp less than the model; a cap on the requests in flight that does not
    grow with --pp is ruled out. trtllm-bench's heuristic sizes max_batch_size per micro-batch (tuning.py
    finetune_setting: raw_bs = min(kv_cache_max_requests, 4096) / pp_size; the runs file's max_batch_size header), and
    the PyExecutor admits max_batch_size x pp (serving.ENGINES' batch_cap_per_microbatch). Read as a cap in all
    instead, the table misses by far more; the figures the UNEXPLAINED reasons and the rows' notes quote."""
    from test_row_notes_checked import LEFT_UNEXPLAINED, UNEXPLAINED
    UNEXPLAINED = {**UNEXPLAINED, **LEFT_UNEXPLAINED}  # as the notes were written (rpphost: one row left)

    assert serving.ENGINES["trtllm"].batch_cap_per_microbatch is True  # what validate runs these rows with
    now = {rid: _err_pct(rid) for rid in ROWS}
    in_all = {rid: _err_pct_cap_in_all(rid) for rid in ROWS}
    assert all(in_all[rid] == pytest.approx(now[rid], rel=1e-12) for rid, r in ROWS.items() if r["pp"] == "1")
    med_now, med_in_all = (float(np.median([abs(e) for e in d.values()])) for d in (now, in_all))
    l405 = [in_all[rid] for rid in ROWS if rid.startswith(L405.format(isl="", osl="")[:-1])]
    figures = (f"so capped, this table's 46 rows go from a {med_now:.1f}% to a {med_in_all:.1f}% median |error| and "
               f"the 405B --pp 8 rows to {round(max(l405))}% to {round(min(l405))}%")
    assert len(l405) == 6 and med_in_all > 2 * med_now  # the cap in all is far worse, not a near miss
    for rid in PP_NOTED:
        assert figures in " ".join(ROWS[rid]["note"].split()), rid
        assert rid not in UNEXPLAINED or figures.replace("this table's", "the table's") in UNEXPLAINED[rid], rid
    r405 = L405.format(isl=128, osl=128)
    said = f"a max_batch_size of 512 in all rather than per micro-batch predicts it at {in_all[r405]:.1f}%"
    assert ROWS[r405]["max_batch_size"] == "512" and (r405 not in UNEXPLAINED or said in UNEXPLAINED[r405])
    assert said.replace("predicts it", "predicts this row") in ROWS[r405]["note"]


def test_the_pp_help_names_the_rows_that_check_it(capsys: pytest.CaptureFixture[str]) -> None:
    """`plan serve --help` said of --pp 'No published serving run with --pp > 1 validates it' after srv_pp added the
    46 TensorRT-LLM v1.0 rows, 36 of them at --pp 2-8 (the result's note already named them): the help now names the
    rows and what they show."""
    assert sum(int(r["pp"]) > 1 for r in ROWS.values()) == 36
    code, out, _ = run_main(["plan", "serve", "--help"], capsys)
    text = " ".join(out.replace("│", " ").split())
    assert code == 0
    assert "No published serving run with --pp > 1" not in text
    assert "Checked by `validate --serving`'s --pp 2-8 rows" in text


def test_what_the_pp_note_says_of_the_rows_holds() -> None:
    """The --pp note (serving_plan.pp_stages_note), README and `plan serve --help` said the pp > 1 rows 'are within 25%
    where prompts are long', while the 70B rows at --pp 8 with 2,048-token prompts are +26% and +34%. The claims now
    name the lengths, and are checked against the rows: within 25% at 5,000+ tokens; at 2,048 tokens at most +34%;
    at --pp 4-8 with 1,000 tokens or fewer every row's published throughput is below the prediction, the furthest
    by 2.5-3x (2.7x)."""
    pp_rows = [rid for rid, r in ROWS.items() if int(r["pp"]) > 1]
    errs = {rid: _err_pct(rid) for rid in pp_rows}
    long_rows = [rid for rid in pp_rows if int(ROWS[rid]["prompt_len"]) >= 5000]
    assert len(long_rows) == 6 and all(abs(errs[rid]) <= 25.0 for rid in long_rows)
    at_2048 = [errs[rid] for rid in pp_rows if ROWS[rid]["prompt_len"] == "2048"]
    assert len(at_2048) == 8 and 25.0 < max(at_2048) <= 34.5
    short = [errs[rid] for rid in pp_rows if int(ROWS[rid]["pp"]) >= 4 and int(ROWS[rid]["prompt_len"]) <= 1000]
    assert len(short) == 16 and min(short) > 0 and 2.5 <= 1 + max(short) / 100 <= 3.0
    note = serving_plan.pp_stages_note(serving_plan.ServeOptions(model="llama3-70b", pp=8), get_model("llama3-70b"))
    assert note is not None and "where prompts are long" not in note
    assert "within 25% at prompts of 5,000 tokens or more (at 2,048 tokens up to +34%, at --pp 8)" in note
    assert "by up to 2.7x" in note
    # rrtx (2026-12-05): the release-1.2 claim, recomputed (tests/test_serving_rtx_release12.py)
    from test_serving_rtx_release12 import _release_12_errors, release_ratio

    rel12 = _release_12_errors().values()
    claim = (f"with the charge, {100 * min(rel12):+.0f}% to {100 * max(rel12):+.0f}% without (its table delivers "
             f"x{release_ratio(4):.2f} / x{release_ratio(8):.2f} v1.0's throughput at --pp 4 / 8 at 1,000-token "
             "prompts)")
    assert claim in note  # these figures are of the model without the PP host loop's charge (this module's fixture)
    assert "without that charge (another --engine) they are within 25% at prompts of 5,000" in note


def _with_engine_step_overhead(monkeypatch: pytest.MonkeyPatch, overhead_s: float, in_full: bool) -> None:
    """The RTX PRO 6000 (on the unfitted [serving.default], per_step_overhead_s 0) given a per-step host overhead of
    `overhead_s`; `in_full`: each pipeline stage pays it in full per micro-batch (every rank runs the executor's whole
    host loop for each micro-batch) instead of its layers' share (_busiest_stage)."""
    cal_for, busiest = serving.calibration_for_spec, serving._busiest_stage

    def calibration_for_spec(spec: AcceleratorSpec,
                             calibration: serving.ServingCalibration = serving.DEFAULT_CALIBRATION,
                             path: str | None = None, engine: str | None = None) -> serving.ServingCalibration:
        cal = cal_for(spec, calibration, path, engine=engine)
        return replace(cal, per_step_overhead_s=overhead_s) if spec.name == "rtx-pro-6000-server" else cal

    def busiest_stage(s: Any, one: serving.PhaseTime, ends: Any) -> serving._StageShare:
        share = busiest(s, one, ends)
        return serving._StageShare(share.roof, 1.0) if s.pp > 1 else share

    monkeypatch.setattr(serving, "calibration_for_spec", calibration_for_spec)
    if in_full:
        monkeypatch.setattr(serving, "_busiest_stage", busiest_stage)


def _table_figures(errs: dict[str, float]) -> tuple[float, int]:
    """(median |error| %, rows beyond 25%) of the 46 rows."""
    a = [abs(e) for e in errs.values()]
    return float(np.median(a)), sum(e > 25.0 for e in a)


def test_the_engines_step_overhead_is_ruled_out(monkeypatch: pytest.MonkeyPatch) -> None:
    """rtxpp2 (2026-12-05): the rows grow with --pp less than the model, and TensorRT-LLM v1.0's PP executor runs its
    whole host loop on every rank once per micro-batch (PyExecutor._executor_loop_pp: fetch, _schedule,
    prepare_resources, forward, _update_requests, _handle_responses, read in a stored py_executor.py of the v1.0
    era, public code index id 736889464, its Stage 1 / 2 / 3 comments; the v1.0 tag is not stored; PR #3878, merged
    May 2025, kept one micro-batch per stage and says the new tokens' return from the last rank is not hidden; PR
    #10349, merged January 2026, says the loop before it waits for each micro-batch's sample state, so the last rank
    blocks rank 0's loop when the ranks' forward steps are uneven). The per-step overhead of the fitted TensorRT-LLM
    v1.0 tables is that host loop's (calibration.toml: [serving.nvidia-blackwell] carries [serving.nvidia-hopper]'s
    as the engine's), while this device is on [serving.default] (0). Carried here, charged as now or in full per
    micro-batch, it does not explain the rows and the full charge makes the serving held-out median worse: the
    figures the rows' notes and the UNEXPLAINED reasons quote."""
    from test_row_notes_checked import LEFT_UNEXPLAINED, UNEXPLAINED
    UNEXPLAINED = {**UNEXPLAINED, **LEFT_UNEXPLAINED}  # as the notes were written (rpphost: one row left)

    from accelopt.predict import serving_validation

    over = serving.serving_calibrations()["nvidia-blackwell"].per_step_overhead_s
    own = serving.calibration_for_spec(get_device("rtx-pro-6000-server"))
    assert over == 0.0045 and own.family == "default" and own.per_step_overhead_s == 0.0
    held_out_now = serving_validation.validate_serving().median_abs_error_held_out
    now = {rid: _err_pct(rid) for rid in ROWS}
    pp1 = [rid for rid, r in ROWS.items() if r["pp"] == "1"]

    def pp1_loss(overhead_s: float) -> float:  # mean |log(predicted / published)| of the 10 --pp 1 rows
        _with_engine_step_overhead(monkeypatch, overhead_s, in_full=False)
        loss = float(np.mean([abs(np.log(_pred(rid)[0] / float(ROWS[rid]["published"]))) for rid in pp1]))
        monkeypatch.undo()
        return loss

    losses = [pp1_loss(k * 0.00025) for k in range(19)]  # 0 .. 4.5 ms, step 0.25 ms
    assert len(pp1) == 10 and all(b > a for a, b in itertools.pairwise(losses))  # best at 0 ms: nothing to carry

    runs: dict[bool, dict[str, float]] = {}
    held_out: dict[bool, float] = {}
    cycles: list[float] = []
    for in_full in (False, True):
        _with_engine_step_overhead(monkeypatch, over, in_full)
        report = serving_validation._validate_serving(None, None)
        runs[in_full] = {r.id: 100.0 * r.error for r in report.runs if r.id in ROWS and r.error is not None}
        held_out[in_full] = report.median_abs_error_held_out
        if not in_full:  # a host loop overlapping the device work: bound m x overhead a cycle
            cycles = [p.decode_step.total_s / (p.pp_microbatches * over)
                      for p in (_pred(rid)[1] for rid, r in ROWS.items() if r["pp"] != "1")]
        monkeypatch.undo()
    assert len(runs[True]) == 46 and len(cycles) == 36
    assert held_out[True] > held_out_now  # not adoptable: the serving held-out median gets worse
    (med_now, beyond_now), (med_share, _) = _table_figures(now), _table_figures(runs[False])
    med_full, beyond_full = _table_figures(runs[True])
    row = {(isl, osl): L70.format(pp=8, isl=isl, osl=osl) for isl, osl in ((128, 128), (128, 2048), (20000, 2000))}
    figures = (f"Ruled out (rtxpp2, 2026-12-05): the engine's per-step host overhead, [serving.nvidia-blackwell]'s "
               f"{over * 1e3:.1f} ms (carried from the H100 fit, TensorRT-LLM v1.0 and v0.5 rows), carried to this "
               f"device: charged as now (the busiest stage's layer share per micro-batch) the 46 rows go from a "
               f"{med_now:.1f}% to a {med_share:.1f}% median |error|; charged in full per micro-batch (every rank "
               f"runs PyExecutor._executor_loop_pp's whole host loop for each micro-batch; PR #3878, PR #10349) "
               f"{med_full:.1f}% and {beyond_now} -> {beyond_full} rows beyond 25%, but --pp 8 128/128 stays at "
               f"{runs[True][row[128, 128]]:+.0f}% and 128/2048 at {runs[True][row[128, 2048]]:+.0f}% while "
               f"20000/2000 goes from {now[row[20000, 2000]]:+.0f}% to {runs[True][row[20000, 2000]]:+.0f}%, and the "
               f"serving held-out median gets worse; a host loop that overlaps the device work (m x {over * 1e3:.1f} "
               f"ms a cycle) binds on none of the 36 --pp rows (decode cycles {min(cycles):.1f}x that or more); the "
               f"--pp 1 rows alone fit best at 0 ms (mean |log error| {losses[0]:.3f}, {losses[-1]:.3f} at "
               f"{over * 1e3:.1f} ms)")
    for rid in PP_NOTED:
        assert figures in " ".join(ROWS[rid]["note"].split()), rid
        assert rid not in UNEXPLAINED or figures in UNEXPLAINED[rid], rid
    r405, r1 = L405.format(isl=128, osl=128), L70.format(pp=1, isl=128, osl=128)
    carried = f"[serving.nvidia-blackwell]'s {over * 1e3:.1f} ms per-step overhead carried to this device"
    said = {r405: f"{carried} and charged in full per micro-batch leaves it at {runs[True][r405]:+.1f}%",
            r1: f"{carried} leaves it at {runs[False][r1]:+.1f}%"}
    for rid, text in said.items():
        assert abs(runs[True][rid]) > 25.0 and abs(runs[False][rid]) > 25.0  # still beyond 25% either way
        assert text in ROWS[rid]["note"], rid
        assert rid not in UNEXPLAINED or text in " ".join(UNEXPLAINED[rid].split()), rid


def test_the_time_missing_at_128_128_does_not_scale_with_the_model() -> None:
    """rtxpp2 (2026-12-05): at 128/128 the rows hold the most requests in flight (1230 at --pp 1, 3330 at --pp 2,
    trtllm-bench's cap of 4096 at --pp 4 and 8, in both models), and the time missing per output token, 1/published
    - 1/predicted, is about the same at every --pp > 1 and in both models, while the model's own time per output
    token there differs 5.5x between the 70B and the 405B at --pp 8: a cost added per request-token, not a rate of
    the device work; the figures the rows' notes and the UNEXPLAINED reasons quote."""
    from test_row_notes_checked import LEFT_UNEXPLAINED, UNEXPLAINED
    UNEXPLAINED = {**UNEXPLAINED, **LEFT_UNEXPLAINED}  # as the notes were written (rpphost: one row left)

    ids = {**{pp: L70.format(pp=pp, isl=128, osl=128) for pp in (1, 2, 4, 8)}, 405: L405.format(isl=128, osl=128)}
    pred = {k: _pred(rid)[0] for k, rid in ids.items()}
    missing = {k: 1e6 * (1.0 / float(ROWS[rid]["published"]) - 1.0 / pred[k]) for k, rid in ids.items()}
    own = {k: 1e6 / pred[k] for k in ids}
    assert _pred(ids[8])[1].batch == _pred(ids[405])[1].batch == 4096
    pp_gt_1 = [missing[k] for k in (2, 4, 8, 405)]
    assert max(pp_gt_1) - min(pp_gt_1) < 0.25 * min(pp_gt_1)  # within a quarter of each other
    assert own[405] / own[8] > 5.0  # ... where the model's device work per token differs 5x
    figures = (f"Seen (rtxpp2, 2026-12-05): at 128/128 the time missing per output token (1/published - 1/predicted) "
               f"is {min(pp_gt_1):.0f}-{max(pp_gt_1):.0f} us at --pp 2 / 4 / 8 and in both models (70B "
               f"{missing[2]:.0f} / {missing[4]:.0f} / {missing[8]:.0f} us, 405B --pp 8 {missing[405]:.0f} us; 70B "
               f"--pp 1 {missing[1]:.0f} us), while the model's own time per output token there ranges "
               f"{min(own.values()):.0f}-{max(own.values()):.0f} us (the 405B's {own[405] / own[8]:.1f}x the 70B's "
               f"at --pp 8): a cost added per request-token that does not scale with the model's device work, like a "
               f"host cost per request of the executor's loop; no source sizes it")
    assert [_pred(ids[k])[1].batch for k in (1, 2, 4)] == [1230, 3330, 4096]
    for rid in PP_NOTED:
        assert figures in " ".join(ROWS[rid]["note"].split()), rid
        assert rid not in UNEXPLAINED or figures in UNEXPLAINED[rid], rid


# rl4 (2026-12-06): a host cost per request and step, sized only in later builds of the engine on other hosts
PR16564_BUBBLE_S, PR16564_REQUESTS = 8.8e-3, 256  # GB200 gen workers, gpt-oss-120b: the per-iteration bubble
PR11983_SAMPLING_S, PR11983_BATCH = 13.8e-3, 1000  # L40S, Llama-3.2-1B, logprobs=0: sampling host time, before the PR
H200_8B_128 = "trt10-h200-l3-8b-tp1-128-128"  # the engine's non-PP loop, one H200, the same page


def _additive_errs(h_s: float, pred: dict[str, float]) -> dict[str, float]:
    """Each row's error (%) with h_s charged per output token on the --pp 2-8 rows: 1/T = 1/T_model + h_s."""
    return {rid: 100.0 * ((1.0 / (1.0 / p + h_s) if int(ROWS[rid]["pp"]) > 1 else p) / float(ROWS[rid]["published"])
                          - 1.0) for rid, p in pred.items()}


def additive_host_sentence() -> str:
    """The sentence the 128/128 --pp 8 row's note and UNEXPLAINED reason carry (rl4, 2026-12-06)."""
    from test_serving_rtx_release12 import _err_at_engine_decode_rate

    h8b_row = next(r for r in read_serving_runs()[0] if r["id"] == H200_8B_128)
    h8b_us, m8b_us = 1e6 / float(h8b_row["published"]), 1e6 / _predict_row(h8b_row, None, None)[0]
    h_s = PR16564_BUBBLE_S / PR16564_REQUESTS
    rid = L70.format(pp=8, isl=128, osl=128)
    pred = {r: _pred(r)[0] for r in ROWS}
    before, after = _table_figures(_additive_errs(0.0, pred)), _table_figures(_additive_errs(h_s, pred))
    pub = float(ROWS[rid]["published"])
    at_rate = pub * (1.0 + _err_at_engine_decode_rate(rid))
    e_rate = 100.0 * (1.0 / (1.0 / at_rate + h_s) / pub - 1.0)
    return (f"Examined (rl4, 2026-12-06): a cost per request and step of the host loop, the form rtxpp2 saw, "
            f"charged additively per output token (1/T = 1/T_model + h) on the --pp 2-8 rows only: the engine's "
            f"non-PP loop exposes no such cost of 44 us or more on the H200 host ({H200_8B_128} takes "
            f"{h8b_us:.1f} us per output token in all, the model {m8b_us:.1f} us of device work), while PR #10349 "
            f"says the PP loop before it waits on each micro-batch's sample state. Sized only in later builds on "
            f"other hosts: PR #16564 (2026-07, GB200, gpt-oss-120b generation workers) a per-iteration bubble of "
            f"about {PR16564_BUBBLE_S * 1e3:.1f} ms at {PR16564_REQUESTS} requests, dominated by "
            f"TorchSampler.update_requests' per-request loop, {h_s * 1e6:.1f} us a request at most; PR #11983 "
            f"(2026-03, L40S, batch {PR11983_BATCH}) {PR11983_SAMPLING_S * 1e3:.1f} ms of sampling host time, "
            f"{PR11983_SAMPLING_S / PR11983_BATCH * 1e6:.1f} us a request. At {h_s * 1e6:.1f} us this row is at "
            f"{_additive_errs(h_s, pred)[rid]:+.1f}% ({e_rate:+.1f}% with the decode rate 0.35), and the table's "
            f"{len(pred)} rows go from a {before[0]:.1f}% to a {after[0]:.1f}% median |error|, {before[1]} -> "
            f"{after[1]} beyond 25%; not adopted: the size is another build's on another host and model, and that "
            f"v1.0's PP loop exposes it in full is not established")


def test_a_host_cost_per_request_on_the_pp_rows_is_seen_not_sized() -> None:
    """rl4 (2026-12-06): the 128/128 --pp 8 row, the one the release ratio, the engine's decode rate and the finite
    dataset together leave beyond 25%: a host cost per request and step, charged per output token on the --pp rows
    only (the engine's own non-PP H200 row bounds what its overlapped loop can expose), at the size later builds
    measured (PR #16564, PR #11983), a what-if: the figures its note and UNEXPLAINED reason quote."""
    from test_row_notes_checked import LEFT_UNEXPLAINED, UNEXPLAINED
    UNEXPLAINED = {**UNEXPLAINED, **LEFT_UNEXPLAINED}  # as the notes were written (rpphost: one row left)

    rid = L70.format(pp=8, isl=128, osl=128)
    sentence = additive_host_sentence()
    assert sentence in " ".join(ROWS[rid]["note"].split()) and sentence in UNEXPLAINED[rid]
    h8b_row = next(r for r in read_serving_runs()[0] if r["id"] == H200_8B_128)
    assert 1e6 / float(h8b_row["published"]) < 44.0  # below the 44-54 us the --pp 2-8 rows miss at 128/128
    pred = {r: _pred(r)[0] for r in ROWS}
    errs = _additive_errs(PR16564_BUBBLE_S / PR16564_REQUESTS, pred)
    assert errs[rid] > 25.0  # the row stays beyond 25% at the sourced size: no checked reason
    assert _table_figures(errs)[0] < _table_figures(_additive_errs(0.0, pred))[0]
