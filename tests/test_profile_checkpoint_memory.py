"""`profile --mode train` of a model under torch.utils.checkpoint: its memory table's 'activations' row read as the
step's activations (3.7 MB for a 6-block MLP whose forward saves 28.9 MB without checkpointing), while it counts only
what the forward saved for backward, the checkpoints; each block recomputed in backward holds its tensors on top of
them, which the row does not count. The row now says what it is ('activations saved for backward'), and where module
forwards ran again in backward its method says so and that it is not the activations' peak."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

FAST = ["--steps", "3", "--warmup", "0", "--catalog-device", "xeon-8480plus", "--mode", "train"]

MODEL = '''
import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from accelopt.workload.userfile import ModelBundle


class Net(nn.Module):
    def __init__(self, ckpt):
        super().__init__()
        self.ckpt = ckpt
        self.blocks = nn.ModuleList(nn.Sequential(nn.Linear(64, 256), nn.GELU(), nn.Linear(256, 64))
                                    for _ in range(3))
        self.head = nn.Linear(64, 10)

    def forward(self, x):
        for b in self.blocks:
            x = x + (checkpoint(b, x, use_reentrant=False) if self.ckpt else b(x))
        return self.head(x)


def _bundle(ckpt):
    g = torch.Generator().manual_seed(0)
    xs = [(torch.randn(32, 64, generator=g), torch.randint(0, 10, (32,), generator=g)) for _ in range(4)]
    return ModelBundle(name="ckpt" if ckpt else "plain", model=Net(ckpt),
                       batches=lambda: iter([((x,), y) for x, y in xs]),
                       loss_fn=nn.functional.cross_entropy, batch_size=32)


def with_ckpt():
    return _bundle(True)


def without():
    return _bundle(False)
'''


@pytest.fixture
def model(tmp_path: Path) -> Path:
    p = tmp_path / "ckpt_model.py"
    p.write_text(MODEL)
    return p


def _memory(capsys: pytest.CaptureFixture[str], spec: str) -> dict:
    code, out, err = run_main(["profile", spec, "--json", *FAST], capsys)
    assert code == 0, err
    return json.loads(out)["memory"]


def test_checkpointed_model_says_its_activations_are_the_checkpoints(model: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    ckpt, plain = _memory(capsys, f"{model}:with_ckpt"), _memory(capsys, f"{model}:without")
    assert ckpt["activations_bytes"] < plain["activations_bytes"] / 2, (ckpt, plain)  # the checkpoints alone
    how = ckpt["methods"]["activations"]
    # 3 blocks of Sequential + Linear + GELU + Linear run again in backward
    assert "not the activations' peak: 12 module forwards ran again in backward" in how, how
    assert "module forwards ran again" not in plain["methods"]["activations"], plain["methods"]


def test_the_train_table_labels_the_row_saved_for_backward(model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["profile", f"{model}:with_ckpt", *FAST], capsys)
    assert code == 0, err
    assert "activations saved for backward" in out, out
