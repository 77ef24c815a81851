"""The baseline timed against itself: the noise a variant must beat to be recommended.

utopt4's trial (2026-12-05): a 1,030-parameter model with dict inputs (58 µs a step, all host overhead) had optimize
recommend distill, a lossy student whose top-1 predictions agreed with the baseline's on 50%, at 1.01x (rounds
1.00-1.02x); prune-structured read 1.02x (rounds 1.01-1.02x), and prune-unstructured, whose dense kernels run the same
work as the baseline's, 1.01x (rounds 0.997-1.02x). Nothing said the gain was within the noise of the measurement.
The runner now times the baseline against itself, with the same rounds and blocks as a variant (its bracket is the
baseline row's speedup_low-speedup_high), and a variant whose pessimistic round does not beat that bracket's
optimistic one is not recommended, the reason giving both brackets."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
import torch
from _fake_technique import SameModel, registered
from rich.console import Console
from torch import nn

from accelopt.optimize import runner
from accelopt.optimize.results import OptimizeResult, Quality, VariantResult
from accelopt.optimize.runner import RunOptions, recommend, run_optimize
from accelopt.report.jsonout import dumps
from accelopt.report.optimize_view import render
from accelopt.workload.userfile import ModelBundle


def _v(name: str, speedup: float, low: float, high: float) -> VariantResult:
    return VariantResult(name=name, techniques=name.split("+"), family="", status="measured", speedup=speedup,
                         speedup_low=low, speedup_high=high, step_time_p50_s=1.0e-3 / speedup,
                         quality=Quality(metric="loss", value=1.685, worse_by=0.1, within_tolerance=True))


def _result(base_low: float, base_high: float, *variants: VariantResult) -> OptimizeResult:
    b = VariantResult(name="baseline", techniques=[], family="", status="measured", speedup=1.0,
                      speedup_low=base_low, speedup_high=base_high, step_time_p50_s=1.0e-3,
                      quality=Quality(metric="loss", value=1.683, worse_by=0.0, within_tolerance=True))
    return OptimizeResult(name="dictio", mode="inference", device="cpu", dtype="fp32", batch_size=16,
                          metric="loss", higher_is_better=False, quality_tolerance=1.0,
                          quality_tolerance_unit="percent", variants=[b, *variants])


def test_a_gain_inside_the_baselines_own_noise_is_not_recommended() -> None:
    """The trial's figures: the baseline against itself read rounds 0.99-1.02x, distill 1.01x (rounds 1.004-1.02x):
    faster in every round, but not beyond what a variant that changes nothing reads."""
    result = _result(0.99, 1.02, _v("distill", 1.01, 1.004, 1.02), _v("prune-structured", 1.016, 1.01, 1.02))
    rec = recommend(result)
    assert rec.name == "baseline", rec.reason
    assert ("not recommended: prune-structured (1.02x, rounds 1.01-1.02x), within noise of the baseline: timed "
            "against itself, the baseline read rounds 0.99-1.02x") in rec.reason, rec.reason


def test_a_gain_beyond_the_baselines_noise_is_recommended() -> None:
    result = _result(0.99, 1.02, _v("distill", 1.10, 1.08, 1.12))
    rec = recommend(result)
    assert rec.name == "distill", rec.reason
    assert "within noise of the baseline" not in rec.reason


def test_a_result_without_the_self_timing_keeps_the_old_rule() -> None:
    """A baseline bracket of 1.0-1.0 (a result recorded before this measurement): faster in every round suffices."""
    rec = recommend(_result(1.0, 1.0, _v("distill", 1.01, 1.004, 1.02)))
    assert rec.name == "distill", rec.reason


# ---- through run_optimize, with runner._timed_for replaced by a scripted clock (as
# tests/test_optimize_within_noise.py does): the baseline's bracket is made by the runner timing it against itself.
BASE_S = 3e-3


class _Lossy(SameModel):
    name = "test-noise-lossy"
    lossy = True


@pytest.fixture
def fake() -> Iterator[None]:
    with registered(_Lossy):
        yield


def _clock(variant_s: float) -> Any:
    """The baseline's blocks alternate between 1.00 and 1.03 times BASE_S a step (a machine whose noise is 3%); the
    variant's take variant_s, steadily."""
    calls = {"n": 0}

    def timed_for(step: Any, block_s: float, sync: Any, min_n: int = 2) -> list[float]:
        if step.v.technique != "baseline":
            return [variant_s] * max(min_n, 3)
        calls["n"] += 1
        return [BASE_S * (1.00 if calls["n"] % 2 else 1.03)] * max(min_n, 3)

    return timed_for


def _bundle() -> ModelBundle:
    torch.manual_seed(0)
    x, model = torch.randn(4, 8), nn.Linear(8, 3)
    y = model(x).argmax(-1).detach()  # labels it predicts: random ones leave its accuracy at chance, guarding nothing
    return ModelBundle(name="mlp", model=model, batches=lambda: iter([(x, y)]),
                       loss_fn=nn.functional.cross_entropy, batch_size=4, eval_batches=lambda: iter([(x, y)]),
                       metric="accuracy")


def _optimize(monkeypatch: pytest.MonkeyPatch, variant_s: float) -> Any:
    monkeypatch.setattr(runner, "_timed_for", _clock(variant_s))
    opts = RunOptions(only=[_Lossy.name], rounds=4, warmup=0, combinations=0, profile_bounds=False,
                      progress=lambda msg: None)
    old = torch.get_num_threads()
    torch.set_num_threads(1)  # no starvation check: the scripted clock is the only thing timed
    try:
        res, _ = run_optimize(_bundle(), opts)
    finally:
        torch.set_num_threads(old)
    return res


def test_run_optimize_times_the_baseline_against_itself(monkeypatch: pytest.MonkeyPatch, fake: None) -> None:
    """The variant at BASE_S / 1.02 reads rounds of 1.02x and 1.05x against the baseline's 1.00 and 1.03 blocks:
    faster in every round, and recommended before; the baseline against itself reads 0.97x and 1.03x, so it is
    within noise. The table, --json and the reason show the baseline's bracket."""
    res = _optimize(monkeypatch, BASE_S / 1.02)
    b, v = res.get("baseline"), res.get(_Lossy.name)
    assert b.speedup == 1.0
    assert b.speedup_low == pytest.approx(1.0 / 1.03, rel=1e-3) and b.speedup_high == pytest.approx(1.03, rel=1e-3)
    assert 1.0 < v.speedup_low <= b.speedup_high, (v.speedup_low, v.speedup_high)
    assert res.recommendation.name == "baseline", res.recommendation.reason
    assert "within noise of the baseline: timed against itself, the baseline read rounds" in res.recommendation.reason
    buf = io.StringIO()
    render(res, Console(file=buf, width=400))
    text = " ".join(buf.getvalue().split())
    assert "baseline │ 3 ms │ 3.09 ms │ 1.00x (own spread 0.971-1.03)" in text, text
    assert '"speedup_low": 0.97' in dumps(res)


def test_the_baseline_rows_bracket_is_named_its_own_spread(monkeypatch: pytest.MonkeyPatch, fake: None) -> None:
    """The baseline row read '1.00x (0.971-1.03)': 1 by definition beside a bracket that is not a speed-up but the
    baseline's own run-to-run spread (timed against itself). Console, page and the JSON fields' description say
    so; a variant's rounds bracket stays bare."""
    from accelopt.report import html
    from accelopt.report.schema import docs_markdown

    res = _optimize(monkeypatch, BASE_S / 1.02)
    buf = io.StringIO()
    render(res, Console(file=buf, width=400))
    text = " ".join(buf.getvalue().split())
    assert "1.00x (own spread 0.971-1.03)" in text and "'own spread': its run-to-run spread" in text, text
    assert f"{_Lossy.name} │" in text and "own spread" not in text.split(f"{_Lossy.name} │")[1].split("│")[2]
    page = html.render_html("optimize", res, title="t", argv=["optimize"])
    assert "own spread 0.971-1.03" in page and page.count("own spread") == 1, page.count("own spread")
    field = next(line for line in docs_markdown().splitlines() if line.startswith("| `variants[].speedup_low`"))
    assert "speedup_low and speedup_high are not a speed-up but its own run-to-run spread" in field, field



def test_run_optimize_recommends_a_gain_beyond_the_noise(monkeypatch: pytest.MonkeyPatch, fake: None) -> None:
    res = _optimize(monkeypatch, BASE_S / 1.2)
    assert res.recommendation.name == _Lossy.name, res.recommendation.reason
