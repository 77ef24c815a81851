"""prune-structured keeps every output's layer whole, not only the scores'. A (class logits, boxes) model's (B, 4)
box head was taken for a hidden layer, as only the logits' shape was looked at: pruned to 2 columns, the fine-tune
then failed in the user's loss_fn ('The size of tensor a (2) must match the size of tensor b (4)'), the error
sending the user to their own model (ut4opt trial, `accelopt optimize clsbox.py:build`)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("torch_pruning")

from torch import nn  # noqa: E402

from accelopt.optimize.pruning import prune_structured  # noqa: E402


class ClsBox(nn.Module):
    """(B, 20) -> ((B, 5) class scores, (B, 4) box coordinates)."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Linear(20, 32), nn.GELU(), nn.Linear(32, 32), nn.GELU())
        self.cls = nn.Linear(32, 5)
        self.box = nn.Linear(32, 4)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.body(x)
        return self.cls(h), self.box(h)


def test_a_second_outputs_layer_is_kept_whole() -> None:
    torch.manual_seed(0)
    model = ClsBox().eval()
    x = (torch.randn(3, 20),)
    done = prune_structured(model, x, 0.5)
    logits, boxes = model(*x)
    assert logits.shape == (3, 5) and boxes.shape == (3, 4)
    assert "box" in done.never_pruned and "cls" in done.never_pruned
    assert model.body[0].out_features == 16 and model.body[2].out_features == 16  # the hidden layers still pruned
