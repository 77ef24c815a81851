"""rpphost (issue 10, 2026-12-06): TensorRT-LLM's blocking pipeline-parallel loop as a declared, fitted serving cell.

The engine's PyExecutor._executor_loop_pp of the 1.0 - 1.2 releases (NVIDIA/TensorRT-LLM tensorrt_llm/_torch/
pyexecutor/py_executor.py, read in two stored versions around the 1.0 release, code index ids 643520330 and
736889464) keeps num_micro_batches = pp_size (PR #3878 removed the spare micro-batch that hid the host work), and each
iteration launches one micro-batch's forward, then blocks on the previous one's sample state (the last rank on
sampler_event.synchronize(), the others on dist.recv_object), then runs _update_requests and _handle_responses (a loop
over every active request) and _schedule (over the active requests) before that micro-batch's next forward. So the
host work on the path back to the first stage grows with the requests in flight and no other micro-batch hides it: a
round takes the devices' cycle + h x requests, h per output token. PR #10349 (merged 2026-02-10, after release 1.2)
replaced the loop. The code gives the form; h is fitted ([serving.default] pp_host_per_request_s, the rule declared
in calibration.toml before the fit: the 70B 1000/1000 rows at --pp 2 / 4 / 8 of trtllm-v10-rtx, a grid of 0 - 100 us).
These tests recompute the fit, the figures the notes and notes/rpphost.md quote, and that `plan serve` and validate
charge it alike and only where the rule says (--engine trtllm, --pp > 1)."""

from __future__ import annotations

import json
import statistics
from dataclasses import replace

import pytest
from conftest import before_pp_host_loop, run_main

from accelopt.predict import serving
from accelopt.predict.serving_validation import _predict_row, fit_serving, read_serving_runs

ROWS = {r["id"]: r for r in read_serving_runs()[0] if r["source"] == "trtllm-v10-rtx"}
FIT = tuple(f"trt10-rtx6k-l33-70b-tp1-pp{pp}-1000-1000" for pp in (2, 4, 8))
GRID = [i * 1e-6 for i in range(101)]  # the declared grid: 0 to 100 us a request, step 1 us
H_S = 41e-6  # the fitted value, [serving.default] pp_host_per_request_s
ROW_128 = "trt10-rtx6k-l33-70b-tp1-pp8-128-128"  # the row the cell was looked for (UNEXPLAINED until rpphost)


def _err_pct(rid: str) -> float:
    return 100.0 * (_predict_row(ROWS[rid], None, None)[0] / float(ROWS[rid]["published"]) - 1.0)


def _errs() -> dict[str, float]:
    return {rid: _err_pct(rid) for rid in ROWS}


def _errs_before() -> dict[str, float]:
    with before_pp_host_loop():
        return _errs()


def _figures(errs: dict[str, float], ids: list[str]) -> tuple[float, int, int]:
    """(median |error| %, rows within 6%, rows beyond 25%) of `ids`."""
    a = [abs(errs[i]) for i in ids]
    return statistics.median(a), sum(x <= 6.0 for x in a), sum(x > 25.0 for x in a)


def now_sentence(rid: str) -> str:
    """The sentence each moved --pp row's note opens with (the model since rpphost)."""
    return (f"Now (rpphost, 2026-12-06) at {_err_pct(rid):+.1f}%: TensorRT-LLM v1.0's blocking PP loop charged, "
            f"pp_host_per_request_s {H_S * 1e6:g} us a request in flight and round ([serving.default], fitted on the "
            "70B 1000/1000 rows at --pp 2 / 4 / 8; tests/test_serving_pp_host_loop.py); what follows is of the model "
            "before it.")


def test_the_fit_is_the_declared_rule() -> None:
    cal = serving.serving_calibrations()["default"]
    assert cal.fitted_on == FIT and not cal.fitted  # [serving.default] stays 'uncalibrated' for its devices
    assert cal.pp_host_per_request_s == H_S
    assert all(ROWS[rid]["role"] == "fit" for rid in FIT)
    best, loss = fit_serving("default", {"pp_host_per_request_s": GRID}, start=replace(cal, pp_host_per_request_s=0.0),
                             rounds=1)
    assert best.pp_host_per_request_s == pytest.approx(H_S) and 0 < H_S < GRID[-1]  # interior of the grid
    start = fit_serving("default", {"pp_host_per_request_s": [0.0]}, start=replace(cal, pp_host_per_request_s=0.0),
                        rounds=1)[1]
    assert (round(start, 3), round(loss, 3)) == (0.296, 0.082)  # the figures calibration.toml quotes


def test_the_pp_rows_before_and_after() -> None:
    """The 43 held-out --pp 2-8 rows (46 - the 3 fit rows) and the 10 --pp 1 rows, before and after (notes/rpphost.md).
    """
    before, after = _errs_before(), _errs()
    held = [rid for rid, r in ROWS.items() if r["role"] == "test" and int(r["pp"]) > 1]
    assert len(held) == 33
    fb, fa = _figures(before, held), _figures(after, held)
    assert (round(fb[0], 1), fb[1], fb[2]) == (11.2, 6, 11)
    assert (round(fa[0], 1), fa[1], fa[2]) == (5.6, 17, 0)
    every = list(ROWS)  # the two tables' 46 rows, the fit ones and --pp 1 among them
    tb, ta = _figures(before, every), _figures(after, every)
    assert (round(tb[0], 1), tb[2], round(ta[0], 1), ta[2]) == (10.4, 14, 6.4, 1)  # the 1: --pp 1 128/128
    assert max(abs(after[rid]) for rid in ROWS if int(ROWS[rid]["pp"]) > 1) < 25.0  # every --pp row, fit ones too
    assert all(after[rid] == before[rid] for rid in ROWS if ROWS[rid]["pp"] == "1")  # no PP loop at --pp 1
    assert round(before[ROW_128], 1) == 174.0 and round(after[ROW_128], 1) == 17.4


def test_the_row_left_unexplained() -> None:
    from test_row_notes_checked import LEFT_UNEXPLAINED, UNEXPLAINED

    assert ROW_128 not in UNEXPLAINED and ROW_128 in LEFT_UNEXPLAINED
    assert abs(_err_pct(ROW_128)) < 25.0


def test_every_moved_note_opens_with_its_figure_now() -> None:
    """A --pp row whose note quotes the model before rpphost says first where it is now."""
    for rid, r in ROWS.items():
        if int(r["pp"]) > 1 and r["note"]:
            assert r["note"].startswith(now_sentence(rid)), rid


def test_release_12_cells_with_the_loop_charged() -> None:
    """Release 1.2 still ran the blocking loop (PR #10349 came after it), but its table (the same benchmark on the
    same device, with NUMA-aware CPU affinity, PR #8805) is faster at --pp 4 / 8: charged the v1.0 fit, its cells
    move from -10% .. +17% to -26% .. -1%: 1024/1024 at --pp 8 beyond 25% (-26.4%), a sign that h is the v1.0
    host's and setup's (notes/rpphost.md)."""
    from test_serving_rtx_release12 import _release_12_errors

    with before_pp_host_loop():
        before = _release_12_errors()
    after = _release_12_errors()
    lo_b, hi_b = min(before.values()), max(before.values())
    lo_a, hi_a = min(after.values()), max(after.values())
    assert (round(100 * lo_b), round(100 * hi_b)) == (-10, 17)
    assert (round(100 * lo_a), round(100 * hi_a)) == RELEASE_12_AFTER


RELEASE_12_AFTER = (-26, -1)  # 1024/1024 at --pp 8 -26.4%, the one cell beyond 25%


@pytest.mark.parametrize(("engine", "pp", "charged"), [("trtllm", 2, True), ("trtllm", 1, False),
                                                      ("vllm", 2, False)])
def test_plan_serve_charges_it_where_the_rule_says(capsys: pytest.CaptureFixture[str], engine: str, pp: int,
                                                    charged: bool) -> None:
    code, out, err = run_main(["plan", "serve", "--model", "llama3-70b", "--hardware", "rtx-pro-6000-server",
                               "--pp", str(pp), "--prompt", "1000", "--output", "1000", "--weight-dtype", "nvfp4",
                               "--kv-dtype", "fp8", "--engine", engine, "--batch", "64", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    # 17: calibration.derived_from, ... (rmi355); 18: token_buckets (rtrn4); 19-21: this session's branches (peng's
    # calibration.engine / engine_fitted_on, rt4's decode_weight_rate, pvar's lengths_run; test_schema_versions.py)
    assert doc["schema_version"] == 21
    point = doc["results"][0]["points"][0]
    assert point["calibration"]["pp_host_loop"] is (engine == "trtllm")
    assert point["calibration"]["pp_host_per_request_s"] == H_S
    assert point["pp_host_round_s"] == pytest.approx(H_S * 64 if charged else 0.0)
    code, out, err = run_main(["plan", "serve", "--model", "llama3-70b", "--hardware", "rtx-pro-6000-server",
                               "--pp", str(pp), "--prompt", "1000", "--output", "1000", "--weight-dtype", "nvfp4",
                               "--kv-dtype", "fp8", "--engine", engine, "--batch", "64"], capsys)
    assert code == 0, err
    said = "pipeline host loop 2.624 ms a round: pp_host_per_request_s 41 us x 64 requests in flight"
    assert (said in " ".join(out.split())) is charged


def test_the_round_is_added_to_the_devices_cycle() -> None:
    """tpot = the devices' decode cycle + h x batch; the first token and the throughput carry it once a round."""
    from accelopt.hardware.catalog import get_device
    from accelopt.workload.presets import get_model

    model, spec = get_model("llama3-70b"), get_device("rtx-pro-6000-server")
    cal = serving.engine_calibration(spec, pp_host_loop=True)
    kw = {"tp": 1, "pp": 4, "batch": 256, "prompt_len": 1000, "output_len": 1000, "weight_dtype": "nvfp4",
          "kv_dtype": "fp8", "scheduling": "waves"}
    on = serving.predict_serving(model, spec, calibration=cal, **kw)
    off = serving.predict_serving(model, spec, calibration=replace(cal, pp_host_loop=False), **kw)
    h = H_S * 256
    assert on.pp_host_round_s == pytest.approx(h) and off.pp_host_round_s == 0.0
    assert on.tpot_s == pytest.approx(off.tpot_s + h) and on.ttft_s == pytest.approx(off.ttft_s + h)
    assert on.decode_step == off.decode_step  # the devices' step is not the host's
    # 1 / throughput per output token grows by h x batch per round over batch tokens: h (x output / output)
    assert 1 / on.output_tokens_per_s == pytest.approx(1 / off.output_tokens_per_s + H_S, rel=1e-9)


def test_validate_says_it_once_for_the_rows_it_concerns() -> None:
    """validate's report carries plan serve's line, without a round's figure, once, naming the --pp rows."""
    from accelopt.predict.serving_validation import validate_serving

    lines = [w for w in validate_serving().input_warnings if w.startswith("rtx-pro-6000-server: pipeline host loop: ")]
    assert len(lines) == 1
    assert "pp_host_per_request_s 41 us x the requests in flight a round" in lines[0]
    assert "46 serving run" not in lines[0] and "36 serving run(s)" in lines[0]  # the --pp 2-8 rows, fit ones too


def test_the_pp_note_gives_the_figures_with_the_loop_charged() -> None:
    """The --pp note (serving_plan.pp_stages_note) gave only the figures of the model before rpphost ('by up to 2.7x
    below the predicted one', release 1.2 'within -10% to +17%') while `plan serve --engine trtllm` charged the loop
    (rvA, s33): it now says both, and these are the figures with the charge (test_serving_pp_rows checks the others)."""
    from test_serving_rtx_release12 import _release_12_errors

    from accelopt.predict import serving_plan
    from accelopt.workload.presets import get_model

    errs = _errs()
    pp_rows = [errs[rid] for rid in ROWS if int(ROWS[rid]["pp"]) > 1]
    rel12 = _release_12_errors().values()
    note = serving_plan.pp_stages_note(serving_plan.ServeOptions(model="llama3-70b", pp=8, engine="trtllm"),
                                       get_model("llama3-70b"))
    assert note is not None and len(pp_rows) == 36
    assert (f"fitted on {len(FIT)} of them), are within {min(pp_rows):+.0f}% to {max(pp_rows):+.0f}% at every --pp "
            "2-8 row") in note
    assert (f"within {100 * min(rel12):+.0f}% to {100 * max(rel12):+.0f}% of the model at --pp 1-8 with the charge"
            in note)


def test_the_note_names_the_table_that_holds_the_value() -> None:
    """On an H100 the note said '(the [serving.nvidia-hopper] table, <bundled calibration.toml>; fitted on ...)', a
    table that holds no pp_host_per_request_s: the bundled value is [serving.default]'s, carried to every table
    (rvA)."""
    from accelopt.hardware.catalog import get_device
    from accelopt.predict.calibration import BUNDLED_TABLE_FILE, load_serving_tables

    holding = [name for name, t in load_serving_tables(None).items() if "pp_host_per_request_s" in t.values]
    assert holding == ["default"]
    cal = serving.engine_calibration(get_device("h100-sxm"), pp_host_loop=True)
    note = cal.pp_host_note(2, 8)
    assert cal.family == "nvidia-hopper" and note is not None
    assert "[serving.nvidia-hopper] table" not in note, note
    assert f"the [serving.default] table of {BUNDLED_TABLE_FILE}, carried to [serving.nvidia-hopper]" in note, note


RTX_70B = ["plan", "serve", "--model", "llama3-70b", "--hardware", "rtx-pro-6000-server", "--pp", "2", "--prompt",
           "1000", "--output", "1000", "--weight-dtype", "nvfp4", "--kv-dtype", "fp8", "--engine", "trtllm"]


def test_a_finite_run_s_last_wave_is_charged_and_said_at_its_own_requests(
        capsys: pytest.CaptureFixture[str]) -> None:
    """`--batch max --requests N`: finite_run predicts the last, smaller wave at its own requests in flight, so its
    rounds pay h x its requests, not h x the full wave's; the line gave the full wave's round alone (rvA, s33)."""
    code, out, err = run_main([*RTX_70B, "--batch", "max", "--requests", "1000", "--json"], capsys)
    assert code == 0, err
    point = json.loads(out)["results"][0]["points"][0]
    c, rest = point["batch"], point["last_wave_batch"]
    assert rest == 1000 - 2 * c and 0 < rest < c  # three waves, the last smaller
    assert point["pp_host_round_s"] == pytest.approx(H_S * c)
    # the run's throughput is its waves' (finite_run): the last wave predicted at `rest`, paying h x rest a round
    from accelopt.hardware.catalog import get_device
    from accelopt.workload.presets import get_model

    spec, rule = get_device("rtx-pro-6000-server"), serving.ENGINES["trtllm"]
    cal = serving.engine_calibration(spec, memory_utilization=rule.memory_utilization, memory_basis=rule.memory_basis,
                                     tp_allreduce=rule.tp_allreduce,
                                     max_batch_size_per_microbatch=rule.batch_cap_per_microbatch,
                                     per_layer_overhead=rule.host_launched_layers, fp4_mla_kv_pools=rule.fp4_mla_pools,
                                     pp_host_loop=rule.pp_host_loop)  # as plan serve --engine trtllm builds it
    lists = ("fitted_on", "derived_fields", "derived_on", "engine_fitted_on")  # tuples, lists in the JSON (peng's
    # engine_fitted_on, 2026-12-06, is one too)
    assert cal == replace(cal, **{k: v for k, v in point["calibration"].items() if k not in lists})
    kw = {"tp": 1, "pp": 2, "prompt_len": 1000, "output_len": 1000, "weight_dtype": "nvfp4", "kv_dtype": "fp8",
          "scheduling": "waves", "calibration": cal}
    full = serving.predict_serving(get_model("llama3-70b"), spec, batch=c, **kw)
    last = serving.predict_serving(get_model("llama3-70b"), spec, batch=rest, **kw)
    assert last.pp_host_round_s == pytest.approx(H_S * rest)
    run_s = 2 * c * 1000 / full.output_tokens_per_s + rest * 1000 / last.output_tokens_per_s
    assert point["output_tokens_per_s"] == pytest.approx(1000 * 1000 / run_s, rel=1e-9)
    code, out, err = run_main([*RTX_70B, "--batch", "max", "--requests", "1000"], capsys)
    assert code == 0, err
    text = " ".join(out.split())
    assert (f"pipeline host loop {H_S * c * 1e3:.4g} ms a round: pp_host_per_request_s 41 us x {c:,} requests in "
            f"flight (the finite run's last wave: {H_S * rest * 1e3:.4g} ms a round at its {rest:,})") in text, text


def test_a_sweep_s_line_gives_every_batch_s_round(capsys: pytest.CaptureFixture[str]) -> None:
    """--batch 16,64: the line gave the first batch's round alone (0.656 ms at 16), the sweep's figures run to 64."""
    code, out, err = run_main([*RTX_70B, "--batch", "16,64"], capsys)
    assert code == 0, err
    text = " ".join(out.split())
    assert ("pipeline host loop 0.656-2.624 ms a round: pp_host_per_request_s 41 us x 16-64 requests in flight "
            "(each batch its own)") in text, text
