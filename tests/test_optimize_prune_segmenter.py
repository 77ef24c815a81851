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


def test_distill_takes_a_segmenters_soft_targets_over_its_classes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The soft targets were a softmax over the output's last dimension: a (B, 3, 32, 32) segmentation map was read
    as B x 3 x 32 distributions over the 32 pixels of a row. Its classes are on dim 1, where F.cross_entropy reads
    them from (N, C, d1, ...) scores and (N, d1, ...) class-index targets (the loss_fn here): B x 32 x 32 pixel
    distributions over 3 classes."""
    import torch.nn.functional as F

    seen: list[tuple[int, ...]] = []
    kl_div = F.kl_div

    def spy(s: torch.Tensor, t: torch.Tensor, *args: object, **kw: object) -> torch.Tensor:
        seen.append(tuple(s.shape))
        return kl_div(s, t, *args, **kw)

    monkeypatch.setattr(F, "kl_div", spy)
    v = get_technique("distill").apply(_with_eval(_bundle()), CPU, {"steps": 2})
    assert seen and set(seen) == {(4 * 32 * 32, 3)}, seen
    assert any("soft targets over dim 1" in n for n in v.notes), v.notes


def _with_eval(bundle: ModelBundle) -> ModelBundle:
    bundle.eval_batches = bundle.batches
    bundle.metric = "loss"
    return bundle


def test_accuracy_on_a_segmenters_map_is_scored_per_pixel_over_dim_1() -> None:
    """metric 'accuracy' on a (16, 3, 32, 32) map with (16, 32, 32) targets said 'the argmax of the last dim of the
    output, shape (16, 3, 32)' (the argmax's shape, read as the output's) and offered one-hot targets as the fix; it
    then refused the map, asking for a callable metric. It now scores each pixel's argmax over the 3 classes
    (test_optimize_segmenter_metrics.py holds the known figures)."""
    from accelopt.optimize.compress import batch_quality

    bundle = _bundle()
    bundle.metric = "accuracy"
    out = torch.randn(16, 3, 32, 32)
    hits, weight = batch_quality(bundle, out, out.argmax(1))
    assert (hits, weight) == (16 * 32 * 32, 16 * 32 * 32)


class _ConvLast(nn.Module):
    """A Conv1d tagger whose 5 class channels are moved last: (B, T, C) = (2, 16, 5)."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv1d(4, 32, 3, padding=1)
        self.b = nn.Conv1d(32, 5, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.b(torch.relu(self.a(x))).transpose(1, 2)


def test_a_conv_output_moved_last_is_refused_not_pruned_silently() -> None:
    """The README's claim (rev3): a conv is an output layer by dim 1 only, so a conv output transposed to (B, T, C) is
    not found as one; the check after pruning then refuses the changed output shape, rather than returning a model
    with fewer classes."""
    from accelopt.errors import UnsupportedError
    from accelopt.optimize.pruning import _output_shape

    m, x = _ConvLast(), (torch.randn(2, 4, 16),)
    assert _output_shape(m, x) == (16, 5) and output_layers(m, (16, 5), x) == []
    with pytest.raises(UnsupportedError, match="changed the model's output shape") as e:
        prune_structured(m, x, 0.5)
    # it said only 'changed the model's output shape' and 'report this model': the shapes and the rule now
    assert "from (16, 5) to (16, " in e.value.problem and "a conv's channels on dim 1" in e.value.problem, e.value
    assert "--skip prune-structured" in e.value.fix, e.value.fix
