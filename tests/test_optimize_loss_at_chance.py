"""The accuracy-at-chance rule had no counterpart for a loss metric (utopt6): an LSTM LM with random weights scored
cross-entropy 3.915 on a 50-token vocabulary, ln 50 = 3.912 (a uniform guess), and a tied-embedding LM 26.95 (worse
than guessing) got distill recommended at a 'better' 12.86. A uniform guess over C classes has cross-entropy ln C
against any target (runner.loss_at_chance cites the basis); a baseline whose held-out cross-entropy is at least ln C
less 2 standard errors of the mean per-target loss (runner.LOSS_CHANCE_STANDARD_ERRORS, stated before any run), its
top-1 accuracy at chance too (a confident model above ln C whose argmax follows the targets is not at chance), now
withholds every lossy variant with a LOSS AT CHANCE note, as accuracy at chance does. A loss_fn that is not that
cross-entropy (MSE, label smoothing: its mean differs) is not judged."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import torch
from _fake_technique import SameModel, registered
from torch import nn

from accelopt.optimize import runner
from accelopt.optimize.runner import LOSS_CHANCE_STANDARD_ERRORS, RunOptions, loss_at_chance, run_optimize
from accelopt.workload.userfile import ModelBundle


def test_chance_loss_is_told_from_a_model_that_learned() -> None:
    assert LOSS_CHANCE_STANDARD_ERRORS == 2.0
    # the LSTM's: 3.915 over 1,536 targets of a 50-token vocabulary, per-target sd 0.3: bound ln 50 - 2 x 0.3 / 39.2
    said = loss_at_chance(3.915, 50, (1536, 3.915, 0.3, 0.02))
    assert said is not None and "ln 50 = 3.912" in said and "1,536 targets" in said and "3.897" in said, said
    assert loss_at_chance(26.95, 50, (1536, 26.95, 5.0, 0.02)) is not None  # worse than guessing
    assert loss_at_chance(3.5, 50, (1536, 3.5, 0.3, 0.02)) is None  # 0.4 nats below ln 50: it learned something
    # a confident model above ln C whose argmax follows the targets (60% top-1 of 10 classes): its loss still guards
    assert loss_at_chance(3.0, 10, (1000, 3.0, 2.0, 0.6)) is None
    assert loss_at_chance(3.9, 50, None) is None  # not a cross-entropy: no chance level to judge against
    assert loss_at_chance(3.9, None, (10, 3.9, 0.1, 0.02)) is None


class _Lossy(SameModel):
    name = "test-loss-chance-lossy"
    lossy = True


@pytest.fixture
def fake() -> Iterator[None]:
    with registered(_Lossy):
        yield


class _TokenLM(nn.Module):
    """(B, T) ids -> (B, T, V) logits: an embedding and a head, scaled so its predictions are sharp."""

    def __init__(self, vocab: int = 50) -> None:
        super().__init__()
        self.emb = nn.Embedding(vocab, 16)
        self.head = nn.Linear(16, vocab)
        with torch.no_grad():
            self.head.weight.mul_(8.0)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.head(self.emb(ids))


def _lm_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def _bundle(learned: bool, loss_fn: Callable[[Any, Any], Any] = _lm_loss) -> ModelBundle:
    torch.manual_seed(0)
    model = _TokenLM()
    x = torch.randint(0, 50, (16, 12), generator=torch.Generator().manual_seed(2))
    noise = torch.randint(0, 50, (16, 12), generator=torch.Generator().manual_seed(11))
    y = model(x).argmax(-1).detach() if learned else noise  # targets it predicts, or random ones
    return ModelBundle(name="lm", model=model, batches=lambda: iter([(x, y)]), loss_fn=loss_fn, batch_size=16,
                       eval_batches=lambda: iter([(x, y), (x[:5], y[:5])]), metric="loss")


def _optimize(monkeypatch: pytest.MonkeyPatch, bundle: ModelBundle) -> Any:
    def timed_for(step: Any, block_s: float, sync: Any, min_n: int = 2) -> list[float]:
        return [1e-3 if step.v.technique == "baseline" else 0.5e-3] * max(min_n, 3)  # the lossy one 2x faster

    monkeypatch.setattr(runner, "_timed_for", timed_for)
    opts = RunOptions(only=[_Lossy.name], rounds=3, warmup=0, combinations=0, profile_bounds=False,
                      progress=lambda msg: None)
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        res, _ = run_optimize(bundle, opts)
    finally:
        torch.set_num_threads(old)
    return res


def test_run_optimize_withholds_a_lossy_variant_on_a_chance_loss(monkeypatch: pytest.MonkeyPatch,
                                                                fake: None) -> None:
    res = _optimize(monkeypatch, _bundle(learned=False))
    assert res.get("baseline").quality.value > math.log(50)  # random targets: worse than a uniform guess
    assert res.recommendation.name == "baseline", res.recommendation.reason
    assert "no better than chance for 50 classes" in res.recommendation.reason
    assert "whose loss cannot guard quality here" in res.recommendation.reason
    note = next(n for n in res.notes if n.startswith("LOSS AT CHANCE"))
    assert "252 targets scored" in note  # 16 x 12 + 5 x 12, both held-out batches


def test_run_optimize_still_recommends_it_on_a_model_that_predicts_its_targets(monkeypatch: pytest.MonkeyPatch,
                                                                               fake: None) -> None:
    res = _optimize(monkeypatch, _bundle(learned=True))
    assert res.get("baseline").quality.value < 1.0
    assert res.recommendation.name == _Lossy.name, res.recommendation.reason
    assert not any(n.startswith("LOSS AT CHANCE") for n in res.notes)


@pytest.mark.parametrize("loss_fn", [
    lambda out, y: nn.functional.cross_entropy(out.reshape(-1, 50), y.reshape(-1), label_smoothing=0.1),
    lambda out, y: ((out.softmax(-1).max(-1).values - 0.5) ** 2).mean() + 0 * y.float().mean(),
], ids=["label-smoothing", "not-cross-entropy"])
def test_a_loss_that_is_not_the_plain_cross_entropy_is_not_judged(monkeypatch: pytest.MonkeyPatch, fake: None,
                                                                   loss_fn: Callable[[Any, Any], Any]) -> None:
    res = _optimize(monkeypatch, _bundle(learned=False, loss_fn=loss_fn))
    assert not any(n.startswith("LOSS AT CHANCE") for n in res.notes), res.notes


def test_both_chance_rules_read_one_binomial_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """The top-1 chance bound (1 / C + 2 binomial standard errors) is one helper, runner._chance_bound, that
    loss_at_chance and accuracy_at_chance both read (it was written out twice)."""
    assert runner._chance_bound(10, 24) == pytest.approx(0.1 + 2.0 * math.sqrt(0.1 * 0.9 / 24))
    monkeypatch.setattr(runner, "_chance_bound", lambda classes, samples: 0.0)  # nothing is at chance
    assert runner.loss_at_chance(3.915, 50, (1536, 3.915, 0.3, 0.02)) is None
    assert runner.accuracy_at_chance(1 / 6, 10, 24) is None
