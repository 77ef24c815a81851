"""prune-structured (and distill's student) on a GRU classifier printed torch-pruning's UserWarning twice on stderr:
'Unwrapped parameters detected: [gru.weight_ih_l0, ...]. Torch-Pruning will prune the last non-singleton dimension
of these parameters. If you wish to change this behavior, please provide an unwrapped_parameters argument.' An
argument of a library call accelopt makes, which its user cannot pass; the MetaPruner call's warnings were already
silenced, the per-group trials' were not."""

from __future__ import annotations

import warnings

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torch_pruning")

from test_optimize_coverage_notes import _GruNet  # noqa: E402  (Embedding, GRU, Linear)
from torch import nn  # noqa: E402

from accelopt.errors import UnsupportedError  # noqa: E402
from accelopt.optimize.base import Target, get_technique  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402


def test_no_unwrapped_parameters_warning_reaches_the_user() -> None:
    torch.manual_seed(0)
    data = [(torch.randint(0, 50, (4, 12)), torch.randint(0, 5, (4,))) for _ in range(2)]
    b = ModelBundle(name="gru", model=_GruNet(), batches=lambda: iter(data), batch_size=4,
                    eval_batches=lambda: iter(data), loss_fn=nn.functional.cross_entropy, metric="accuracy")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with pytest.raises(UnsupportedError, match="could be pruned structurally"):  # as before: nothing prunable
            get_technique("prune-structured").apply(b, Target(mode="inference", device="cpu"), {"finetune_steps": 0})
    assert not [w for w in seen if "unwrapped_parameters" in str(w.message)], [str(w.message) for w in seen]
