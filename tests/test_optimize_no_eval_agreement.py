"""A model without eval_batches (a zoo model, a Hugging Face config, a user file without held-out data) had no check
at all of a non-lossy variant's outputs: max |diff| and top-1 agreement were null and the finiteness of its outputs
was never looked at, so a variant returning NaN (fp16 overflowing, a broken export), or constant logits, was
measured fast and recommended ('quality not measured'). Inference variants are now run on the first training
batches, fetched once and reused for every variant (a batches() drawing new random data per call must not read as
disagreement), and compared with the baseline's outputs there: max |diff| and top-1 agreement filled, non-finite
outputs a quality failure, never recommended."""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from accelopt.optimize import base  # noqa: E402
from accelopt.optimize.base import Target, Technique, Variant  # noqa: E402
from accelopt.optimize.runner import RunOptions, run_optimize  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402


class _NaNs(Technique):
    """Very fast and non-finite, as an fp16 variant overflowing to inf would be."""

    name = "test-noeval-nan"
    family = "test"
    modes = ("train", "inference")
    changes = risks = "test"

    def apply(self, bundle: Any, target: Target, options: dict[str, Any]) -> Variant:
        return Variant(technique=self.name, model=None, forward=lambda x: torch.full((x.shape[0], 3), float("nan")))


class _Same(_NaNs):
    """The model itself, as a non-lossy technique that keeps the function (compile) would be."""

    name = "test-noeval-same"

    def apply(self, bundle: Any, target: Target, options: dict[str, Any]) -> Variant:
        return Variant(technique=self.name, model=bundle.model, forward=bundle.model)


def _bundle() -> ModelBundle:
    torch.manual_seed(0)

    def batches() -> Any:  # new random data on every call, as a synthetic zoo-style loader may draw
        return iter([(torch.randn(8, 6), torch.randint(0, 3, (8,))) for _ in range(3)])

    model = nn.Sequential(nn.Linear(6, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3)).eval()
    return ModelBundle(name="no-held-out", model=model, batches=batches, loss_fn=nn.functional.cross_entropy,
                       batch_size=8)


@pytest.fixture
def fakes() -> Any:
    for cls in (_NaNs, _Same):
        base.register(cls)
    yield
    for cls in (_NaNs, _Same):
        base._REGISTRY.pop(cls.name, None)


def _run() -> Any:
    result, _ = run_optimize(_bundle(), RunOptions(only=[_NaNs.name, _Same.name], rounds=3, block_s=0.005,
                                                   profile_bounds=False, combinations=0, progress=lambda m: None))
    return result


def test_non_finite_outputs_without_eval_batches_are_a_quality_failure(fakes: Any) -> None:
    result = _run()
    nan = result.get(_NaNs.name)
    assert nan is not None and nan.status == "quality-failure", (nan.status, nan.reason)
    assert result.recommendation is not None and result.recommendation.name != _NaNs.name


def test_outputs_are_compared_with_the_baselines_on_the_same_training_batches(fakes: Any) -> None:
    same = _run().get(_Same.name)
    assert same is not None and same.quality is not None
    assert same.quality.value is None  # no quality: nothing held out
    assert same.quality.max_abs_diff == 0.0 and same.quality.top1_agreement == 1.0


class _NaNLoss(_NaNs):
    """Train mode: a step whose loss is NaN (fp16 without a GradScaler overflowing, a broken fused optimizer)."""

    name = "test-noeval-nan-loss"
    modes = ("train",)

    def apply(self, bundle: Any, target: Target, options: dict[str, Any]) -> Variant:
        def step(inputs: Any, targets: Any) -> Any:
            return torch.tensor(float("nan"))

        return Variant(technique=self.name, model=bundle.model, forward=bundle.model, train_step=step)


def test_a_train_variant_whose_loss_is_not_finite_is_a_quality_failure_without_eval_batches() -> None:
    base.register(_NaNLoss)
    try:
        result, _ = run_optimize(_bundle(), RunOptions(mode="train", only=[_NaNLoss.name], rounds=3, block_s=0.005,
                                                       profile_bounds=False, combinations=0, quality_steps=2,
                                                       progress=lambda m: None))
    finally:
        base._REGISTRY.pop(_NaNLoss.name, None)
    nan = result.get(_NaNLoss.name)
    assert nan is not None and nan.status == "quality-failure", (nan.status, nan.reason)
    assert result.recommendation is not None and result.recommendation.name == "baseline"
    assert any("loss over 2 training steps (--quality-steps) was checked finite" in n for n in result.notes)


def test_an_output_whose_one_row_is_over_the_cap_is_cut_to_the_cap() -> None:
    """review_s16: the cap kept 'at least one row', and one row of a language model's (B, T, vocab) logits is T x
    vocab elements (8192 x 152064 = 1.25 G, 5 GB in fp32, per batch and variant). Now the rows of the last dimension
    (each a score vector, so top-1 still compares them) are kept up to the cap: here 2 x 1100 x 4000 scores, each
    sample's 4.4 M over the 4.19 M cap, keep 1048 score rows of 4000 (was 4.4 M elements, a whole sample)."""
    from accelopt.optimize.runner import AGREEMENT_MAX_ELEMENTS, _outputs_on

    big = Variant(technique="test-big", model=None, forward=lambda x: torch.ones(2, 1100, 4000))
    scored = _outputs_on(big, _bundle(), Target(mode="inference", device="cpu"), [(torch.zeros(2, 6),)])
    (kept,) = scored.outputs
    assert kept.numel() <= AGREEMENT_MAX_ELEMENTS and kept.shape == (AGREEMENT_MAX_ELEMENTS // 4000, 4000)
