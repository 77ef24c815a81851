"""grad-accumulation's note gave the micro-batch size as batch // k: '2 micro-batches of ~1 samples' for a batch
of 3, split by torch.tensor_split into micro-batches of 2 and 1 (seen on `accelopt optimize my.py:gru --mode train
--batch-size 3 --only grad-accumulation`). Now it gives the sizes the step uses."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from accelopt.optimize.base import Target, get_technique  # noqa: E402
from accelopt.optimize.trainloop import _split  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402


def _note(batch: int, k: int) -> tuple[str, list[int]]:
    data = [(torch.randn(batch, 4), torch.randint(0, 2, (batch,)))]
    b = ModelBundle(name="lin", model=nn.Linear(4, 2), batches=lambda: iter(data), batch_size=batch,
                    loss_fn=nn.functional.cross_entropy)
    v = get_technique("grad-accumulation").apply(b, Target(mode="train", device="cpu"), {"micro_batches": k})
    sizes = sorted({len(x[0]) for x in _split((data[0][0],), k)})
    return v.notes[0], sizes


@pytest.mark.parametrize(("batch", "k", "said", "sizes"), [(3, 2, "2 micro-batches of 1-2 samples", [1, 2]),
                                                          (8, 3, "3 micro-batches of 2-3 samples", [2, 3]),
                                                          (8, 2, "2 micro-batches of 4 samples", [4])])
def test_the_note_gives_the_micro_batch_sizes_the_step_uses(batch: int, k: int, said: str, sizes: list[int]) -> None:
    note, split = _note(batch, k)
    assert split == sizes  # what torch.tensor_split makes of the batch (hand-checked: 3 -> 2 + 1, 8 -> 3 + 3 + 2)
    assert note.startswith(said + " per optimizer step"), note
