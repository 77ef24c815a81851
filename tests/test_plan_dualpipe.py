"""`--schedule dualpipe`: DeepSeek-V3's bidirectional pipeline schedule (pdual, session 37).

DeepSeek-AI 2024, 'DeepSeek-V3 Technical Report' (arXiv 2412.19437), sec. 3.2.1 and Table 2, and the
deepseek-ai/DualPipe README @ 89f5de1: bubble (PP/2 - 1)(F&B + B - 3W) against 1F1B's (PP - 1)(F + B), parameters
2x, activations PP + 1; a forward and a backward chunk run paired so the expert all-to-all and the pipeline sends of
each run beside the other's compute. deepseek-ai/DualPipe @ bb214e8 dualpipe/dualpipe.py DualPipe.step asserts an
even rank count and an even micro-batch count of at least twice the ranks. Before pdual `plan explain --schedule
dualpipe` was refused as not a schedule, and the DeepSeek-V3 unseen check (notes/ut5train.md) ran 1F1B with 11.2 s
of exposed all-to-all in a 32.8 s step.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import run_main

from accelopt.predict.training import dualpipe_bubble_s, dualpipe_paired_share

# Mixtral 8x7B, 64 H100s: tp 2 x pp 4 x dp 8, ep 8, 16 micro-batches per data-parallel rank
ARGS = ["plan", "explain", "--model", "mixtral-8x7b", "--hardware", "h100-sxm", "--devices", "64", "--tp", "2",
        "--pp", "4", "--ep", "8", "--mbs", "1", "--global-batch", "128", "--seq-len", "4096", "--zero", "1",
        "--recompute", "full"]


def _explain(capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, float]:
    code, out, err = run_main([*ARGS, *extra, "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    terms = {t["name"]: t["value"] for t in doc["terms"]}
    terms["_schedule"] = doc["prediction"]["layout"]["schedule"]
    return terms


def test_dualpipe_is_a_schedule_plan_explain_takes(capsys: pytest.CaptureFixture[str]) -> None:
    t = _explain(capsys, "--schedule", "dualpipe")
    assert t["_schedule"] == "dualpipe"
    assert t["step_time_s"] > 0


def test_bubble_is_the_reports_formula_on_its_inputs(capsys: pytest.CaptureFixture[str]) -> None:
    """t_bubble_s = (p/2 - 1)(F&B + B - 3W) with the F&B, B and W the prediction shows (Table 2), and the schedule's
    bubble is below 1F1B's (p - 1) t_mb on the same layout, as Table 2 says of its p 4 terms."""
    d = _explain(capsys, "--schedule", "dualpipe")
    p = 4
    assert d["t_bubble_s"] == pytest.approx((p / 2 - 1) * (d["in_dualpipe_fb_s"] + d["in_dualpipe_b_s"]
                                                          - 3 * d["in_dualpipe_w_s"]), rel=1e-12)
    one = _explain(capsys, "--schedule", "1f1b")
    assert one["t_bubble_s"] == pytest.approx((p - 1) * one["t_microbatch_s"], rel=1e-12)
    assert d["t_bubble_s"] < one["t_bubble_s"]
    # the inputs are DualPipe's only: n/a (null) under 1f1b
    assert one["in_dualpipe_fb_s"] is None or np.isnan(one["in_dualpipe_fb_s"])


def test_bubble_function_against_table_2() -> None:
    """Table 2 at PP 8 with F = 1, B = 2, W = 1 and F&B = 2.5 (the overlapped pair shorter than F + B): DualPipe
    (8/2 - 1)(2.5 + 2 - 3) = 4.5 against 1F1B's (8 - 1)(1 + 2) = 21; a negative bracket is no bubble."""
    assert dualpipe_bubble_s(np.array(8.0), np.array(2.5), np.array(2.0), np.array(1.0)) == pytest.approx(4.5)
    assert dualpipe_bubble_s(np.array(2.0), np.array(3.0), np.array(2.0), np.array(1.0)) == 0.0
    assert dualpipe_bubble_s(np.array(8.0), np.array(1.0), np.array(1.0), np.array(1.0)) == 0.0


def test_paired_share_counts_dualpipe_steps_4_and_5() -> None:
    """DualPipe.step on rank 0 (half_rank 0) of p 8 with 20 micro-batches (the README's figure): step 4 runs
    2 (10 - 8 + 0 + 1) = 6 paired chunks and step 5 8/2 - 0 - 1 = 3: 9 of 20 forwards paired."""
    assert dualpipe_paired_share(np.array(20.0), np.array(8.0)) == pytest.approx(9 / 20)


def test_parameters_held_twice(capsys: pytest.CaptureFixture[str]) -> None:
    """Table 2's 'Parameter 2x': weights, gradients and (ZeRO-1 sharded) optimizer state of two stages per rank; the
    activations of p + 1 micro-batches (vs p) on the first rank and on the last, the reverse direction's first."""
    d = _explain(capsys, "--schedule", "dualpipe")
    one = _explain(capsys, "--schedule", "1f1b")
    for k in ("mem_weights_bytes", "mem_grads_bytes", "mem_optimizer_bytes"):
        assert d[k] == pytest.approx(2 * one[k], rel=1e-12), k
    assert d["mem_activations_bytes"] > one["mem_activations_bytes"]


def test_all_to_all_and_sends_hidden_only_up_to_the_paired_compute(capsys: pytest.CaptureFixture[str]) -> None:
    d = _explain(capsys, "--schedule", "dualpipe")
    one = _explain(capsys, "--schedule", "1f1b")
    assert one["t_ep_comm_s"] == pytest.approx(one["t_ep_comm_raw_s"], rel=1e-12)  # 1F1B pairs nothing
    assert d["t_ep_comm_raw_s"] == pytest.approx(one["t_ep_comm_raw_s"], rel=1e-12)
    # the unpaired chunks (the warmup and cooldown, 5 of 16 on rank 0 at p 4) keep their all-to-all exposed
    share = (16 - 1.5 * 4 + 1) / 16
    assert d["t_ep_comm_s"] >= (1 - share) * d["t_ep_comm_raw_s"] * (1 - 1e-12)
    assert d["t_ep_comm_s"] < one["t_ep_comm_s"]
    assert d["t_pp_p2p_s"] <= one["t_pp_p2p_s"]


@pytest.mark.parametrize(("change", "needle"), [
    (("--pp", "3", "--devices", "48"), "even pp"),
    (("--global-batch", "48"), "even micro-batch count m >= 2 x pp"),
])
def test_dualpipe_constraints_are_clear_errors(change: tuple[str, ...], needle: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    args = list(ARGS)
    for flag, value in zip(change[::2], change[1::2], strict=True):
        args[args.index(flag) + 1] = value
    code, _, err = run_main([*args, "--schedule", "dualpipe"], capsys)
    assert code == 2
    text = " ".join(err.split())
    assert needle in text
    assert "--schedule dualpipe, or --schedule 1f1b" in text


def test_plan_searches_dualpipe_on_even_pipelines(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "--model", "mixtral-8x7b", "--hardware", "h100-sxm", "--devices", "64",
                               "--seq-len", "4096", "--global-batch", "256seq", "--tokens", "1e12",
                               "--schedule", "dualpipe", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    rows = doc["best"] + doc["pareto_front"]
    assert rows
    for r in rows:
        lay = r["layout"]
        assert lay["schedule"] == ("1f1b" if lay["pp"] == 1 else "dualpipe")
        assert lay["pp"] == 1 or lay["pp"] % 2 == 0
    assert any("dualpipe" in n and "even pp" in n for n in doc["notes"])


def test_ep_a2a_overlap_flag_adds_nothing_to_dualpipe(capsys: pytest.CaptureFixture[str]) -> None:
    """DualPipe pairs its chunks itself: --ep-a2a-overlap (Megatron-Core's 1F1B pairing) neither hides the
    all-to-all a second time nor adds its extra layer in flight."""
    d = _explain(capsys, "--schedule", "dualpipe")
    both = _explain(capsys, "--schedule", "dualpipe", "--ep-a2a-overlap")
    for k in ("step_time_s", "t_ep_comm_s", "mem_activations_bytes"):
        assert both[k] == pytest.approx(d[k], rel=1e-12), k


def test_html_page_shows_the_bubble_inputs_with_their_source(capsys: pytest.CaptureFixture[str],
                                                             tmp_path: Path) -> None:
    page = tmp_path / "dualpipe.html"
    code, _, err = run_main([*ARGS, "--schedule", "dualpipe", "--html", str(page)], capsys)
    assert code == 0, err
    html = page.read_text()
    for name in ("in_dualpipe_fb_s", "in_dualpipe_b_s", "in_dualpipe_w_s"):
        assert name in html
    assert "(p/2 - 1)(F&amp;B + B - 3W) (DeepSeek-V3 report Table 2" in html


def test_the_doubled_optimizer_state_is_said_as_an_assumption(capsys: pytest.CaptureFixture[str]) -> None:
    """rev1: Table 2 gives 'Parameter 2x' only; the gradients and optimizer state doubled with the parameters are an
    upper bound the model chose (whether a stage's two copies share optimizer state is not stated), so `plan` and
    `plan explain` say so beside the result; 1f1b says nothing of it."""
    code, out, err = run_main([*ARGS, "--schedule", "dualpipe", "--json"], capsys)
    assert code == 0, err
    said = [n for n in json.loads(out)["notes"] if "Parameter 2x" in n]
    assert len(said) == 1 and "optimizer state" in said[0] and "upper bound" in said[0]
    code, out, err = run_main(["plan", "--model", "mixtral-8x7b", "--hardware", "h100-sxm", "--devices", "64",
                               "--seq-len", "4096", "--global-batch", "256seq", "--tokens", "1e12",
                               "--schedule", "dualpipe", "--json"], capsys)
    assert code == 0, err
    assert [n for n in json.loads(out)["notes"] if "Parameter 2x" in n] == said
    code, out, err = run_main([*ARGS, "--json"], capsys)
    assert code == 0, err
    assert not [n for n in json.loads(out)["notes"] if "Parameter 2x" in n]
