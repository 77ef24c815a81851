"""A factory called with a batch size must build that batch: profile/optimize/simulate count samples/s and per-sample
figures from it."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

IGNORES = '''
import torch
from torch import nn
from accelopt.workload.userfile import ModelBundle


def build(batch_size=4):  # takes batch_size, builds 4 anyway
    data = [(torch.zeros(4, 8), torch.zeros(4, dtype=torch.long))]
    return ModelBundle(name="ign", model=nn.Linear(8, 3), batches=lambda: iter(data),
                       loss_fn=nn.functional.cross_entropy, batch_size=4)
'''


def test_a_factory_that_ignores_the_batch_size_is_refused(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """`profile f.py:build --batch-size 16` of a factory that ignores its batch_size profiled batch 4 without a word
    (only the title said 'batch 4'); `simulate` refused the same factory. Now profile refuses it too, naming both."""
    (tmp_path / "m.py").write_text(IGNORES)
    code, out, err = run_main(["profile", f"{tmp_path / 'm.py'}:build", "--batch-size", "16", "--steps", "3"], capsys)
    assert code == 2 and out == "", err
    assert "was called with batch_size=16 but returned a ModelBundle of batch_size 4" in " ".join(err.split())


def test_simulate_refuses_it_with_the_same_words(tmp_path: Path) -> None:
    from accelopt.errors import InputError
    from accelopt.simulate.models import model_layers

    (tmp_path / "m.py").write_text(IGNORES)
    with pytest.raises(InputError, match="was called with batch_size=16 but returned a ModelBundle of batch_size 4"):
        model_layers(f"{tmp_path / 'm.py'}:build", batch=16)
