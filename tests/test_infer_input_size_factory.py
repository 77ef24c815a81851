"""`plan infer FILE.py:factory --input-size N` hands N to the factory as seq_len=. A vision factory without that
parameter was told 'takes no seq_len argument ... or do not pass that option', naming an argument the user never
typed and an option plan infer does not have: the fix names --input-size and how it reaches the factory."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

FACTORY = '''
import torch
from torch import nn
from accelopt.workload.userfile import ModelBundle


def build(batch_size=1):
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.Flatten(), nn.LazyLinear(10))
    model(torch.zeros(1, 3, 32, 32))

    def batches():
        while True:
            yield torch.randn(batch_size, 3, 32, 32), torch.zeros(batch_size, dtype=torch.long)

    return ModelBundle(name="tiny-cnn", model=model, batches=batches, loss_fn=nn.functional.cross_entropy,
                       batch_size=batch_size)
'''


def test_input_size_for_a_factory_without_seq_len_names_the_flag(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "cnn.py"
    f.write_text(FACTORY)
    code, _, err = run_main(["plan", "infer", f"{f}:build", "--hardware", "l4", "--batch", "1",
                             "--input-size", "64"], capsys)
    assert code == 2
    assert "takes no seq_len argument" in err
    assert "--input-size 64" in err and "as seq_len=" in err
    assert "leave --input-size out" in err and "do not pass that option" not in err
