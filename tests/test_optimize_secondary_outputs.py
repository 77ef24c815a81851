"""A model's outputs besides its scores are checked finite too. A (logits, regression) model scored by a callable
metric on the logits had a variant whose regression head gave NaN rated as keeping the quality, and a baseline whose
second output was NaN for every sample measured and recommended without a word: only the first Tensor of the output
(the scores) was checked for NaN/inf, held out and in the no-eval_batches comparison alike."""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from accelopt.optimize.base import Target, Variant  # noqa: E402
from accelopt.optimize.runner import _outputs_on, _score  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402


class TwoHead(nn.Module):
    """(B, 4) -> ((B, 3) class scores, (B,) a regression head); `broken` makes the regression head NaN."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Linear(4, 8)
        self.cls = nn.Linear(8, 3)
        self.reg = nn.Linear(8, 1)
        self.broken = False

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = torch.relu(self.body(x))
        reg = self.reg(h).squeeze(-1)
        return self.cls(h), (reg * float("nan") if self.broken else reg)


def _batches() -> list[tuple[torch.Tensor, Any]]:
    g = torch.Generator().manual_seed(0)
    return [(torch.randn(6, 4, generator=g), (torch.randint(0, 3, (6,), generator=g), torch.randn(6, generator=g)))
            for _ in range(2)]


def _metric(out: Any, y: Any) -> float:
    return float((out[0].argmax(-1) == y[0]).float().mean())


def _bundle(model: TwoHead, held_out: bool = True) -> ModelBundle:
    torch.manual_seed(0)
    data = _batches()
    return ModelBundle(name="two-head", model=model, batches=lambda: iter(data),
                       loss_fn=lambda out, y: nn.functional.cross_entropy(out[0], y[0]), batch_size=6,
                       eval_batches=(lambda: iter(data)) if held_out else None, metric=_metric,
                       higher_is_better=True)


def test_a_nan_second_output_is_a_quality_failure_held_out() -> None:
    torch.manual_seed(0)
    model = TwoHead()
    b = _bundle(model)
    target = Target(mode="inference", device="cpu")
    good = _score(Variant(technique="baseline", model=model, forward=model), b, target, keep_outputs=True, strict=True)
    assert good.finite and good.outputs_finite and good.non_finite is None
    model.broken = True
    bad = _score(Variant(technique="prune", model=model, forward=model), b, target, keep_outputs=True, strict=True)
    assert bad.value == good.value  # the logits, and so the metric, are unchanged: only the check can see it
    assert not bad.finite and not bad.outputs_finite
    assert bad.non_finite is not None and "output item 1" in bad.non_finite and "6 NaN/inf of its 6" in bad.non_finite


def test_a_nan_second_output_is_a_quality_failure_without_eval_batches() -> None:
    model = TwoHead()
    b = _bundle(model, held_out=False)
    target = Target(mode="inference", device="cpu")
    inputs = [x for x, _ in _batches()]
    good = _outputs_on(Variant(technique="baseline", model=model, forward=model), b, target,
                                   [(x,) for x in inputs], None)
    assert good.finite
    model.broken = True
    bad = _outputs_on(Variant(technique="prune", model=model, forward=model), b, target,
                                  [(x,) for x in inputs], None)
    assert not bad.finite and bad.non_finite is not None and "output item 1" in bad.non_finite


def test_accuracy_with_a_tuple_of_targets_names_the_tuple() -> None:
    """metric 'accuracy' on a (labels, regression) pair of targets said 'with the targets, shape ()': the targets
    were a tuple of two (64,) Tensors, and the fix did not say how to score one of them."""
    from accelopt.errors import InputError

    model = TwoHead()
    data = _batches()
    b = ModelBundle(name="two-head", model=model, batches=lambda: iter(data),
                    loss_fn=lambda out, y: nn.functional.cross_entropy(out[0], y[0]), batch_size=6,
                    eval_batches=lambda: iter(data), metric="accuracy")
    with pytest.raises(InputError) as e:
        _score(Variant(technique="baseline", model=model, forward=model), b, Target(mode="inference", device="cpu"),
               keep_outputs=False, strict=True)
    assert "the held-out targets are a tuple of 2 ((6,), (6,))" in str(e.value) and "y[0]" in str(e.value)


def test_a_callable_metric_over_tuple_targets_is_weighted_by_rows() -> None:
    """Targets given as a (labels, regression) tuple have no .shape: each held-out batch weighed 1 row, so batches
    of 5 and 2 samples averaged as (a + b) / 2, not (5a + 2b) / 7 (the contract: weighted by batch size)."""
    torch.manual_seed(0)
    model = TwoHead()
    g = torch.Generator().manual_seed(1)
    data = [(torch.randn(n, 4, generator=g), (torch.randint(0, 3, (n,), generator=g), torch.randn(n, generator=g)))
            for n in (5, 2)]
    b = ModelBundle(name="two-head", model=model, batches=lambda: iter(data),
                    loss_fn=lambda out, y: nn.functional.cross_entropy(out[0], y[0]), batch_size=6,
                    eval_batches=lambda: iter(data), metric=_metric, higher_is_better=True)
    with torch.no_grad():
        per_batch = [(_metric(model(x), y), x.shape[0]) for x, y in data]
    expected = sum(v * n for v, n in per_batch) / sum(n for _, n in per_batch)
    assert per_batch[0][0] != per_batch[1][0]  # else both weightings agree and the test could not fail
    got = _score(Variant(technique="baseline", model=model, forward=model), b, Target(mode="inference", device="cpu"),
                 keep_outputs=False, strict=True).value
    assert got == pytest.approx(expected)


def test_a_nan_second_output_is_not_kept_past_its_batch() -> None:
    """The check keeps the current batch's non-finite output only: every batch's was held until the scoring ended
    (rev3, 2026-12-06), a broken variant's whole held-out set of, say, an LM's NaN hidden states on the device."""
    import gc
    import weakref

    class Tracked(TwoHead):
        def __init__(self) -> None:
            super().__init__()
            self.seen: list[Any] = []
            self.most_alive = 0

        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            gc.collect()
            self.most_alive = max(self.most_alive, sum(r() is not None for r in self.seen))
            logits, reg = super().forward(x)
            self.seen.append(weakref.ref(reg))
            return logits, reg

    torch.manual_seed(0)
    model = Tracked()
    model.broken = True
    data = [b for _ in range(3) for b in _batches()]  # 6 held-out batches
    b = ModelBundle(name="two-head", model=model, batches=lambda: iter(data),
                    loss_fn=lambda out, y: nn.functional.cross_entropy(out[0], y[0]), batch_size=6,
                    eval_batches=lambda: iter(data), metric=_metric, higher_is_better=True)
    bad = _score(Variant(technique="prune", model=model, forward=model), b, Target(mode="inference", device="cpu"),
                 keep_outputs=False, strict=True)
    assert not bad.finite and bad.non_finite is not None and "held-out batch 1's output item 1" in bad.non_finite
    assert len(model.seen) == 6
    assert model.most_alive <= 1  # the batch before's, until its check is replaced
