"""On a tiny held-out set one sample moved accuracy by more than the tolerance, unsaid (utopt6): 24 samples, 100/24
= 4.17 points a sample against the default 0.5-point tolerance, so 'within tolerance' meant no prediction changed and
one changed prediction put a variant outside it. optimize now says so (an ACCURACY RESOLUTION note under the results)
with what to do: more held-out samples in eval_batches (100 / tolerance of them), or --quality-tolerance."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from _fake_technique import SameModel, registered
from torch import nn

from accelopt.optimize import runner
from accelopt.optimize.runner import RunOptions, accuracy_resolution, run_optimize
from accelopt.workload.userfile import ModelBundle


def test_the_resolution_is_said_where_one_sample_exceeds_the_tolerance() -> None:
    said = accuracy_resolution(24, 0.5)
    assert said is not None and said.startswith("ACCURACY RESOLUTION")
    assert "100/24 = 4.17 points" in said and "tolerance 0.5 points" in said
    assert "at least 200 samples" in said and "--quality-tolerance 4.17" in said
    assert accuracy_resolution(200, 0.5) is None and accuracy_resolution(1000, 0.5) is None  # 0.5, 0.1 points
    assert accuracy_resolution(24, 5.0) is None  # the user's tolerance accepts one sample
    assert "no changed prediction" in (accuracy_resolution(24, 0.0) or "")
    assert accuracy_resolution(0, 0.5) is None


def _bundle(samples: int) -> ModelBundle:
    torch.manual_seed(0)
    model = nn.Linear(8, 4)
    x = torch.randn(samples, 8)
    y = model(x).argmax(-1).detach()
    return ModelBundle(name="mlp", model=model, batches=lambda: iter([(x, y)]), loss_fn=nn.functional.cross_entropy,
                       batch_size=samples, eval_batches=lambda: iter([(x, y)]), metric="accuracy")


@pytest.mark.parametrize(("samples", "said"), [(24, True), (400, False)])
def test_run_optimize_says_it_in_the_notes(monkeypatch: pytest.MonkeyPatch, samples: int, said: bool) -> None:
    def timed_for(step: Any, block_s: float, sync: Any, min_n: int = 2) -> list[float]:
        return [1e-3] * max(min_n, 3)

    monkeypatch.setattr(runner, "_timed_for", timed_for)
    opts = RunOptions(only=[SameModel.name], rounds=3, warmup=0, combinations=0, profile_bounds=False,
                      progress=lambda msg: None)
    with registered(SameModel):
        res, _ = run_optimize(_bundle(samples), opts)
    notes = [n for n in res.notes if n.startswith("ACCURACY RESOLUTION")]
    assert bool(notes) is said, res.notes
    if said:
        assert "100/24 = 4.17 points" in notes[0]
