"""prune-structured on a segmentation net: its output is (B, classes, H, W), the classes on dim 1 as torch's convs
lay them out. The output layer was found by the output's last dimension alone (W, 32 here), so the 3-class 1x1
output conv was pruned to fewer classes and the 32-channel hidden convs kept whole; the fine-tune then failed with
cross_entropy's 'Target 1 is out of bounds' blamed on the user's model (a U-Net, ut3opt trial), and distill's
student, derived by the same pruning, failed alike."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from accelopt.optimize.base import Target, get_technique
from accelopt.optimize.pruning import output_layers, prune_structured
from accelopt.workload.userfile import ModelBundle

pytest.importorskip("torch_pruning")

pytestmark = pytest.mark.usefixtures("torch_one_thread")  # conftest: these models are tiny

CPU = Target(mode="inference", device="cpu", budget_s=30)


class _Seg(nn.Module):
    """Two 32-channel convs and a 1x1 conv to 3 classes per pixel, on 32x32 images: (B, 3, 32, 32)."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1),
                                  nn.ReLU())
        self.out = nn.Conv2d(32, 3, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.body(x))


def _bundle() -> ModelBundle:
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    data = [(torch.randn(4, 1, 32, 32, generator=g), torch.randint(0, 3, (4, 32, 32), generator=g))
            for _ in range(2)]
    return ModelBundle(name="seg", model=_Seg().eval(), batches=lambda: iter(data), batch_size=4,
                       loss_fn=nn.functional.cross_entropy)


def test_the_class_conv_of_a_segmenter_is_its_output_layer_and_the_hidden_convs_are_pruned() -> None:
    bundle = _bundle()
    x = next(bundle.batches())[0]  # (4, 1, 32, 32)
    heads = output_layers(bundle.model, (3, 32, 32), (x,))
    assert heads == [bundle.model.out], heads
    done = prune_structured(copy.deepcopy(bundle.model), (x,), 0.5)
    convs = [m.out_channels for m in done.model.modules() if isinstance(m, nn.Conv2d)]
    assert convs == [16, 16, 3], convs  # hidden 32 -> 16; the 3 classes kept
    assert done.never_pruned == ["out"], done.never_pruned
    assert done.model(x).shape == (4, 3, 32, 32)


def test_prune_structured_fine_tunes_a_segmenter() -> None:
    v = get_technique("prune-structured").apply(_bundle(), CPU, {"ratio": 0.5, "finetune_steps": 2})
    assert v.model(torch.randn(2, 1, 32, 32)).shape == (2, 3, 32, 32)
