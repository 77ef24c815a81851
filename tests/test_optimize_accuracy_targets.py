"""metric 'accuracy' with one-hot targets: argmax(-1) of (B, C) scores is (B,), compared with (B, C) targets.
With B != C it failed deep in scoring ("The size of tensor a (8) must match the size of tensor b (4)"); with
B == C torch broadcast the comparison to (B, B) and the accuracy was a silent wrong number. Targets that are
not the scores' shape less its last dim are now a clear error with the fix."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from accelopt.errors import InputError  # noqa: E402
from accelopt.optimize.compress import batch_quality  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402


def _bundle() -> ModelBundle:
    data = [(torch.randn(4, 6), torch.zeros(4, dtype=torch.long))]
    return ModelBundle(name="m", model=nn.Linear(6, 4), batches=lambda: iter(data), batch_size=4,
                       eval_batches=lambda: iter(data), loss_fn=nn.functional.cross_entropy, metric="accuracy")


@pytest.mark.parametrize("batch", [4, 8])  # 4: as many rows as classes, where the broadcast hid the mistake
def test_one_hot_targets_are_a_clear_error(batch: int) -> None:
    scores = torch.randn(batch, 4)  # (B, C)
    one_hot = nn.functional.one_hot(scores.argmax(-1), 4).float()  # (B, C)
    with pytest.raises(InputError, match=rf"accuracy.*\({batch}, 4\).*\({batch},\)") as e:
        batch_quality(_bundle(), scores, one_hot)
    assert "argmax" in e.value.fix


def test_class_index_targets_score_as_before() -> None:
    scores = torch.tensor([[0.1, 0.9, 0.0, 0.0], [0.8, 0.1, 0.0, 0.1], [0.0, 0.0, 1.0, 0.0]])  # argmax 1, 0, 2
    assert batch_quality(_bundle(), scores, torch.tensor([1, 0, 3])) == (2.0, 3.0)
