"""The first batch a technique runs by hand (compile's warm-up calls, activation-checkpointing's saved-bytes counts,
the power-limit sweep's step) is moved to the target's device whole: compile's warm-up moved only a targets Tensor
and left a dict of labels on the host, so on a GPU the loss met host labels beside device logits and the variant
was reported as 'torch.compile failed on this model'. The meta device stands in for a GPU here (no copy made to it
goes unseen: a label left behind stays a CPU tensor)."""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from accelopt.optimize.base import Target  # noqa: E402
from accelopt.optimize.compiling import _warm  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402

ON_META = Target(mode="train", device="meta", budget_s=60)


def _bundle(seen: list[str]) -> ModelBundle:
    def loss(out: Any, t: dict[str, Any]) -> Any:
        seen.append(t["label"].device.type)
        return out.float().sum()

    data = [(torch.randn(4, 8), {"label": torch.randint(0, 4, (4,))})]
    return ModelBundle(name="dict-targets", model=nn.Linear(8, 4), batches=lambda: iter(data), loss_fn=loss,
                       batch_size=4)


def test_compile_warm_up_moves_a_dict_of_labels_to_the_device() -> None:
    seen: list[str] = []
    _warm(nn.Linear(8, 4).to("meta"), _bundle(seen), ON_META, None)
    assert seen == ["meta", "meta"]  # both warm-up calls; before: ['cpu', 'cpu']


def test_the_first_batch_on_the_device_keeps_its_structure() -> None:
    from accelopt.optimize.steps import first_batch_on

    inputs, targets = first_batch_on(_bundle([]), ON_META)
    assert isinstance(inputs, tuple) and inputs[0].device.type == "meta"
    assert isinstance(targets, dict) and targets["label"].device.type == "meta"
