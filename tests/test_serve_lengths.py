"""`plan serve --lengths FILE`: requests of different lengths under continuous batching (predict.serving_lengths).

The simulation times each step with the fixed-length model's own step functions, so with every request of the same
length it must give the fixed-length model's `--batch max --requests N` throughput. Tolerance, stated before it was
measured: 1e-6 relative (the same step functions at the same contexts; only the order of float sums differs).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import run_main

from accelopt.errors import InputError
from accelopt.hardware.catalog import get_device
from accelopt.predict import serving as sv
from accelopt.predict import serving_lengths as sl
from accelopt.predict.serving_plan import ServeOptions, plan_serve
from accelopt.workload.presets import get_model
from accelopt.workload.request_lengths import read_request_lengths

EQUAL_TOLERANCE = 1e-6
"""Relative: the same step functions at the same contexts (module docstring)."""


def _csv(tmp_path: Path, rows: list[tuple[int, int]], name: str = "lengths.csv") -> Path:
    p = tmp_path / name
    p.write_text("prompt_tokens,output_tokens\n" + "".join(f"{a},{b}\n" for a, b in rows))
    return p


def _point(opts: ServeOptions) -> sv.ServingPrediction:
    return plan_serve(opts).sweeps[0].points[0]


@pytest.mark.parametrize(("model", "hw", "flags", "prompt", "output", "n"), [
    ("llama3-8b", "h100-sxm", {}, 128, 128, 3000),  # the KV cache binds (1,758 in flight), a partial last wave
    ("llama3-8b", "h100-sxm", {"engine": "vllm"}, 512, 300, 2500),  # vLLM's cap of 1,024 binds
    ("mistral-7b", "a100-80gb", {}, 3000, 2000, 120),  # sliding-window layers: contexts past the window
    ("mixtral-8x7b", "h100-sxm", {"tp": 2, "ep": 2, "weight_dtype": "fp8"}, 700, 200, 900),  # expert parallelism
])
def test_equal_lengths_give_the_fixed_length_model(tmp_path: Path, model: str, hw: str, flags: dict,
                                                   prompt: int, output: int, n: int) -> None:
    f = _csv(tmp_path, [(prompt, output)] * n)
    sim = _point(ServeOptions(model=model, hardware=hw, lengths=str(f), **flags))
    fixed = _point(ServeOptions(model=model, hardware=hw, batch="max", requests=n, prompt=prompt, output=output,
                                **flags))
    assert sim.lengths_run is not None and sim.lengths_run.requests == n
    assert sim.output_tokens_per_s == pytest.approx(fixed.output_tokens_per_s, rel=EQUAL_TOLERANCE)
    assert sim.lengths_run.most_in_flight == min(fixed.batch, n)  # the same requests in flight as a wave


def test_a_decode_step_of_mixed_contexts_is_the_step_at_their_mean_cached_tokens() -> None:
    """The step line (two evaluations per batch) reads serving._decode_step_time at any context, also past a
    sliding window (mistral-7b's 4,096), where the cached tokens bend."""
    model, spec = get_model("mistral-7b"), get_device("a100-80gb")
    s = sv._setup(model, spec, 1, 1, "bf16", "bf16", sv.calibration_for_spec(spec, sv.DEFAULT_CALIBRATION))
    line = sl._decode_line(s, 64, 1, 9000)
    for c in (10, 1000, 4096, 5000, 8999):
        assert line.step_s(float(sl.cached_tokens(model, c))) == pytest.approx(
            sv._decode_step_time(s, 64, c).total_s, rel=1e-9)


def test_long_outputs_set_the_makespan_and_batches_shrink(tmp_path: Path) -> None:
    """Nine short requests and one long one: the run lasts as long as the long one; the short ones' E2E is far
    below it (they leave early), and the decode steps after they leave run at batch 1 (faster steps)."""
    f = _csv(tmp_path, [(200, 20)] * 9 + [(200, 2000)])
    p = _point(ServeOptions(model="llama3-8b", hardware="h100-sxm", lengths=str(f)))
    r = p.lengths_run
    assert r is not None
    assert r.e2e.p50_s < r.makespan_s / 20  # the short ones leave after 19 steps
    # numpy's p99 of 10 values: the 9th + 0.91 x (the 10th - the 9th); the 10th is the long one, the makespan
    assert r.e2e.p99_s == pytest.approx(r.e2e.p50_s + 0.91 * (r.makespan_s - r.e2e.p50_s), rel=1e-9)
    assert r.decode_steps == 1999 and r.prefills == 1
    # the mean lengths' fixed-length wave (all 10 for 380 tokens) is a different run: its makespan is far shorter
    fixed = _point(ServeOptions(model="llama3-8b", hardware="h100-sxm", batch="max", requests=10, prompt=200,
                                output=218))
    assert r.makespan_s > 5 * fixed.e2e_latency_s
    assert p.output_tokens_per_s == pytest.approx(r.output_tokens / r.makespan_s)


def test_requests_wait_for_memory_and_a_slot(tmp_path: Path) -> None:
    """--max-batch-size 4 with 10 requests: at most 4 in flight, later requests' TTFT includes the wait."""
    f = _csv(tmp_path, [(100, 50)] * 10)
    r = _point(ServeOptions(model="llama3-8b", hardware="h100-sxm", lengths=str(f), max_batch_size=4)).lengths_run
    assert r is not None and r.most_in_flight == 4 and r.prefills == 3
    assert r.ttft.p99_s > r.ttft.p50_s > r.ttft.mean_s / 2  # groups of 4, 4, 2: the third waits for two


@pytest.mark.parametrize(("text", "words"), [
    ("prompt,output_tokens\n1,2\n", "no column prompt_tokens"),
    ("prompt_tokens\n5\n", "no column output_tokens"),
    ("prompt_tokens,output_tokens\n12,abc\n", "line 2, output_tokens 'abc' is not a whole number"),
    ("prompt_tokens,output_tokens\n12,1.5\n", "output_tokens '1.5' is not a whole number"),
    ("prompt_tokens,output_tokens\n0,5\n", "line 2, prompt_tokens 0 is not a positive number"),
    ("prompt_tokens,output_tokens\n5,-3\n", "output_tokens -3 is not a positive number"),
    ("prompt_tokens,output_tokens\n", "a header and no requests"),
    ("", "no column prompt_tokens or output_tokens"),
])
def test_a_bad_file_names_the_problem_and_the_fix(tmp_path: Path, text: str, words: str,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "bad.csv"
    f.write_text(text)
    with pytest.raises(InputError) as e:
        read_request_lengths(f)
    assert words in e.value.problem and "prompt_tokens,output_tokens" in e.value.fix
    code, _, err = run_main(["plan", "serve", "-m", "llama3-8b", "--lengths", str(f)], capsys)
    assert code == 2 and words in " ".join(err.split())


def test_a_missing_file_and_other_flags_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["plan", "serve", "-m", "llama3-8b", "--lengths", str(tmp_path / "none.csv")], capsys)
    assert code == 2 and "no such file" in err
    f = _csv(tmp_path, [(10, 10)])
    for extra in (["--batch", "8"], ["--concurrency", "4"], ["--rate", "2"], ["--pp", "2"], ["--prompt", "4000"],
                  ["--output", "10"]):
        code, _, err = run_main(["plan", "serve", "-m", "llama3-8b", "--lengths", str(f), *extra], capsys)
        assert code == 2 and f"--lengths with {extra[0]}" in " ".join(err.split()), extra


def test_json_and_page_carry_the_distributions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = _csv(tmp_path, [(100, 10), (300, 400), (50, 1)])
    code, out, err = run_main(["plan", "serve", "-m", "llama3-8b", "--lengths", str(f), "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    run = doc["results"][0]["points"][0]["lengths_run"]
    assert run["requests"] == 3 and run["tpot_requests"] == 2  # one output token: no TPOT
    assert run["ttft"]["p50_s"] <= run["ttft"]["p90_s"] <= run["ttft"]["p99_s"]
    page = tmp_path / "p.html"
    code, out, err = run_main(["plan", "serve", "-m", "llama3-8b", "--lengths", str(f), "--html", str(page)], capsys)
    assert code == 0 and "TTFT" in out and "p99" in out, err
    assert "3 requests of --lengths" in page.read_text()


def test_a_thousand_requests_of_2000_tokens_run_in_seconds(tmp_path: Path) -> None:
    """1,000 requests x ~2,000 output tokens (lengths spread 1,000-3,000): a few seconds, vectorised per step."""
    rng = np.random.default_rng(0)
    rows = [(int(a), int(b)) for a, b in zip(rng.integers(50, 1000, 1000), rng.integers(1000, 3000, 1000),
                                              strict=True)]
    f = _csv(tmp_path, rows)
    t0 = time.perf_counter()
    r = _point(ServeOptions(model="llama3-8b", hardware="h100-sxm", lengths=str(f))).lengths_run
    assert r is not None and r.decode_steps >= 2999
    assert time.perf_counter() - t0 < 20.0  # a few seconds on one core; 20 on a loaded shared machine


def test_the_longest_request_beyond_the_models_positions_is_said(tmp_path: Path) -> None:
    """The context note read --prompt / --output (the file's mean lengths rounded up, 990 + 55 here: no note), not the
    requests: a 9,000 + 100-token request beyond llama3-8b's 8,192 positions ran unsaid."""
    f = _csv(tmp_path, [(100, 50)] * 9 + [(9000, 100)])
    run = plan_serve(ServeOptions(model="llama3-8b", hardware="h100-sxm", lengths=str(f)))
    said = [n for n in run.result.notes if "longest request, 9000 + 100 = 9100 tokens" in n]
    assert len(said) == 1 and "8192 positions" in said[0], run.result.notes


@pytest.mark.parametrize("n", [3, 3000])
def test_equal_lengths_print_the_fixed_length_runs_every_column(tmp_path: Path, n: int) -> None:
    """rev1: every column of the result row, not only the throughput, is `--batch max --requests N`'s. With 3
    requests the row read batch 825, compute-bound, 71.7 GiB and the full wave's power (J/token 3.08 against
    3.37): a wave that never ran; with N above a wave the cost and energy are the waves' token-weighted means."""
    f = _csv(tmp_path, [(100, 450)] * n)
    sim = _point(ServeOptions(model="llama3-8b", hardware="h100-sxm", lengths=str(f)))
    fixed = _point(ServeOptions(model="llama3-8b", hardware="h100-sxm", batch="max", requests=n, prompt=100,
                                output=450))
    assert sim.batch == fixed.batch and sim.decode_step == fixed.decode_step
    assert sim.memory_bytes_per_device == fixed.memory_bytes_per_device
    for a, b in ((sim.energy_j_per_output_token, fixed.energy_j_per_output_token),
                 (sim.usd_per_million_output_tokens, fixed.usd_per_million_output_tokens)):
        assert a is not None and b is not None
        assert a == pytest.approx(b, rel=EQUAL_TOLERANCE)


def test_the_title_counts_one_request_one_prefill_one_step_in_the_singular(tmp_path: Path,
                                                                             capsys: pytest.CaptureFixture[str]
                                                                             ) -> None:
    """One request of 2 output tokens: one prefill, one decode step (the title read '1 requests', '1 prefills',
    '1 decode steps'); two requests in one group keep the plural."""
    code, out, err = run_main(["plan", "serve", "-m", "llama3-8b", "--lengths", str(_csv(tmp_path, [(100, 2)]))],
                              capsys)
    assert code == 0, err
    text = " ".join(out.split())
    assert "1 request of --lengths" in text and "1 prefill, 1 decode step " in text, text
    code, out, err = run_main(["plan", "serve", "-m", "llama3-8b", "--lengths",
                               str(_csv(tmp_path, [(100, 3), (100, 3)], "two.csv"))], capsys)
    assert code == 0, err
    assert "2 requests of --lengths" in " ".join(out.split()) and "2 decode steps" in " ".join(out.split())
