"""optimize seeds Python's `random` and numpy's generators with torch's around the training it measures quality with
(compress.seeded): a batches() that shuffles with random.shuffle and adds np.random noise gave each run other
figures, since only torch was seeded."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from accelopt.optimize.base import Target  # noqa: E402
from accelopt.optimize.runner import RunOptions, run_optimize  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402


def _bundle() -> ModelBundle:
    """An MLP whose data pipeline draws from Python's `random` (batch order) and numpy's (input noise)."""
    g = torch.Generator().manual_seed(0)
    proj = torch.randn(16, 4, generator=g)
    xs = [torch.randn(32, 16, generator=g) for _ in range(8)]
    held = [(x, (x @ proj).argmax(dim=1)) for x in (torch.randn(32, 16, generator=g) for _ in range(2))]

    def batches() -> Any:
        order = list(range(len(xs)))
        random.shuffle(order)
        for i in order:
            x = xs[i] + torch.from_numpy(np.random.normal(0.0, 0.3, size=(32, 16)).astype("float32"))
            yield x, (xs[i] @ proj).argmax(dim=1)

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4))
    return ModelBundle(name="random-pipeline", model=model, batches=batches, eval_batches=lambda: iter(held),
                       loss_fn=nn.functional.cross_entropy, batch_size=32,
                       make_optimizer=lambda params: torch.optim.AdamW(params, lr=3e-3))


def _qualities() -> list[float | None]:
    opts = RunOptions(mode="train", recipe=[("grad-accumulation", {})], rounds=1, block_s=0.01, warmup=0,
                      quality_steps=8, profile_bounds=False, combinations=0, progress=lambda msg: None)
    res, _ = run_optimize(_bundle(), opts)
    return [r.quality.value if r.quality is not None else None for r in res.variants]


def test_two_runs_of_a_model_drawing_from_random_and_numpy_give_the_same_quality() -> None:
    random.seed(1)
    np.random.seed(1)
    first = _qualities()
    random.seed(2)  # the caller's generators elsewhere: the run must not depend on them
    np.random.seed(2)
    second = _qualities()
    assert None not in first and first == second, (first, second)


def test_seeded_puts_the_caller_s_random_and_numpy_state_back() -> None:
    from accelopt.optimize.compress import seeded

    random.seed(7)
    np.random.seed(7)
    py, npy = random.getstate(), np.random.get_state()[1].copy()
    with seeded(0, Target(mode="train", device="cpu", dtype="fp32", budget_s=1.0)):
        a = (random.random(), float(np.random.rand()))
    with seeded(0, Target(mode="train", device="cpu", dtype="fp32", budget_s=1.0)):
        assert (random.random(), float(np.random.rand())) == a  # the same seed: the same draws
    assert random.getstate() == py and (np.random.get_state()[1] == npy).all()
