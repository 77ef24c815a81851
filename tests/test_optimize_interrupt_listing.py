"""After a Ctrl-C, the techniques that never started are listed: those that never apply here (power-limit, tf32 on a
CPU) with their reason, as when the budget runs out, not as 'interrupted (Ctrl-C) before it started' (which reads
as if a run left alone would have measured them)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from accelopt.optimize import base  # noqa: E402
from accelopt.optimize.base import Target, Technique, Variant  # noqa: E402
from accelopt.optimize.runner import RunOptions, run_optimize  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402


class _Interrupt(Technique):
    name = "test-interrupt"
    family = "test"
    modes = ("train", "inference")
    changes = risks = "test"

    def apply(self, bundle: Any, target: Target, options: dict[str, Any]) -> Variant:
        raise KeyboardInterrupt


class _Later(_Interrupt):
    name = "test-later"  # after test-interrupt in name order; applies anywhere

    def apply(self, bundle: Any, target: Target, options: dict[str, Any]) -> Variant:
        return Variant(technique=self.name, model=bundle.model, forward=bundle.model)


@pytest.fixture
def fakes() -> Iterator[None]:
    for cls in (_Interrupt, _Later):
        base.register(cls)
    yield
    for cls in (_Interrupt, _Later):
        base._REGISTRY.pop(cls.name, None)


def _bundle() -> ModelBundle:
    torch.manual_seed(0)
    data = [(torch.randn(8, 16), torch.randint(0, 4, (8,))) for _ in range(2)]
    return ModelBundle(name="mlp", model=nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4)),
                       batches=lambda: iter(data), loss_fn=nn.functional.cross_entropy, batch_size=8,
                       eval_batches=lambda: iter(data), metric="accuracy")


def test_a_technique_that_never_applies_here_says_why_after_ctrl_c(fakes: None) -> None:
    # techniques run in name order: test-interrupt raises KeyboardInterrupt before test-later and tf32 start
    opts = RunOptions(only=["test-interrupt", "test-later", "tf32"], rounds=3, block_s=0.005, warmup=1,
                      profile_bounds=False)
    res, _ = run_optimize(_bundle(), opts)
    assert res.interrupted
    later, tf32 = res.get("test-later"), res.get("tf32")
    assert later is not None and later.status == "not-run"
    assert later.reason == "interrupted (Ctrl-C) before it started"
    assert tf32 is not None and tf32.status == "not-applicable", tf32
    assert tf32.reason is not None and "Ctrl-C" not in tf32.reason and "CPU" in tf32.reason
