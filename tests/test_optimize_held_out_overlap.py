"""eval_batches() are held out (the bundle's contract, the README): a model whose eval_batches returned its training
batches had every quality figure, the fine-tuned variants' most of all, scored on data it trained on, and nothing
said so. The run now says it in a note (text, JSON, HTML), naming the training batch."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from accelopt.optimize.runner import RunOptions, held_out_overlap_note, run_optimize  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402


def _bundle(held_seed: int | None) -> ModelBundle:
    """Four training batches of seed 0; held-out ones of `held_seed`, or (None) the training batches 2 and 3."""
    def make(seed: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
        g = torch.Generator().manual_seed(seed)
        return [(torch.randn(8, 16, generator=g), torch.randint(0, 4, (8,), generator=g)) for _ in range(4)]

    train = make(0)
    held = train[2:] if held_seed is None else make(held_seed)
    return ModelBundle(name="mlp", model=nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 4)),
                       batches=lambda: iter(train), loss_fn=nn.functional.cross_entropy, batch_size=8,
                       eval_batches=lambda: iter(held), metric="accuracy")


def test_training_batches_given_as_held_out_are_named() -> None:
    note = held_out_overlap_note(_bundle(None))
    assert note is not None and "training batch 2" in note and "not held out" in note


def test_held_out_batches_of_their_own_say_nothing() -> None:
    assert held_out_overlap_note(_bundle(1)) is None
    b = _bundle(1)
    b.eval_batches = None
    assert held_out_overlap_note(b) is None


def test_the_note_reaches_the_result() -> None:
    # bf16, not tf32 (never applies on a CPU: --only naming only such techniques is refused; 2026-12-04, utopt)
    opts = RunOptions(only=["bf16"], rounds=3, block_s=0.005, warmup=1, profile_bounds=False)
    res, _ = run_optimize(_bundle(None), opts)
    assert any("not held out" in n for n in res.notes), res.notes
    res, _ = run_optimize(_bundle(1), opts)
    assert not any("not held out" in n for n in res.notes), res.notes
