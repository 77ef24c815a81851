"""Continuous batching latency is consistent with its throughput (issue 10, `plan serve --concurrency`).

With C requests in flight, Little's law (Little 1961) ties them: C = requests/s x E2E. The throughput counts the
device time of C prefills and the decode steps; so each request's E2E must hold the other C - 1 requests' prefills,
which run between its decode steps (they stall it), and TPOT = (E2E - TTFT) / (output - 1) as vLLM's
benchmark_serving and trtllm-bench compute it. Tolerance stated before measuring: 1% between C and
requests/s x E2E (TTFT's wait of half a decode step is the only term the throughput leaves out)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main_expect

from accelopt.hardware.catalog import get_device
from accelopt.predict import serving
from accelopt.predict.calibration import load_serving_tables
from accelopt.workload.presets import get_model

LITTLE_REL_TOL = 0.01  # stated before measuring (module docstring)


def _continuous(c: int, prompt_len: int = 2048, output_len: int = 256) -> serving.ServingPrediction:
    return serving.predict_serving(get_model("llama3-8b"), get_device("h100-sxm"), batch=c, prompt_len=prompt_len,
                                   output_len=output_len, scheduling="continuous")


def _requests_in_flight(p: serving.ServingPrediction) -> float:
    """Little's law: requests/s (output tokens/s over output tokens per request) x E2E."""
    return p.output_tokens_per_s / p.output_len * p.e2e_latency_s


@pytest.mark.parametrize("c", [1, 8, 25, 128])
@pytest.mark.parametrize(("prompt_len", "output_len"), [(2048, 256), (128, 2048)])
def test_continuous_latency_obeys_littles_law(c: int, prompt_len: int, output_len: int) -> None:
    p = _continuous(c, prompt_len, output_len)
    assert _requests_in_flight(p) == pytest.approx(c, rel=LITTLE_REL_TOL)


@pytest.mark.parametrize("scheduling", serving.SCHEDULING)
def test_tpot_is_the_benchmarks_e2e_less_ttft_over_output_tokens(scheduling: str) -> None:
    p = serving.predict_serving(get_model("llama3-8b"), get_device("h100-sxm"), batch=25, prompt_len=2048,
                                output_len=256, scheduling=scheduling)
    assert p.tpot_s == pytest.approx((p.e2e_latency_s - p.ttft_s) / (p.output_len - 1), rel=1e-12)


def test_continuous_tpot_holds_the_other_requests_prefills() -> None:
    """Hand check: TPOT = decode step + (prefill of C prompts - this request's prefill) / (output - 1)."""
    p = _continuous(25)
    static = serving.predict_serving(get_model("llama3-8b"), get_device("h100-sxm"), batch=25, prompt_len=2048,
                                     output_len=256)
    one = serving.predict_serving(get_model("llama3-8b"), get_device("h100-sxm"), batch=1, prompt_len=2048,
                                  output_len=256)
    stall_s = p.prefill.total_s - one.prefill.total_s
    assert p.tpot_s == pytest.approx(static.tpot_s + stall_s / 255, rel=1e-9)
    assert p.decode_tokens_per_s == pytest.approx(25 / static.tpot_s, rel=1e-12)  # the decode step, no stalls
    assert static.tpot_s < p.tpot_s


def test_plan_serve_concurrency_json_obeys_littles_law(capsys: pytest.CaptureFixture[str]) -> None:
    """The command the issue reproduced: 25 x 256 / E2E gave 2066 tok/s against a throughput of 1449.8."""
    out, _ = run_main_expect(capsys, "plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm",
                             "--concurrency", "25", "--json")
    (point,) = json.loads(out)["results"][0]["points"]
    little_tok_s = point["batch"] * point["output_len"] / point["e2e_latency_s"]
    assert little_tok_s == pytest.approx(point["output_tokens_per_s"], rel=LITTLE_REL_TOL)


def test_rate_concurrency_holds_the_rate_over_its_e2e() -> None:
    """At a request rate the chosen concurrency C >= rate x E2E (Little's law), E2E now holding the prefill stalls."""
    p = serving.predict_at_rate(get_model("llama3-8b"), get_device("h100-sxm"), rate_per_s=2.0, prompt_len=2048,
                                output_len=256)
    in_queue_s = p.queue_wait_s
    assert p.batch >= 2.0 * (p.e2e_latency_s - in_queue_s)
    assert p.tpot_s == pytest.approx((p.e2e_latency_s - p.ttft_s) / 255, rel=1e-12)


def test_batch_max_is_the_same_load_in_waves(capsys: pytest.CaptureFixture[str]) -> None:
    """--batch max: fixed-length requests in a closed loop at the engine's limit move in waves (the others' prefills
    in TTFT, TPOT the decode step); --concurrency max staggers them (the prefills in TPOT). Same requests in flight,
    same throughput, and both obey Little's law."""
    base = ("plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--max-batch-size", "25", "--json")
    waves = json.loads(run_main_expect(capsys, *base, "--batch", "max")[0])["results"][0]["points"][0]
    staggered = json.loads(run_main_expect(capsys, *base, "--concurrency", "max")[0])["results"][0]["points"][0]
    assert waves["batch"] == staggered["batch"] == 25
    # 'waves' (srv_pp, 2026-12-03): static TTFT and TPOT, the prefill timed without an empty pipeline's fill
    assert (waves["scheduling"], staggered["scheduling"]) == ("waves", "continuous")
    assert waves["output_tokens_per_s"] == pytest.approx(staggered["output_tokens_per_s"], rel=1e-12)
    assert waves["ttft_s"] > staggered["ttft_s"] and waves["tpot_s"] < staggered["tpot_s"]
    for p in (waves, staggered):
        assert p["batch"] * p["output_len"] / p["e2e_latency_s"] == pytest.approx(p["output_tokens_per_s"],
                                                                                    rel=LITTLE_REL_TOL)


OVERHEAD_S = 0.2  # a user's per-request overhead (the bundled tables' is 0): 5% of the E2E below


def _overhead_file(tmp_path: Path) -> Path:
    """The bundled [serving.nvidia-hopper] table, whole, with the overhead: only the overhead differs."""
    table = load_serving_tables()["nvidia-hopper"]
    values = {**table.values, "per_request_overhead_s": OVERHEAD_S}
    lines = ["[serving.nvidia-hopper]", f"match = {json.dumps(list(table.match))}",
             *(f"{k} = {json.dumps(v)}" for k, v in values.items())]  # JSON scalars and lists read back in TOML
    path = tmp_path / "overhead.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("load", [("--concurrency", "25"), ("--batch", "25"), ("--concurrency", "max")])
def test_a_users_request_overhead_keeps_littles_law(load: tuple[str, str], tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Was 1733 tok/s printed against 25 x 256 / E2E = 1642 (5.5%, the overhead / E2E): the throughput left the
    overhead out, though the request's slot of the batch is empty while its host-side overhead runs."""
    base = ("plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--max-batch-size", "25", "--json")
    (p,) = json.loads(run_main_expect(capsys, *base, *load, "--calibration", str(_overhead_file(tmp_path)))[0]
                      )["results"][0]["points"]
    (bundled,) = json.loads(run_main_expect(capsys, *base, *load)[0])["results"][0]["points"]
    assert p["calibration"]["per_request_overhead_s"] == OVERHEAD_S
    assert p["e2e_latency_s"] == pytest.approx(bundled["e2e_latency_s"] + OVERHEAD_S, rel=1e-9)
    assert p["batch"] * p["output_len"] / p["e2e_latency_s"] == pytest.approx(p["output_tokens_per_s"],
                                                                              rel=LITTLE_REL_TOL)
    # hand check: the slot's cycle is the overhead plus the batch's device time (the bundled throughput's)
    device_s = bundled["batch"] * bundled["output_len"] / bundled["output_tokens_per_s"]
    assert p["output_tokens_per_s"] == pytest.approx(p["batch"] * p["output_len"] / (OVERHEAD_S + device_s),
                                                     rel=1e-9)


def test_a_rate_with_a_users_request_overhead_holds_the_rate(tmp_path: Path) -> None:
    """--rate: C >= rate x E2E(C) with the overhead in E2E, and the chosen C's batch completes the rate."""
    cal = serving.calibration_for_spec(get_device("h100-sxm"), path=str(_overhead_file(tmp_path)))
    p = serving.predict_at_rate(get_model("llama3-8b"), get_device("h100-sxm"), rate_per_s=2.0, prompt_len=2048,
                                output_len=256, calibration=cal)
    c = serving.predict_serving(get_model("llama3-8b"), get_device("h100-sxm"), batch=p.batch, prompt_len=2048,
                                output_len=256, scheduling="continuous", calibration=cal)
    assert c.ttft_s >= OVERHEAD_S and p.batch >= 2.0 * (p.e2e_latency_s - p.queue_wait_s)
    assert c.batch * c.output_len / c.e2e_latency_s == pytest.approx(c.output_tokens_per_s, rel=LITTLE_REL_TOL)


def test_a_users_request_overhead_is_in_cost_and_energy_as_in_the_throughput(tmp_path: Path) -> None:
    """The overhead's cycle time is rented ($/M tokens counted it) and the device idles through it: J/token now
    counts its idle energy too (it left it out, so $/M and J/token described two different cycles)."""
    from accelopt.predict import cost

    spec, model = get_device("h100-sxm"), get_model("llama3-8b")
    cal = serving.calibration_for_spec(spec, path=str(_overhead_file(tmp_path)))
    kw = {"batch": 8, "prompt_len": 2048, "output_len": 256}
    mine, bundled = (serving.predict_serving(model, spec, calibration=c, **kw)
                     for c in (cal, serving.calibration_for_spec(spec)))
    assert mine.energy_j_per_output_token is not None and bundled.energy_j_per_output_token is not None
    idle_j = float(cost.energy_j(spec, 1, OVERHEAD_S, 0.0, cost.Facility()))
    assert mine.energy_j_per_output_token == pytest.approx(bundled.energy_j_per_output_token + idle_j / (8 * 256),
                                                           rel=1e-9)
    rented_s = 8 * 256 / mine.output_tokens_per_s  # the cycle the throughput counts, overhead included
    assert mine.usd_per_million_output_tokens == pytest.approx(
        float(cost.cost_usd(spec, 1, rented_s)) / (8 * 256) * 1e6, rel=1e-9)


@pytest.mark.parametrize("load", [("--concurrency", "4"), ("--concurrency", "64"), ("--rate", "5")])
def test_prefill_only_requests_keep_littles_law(load: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    """--output 1 (prefill only, e.g. scoring): TTFT held half a decode step no request runs, 4.8 ms of a 14.7 ms E2E
    at 4 in flight (4 x 1 / E2E = 272 tok/s against the printed 403). Now E2E = the batch's prefill, as the
    throughput counts it."""
    out, _ = run_main_expect(capsys, "plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--prompt",
                             "1", "--output", "1", *load, "--json")
    (p,) = json.loads(out)["results"][0]["points"]
    assert p["ttft_s"] == pytest.approx(p["e2e_latency_s"], rel=1e-12)
    if load[0] == "--concurrency":
        assert p["batch"] * p["output_len"] / p["e2e_latency_s"] == pytest.approx(p["output_tokens_per_s"],
                                                                                  rel=LITTLE_REL_TOL)
    else:  # C >= rate x E2E(C) without the queue wait
        assert p["batch"] >= 5.0 * (p["e2e_latency_s"] - p["queue_wait_s"])
