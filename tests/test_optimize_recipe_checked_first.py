"""An --apply recipe whose grad-accumulation micro_batches exceeds the model's batch size was refused when its turn
came, after the baseline (and profile's bounds) had been measured; the README promises a bad recipe is an error
'before anything is measured'. Technique.check_bundle now sees the recipe's options before the baseline runs."""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from accelopt.errors import InputError  # noqa: E402
from accelopt.optimize import runner  # noqa: E402
from accelopt.optimize.runner import RunOptions, run_optimize  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402


def _bundle() -> ModelBundle:
    torch.manual_seed(0)
    data = [(torch.randn(8, 16), torch.randint(0, 4, (8,))) for _ in range(2)]
    return ModelBundle(name="mlp", model=nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4)),
                       batches=lambda: iter(data), loss_fn=nn.functional.cross_entropy, batch_size=8)


@pytest.fixture
def measured(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    names: list[str] = []
    real = runner._Run.measure

    def measure(self: Any, r: Any, v: Any, base: Any) -> Any:
        names.append(r.name)
        return real(self, r, v, base)

    monkeypatch.setattr(runner._Run, "measure", measure)
    return names


def test_micro_batches_over_the_batch_size_is_refused_before_measuring(measured: list[str]) -> None:
    opts = RunOptions(mode="train", recipe=[("grad-accumulation", {"micro_batches": 64})], rounds=3, block_s=0.005,
                      warmup=1, profile_bounds=False)
    with pytest.raises(InputError, match=r"micro_batches = 64 .* batch size \(8\)"):
        run_optimize(_bundle(), opts)
    assert measured == []


def test_micro_batches_in_range_runs(measured: list[str]) -> None:
    opts = RunOptions(mode="train", recipe=[("grad-accumulation", {"micro_batches": 4})], rounds=3, block_s=0.005,
                      warmup=1, profile_bounds=False)
    res, _ = run_optimize(_bundle(), opts)
    assert measured == ["baseline", "grad-accumulation"] and res.get("grad-accumulation").measured  # type: ignore[union-attr]
