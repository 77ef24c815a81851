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


# Held-out labels outside the scores' class range (labels numbered 1..C, or another task's labels): no argmax can
# match them, so the baseline and every variant scored 0% and every variant was 'within tolerance' of it (a 4-class
# MLP with eval labels 4..7: baseline 0.00%, prune-unstructured 0% recommended-eligible, the quality guard void).
@pytest.mark.parametrize(("targets", "shown"), [([1, 4, 2], "1..4"), ([0, -1, 2], "-1..2")])
def test_targets_outside_the_class_range_are_a_clear_error(targets: list[int], shown: str) -> None:
    scores = torch.randn(3, 4)  # (B, C=4): classes 0..3
    with pytest.raises(InputError, match=rf"targets range {shown}.*4 classes.*0\.\.3") as e:
        batch_quality(_bundle(), scores, torch.tensor(targets))
    assert "eval_batches" in e.value.fix


def test_padding_the_loss_ignores_is_left_out_of_accuracy() -> None:
    # F.cross_entropy's ignore_index -100 marks padding: torch's mean leaves it out, and so does accuracy (it was
    # counted as a miss: 2 hits of 4 read 50% where the 2 real tokens were both right)
    scores = torch.tensor([[0.1, 0.9, 0.0, 0.0], [0.8, 0.1, 0.0, 0.1], [0.0, 0.0, 1.0, 0.0], [1.0, 0, 0, 0]])
    assert batch_quality(_bundle(), scores, torch.tensor([1, 0, -100, -100])) == (2.0, 2.0)
