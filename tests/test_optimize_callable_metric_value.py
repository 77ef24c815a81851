"""A callable metric that returns text, or one value per sample, or raises, was reported as the model's error:
"model 'param-mod' raised ValueError scoring baseline on the held-out batches (eval_batches, metric <lambda>): could
not convert string to float: 'high'" (and 'only one element tensors can be converted to Python scalars' for a
per-sample Tensor), with the fix 'check that model(*inputs), loss_fn(output, targets) ... run', sending the user to
the model. As loss_fn's value is checked (ModelBundle.scalar_loss), the metric's now is (scalar_metric), and a metric
that raises is named as the metric."""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from accelopt.errors import InputError  # noqa: E402
from accelopt.optimize.runner import RunOptions, run_optimize  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402


def _bundle(metric: Any) -> ModelBundle:
    g = torch.Generator().manual_seed(0)
    data = [(torch.randn(8, 6, generator=g), torch.randint(0, 3, (8,), generator=g)) for _ in range(2)]
    return ModelBundle(name="tiny", model=nn.Linear(6, 3), batches=lambda: iter(data), batch_size=8,
                       eval_batches=lambda: iter(data), loss_fn=nn.functional.cross_entropy, metric=metric,
                       higher_is_better=True)


def _run(metric: Any) -> Any:
    return run_optimize(_bundle(metric), RunOptions(only=["bf16"], rounds=3, block_s=0.001, profile_bounds=False,
                                                    combinations=0))


def hits(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (out.argmax(-1) == y).float()  # (B,): one value per sample, not the batch's


def raises(out: torch.Tensor, y: torch.Tensor) -> float:
    raise KeyError("labels")


@pytest.mark.parametrize(("metric", "problem"), [
    (lambda out, y: "high", "the metric <lambda> of model 'tiny' returned str 'high', not one number"),
    (hits, "the metric hits of model 'tiny' returned Tensor of shape (8,), not one number"),
    (lambda out, y: None, "the metric <lambda> of model 'tiny' returned NoneType None, not one number"),
])
def test_a_metric_value_that_is_not_one_number_is_named_as_the_metrics(metric: Any, problem: str) -> None:
    with pytest.raises(InputError) as e:
        _run(metric)
    assert e.value.problem == problem
    assert "make the metric return one number" in e.value.fix


def test_a_metric_that_raises_is_named_as_the_metric() -> None:
    with pytest.raises(InputError) as e:
        _run(raises)
    assert "raised KeyError in its metric raises(outputs, targets)" in e.value.problem, e.value.problem


@pytest.mark.parametrize("value", [0.5, torch.tensor(0.5), torch.tensor([0.5])])
def test_a_number_or_a_one_element_tensor_scores(value: Any) -> None:
    result, _ = _run(lambda out, y: value)
    assert result.baseline.quality is not None and result.baseline.quality.value == pytest.approx(0.5)
