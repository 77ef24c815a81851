"""A run the time budget (--budget-min) cut short listed each technique it did not start as not run, but nothing
beside the recommendation said it was drawn from a subset (a Ctrl-C run gets a note saying so; a budget cut did
not): "fastest inside the tolerance: 1.18x" read like the best of all 23 techniques when 11 never ran."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from accelopt.optimize.runner import RunOptions, run_optimize  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402


def _bundle() -> ModelBundle:
    g = torch.Generator().manual_seed(0)
    data = [(torch.randn(4, 6, generator=g), torch.randint(0, 3, (4,), generator=g)) for _ in range(2)]
    return ModelBundle(name="tiny", model=nn.Linear(6, 3), batches=lambda: iter(data), batch_size=4,
                       eval_batches=lambda: iter(data), loss_fn=nn.functional.cross_entropy, metric="accuracy")


def test_a_budget_cut_run_says_the_recommendation_is_from_a_subset() -> None:
    result, _ = run_optimize(_bundle(), RunOptions(only=["prune-unstructured", "channels-last"], budget_s=1e-6,
                                                   rounds=3, block_s=0.001, profile_bounds=False, combinations=0))
    cut = [r.name for r in result.variants if r.status == "not-run"]
    assert cut == ["prune-unstructured"]  # channels-last is not applicable anyway (no conv), and says so
    assert any("--budget-min" in n and "1 technique" in n and "prune-unstructured" in n for n in result.notes), \
        result.notes


def test_a_run_inside_its_budget_has_no_such_note() -> None:
    result, _ = run_optimize(_bundle(), RunOptions(only=["prune-unstructured"], rounds=3, block_s=0.001,
                                                   profile_bounds=False, combinations=0))
    assert not any("--budget-min" in n for n in result.notes), result.notes
