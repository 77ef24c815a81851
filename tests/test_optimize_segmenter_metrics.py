"""optimize's accuracy, top-1 agreement and chance checks on a segmenter's (B, classes, H, W) map: they took the
argmax over the LAST dimension (W), so accuracy refused the map (or, had it run, compared pixels of a row) and a
variant's top-1 agreement with the baseline was the agreement of argmaxes over W. They now read the classes' dim
as distill does (compress.class_dim, F.cross_entropy's (N, C, d1, ...) layout): per pixel over the classes.

The model here is the identity on 3-channel maps, so its per-pixel class is the input's argmax over dim 1; the
targets are that class except on row 0 (class + 1), so the baseline's pixel accuracy is 3/4 by construction. The
fake technique shifts the classes by one on column 0 (roll over dim 1: argmax + 1): it agrees with the baseline on
3 columns of 4 (75%), and hits the targets on rows 1-3 of columns 1-3 and on pixel (0, 0): 10 pixels of 16."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import torch
from _fake_technique import SameModel, registered
from torch import nn

from accelopt.optimize import runner
from accelopt.optimize.base import Target, Variant
from accelopt.optimize.compress import batch_quality
from accelopt.optimize.runner import RunOptions, _agreement, _score, run_optimize
from accelopt.workload.userfile import ModelBundle

pytestmark = pytest.mark.usefixtures("torch_one_thread")  # conftest: these models are tiny

B, C, H, W = 8, 3, 4, 4


def _data() -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.randn(B, C, H, W, generator=torch.Generator().manual_seed(0))  # (B, C, H, W), no ties
    y = x.argmax(1)  # (B, H, W): the identity's class per pixel
    y[:, 0, :] = (y[:, 0, :] + 1) % C  # row 0 wrong: 3/4 of the pixels hit
    return x, y


class _Identity(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.clone()


def _shift_column_0(x: torch.Tensor) -> torch.Tensor:
    out = x.clone()
    out[..., 0] = x[..., 0].roll(1, dims=1)  # classes of column 0 shifted: argmax + 1 there
    return out


def _bundle() -> ModelBundle:
    x, y = _data()
    return ModelBundle(name="seg", model=_Identity(), batches=lambda: iter([(x, y)]), batch_size=B,
                       loss_fn=nn.functional.cross_entropy, eval_batches=lambda: iter([(x, y)]), metric="accuracy")


def test_accuracy_of_a_segmenters_map_is_per_pixel_over_its_classes() -> None:
    x, y = _data()
    hits, weight = batch_quality(_bundle(), x, y)
    assert (hits, weight) == (B * H * W * 3 / 4, B * H * W)
    hits, _ = batch_quality(_bundle(), _shift_column_0(x), y)
    assert hits == B * 10


def test_the_baseline_scores_three_classes_on_dim_1() -> None:
    bundle = _bundle()
    v = Variant(technique="baseline", model=bundle.model, forward=bundle.model)
    scored = _score(v, bundle, Target(mode="inference", device="cpu"), keep_outputs=True, strict=True)
    assert scored.value == 0.75 and scored.classes == C and scored.class_dim == 1, scored
    assert scored.counted == B * H * W


def test_top1_agreement_of_a_segmenters_map_is_per_pixel() -> None:
    x, _ = _data()
    assert _agreement([_shift_column_0(x)], [x], 1) == (pytest.approx(float((_shift_column_0(x) - x).abs().max())),
                                                        0.75)


class _ShiftColumn0(SameModel):
    name = "test-seg-shift"
    lossy = True

    def apply(self, bundle: Any, target: Target, options: dict[str, Any]) -> Variant:
        return Variant(technique=self.name, model=bundle.model, forward=lambda x: _shift_column_0(bundle.model(x)))


@pytest.fixture
def fake() -> Iterator[None]:
    with registered(_ShiftColumn0):
        yield


def _optimize(monkeypatch: pytest.MonkeyPatch, bundle: ModelBundle) -> Any:
    def timed_for(step: Any, block_s: float, sync: Any, min_n: int = 2) -> list[float]:
        return [1e-3] * max(min_n, 3)

    monkeypatch.setattr(runner, "_timed_for", timed_for)
    opts = RunOptions(only=[_ShiftColumn0.name], rounds=3, warmup=0, combinations=0, profile_bounds=False,
                      progress=lambda msg: None)
    return run_optimize(bundle, opts)[0]


def test_run_optimize_reports_per_pixel_accuracy_and_agreement(monkeypatch: pytest.MonkeyPatch, fake: None) -> None:
    res = _optimize(monkeypatch, _bundle())
    base, shifted = res.get("baseline").quality, res.get(_ShiftColumn0.name).quality
    assert base.value == 0.75 and base.top1_agreement == 1.0
    assert shifted.value == 10 / 16 and shifted.top1_agreement == 0.75, shifted
    assert not any(n.startswith("ACCURACY AT CHANCE") for n in res.notes), res.notes


def test_loss_at_chance_reads_a_segmenters_cross_entropy_per_pixel() -> None:
    """metric 'loss': the chance check's per-target cross-entropies (and their argmax hits) are the pixels' over the 3
    classes (their mean is F.cross_entropy's, hits 3/4), and the classes it compares ln C with are 3, not W."""
    bundle = _bundle()
    bundle.metric = "loss"
    x, y = _data()
    v = Variant(technique="baseline", model=bundle.model, forward=bundle.model)
    scored = _score(v, bundle, Target(mode="inference", device="cpu"), keep_outputs=False, strict=True)
    assert scored.classes == C and scored.cross_entropy is not None, scored
    n, mean, _, hit = scored.cross_entropy
    assert n == B * H * W and hit == 0.75
    assert mean == pytest.approx(float(nn.functional.cross_entropy(x, y)), rel=1e-6)


def test_without_eval_batches_agreement_is_per_pixel(monkeypatch: pytest.MonkeyPatch, fake: None) -> None:
    """Without eval_batches the outputs are compared on the first training batches, cut to score rows along the last
    dim (_capped): a segmenter's map is cut per pixel over its classes, the training targets' shape saying where."""
    bundle = _bundle()
    bundle.eval_batches, bundle.metric = None, "loss"
    res = _optimize(monkeypatch, bundle)
    assert res.get(_ShiftColumn0.name).quality.top1_agreement == 0.75, res.get(_ShiftColumn0.name).quality


class _OneChannelMap(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, :1].clone()  # (B, 1, H, W): one score per pixel, no classes to pick among


def test_accuracy_of_a_one_channel_map_names_dim_1_and_a_callable_that_reads_it() -> None:
    """rev3 (review of ut3opt2): a (B, 1, H, W) map with (B, H, W) targets holds its classes on dim 1 (class_dim), and
    accuracy is refused there (one class), but the error said 'the argmax of the last dimension' (W, 4 wide) and
    offered a callable squeezing dim -1, which does not remove the map's 1-wide dim 1."""
    from accelopt.errors import InputError

    x, y = _data()
    bundle = ModelBundle(name="seg1", model=_OneChannelMap(), batches=lambda: iter([(x, y)]), batch_size=B,
                         loss_fn=nn.functional.mse_loss, eval_batches=lambda: iter([(x, y)]), metric="accuracy")
    v = Variant(technique="baseline", model=bundle.model, forward=bundle.model)
    with pytest.raises(InputError) as e:
        _score(v, bundle, Target(mode="inference", device="cpu"), keep_outputs=False, strict=True)
    assert "argmax over dim 1" in e.value.problem and "(8, 1, 4, 4)" in e.value.problem, e.value.problem
    assert "(B, classes, d1, ...)" in e.value.fix and "out.squeeze(1)" in e.value.fix, e.value.fix
    assert _OneChannelMap()(x).squeeze(1).shape == y.shape  # the offered callable's comparison lines up


def test_distill_refuses_a_one_channel_map_naming_dim_1() -> None:
    """distill's class-score check reads class_dim too: a (B, 1, H, W) map was 'no class scores along its last
    dimension' (its last dim is 4 wide); it names dim 1, where the targets put the classes."""
    from accelopt.errors import UnsupportedError
    from accelopt.optimize.distillation import _check_class_scores

    x, y = _data()
    bundle = ModelBundle(name="seg1", model=_OneChannelMap(), batches=lambda: iter([(x, y)]), batch_size=B,
                         loss_fn=nn.functional.mse_loss)
    with pytest.raises(UnsupportedError) as e:
        _check_class_scores(bundle, Target(mode="train", device="cpu"))
    assert "no class scores along dim 1" in str(e.value.problem), e.value.problem
    assert _check_class_scores(_bundle(), Target(mode="train", device="cpu")) == 1
