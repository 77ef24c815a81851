"""small (2026-12-04): under CPU autocast every step walked all the model's modules (workload/amp.py autocast asked
has_fast_path(model) on each entry): host time inside each timed step of `profile --dtype bf16` and of optimize's
mixed-precision baseline and variants, growing with the model's module count. The walk is made once per run now;
these tests count model.modules() calls over the steps (not a timing test)."""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")
from torch import nn  # noqa: E402

from accelopt.measure.profiler import StepRunner  # noqa: E402
from accelopt.optimize.base import Target  # noqa: E402
from accelopt.optimize.steps import AutocastModule, make_train_step  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402

STEPS = 5


def _counted(model: nn.Module) -> list[int]:
    """model.modules() counting its calls (the walk has_fast_path makes)."""
    calls = [0]
    walk = model.modules

    def modules() -> Any:
        calls[0] += 1
        return walk()

    object.__setattr__(model, "modules", modules)
    return calls


def _bundle(model: nn.Module) -> ModelBundle:
    batch = (torch.randn(4, 8), torch.randint(0, 8, (4,)))
    return ModelBundle(name="m", model=model, batches=lambda: iter([batch]), loss_fn=nn.functional.cross_entropy,
                       batch_size=4)


@pytest.mark.parametrize("mode", ["train", "inference"])
def test_the_step_profiler_walks_the_modules_once_a_run(mode: str) -> None:
    model = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8))
    runner = StepRunner(_bundle(model), mode=mode, dtype="bf16", device="cpu")
    calls = _counted(runner.model)
    for _ in range(STEPS):
        runner.step()
    assert calls[0] == 0, f"{calls[0]} module walks over {STEPS} steps"


def test_optimize_steps_walk_the_modules_once_a_run() -> None:
    model = nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8))
    b = _bundle(model)
    target = Target(mode="train", device="cpu", dtype="bf16")
    step = make_train_step(model, b, target)
    wrapped = AutocastModule(model, "cpu", torch.bfloat16)
    calls = _counted(model)
    x, y = next(b.batches())
    for _ in range(STEPS):
        step(x, y)
        wrapped(x)
    assert calls[0] == 0, f"{calls[0]} module walks over {STEPS} steps"


def test_the_fast_path_is_still_turned_off_under_cpu_autocast() -> None:
    """What the walk decided is kept: an encoder under CPU autocast runs with torch's MHA fast path off."""
    seen = []

    class Probe(nn.Module):
        def forward(self, x: Any) -> Any:
            seen.append(torch.backends.mha.get_fastpath_enabled())
            return x

    model = nn.Sequential(nn.TransformerEncoderLayer(8, 2, 16, batch_first=True), Probe())
    model.eval()
    before = torch.backends.mha.get_fastpath_enabled()
    AutocastModule(model, "cpu", torch.bfloat16)(torch.randn(1, 3, 8))
    AutocastModule(nn.Sequential(nn.Linear(8, 8), Probe()), "cpu", torch.bfloat16)(torch.randn(1, 8))
    assert seen == [False, before]
    assert torch.backends.mha.get_fastpath_enabled() == before
