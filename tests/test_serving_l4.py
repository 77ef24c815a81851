"""NVIDIA L4 serving rows (issue 10, s-data): a vLLM concurrency sweep of Qwen2.5-0.5B on one L4 against `plan serve`.

Bounds stated before any row was predicted (the issue's rules): the rows are held out (`test`), the L4 has no
`[serving.*]` table of its own, so they report `[serving.default]`'s error; every row beyond 25% carries a note
(tests/test_serving_validation.py), and every number the notes quote is recomputed here from the rows, the preset, the
catalog and the model; the rows beyond 25% have no checked reason yet (a strict xfail). A device with no public
serving run prints 'uncalibrated' beside its numbers.
"""

from __future__ import annotations

import json
import re
import statistics
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import run_main, serving_before_peng_ctx

from accelopt.hardware.catalog import get_device
from accelopt.predict import decode_gemm
from accelopt.predict.serving import ServingPrediction, kv_cache_bytes_per_token, predict_serving, prefill_flops
from accelopt.predict.serving_validation import read_serving_runs, reproduce, row_calibration
from accelopt.workload.presets import get_model

ROWS, SOURCES = read_serving_runs()
L4 = [r for r in ROWS if r["source"] == "wmx-l4-vllm"]
CONCURRENCY = (1, 2, 4, 8, 16, 32)  # the page's table, whole


def test_l4_table_enters_whole_and_held_out() -> None:
    assert len(L4) == 3 * len(CONCURRENCY)
    assert all(r["role"] == "test" and r["hardware"] == "l4" and r["engine"] == "vllm" for r in L4)
    by_metric: dict[str, set[int]] = {}
    for r in L4:
        by_metric.setdefault(r["metric"], set()).add(int(r["id"].split("-c")[-1].split("-")[0]))
        if r["metric"] == "ttft_ms":  # a static batch of C: C requests that start together finish together
            assert r["batch"] == r["id"].split("-c")[-1].split("-")[0] and not r["max_batch_size"]
        else:  # max load with the client's --max-concurrency C in flight
            assert r["batch"] == "max" and r["max_batch_size"] == r["id"].split("-c")[-1].split("-")[0]
    assert by_metric == {m: set(CONCURRENCY) for m in ("output_tok_s", "tpot_ms", "ttft_ms")}


def test_l4_rows_report_the_default_table() -> None:
    results = [reproduce(r, SOURCES) for r in L4]
    assert {(r.family, r.calibration) for r in results} == {("default", "default")}
    assert all(r.predicted is not None and r.predicted > 0 for r in results)


def _row(run_id: str) -> dict[str, str]:
    return next(r for r in L4 if r["id"] == f"wmx-l4-q25-05b-256-128-{run_id}")


def _predicted_ms(run_id: str) -> float:
    predicted = reproduce(_row(run_id), SOURCES).predicted
    assert predicted is not None
    return predicted


def _gap_ms(c: int) -> float:
    """Published minus the model's TTFT at C requests in flight (a statement about the model, not a bound)."""
    return float(_row(f"c{c}-ttft")["published"]) - _predicted_ms(f"c{c}-ttft")


def test_c1_ttft_note_arithmetic() -> None:
    """The C 1 note: published minus the model's TTFT is 22.2 ms, and how it splits is not established. The peak
    rates give the LEAST time the 256-token prefill can take (2.1 ms compute), so they cannot bound the time outside
    the forward pass; the measured ITL (5.1 ms, a decode step reading the same weights) does not bound it either,
    because the prefill does 256x the FLOPs: it fits in 5.1 ms only at >= 49.6 TFLOP/s, a rate no figure measures."""
    row = _row("c1-ttft")
    spec = get_device("l4")
    params = get_model("qwen2.5-0.5b").params_total()
    prefill_flop = 2 * params * 256
    peak = spec.peak_flop_per_s["bf16"]
    itl_s = float(_row("c1-itl")["published"]) * 1e-3
    published_s = float(row["published"]) * 1e-3
    model_step_ms = _predicted_ms("c1-itl")
    stated = (round(_predicted_ms("c1-ttft"), 2), round(_gap_ms(1), 1), round(2 * params / 1e9, 2),
              round(model_step_ms, 2), round((model_step_ms / (itl_s * 1e3) - 1) * 100, 1),
              f"{prefill_flop:.2e}", round(prefill_flop / peak * 1e3, 1),
              round(prefill_flop / itl_s / 1e12, 1), round(prefill_flop / itl_s / peak * 100),
              round(prefill_flop / published_s / 1e12, 1), round(prefill_flop / published_s / peak * 100, 1))
    assert stated == (4.79, 22.2, 0.99, 4.79, -6.0, "2.53e+11", 2.1, 49.6, 41, 9.4, 7.7)
    assert prefill_flop / itl_s > peak * 0.4  # why the ITL is no upper bound: the prefill would need 41% of the peak
    note = row["note"]
    assert note.startswith("partly checked:") and "Not established:" in note
    for text in ("(4.79 ms,", "is 22.2 ms", "0.99 GB", "decode step (4.79 ms) is 6.0% below", "(2.53e11)",
                 "2.1 ms at the 121 TFLOP/s", "the least it can take, not the most", "at least 49.6 TFLOP/s (41% of",
                 "9.4 TFLOP/s (7.7%)"):
        assert text in note, text
    assert "at most" not in note and "23.7" not in note


def test_ttft_notes_state_the_models_gap_and_no_reason() -> None:
    """The C 2-32 TTFT notes quote the model's gap at every C and the prefill it adds per prompt, and say the
    reason is not established (they derived an 'explained' part from an inverted bound)."""
    gaps = ", ".join(f"{_gap_ms(c):.1f}" for c in CONCURRENCY)
    per_prompt_ms = {round((_predicted_ms(f"c{2 * c}-ttft") - _predicted_ms(f"c{c}-ttft")) / c, 2) for c in (8, 16)}
    assert per_prompt_ms == {2.57}
    for c in CONCURRENCY[1:]:
        note = _row(f"c{c}-ttft")["note"]
        assert note.startswith("not explained:") and "not established" in note, c
        assert f"TTFT is {_gap_ms(c):.1f} ms here" in note and f"({gaps} ms at C 1, 2, 4, 8, 16, 32)" in note, c
        assert "per prompt is 2.57 ms" in note, c


@pytest.mark.parametrize("c", [16, 32])
def test_throughput_note_arithmetic(c: int) -> None:
    """The C 16/32 throughput notes: the ITL rise, the model's added decode work, and the peak-rate figures stated
    as what they are, lower bounds on that work (they said 'at most', which ruled the GPU out wrongly)."""
    spec = get_device("l4")
    model = get_model("qwen2.5-0.5b")
    added = c - 1
    rise_ms = float(_row(f"c{c}-itl")["published"]) - float(_row("c1-itl")["published"])
    model_ms = _predicted_ms(f"c{c}-itl") - _predicted_ms("c1-itl")
    compute_ms = added * 2 * model.params_total() / spec.peak_flop_per_s["bf16"] * 1e3
    kv_ms = added * 320 * kv_cache_bytes_per_token(model) / spec.memory_bandwidth_byte_per_s * 1e3  # 256 + 128/2
    note = _row(f"c{c}-tput")["note"]
    assert note.startswith("partly checked:") and "not established" in note
    model_cycle_ms = _predicted_ms(f"c{c}-ttft") + 127 * _predicted_ms(f"c{c}-itl")
    published_cycle_ms = c * 128 / float(_row(f"c{c}-tput")["published"]) * 1e3
    step_miss_ms = float(_row(f"c{c}-itl")["published"]) - _predicted_ms(f"c{c}-itl")
    assert (f"is {model_cycle_ms:.0f} ms against the published {published_cycle_ms:.0f} ms (C x 128 / out tok/s); "
            f"of the {published_cycle_ms - model_cycle_ms:.0f} ms, {_gap_ms(c):.0f} ms is the TTFT miss (row -ttft) "
            f"and 127 x {step_miss_ms:.2f} = {127 * step_miss_ms:.0f} ms the decode step") in note
    assert (f"rises {rise_ms:.1f} ms from C 1 to C {c}; the model puts the decode work of the {added} added sequences "
            f"at {model_ms:.2f} ms") in note
    assert f"at least {compute_ms:.2f} ms of compute" in note and f"{kv_ms:.2f} ms of KV reads" in note
    assert "lower bounds" in note and "at most" not in note and "either roofline" not in note


def _runs_file_record(heading: str) -> str:
    """The runs file's comment record that starts with `heading` (its comment lines up to the next row, joined)."""
    text = (Path(__file__).resolve().parent.parent / "src/accelopt/predict/data/published_serving_runs.csv").read_text(
        encoding="utf-8")
    block = []
    for line in text[text.index(heading):].splitlines():
        if not line.startswith("#"):
            break
        block.append(line.lstrip("#").strip())
    return " ".join(block)


def _search_record() -> str:
    """The runs file's 2026-12-01 record of what was searched for these rows (comment lines, joined)."""
    return _runs_file_record("# Searched 2026-12-01 (l4, issue 10)")


def test_search_record_arithmetic() -> None:
    """The search record (issue 10, 2026-12-01) quotes two derived figures; both are recomputed: the 0-token
    intercept of pegainfer PR 386's two vLLM 0.23.0 TTFT p50s (a figure of the size of the C 1 gap that does not
    split it), and the least time of 4 Mistral-7B prompts prefilled together on an RTX 4090, above the 53 ms median
    TTFT of its closed loop at 4 in flight (so those requests did not start together)."""
    record = _search_record()
    ttft_1024_ms, ttft_2048_ms = 67.4, 115.2  # pegainfer PR 386: vLLM TTFT p50 at 1024 and 2048 prompt tokens
    intercept_ms = ttft_1024_ms - (ttft_2048_ms - ttft_1024_ms) / (2048 - 1024) * 1024
    mistral = get_model("mistral-7b-v0.2")  # v0.3 adds 768 vocabulary rows, outside the count below
    matmul_params = mistral.params_total() - 2 * mistral.vocab * mistral.hidden  # untied embedding and LM head
    least_ms = 2 * matmul_params * 256 * 4 / get_device("rtx-4090").peak_flop_per_s["bf16"] * 1e3
    median_ttft_c4_ms = 53.0  # mushfiqrahman.dev/?p=1668, Part 1, max concurrency 4
    assert (round(intercept_ms, 1), f"{matmul_params / 1e9:.2f}", round(least_ms, 1)) == (19.6, "6.98", 86.5)
    assert median_ttft_c4_ms < least_ms
    for text in (f"{ttft_1024_ms} ms at 1024 and {ttft_2048_ms} ms at 2048 prompt tokens",
                 f"meets 0 tokens at {intercept_ms:.1f} ms", f"the size of the {_gap_ms(1):.1f} ms at C 1",
                 f"at 4 in flight ({median_ttft_c4_ms:.0f} ms)", f"2 x {matmul_params / 1e9:.2f}e9 parameters",
                 f"165.2 TFLOP/s bf16 peak: {least_ms:.1f} ms", "none found", "does not split it"):
        assert text in record, text


@pytest.mark.xfail(strict=True, reason="the L4 TTFT rows and the 16/32-in-flight throughput rows are beyond 25% "
                   "with no checked reason: the split of the C 1 TTFT gap between prefill compute and a cost outside "
                   "the forward pass is not established, and no source gives vLLM V1's host cost on this host "
                   "(searched again 2026-12-01 and 2026-12-02: the host is below vLLM's documented CPU minimum, a "
                   "mechanism with no published size; the record is in the runs file's L4 block)")
def test_every_l4_row_beyond_25pct_has_a_checked_reason() -> None:
    far = [r for r in L4 if abs(reproduce(r, SOURCES).error or 0.0) > 0.25]
    assert far and all(r["note"].startswith("checked:") for r in far), [r["id"] for r in far]


@pytest.mark.parametrize("hardware", ["l4", "tpu-v5e", "tpu-v5p", "mi325x", "a100-sxm-40gb"])
def test_plan_serve_says_uncalibrated_where_no_public_run_exists(hardware: str,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Issue #10: no bundled row ran on these devices (the L4 rows test [serving.default], which stays unfitted;
    MI325X and A100-40GB carry a table fitted on a sibling device)."""
    code, out, err = run_main(["plan", "serve", "--model", "qwen2.5-0.5b", "--hardware", hardware, "--batch", "1"],
                              capsys)
    assert code == 0, err
    assert "uncalibrated" in " ".join(out.split())


@pytest.mark.parametrize("hardware", ["mi300x", "trainium1", "h100-sxm"])
def test_plan_serve_is_not_uncalibrated_where_runs_exist(hardware: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "serve", "--model", "qwen2.5-0.5b", "--hardware", hardware, "--batch", "1"],
                              capsys)
    assert code == 0, err
    assert "uncalibrated" not in " ".join(out.split())


@pytest.mark.parametrize(("hardware", "no_run"), [("mi325x", True), ("mi300x", False), ("trainium1", False)])
def test_plan_serve_json_says_what_the_console_says(hardware: str, no_run: bool,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """The console's 'uncalibrated for DEVICE' comes from the result object, so --json carries it too (it was
    computed in the CLI alone: a JSON reader saw a fitted table and no sign it was never tested on the device)."""
    import json

    code, out, err = run_main(["plan", "serve", "--model", "qwen2.5-0.5b", "--hardware", hardware, "--batch", "1",
                               "--json"], capsys)
    assert code == 0, err
    runs = json.loads(out)["results"][0]["calibration"]["published_runs_of_device"]
    assert (runs == 0) is no_run and runs >= 0


def test_plan_serve_html_says_uncalibrated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The HTML page names the calibration table and the same caveat as the console (it named neither)."""
    page = tmp_path / "serve.html"
    code, _, err = run_main(["plan", "serve", "--model", "qwen2.5-0.5b", "--hardware", "mi325x,mi300x", "--batch", "1",
                             "--html", str(page)], capsys)
    assert code == 0, err
    text = " ".join(page.read_text().split())
    # the console's caption (report.plan_warnings.serve_caption): the table, its fit rows, then the caveat
    assert re.search(r"\[serving\.amd-instinct-cdna3\], fitted on \d+ published runs of [^—]+ — uncalibrated "
                     r"for mi325x", text)
    assert "uncalibrated for mi300x" not in text


def test_readme_quotes_the_c1_gap() -> None:
    """README's serving section quotes the C 1 TTFT gap as the model's miss, not as a bound on the host's share."""
    readme = " ".join((Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8").split())
    match = re.search(r"six TTFT rows miss by ([\d.]+) ms \(published minus the model's prefill\)", readme)
    assert match and float(match.group(1)) == round(_gap_ms(1), 1)
    assert "23.7 ms" not in readme


E2E_P50_MS = {1: 679, 2: 698, 4: 722, 8: 772, 16: 880, 32: 1082}  # the page's E2E p50 column (not rows: no metric)


def _checked_record() -> str:
    """The runs file's 'Checked 2026-12-01 (rows10, ...) from the table's own figures' record (comment lines,
    joined)."""
    return _runs_file_record("# Checked 2026-12-01 (rows10, issue 10) from the table's own figures")


def test_checked_record_of_the_tables_own_evidence() -> None:
    """Fresh angle of 2026-12-01 (rows10): does the TTFT gap behave as a per-request constant (a host cost) or as
    prefill compute in proportion to the C x 256 tokens of a static batch? Neither: every figure recomputed."""
    record = _checked_record()
    gaps = {c: _gap_ms(c) for c in CONCURRENCY}
    rest = [gaps[c] for c in CONCURRENCY[1:]]
    assert f"is {gaps[1]:.1f} ms at C 1 and {min(rest):.1f} to {max(rest):.1f} ms at C 2 to 32" in record
    assert f"a {max(gaps.values()) - min(gaps.values()):.1f} ms spread" in record
    per_token_us = {c: gaps[c] / (c * 256) * 1e3 for c in CONCURRENCY}
    assert (f"is {per_token_us[1]:.1f} us at C 1 and {per_token_us[32]:.1f} us at C 32 "
            f"({per_token_us[1] / per_token_us[32]:.0f}x less)") in record
    beyond = {c: E2E_P50_MS[c] - float(_row(f"c{c}-ttft")["published"]) - 127 * float(_row(f"c{c}-itl")["published"])
              for c in CONCURRENCY}
    assert f"({', '.join(str(E2E_P50_MS[c]) for c in CONCURRENCY)} ms at C 1 to 32)" in record
    assert f"leaves {beyond[1]:.1f} ms at C 1 and {beyond[32]:.1f} ms at C 32" in record
    assert "none closes a row" in record and "not a bound" in record


def _hostcost_record() -> str:
    """The runs file's 'Examined 2026-12-02 (hostcost, ...)' record (comment lines, joined)."""
    return _runs_file_record("# Examined 2026-12-02 (hostcost, issue 10)")


def test_hostcost_record_arithmetic() -> None:
    """hostcost (2026-12-02): the run's host against vLLM's documented CPU minimum (docs/configuration/optimization.md
    at 10056c1, 'CPU Resources for GPU Deployments': 2 + N physical cores, 2 x (2 + N) vCPUs with hyperthreading), and
    what the page's 100% GPU-utilisation peak would make of the C 32 point; every figure recomputed, none closes a
    row (a mechanism with no size, and a reading of one peak sample)."""
    record = _hostcost_record()
    gpus, host_vcpus, threads_per_core = 1, 4, 2  # g2-standard-4: one L4, 4 vCPUs; GKE's default: the CPU's 2 threads
    min_cores, min_vcpus = 2 + gpus, 2 * (2 + gpus)
    host_cores = host_vcpus // threads_per_core
    assert (min_cores, min_vcpus, host_cores) == (3, 6, 2) and host_cores < min_cores and host_vcpus < min_vcpus
    assert f"For this run's one L4: {min_cores} physical cores, {min_vcpus} vCPUs" in record
    assert f"a g2-standard-4 has {host_vcpus} vCPUs, {host_cores} physical cores" in record
    assert "below vLLM's documented minimum" in record and "no size" in record
    # the page's peak: if the GPU was busy throughout the C 32 point, each request took 1 / (req/s) of device time
    req_s = float(_row("c32-tput")["published"]) / 128
    device_ms = 1e3 / req_s
    prefill_ms = (_predicted_ms("c32-ttft") - _predicted_ms("c16-ttft")) / 16  # the model's prefill of one prompt
    model_ms = prefill_ms + 127 * _predicted_ms("c32-itl") / 32
    assert (f"the published {req_s:.1f} req/s leaves {device_ms:.1f} ms of device time per request where the model's "
            f"is {model_ms:.1f} ms ({prefill_ms:.2f} ms of prefill + 127 x {_predicted_ms('c32-itl'):.2f} ms / 32)"
            ) in record
    assert f"would be {100 * (1 - model_ms / device_ms):.1f}% short" in record
    c1_step_rise_ms = float(_row("c1-itl")["published"]) - _predicted_ms("c1-itl")
    assert f"their C 1 ITL is {c1_step_rise_ms:.2f} ms above the model's decode step" in record
    assert 0 < c1_step_rise_ms < 4.6  # PR #24174's least per-step CPU gap does not fit in it
    assert "nothing that closes a row" in record


P95_MS = {"TTFT": (115.5, 48.2, 85.4, 88.4, 135.7, 191.8), "ITL": (6.1, 6.3, 6.4, 7.4, 8.9, 12.0)}  # the page's p95s


def _prefill_step_bound_ms(c: int, per_step: int = 1) -> tuple[float, float, float, float]:
    """The table's throughput at C in flight as an upper bound on the prefill-bearing steps' mean device time: steps a
    second (out tok/s / C, one token a step per request), prefills a second (out tok/s / 128), the least time of a
    step (one read of the bf16 weights at the peak bandwidth), and the bound (the GPU's second less the steps without
    a prefill at that least time, over the prefill-bearing steps, `per_step` prefills in each)."""
    tok_s = float(_row(f"c{c}-tput")["published"])
    steps, prefills = tok_s / c, tok_s / 128
    floor_ms = 2 * get_model("qwen2.5-0.5b").params_total() / get_device("l4").memory_bandwidth_byte_per_s * 1e3
    bearing = prefills / per_step
    return steps, prefills, floor_ms, (1e3 - (steps - bearing) * floor_ms) / bearing


def test_throughput_bound_on_the_prefill_step() -> None:
    """l4nrn (2026-12-05): the runs file's 'Examined 2026-12-05 (l4nrn' record and the C 1 note's sentence: the C 32
    throughput bounds the prefill-bearing steps' mean time from above (an upper bound, unlike the least time at the
    peaks), and under the stated assumption puts only a few ms of the C 1 TTFT outside the forward pass."""
    record = _runs_file_record("# Examined 2026-12-05 (l4nrn, issue 10): an upper bound")
    steps, prefills, floor_ms, bound_ms = _prefill_step_bound_ms(32)
    tok_s, ttft_c1 = float(_row("c32-tput")["published"]), float(_row("c1-ttft")["published"])
    weights_gb = 2 * get_model("qwen2.5-0.5b").params_total() / 1e9
    bandwidth = get_device("l4").memory_bandwidth_byte_per_s / 1e9
    outside_ms = ttft_c1 - bound_ms
    assert (f"At C 32 the engine produced {tok_s:.0f} tokens/s" in record and f"at least {steps:.1f} steps a second"
            in record and f"{prefills:.2f} prompts a second ({tok_s:.0f} / 128)" in record)
    assert (f"the {weights_gb:.2f} GB of bf16 weights" in record and f"{floor_ms:.2f} ms at the L4's "
            f"{bandwidth:.0f} GB/s" in record and f"take {(steps - prefills) * floor_ms:.1f} ms a second" in record)
    assert f"the prefill-bearing steps average {bound_ms:.1f} ms or less" in record
    two_ms = _prefill_step_bound_ms(32, per_step=2)[3]
    assert f"two prefills to a step would allow {two_ms:.1f} ms" in record and two_ms > ttft_c1  # then no split
    assert "which held is not established" in record
    others = {c: _prefill_step_bound_ms(c)[3] for c in (1, 16)}
    assert f"at C 16 gives {others[16]:.1f} ms, at C 1 {others[1]:.1f} ms" in record
    assert bound_ms < min(_prefill_step_bound_ms(c)[3] for c in CONCURRENCY[:-1])  # C 32 is the tightest
    assert f"at least {outside_ms:.1f} ms of the C 1 TTFT's {ttft_c1:.1f} ms is outside" in record
    assert f"far below the {_gap_ms(1):.1f} ms the model misses" in record and 0 < outside_ms < _gap_ms(1) / 5
    least_ms = 2 * get_model("qwen2.5-0.5b").params_total() * 256 / get_device("l4").peak_flop_per_s["bf16"] * 1e3
    assert f"(the least time at the peaks, {least_ms:.1f} ms, is a lower bound" in record
    cols = " / ".join(f"{v:.1f}" for v in P95_MS["TTFT"]), " / ".join(f"{v:.1f}" for v in P95_MS["ITL"])
    assert f"(TTFT {cols[0]} ms, ITL {cols[1]} ms at C 1 to 32)" in record
    note = _row("c1-ttft")["note"]
    assert (f"the C 32 throughput ({tok_s:.0f} tokens/s, one a step per request in flight: {steps:.1f} steps a second, "
            f"each reading the {weights_gb:.2f} GB of weights in {floor_ms:.2f} ms or more) leaves the prefill-bearing "
            f"steps {bound_ms:.1f} ms or less on average if each prefill had a step of its own ({two_ms:.1f} ms if "
            "two shared one; which held is not established)") in note
    assert f"{outside_ms:.1f} ms or more of the {ttft_c1:.1f} ms is outside" in note
    assert f"sizing the {_gap_ms(1):.1f} ms" in note and "at most" not in note


VLLM_API_BUDGET_TOKENS = 2048  # vLLM's API-server max_num_batched_tokens on a device under 70 GiB (get_batch_defaults)
VLLM_MAX_NUM_SEQS = 256  # its max_num_seqs there


def _first_token_steps(c: int, budget: int = VLLM_API_BUDGET_TOKENS, prompt: int = 256) -> list[int]:
    """The step in which each of C prompts that arrive together gets its first token under a vLLM V1 step budget:
    each step serves the decode token of every request that has its first token, then the prompts in arrival order
    (a prompt cut by the budget finishes in the next step)."""
    left, steps, step = [prompt] * c, [0] * c, 0
    while 0 in steps:
        step += 1
        room = budget - sum(1 for s in steps if s)
        for i in range(c):
            take = min(left[i], room)
            left[i], room = left[i] - take, room - take
            if take and not left[i]:
                steps[i] = step
    return steps


def _capture_sizes(max_num_seqs: int = VLLM_MAX_NUM_SEQS, budget: int = VLLM_API_BUDGET_TOKENS) -> list[int]:
    """vLLM's default CUDA-graph capture sizes (vllm/config/vllm.py, VllmConfig._set_cudagraph_sizes at 09f030ea)."""
    top = min(min(max_num_seqs * 2, 512), budget)
    return ([i for i in (1, 2, 4) if i <= top] + list(range(8, min(top + 1, 256), 8))
            + (list(range(256, top + 1, 16)) if top >= 256 else []))


def test_vllm_defaults_record() -> None:
    """rl4 (2026-12-05): the runs file's 'Examined 2026-12-05 (rl4' record: vLLM's own defaults for this run (its
    2048-token step budget and CUDA-graph capture sizes on a device under 70 GiB) widen or leave the gaps, every
    figure recomputed; none closes a row."""
    record = _runs_file_record("# Examined 2026-12-05 (rl4, issue 10)")
    row = _row("c32-ttft")
    cal = row_calibration(row, get_device("l4"))
    assert cal.family == "default" and cal.max_prefill_chunk_tokens == 8192
    whole = {chunk: predict_serving(get_model("qwen2.5-0.5b"), get_device("l4"), batch=32, allow_oom=True,
                                    prompt_len=256, output_len=128,
                                    calibration=replace(cal, max_prefill_chunk_tokens=chunk)).ttft_s * 1e3
             for chunk in (8192, VLLM_API_BUDGET_TOKENS)}
    assert round(whole[8192], 2) == round(whole[VLLM_API_BUDGET_TOKENS], 2) == round(_predicted_ms("c32-ttft"), 2)
    assert f"({whole[8192]:.2f} ms at C 32 either way" in record
    step_ms = _predicted_ms("c8-ttft")  # 8 x 256 = 2048 prompt tokens: one step of the budget
    median_steps = {c: statistics.median(_first_token_steps(c)) for c in (16, 32)}
    assert median_steps == {16: 1.5, 32: 3}
    assert _first_token_steps(8) == [1] * 8  # C 8 and below: one step, the model's static batch
    p50 = {c: median_steps[c] * step_ms for c in (16, 32)}
    gaps = {c: float(_row(f"c{c}-ttft")["published"]) - p50[c] for c in (16, 32)}
    assert (f"the median C 16 request has its first token after {median_steps[16]:.1f} steps and the median C 32 one "
            f"after {median_steps[32]:.0f} steps: {p50[16]:.1f} and {p50[32]:.1f} ms at the model's {step_ms:.2f} ms "
            "for a 2048-token step") in record
    assert (f"(62.7 -> {gaps[16]:.1f}, 53.2 -> {gaps[32]:.1f} ms)" in record and f"{_gap_ms(16):.1f}" == "62.7"
            and f"{_gap_ms(32):.1f}" == "53.2" and all(gaps[c] > _gap_ms(c) for c in (16, 32)))
    sizes = _capture_sizes()
    assert max(sizes) == 512 and {1 * 256, 2 * 256} <= set(sizes) and max(sizes) < 4 * 256  # C 4: no graph
    assert "hold 256 and 512, so the C 1 and C 2 prefills replay the piecewise graphs" in record
    assert "none closes a row" in record and "the source gives none of those parts a time" in record
    # the clock lead: at what share of the peak the C 1 prefill's compute would bind, and would fill the TTFT
    eff = cal.prefill_compute_efficiency
    compute_ms = (_predicted_ms("c16-ttft") - _predicted_ms("c8-ttft")) / 8
    weights_ms, ttft_c1 = _predicted_ms("c1-ttft"), float(_row("c1-ttft")["published"])
    assert eff == 0.6 and abs(weights_ms - _predicted_ms("c1-itl")) < 0.005  # C 1: the weight read, as a decode step
    assert (f"the model's C 1 TTFT is its weight read ({weights_ms:.2f} ms), its prefill compute ({compute_ms:.2f} ms "
            f"at {eff} of the peak) binds only below {100 * eff * compute_ms / weights_ms:.1f}% of the peak, and the "
            f"whole {ttft_c1:.1f} ms needs {100 * eff * compute_ms / ttft_c1:.1f}%") in " ".join(record.split())
    assert (f"this run's C 1 ITL is {float(_row('c1-itl')['published']) - _predicted_ms('c1-itl'):.2f} ms above the "
            "model's decode step") in record


def _median_step_bound_ms(c: int) -> float:
    """As `_prefill_step_bound_ms` (one prefill a step) with the page's ITL p50 at C in place of the weight-read floor
    as the time of a step without a prefill: a reading, not a bound (a median bounds no step)."""
    tok_s, itl_ms = float(_row(f"c{c}-tput")["published"]), float(_row(f"c{c}-itl")["published"])
    steps, prefills = tok_s / c, tok_s / 128
    return (1e3 - (steps - prefills) * itl_ms) / prefills


def test_median_step_record() -> None:
    """rl4, second pass (2026-12-05): the runs file's 'Examined 2026-12-05 (rl4, second pass' record: the throughput
    read with the ITL p50 as the steps without a prefill narrows the C 1 split to a range around the model's miss, and
    the C 1 point's own cycle shows a heavy upper tail; every figure recomputed, none closes a row."""
    record = _runs_file_record("# Examined 2026-12-05 (rl4, second pass, issue 10)")
    bounds = {c: _median_step_bound_ms(c) for c in CONCURRENCY}
    assert (f"steps {' / '.join(f'{bounds[c]:.1f}' for c in CONCURRENCY[1:])} ms or less on average at C "
            f"{' / '.join(str(c) for c in CONCURRENCY[1:])}") in record
    assert bounds[32] == min(bounds.values())  # C 32 is the tightest
    assert bounds[32] < _prefill_step_bound_ms(32)[3]  # tighter than l4nrn's floor-based bound, as a reading
    ttft_c1 = float(_row("c1-ttft")["published"])
    least_ms = 2 * get_model("qwen2.5-0.5b").params_total() * 256 / get_device("l4").peak_flop_per_s["bf16"] * 1e3
    low, high = ttft_c1 - bounds[32], ttft_c1 - least_ms
    assert (f"{low:.1f} to {high:.1f} ms of the C 1 TTFT's {ttft_c1:.1f} ms is then outside the forward pass (the "
            f"upper end: {ttft_c1:.1f} less the least time at the peaks, {least_ms:.1f} ms)") in record
    assert low < _gap_ms(1) < high and f"the model's {_gap_ms(1):.1f} ms miss, not a size" in record
    # C 1: one request in flight, so its cycle is the mean request time plus the client's gap between requests
    tok_s, itl_ms = float(_row("c1-tput")["published"]), float(_row("c1-itl")["published"])
    cycle_ms = {c: c * 128 / float(_row(f"c{c}-tput")["published"]) * 1e3 for c in CONCURRENCY}
    decode_ms = 127 * itl_ms
    assert abs(cycle_ms[1] - decode_ms - bounds[1]) < 1e-9  # the same figure: C 1 has one step a token
    assert (f"its cycle (128 / {tok_s:.0f} tokens/s = {cycle_ms[1]:.1f} ms, one request in flight) less 127 decode "
            f"steps at the ITL p50 ({decode_ms:.1f} ms) leaves {bounds[1]:.1f} ms a request, "
            f"{bounds[1] / ttft_c1:.1f}x the TTFT p50") in record
    ratio = {c: P95_MS["TTFT"][i] / float(_row(f"c{c}-ttft")["published"]) for i, c in enumerate(CONCURRENCY)}
    rest = [ratio[c] for c in CONCURRENCY[1:]]
    assert f"its TTFT p95 is {ratio[1]:.1f}x its p50 ({min(rest):.1f}x to {max(rest):.1f}x at C 2 to 32)" in record
    over = {c: cycle_ms[c] - E2E_P50_MS[c] for c in CONCURRENCY}
    rest = [over[c] for c in CONCURRENCY[1:]]
    assert (f"the cycle exceeds the E2E p50 by {over[1]:.1f} ms; at C 2 to 32 by {min(rest):.1f} to {max(rest):.1f} ms"
            in record and over[1] > 4 * max(rest))
    assert "An indication, not a bound" in record and "neither share of the gap is established" in record


def test_sampling_lead_record() -> None:
    """rl4, second pass (2026-12-05): the sampling lead of the record (a per-sequence cost of every decode step that
    the model does not charge, not sized on the L4): the ITL rise the model misses, per added sequence, against one read
    of a sequence's fp32 logits at the L4's bandwidth; every figure recomputed."""
    record = _runs_file_record("# Examined 2026-12-05 (rl4, second pass, issue 10)")
    published_rise = float(_row("c32-itl")["published"]) - float(_row("c1-itl")["published"])
    model_rise = _predicted_ms("c32-itl") - _predicted_ms("c1-itl")
    excess_ms = published_rise - model_rise
    per_seq_us = excess_ms / 31 * 1e3
    vocab = get_model("qwen2.5-0.5b").vocab
    read_us = vocab * 4 / get_device("l4").memory_bandwidth_byte_per_s * 1e6
    assert (f"The published ITL p50 rises {published_rise:.1f} ms from C 1 to C 32 where the model's decode step rises "
            f"{model_rise:.2f} ms: {excess_ms:.2f} ms more, {per_seq_us:.1f} us per added sequence a step") in record
    gb_s = get_device("l4").memory_bandwidth_byte_per_s / 1e9
    assert (f"one read of a sequence's fp32 logits ({vocab} x 4 B) takes {read_us:.1f} us at the L4's {gb_s:.0f} GB/s, "
            f"so that is {per_seq_us / read_us:.1f} such reads") in record, (per_seq_us, read_us)
    assert f"far below its {_gap_ms(1):.1f} ms gap" in record and "no source sizes the sampler on the L4" in record
    logits_mb, l2_mb = 32 * vocab * 4 / 1e6, get_device("l4").sram_bytes / 1e6
    assert logits_mb < l2_mb and f"logits ({logits_mb:.1f} MB) fit in the L4's {l2_mb:.0f} MB L2" in record
    assert f"likely well below the {excess_ms:.2f} ms" in record


# ray-project/ray issue #59681 (2026-07-04) / PR #64534: bare `vllm serve` 0.22.0, Qwen2.5-0.5B-Instruct, one RTX 5050
RAY59681_TTFT_MS = {1: (16.9, 21.2), 8: (35.0, 45.4), 32: (84.1, 103.2)}  # c: (p50, p95)
RAY64534_SERVE_TOK_S = (283, 289)  # PR #64534's same-conditions A/B through Ray Serve LLM, before vs after
RTX5050_BYTE_PER_S = 320e9  # NVIDIA's announcement (tweakers.net/nieuws/236558): 128-bit, 20 Gbps GDDR6, 320 GB/s


def test_public_c1_ttft_of_the_same_model_record() -> None:
    """rsrv, session 32 (2026-12-05): the runs file's 'Examined 2026-12-05 (rsrv, session 32' record: the one public
    TTFT of this model at 1 request in flight (another GPU and host) bounds that run's host path, not this run's;
    every figure recomputed, none closes a row."""
    record = _runs_file_record("# Examined 2026-12-05 (rsrv, session 32, issue 10)")
    p50 = {c: v[0] for c, v in RAY59681_TTFT_MS.items()}
    assert (f"TTFT p50 {p50[1]:.1f} / {p50[8]:.1f} / {p50[32]:.1f} ms and p95 "
            f"{' / '.join(f'{v[1]:.1f}' for v in RAY59681_TTFT_MS.values())} ms at c = 1 / 8 / 32") in record
    ttft = {c: float(_row(f"c{c}-ttft")["published"]) for c in (1, 8, 32)}
    assert f"is {ttft[1] - p50[1]:.1f} ms below this page's {ttft[1]:.1f} ms" in record
    assert (f"{' / '.join(f'{ttft[c] / p50[c]:.2f}x' for c in (1, 8, 32))} that run's at C 1 / 8 / 32") in record
    weights_bytes = 2 * get_model("qwen2.5-0.5b").params_total()
    read_ms = weights_bytes / RTX5050_BYTE_PER_S * 1e3
    host_ms = p50[1] - read_ms
    assert (f"the {weights_bytes / 1e9:.2f} GB of bf16 weights at least once: {read_ms:.2f} ms at the desktop RTX "
            f"5050's {RTX5050_BYTE_PER_S / 1e9:.0f} GB/s") in record
    assert f"c = 1 host path took {host_ms:.1f} ms or less" in record and "a reading, not a bound" in record
    gap = _gap_ms(1)
    assert (f"leave {gap - host_ms:.1f} ms or more of the model's {gap:.1f} ms C 1 miss ({gap - p50[1]:.1f} ms even "
            f"were all {p50[1]:.1f} ms host)") in record
    assert 0 < gap - p50[1] < gap - host_ms < gap  # the other machine's whole request is below the miss
    low = ttft[1] - _median_step_bound_ms(32)  # the rl4 second pass's lower end
    assert host_ms < low and f"below the {low:.1f} ms lower end of the rl4 second pass's range" in record
    assert "Which share holds is not established" in record
    serve_tok_s = max(RAY64534_SERVE_TOK_S)  # through Serve LLM, bare vLLM's E2E p50 within 1-4% of it
    assert (f"{RAY64534_SERVE_TOK_S[0]} vs {RAY64534_SERVE_TOK_S[1]} tok/s at c = 8 / 32" in record
            and f"most {100 * serve_tok_s / float(_row('c8-tput')['published']):.1f}% of this page's C 8 throughput "
            f"({float(_row('c8-tput')['published']):.0f} tok/s)" in record)


# The run's own repository (rl4, session 33): two runs of the same author, same model, vLLM v0.23.0 and 256/128 shape,
# GuideLLM's synchronous strategy (one stream): ADR-0032's L4 parity gate (through KServe) and benchmarks/README.md's T4
TWIN_L4 = {"ttft_ms": 31.0, "itl_ms": 5.7}  # ADR-0032 (2026-06-23), code index id 56374113097
TWIN_T4 = {"ttft_ms": 36.0, "ttft_p95_ms": 44.0, "ttft_p99_ms": 58.0, "itl_ms": 6.0}  # README (2026-06-26), 56529534857
ROW_C1_TTFT_P95_MS = 115.5  # the page's TTFT p95 at C 1 (not a row)


def _twin_predicted_ms(run_id: str, hardware: str, dtype: str) -> float:
    """The model's figure for the row's cells on another device and dtype (the public path validate uses)."""
    predicted = reproduce(dict(_row(run_id), hardware=hardware, weight_dtype=dtype, kv_dtype=dtype), SOURCES).predicted
    assert predicted is not None
    return predicted


def test_same_authors_twin_runs_record() -> None:
    """rl4, session 33 (2026-12-06): the runs file's 'Examined 2026-12-06 (rl4, session 33' record: the run's own
    repository (the Job's placement, two same-author twins on the L4 and a T4); every figure recomputed, none closes a
    row (the twins are no rows: another harness)."""
    record = _runs_file_record("# Examined 2026-12-06 (rl4, session 33, issue 10)")
    assert "podAffinity" in record and "'preferred, not required'" in record and "(capped at 320)" in record
    assert "The server is not run eager: its start-up includes 'CUDA-graph capture'" in record
    assert (f"TTFT median {TWIN_L4['ttft_ms']:.0f} ms, ITL median {TWIN_L4['itl_ms']:.1f} ms" in record
            and f"TTFT p50 / p95 / p99 {TWIN_T4['ttft_ms']:.0f} / {TWIN_T4['ttft_p95_ms']:.0f} / "
                f"{TWIN_T4['ttft_p99_ms']:.0f} ms, ITL p50 {TWIN_T4['itl_ms']:.1f} ms" in record)
    l4_ms, t4_ms = _predicted_ms("c1-ttft"), _twin_predicted_ms("c1-ttft", "t4", "fp16")
    gap_l4, gap_t4 = TWIN_L4["ttft_ms"] - l4_ms, TWIN_T4["ttft_ms"] - t4_ms
    assert (f"is {l4_ms:.2f} ms on the L4 and {t4_ms:.2f} ms on the T4: gaps of {gap_l4:.1f} and {gap_t4:.1f} ms, "
            f"the L4's {gap_l4 - _gap_ms(1):.1f} ms above this row's {_gap_ms(1):.1f}") in record
    assert f"the model's forward is {min(l4_ms, t4_ms):.2f}-{max(l4_ms, t4_ms):.2f} ms on both GPUs" in record
    itl_l4 = _predicted_ms("c1-itl")
    with pytest.MonkeyPatch.context() as mp:  # the T4 twin's decode step as rl4 recorded it, before rt4 (2026-12-06)
        mp.setattr(decode_gemm, "decode_weight_rate", lambda *a, **k: None)  # read the T4's weights at its measured
        itl_t4 = _twin_predicted_ms("c1-itl", "t4", "fp16")  # rate at batch 1 (0.806, vLLM PR #6996), 0.64 ms faster
    row_itl = float(_row("c1-itl")["published"])
    assert (f"{TWIN_L4['itl_ms'] - itl_l4:.2f} ms (L4 twin) and {TWIN_T4['itl_ms'] - itl_t4:.2f} ms (T4) above the "
            f"model's decode step ({row_itl - itl_l4:.2f} ms in this row)") in record
    ratio = get_device("l4").peak("bf16") / get_device("t4").peak("fp16")
    assert get_device("t4").peak("fp16") == 65e12 and f"121 / 65 = {ratio:.2f}x" in record
    all_compute_t4 = TWIN_L4["ttft_ms"] * ratio
    assert all_compute_t4 > TWIN_T4["ttft_ms"]
    assert f"would take {all_compute_t4:.1f} ms, above its whole 36 ms" in record
    peak_scaled_max = TWIN_T4["ttft_ms"] / ratio  # the T4's host path >= 0
    row_ttft = float(_row("c1-ttft")["published"])
    assert (f"the L4's peak-scaled part is {peak_scaled_max:.1f} ms or less, so "
            f"{TWIN_L4['ttft_ms'] - peak_scaled_max:.1f} ms or more of the twin's 31 ms "
            f"({row_ttft - peak_scaled_max:.1f} ms of this row's {row_ttft:.1f})") in record
    scaled = (TWIN_T4["ttft_ms"] - TWIN_L4["ttft_ms"]) / (ratio - 1)  # equal host paths: h + d = 31, h + ratio d = 36
    assert (f"{scaled:.1f} ms that scales with the peak and {TWIN_L4['ttft_ms'] - scaled:.1f} ms that does not"
            in record) and "A reading, not a size" in record
    assert min(row_ttft, TWIN_L4["ttft_ms"]) == 27.0 and max(row_ttft, TWIN_T4["ttft_ms"]) == 36.0
    assert "this stack is 27 to 36 ms across two harnesses" in record
    assert (f"T4 twin's TTFT p95 is {TWIN_T4['ttft_p95_ms'] / TWIN_T4['ttft_ms']:.2f}x its p50; this row's C 1 p95 is "
            f"{ROW_C1_TTFT_P95_MS / row_ttft:.2f}x") in record


# rsrvA, session 34 (2026-12-06): two public same-clock host-path measurements, neither of vLLM.
# pegainfer-project/pegainfer issue #738 (comment of 2026-07-23), 'Same-clock decomposition' table, (p50, p95) ms
PEGAINFER_738_MS = {"client start -> scheduled": (1.289, 1.547), "first-token send -> client reads": (0.468, 0.653)}
# tenstorrent/tt-inference-server issue #2173 (2026-02-23): 'tokenizer encode: 131 tokens, ... ms total', its log lines
TT_2173_ENCODE_131_MS = (2.816332, 1.71546, 1.399063, 1.319402)


def test_public_host_path_measurements_record() -> None:
    """rsrvA, session 34: the runs file's 'Examined 2026-12-06 (rsrvA, session 34' record: the two measurements
    recomputed; together they are a third of the C 1 gap at most, and neither is vLLM's, so no row moves."""
    record = _runs_file_record("# Examined 2026-12-06 (rsrvA, session 34, issue 10)")
    p50 = sum(v[0] for v in PEGAINFER_738_MS.values())
    p95 = sum(v[1] for v in PEGAINFER_738_MS.values())
    per_token_us = [ms / 131 * 1e3 for ms in (min(TT_2173_ENCODE_131_MS), max(TT_2173_ENCODE_131_MS))]
    at_256_ms = [us * 256 / 1e3 for us in per_token_us]
    together = p95 + at_256_ms[1]
    assert (f"client start -> scheduled {PEGAINFER_738_MS['client start -> scheduled'][0]:.3f} ms p50 "
            f"({PEGAINFER_738_MS['client start -> scheduled'][1]:.3f} p95)") in record
    assert f"{p50:.3f} ms p50 ({p95:.3f} ms p95) around the engine's step" in record
    assert (f"{min(TT_2173_ENCODE_131_MS):.3f}-{max(TT_2173_ENCODE_131_MS):.3f} ms, {per_token_us[0]:.2f}-"
            f"{per_token_us[1]:.2f} us a token, {at_256_ms[0]:.2f}-{at_256_ms[1]:.2f} ms at this row's 256") in record
    assert int(_row("c1-ttft")["prompt_len"]) == 256
    gap = _gap_ms(1)
    assert together < gap and (f"Together {together:.2f} ms or less, {100 * together / gap:.0f}% of the C 1 gap of "
                               f"{gap:.1f} ms") in record


# rwmx, session 35 (2026-12-06): a vLLM API server's own TTFT at 1 request in flight of sub-2B models on an A100.
# tenstorrent/tt-inference-server issue #340 (comments of 2025-06-24), 'Performance Benchmark Sweeps' tables:
# (prompt, output) -> (TTFT ms, TPOT ms) at concurrency 1
TT340_MS = {"qwen3-0.6b": {(128, 128): (12.4, 4.2), (128, 1024): (13.3, 4.2), (1024, 128): (21.0, 4.4)},
            "qwen3-1.7b": {(128, 128): (11.4, 4.6), (128, 1024): (14.0, 4.7), (1024, 128): (26.4, 4.8)}}
# huggingface.co/Qwen/Qwen3-0.6B and Qwen/Qwen3-1.7B raw/main/config.json (the same layers, heads, KV heads, widths,
# vocab and tied embeddings in pytorch/torchtune@010412e0 torchtune/models/qwen3/_model_builders.py)
_QWEN3_SMALL = {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "attention_bias": False, "head_dim": 128,
                "hidden_act": "silu", "max_position_embeddings": 40960, "num_attention_heads": 16,
                "num_hidden_layers": 28, "num_key_value_heads": 8, "rms_norm_eps": 1e-06, "rope_scaling": None,
                "rope_theta": 1000000, "sliding_window": None, "use_sliding_window": False, "max_window_layers": 28,
                "tie_word_embeddings": True, "torch_dtype": "bfloat16", "use_cache": True, "vocab_size": 151936}
QWEN3_SMALL_WIDTHS = {"qwen3-0.6b": (1024, 3072), "qwen3-1.7b": (2048, 6144)}  # hidden_size, intermediate_size
TT340_A100S = ("a100-sxm-80gb", "a100-sxm-40gb")  # the report names no A100 variant: the catalog's two as its range


def _tt340_model_ms(path: Path, hardware: str, prompt: int, output: int, metric: str) -> float:
    """The model's figure for one of the report's points: the row's cells with the report's model, device and lengths
    (the public path validate uses; batch 1)."""
    row = dict(_row("c1-ttft"), hardware=hardware, model=str(path), prompt_len=str(prompt), output_len=str(output),
               metric=metric, batch="1")
    predicted = reproduce(row, SOURCES).predicted
    assert predicted is not None
    return predicted


def test_vllm_api_server_small_model_floor_record(tmp_path: Path) -> None:
    """rwmx, session 35: the runs file's 'Examined 2026-12-06 (rwmx, session 35' record: a vLLM API server's TTFT at
    1 request in flight of Qwen3-0.6B / 1.7B on an A100 exceeds the model's forward by 8.2-12.4 ms, about half of the
    C 1 gap; carried to this row it leaves the row beyond 25%, so no row moves."""
    record = _runs_file_record("# Examined 2026-12-06 (rwmx, session 35, issue 10)")
    paths = {}
    for name, (hidden, ffn) in QWEN3_SMALL_WIDTHS.items():
        paths[name] = tmp_path / f"{name}.json"
        paths[name].write_text(json.dumps(dict(_QWEN3_SMALL, hidden_size=hidden, intermediate_size=ffn)))
    pts = TT340_MS
    assert ("Qwen3-0.6B TTFT {} / {} ms, TPOT {} / {} ms; Qwen3-1.7B TTFT {} / {} ms, TPOT {} / {} ms".format(
        *(f"{pts[m][k][i]:.1f}" for m in pts for i in (0, 1) for k in ((128, 128), (128, 1024)))) in record)
    assert (f"at 1024/128 {pts['qwen3-0.6b'][(1024, 128)][0]:.1f} and {pts['qwen3-1.7b'][(1024, 128)][0]:.1f} ms"
            in record)
    fwd = {(m, hw): _tt340_model_ms(paths[m], hw, 128, 128, "ttft_ms") for m in pts for hw in TT340_A100S}
    for m in pts:
        assert f"{fwd[(m, TT340_A100S[0])]:.2f} / {fwd[(m, TT340_A100S[1])]:.2f} ms ({m[6:].upper()})" in record
    residual = {(m, o, hw): pts[m][(128, o)][0] - _tt340_model_ms(paths[m], hw, 128, o, "ttft_ms")
                for m in pts for o in (128, 1024) for hw in TT340_A100S}
    lo, hi = min(residual.values()), max(residual.values())
    gap = _gap_ms(1)
    assert (f"{lo:.1f} to {hi:.1f} ms at 128 prompt tokens" in record
            and f"{100 * lo / gap:.0f}% to {100 * hi / gap:.0f}% of this row's {gap:.1f} ms C 1 gap" in record)
    assert max(residual[("qwen3-1.7b", o, hw)] for o in (128, 1024) for hw in TT340_A100S) < hi  # not with the model
    row_ttft, row_model = float(_row("c1-ttft")["published"]), _predicted_ms("c1-ttft")
    carried = (row_model + lo, row_model + hi)
    assert (f"would be {carried[0]:.1f} to {carried[1]:.1f} ms against the published {row_ttft:.1f} ms, "
            f"{100 * (carried[0] / row_ttft - 1):.0f}% to {100 * (carried[1] / row_ttft - 1):.0f}%, still beyond 25%, "
            f"with {gap - hi:.1f} to {gap - lo:.1f} ms of the gap left") in record
    assert carried[1] / row_ttft - 1 < -0.25  # carried at its largest, the row stays beyond 25%
    with serving_before_peng_ctx():  # the file the record describes: before peng (2026-12-06) added a vLLM TTFT row
        rows_then = read_serving_runs()[0]
    assert sum(1 for r in rows_then if r["engine"] == "vllm" and r["metric"] == "ttft_ms") == len(CONCURRENCY)
    long_residual = {m: pts[m][(1024, 128)][0] - _tt340_model_ms(paths[m], TT340_A100S[0], 1024, 128, "ttft_ms")
                     for m in pts}
    assert all(_tt340_model_ms(paths[m], hw, 1024, 128, "ttft_ms")
               == pytest.approx(_tt340_model_ms(paths[m], TT340_A100S[0], 1024, 128, "ttft_ms"))
               for m in pts for hw in TT340_A100S)  # compute-bound at 1024 tokens: one figure on both A100s
    assert (f"leave {long_residual['qwen3-0.6b']:.1f} ms (0.6B) and {long_residual['qwen3-1.7b']:.1f} ms (1.7B)"
            in record)
    per_token_us = [(long_residual[m] - residual[(m, 128, hw)]) / (1024 - 128) * 1e3 for m in pts for hw in TT340_A100S]
    at_row = [us * (int(_row("c1-ttft")["prompt_len"]) - 128) / 1e3 for us in (min(per_token_us), max(per_token_us))]
    assert (f"{min(per_token_us):.1f} to {max(per_token_us):.1f} us a prompt token more than at 128" in record
            and f"adds {at_row[0]:.1f} to {at_row[1]:.1f} ms at this row's 256 tokens" in record)
    steps = {(m, hw): _tt340_model_ms(paths[m], hw, 128, 128, "tpot_ms") for m in pts for hw in TT340_A100S}
    diffs = [steps[("qwen3-1.7b", hw)] - steps[("qwen3-0.6b", hw)] for hw in TT340_A100S]
    tpot = [pts[m][(128, 128)][1] for m in pts]
    assert (f"TPOTs at 128/128 ({tpot[0]:.1f} / {tpot[1]:.1f} ms) differ by {tpot[1] - tpot[0]:.1f} ms where the "
            f"model's decode steps differ by {min(diffs):.2f} to {max(diffs):.2f} ms") in record
    assert tpot[1] - tpot[0] < min(diffs)
    row_step = _predicted_ms("c1-itl")
    assert row_step > min(tpot) and f"this row's L4 decode step ({row_step:.2f} ms by the model) is above it" in record
    assert f"the row's C 1 ITL p50 is {float(_row('c1-itl')['published']) - row_step:.2f} ms above the model" in record


# rwmx2, session 36 (2026-12-06): the L4's clocks (pcpartdb.com/gpus/view/nvidia-l4; fpsbench.com
# compare/gpu/nvidia-l4-vs-nvidia-tesla-m40): base 795 MHz, boost 2040 MHz; the catalog's peaks are boost figures
L4_BASE_MHZ, L4_BOOST_MHZ = 795, 2040


def _c1_at_clock(mhz: float) -> ServingPrediction:
    """The model's C 1 point (the row's cells and calibration) with the L4's compute peaks scaled to an SM clock of
    `mhz` (memory bandwidth unchanged)."""
    row, spec = _row("c1-ttft"), get_device("l4")
    clocked = replace(spec, peak_flop_per_s={k: v * mhz / L4_BOOST_MHZ for k, v in spec.peak_flop_per_s.items()})
    return predict_serving(get_model(row["model"]), clocked, batch=1, prompt_len=int(row["prompt_len"]),
                           output_len=int(row["output_len"]), calibration=row_calibration(row, spec), allow_oom=True)


def test_clock_and_lm_head_record() -> None:
    """rwmx2, session 36: the runs file's 'Examined 2026-12-06 (rwmx2, session 36' record: the L4 held at its base
    clock, and the tied LM head charged over every prompt position, each recomputed from the model; together they
    leave most of the C 1 gap outside the forward pass, so no row moves."""
    record = _runs_file_record("# Examined 2026-12-06 (rwmx2, session 36, issue 10)")
    published, gap = float(_row("c1-ttft")["published"]), _gap_ms(1)
    boost, base = _c1_at_clock(L4_BOOST_MHZ), _c1_at_clock(L4_BASE_MHZ)
    assert boost.ttft_s * 1e3 == pytest.approx(_predicted_ms("c1-ttft"))  # the what-if starts from the row's point
    assert boost.prefill.bound == "memory" and base.prefill.bound == "compute"
    base_ms, boost_ms = base.ttft_s * 1e3, boost.ttft_s * 1e3
    share = 100 * (base_ms - boost_ms) / gap
    assert (f"TTFT {boost_ms:.2f} -> {base_ms:.2f} ms ({100 * (base_ms / published - 1):.1f}% against "
            f"{published:.1f}), {base_ms - boost_ms:.2f} ms of the {gap:.1f} ms gap ({share:.0f}%)") in record
    assert base.tpot_s == pytest.approx(boost.tpot_s) and f"memory-bound at {base.tpot_s * 1e3:.2f} ms" in record
    within = 0.75 * published  # the TTFT the clock alone would need to reach
    mhz = L4_BOOST_MHZ * boost.prefill.compute_s * 1e3 / within
    assert _c1_at_clock(mhz).ttft_s * 1e3 == pytest.approx(within)
    assert (f"within 25% ({within:.2f} ms) only at an SM clock of {mhz:.1f} MHz or below, "
            f"{100 * mhz / L4_BASE_MHZ:.0f}% of the base clock") in record
    model = get_model("qwen2.5-0.5b")
    head = model.vocab * model.hidden
    assert model.tied_embeddings
    assert (f"{model.vocab} x {model.hidden} embedding to its head, {head / 1e6:.1f} M parameters, "
            f"{2 * head / 1e9:.2f} GB of the {2 * model.params_total() / 1e9:.2f} GB of bf16 weights "
            f"({100 * head / model.params_total():.1f}%)") in record
    prompt = int(_row("c1-ttft")["prompt_len"])
    charged = prefill_flops(model, 1, prompt)
    one_row = prefill_flops(replace(model, vocab=1), 1, prompt)
    # the head's GEMM for the last token only, as vLLM's logits_indices gather
    assert charged - one_row == pytest.approx(2.0 * (head - model.hidden))
    extra_flop = 2.0 * (prompt - 1) * head
    extra_ms = boost.prefill.compute_s * 1e3 * extra_flop / charged  # at the prefill's own rate
    all_pos_ms = boost.prefill.compute_s * 1e3 + extra_ms
    assert all_pos_ms < boost.prefill.memory_s * 1e3
    assert (f"Charged over all {prompt} positions ({extra_flop / 1e9:.1f} GFLOP more), the prefill's compute goes "
            f"{boost.prefill.compute_s * 1e3:.2f} -> {all_pos_ms:.2f} ms, still under its "
            f"{boost.prefill.memory_s * 1e3:.2f} ms weight read") in record
    logits_mb = model.vocab * 4 / 1e6
    read_us = model.vocab * 4 / get_device("l4").memory_bandwidth_byte_per_s * 1e6
    assert f"its {logits_mb:.2f} MB of fp32 logits once: {read_us:.1f} us at 300 GB/s" in record
    both_ms = all_pos_ms * L4_BOOST_MHZ / L4_BASE_MHZ
    assert both_ms > base_ms and both_ms < published - 0.75 * gap  # under a quarter of the gap, let alone all of it
    assert (f"the C 1 forward is {both_ms:.2f} ms or less ({100 * (both_ms / published - 1):.1f}%), leaving "
            f"{published - both_ms:.1f} ms or more of the {published:.1f} ms outside it") in record
    assert (published - both_ms) > 0.75 * gap and "at most a fifth of the" in record and (both_ms - boost_ms) < gap / 5
