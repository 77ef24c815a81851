"""batches (or eval_batches) returning one iterator made once in the factory (`it = iter(data)`, then
`batches=lambda: it`) instead of a fresh one per call: its batches were consumed by the first pass, and `profile`
stopped with "batches() yielded nothing" although it had yielded 3, naming no cause; `optimize` with such
eval_batches said the held-out batches differ between calls and suggested seeding a generator. Both are now refused
before anything runs, naming the same-iterator cause and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

MODEL_FILE = '''
import torch
from torch import nn
from accelopt.workload.userfile import ModelBundle

g = torch.Generator().manual_seed(0)
DATA = [(torch.randn(4, 6, generator=g), torch.randint(0, 3, (4,), generator=g)) for _ in range(3)]


def _model():
    return nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))


def same_train_iterator(batch_size: int = 4):
    it = iter(DATA)
    return ModelBundle(name="once", model=_model(), batches=lambda: it, loss_fn=nn.functional.cross_entropy,
                       batch_size=4)


def same_eval_iterator(batch_size: int = 4):
    held_out = (pair for pair in DATA)
    return ModelBundle(name="once-eval", model=_model(), batches=lambda: iter(DATA), eval_batches=lambda: held_out,
                       loss_fn=nn.functional.cross_entropy, batch_size=4, metric="accuracy")


class Resetting:
    # an iterator class whose __iter__ starts it over: the same object every call, iterated afresh by every run

    def __init__(self, regenerate=False):
        self.regenerate, self.pos = regenerate, 0

    def __iter__(self):
        self.pos, self.g = 0, torch.Generator().manual_seed(1)
        return self

    def __next__(self):
        if self.pos == len(DATA):
            raise StopIteration
        self.pos += 1
        if self.regenerate:  # new tensors each pass, the same values: drawn from the generator reseeded in __iter__
            return torch.randn(4, 6, generator=self.g), torch.randint(0, 3, (4,), generator=self.g)
        return DATA[self.pos - 1]


STORED, REGENERATED = Resetting(), Resetting(regenerate=True)


def resetting_stored(batch_size: int = 4):
    return ModelBundle(name="resetting", model=_model(), batches=lambda: STORED, loss_fn=nn.functional.cross_entropy,
                       batch_size=4)


def resetting_regenerated(batch_size: int = 4):
    return ModelBundle(name="resetting", model=_model(), batches=lambda: REGENERATED,
                       loss_fn=nn.functional.cross_entropy, batch_size=4)


def a_list_each_time(batch_size: int = 4):
    return ModelBundle(name="list", model=_model(), batches=lambda: DATA, loss_fn=nn.functional.cross_entropy,
                       batch_size=4)
'''


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "once_model.py"
    path.write_text(MODEL_FILE)
    return path


def test_profile_names_a_batches_iterator_made_once(model_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["profile", f"{model_file}:same_train_iterator", "--steps", "3"], capsys)
    assert code == 2
    assert "batches() returned the same iterator on two calls" in err
    assert "yielded nothing" not in err
    assert "fresh iterator on every call" in err


def test_optimize_names_an_eval_iterator_made_once(model_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["optimize", f"{model_file}:same_eval_iterator", "--only", "bf16", "--rounds", "3",
                             "--no-profile-bounds"], capsys)
    assert code == 2
    assert "eval_batches() returned the same iterator on two calls" in err
    assert "measuring the baseline" not in err  # refused before anything is measured


def test_a_list_returned_each_time_is_not_refused(model_file: Path) -> None:
    from accelopt.workload.userfile import load_user_factory

    load_user_factory(f"{model_file}:a_list_each_time").check_batch_rows()  # a list is iterated afresh each time


@pytest.mark.parametrize("factory", ["resetting_stored", "resetting_regenerated"])
def test_an_iterator_whose_iter_starts_it_over_is_not_refused(model_file: Path, factory: str,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """One object returned by every batches() call, whose __iter__ resets its position: every run calls iter() on it,
    so each pass starts over (profile ran it before ut_sim); the same-iterator check refused it (exit 2)."""
    code, _, err = run_main(["profile", f"{model_file}:{factory}", "--steps", "3", "--warmup", "1"], capsys)
    assert code == 0, err
    assert "same iterator" not in err
