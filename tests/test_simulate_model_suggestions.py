"""`simulate run -m FILE.py:Name` with a name the file lacks suggested every class the file defines, a
torch.autograd.Function among them, which the command then refuses: only nn.Module classes and factory functions,
what it accepts, are suggested now."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

MODEL = '''
import torch
from torch import nn


class Doubled(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        return g * 2


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        return Doubled.apply(self.fc(x))


def build():
    return Net()
'''


def test_only_modules_and_factories_are_suggested(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "m.py"
    path.write_text(MODEL)
    code, out, err = run_main(["simulate", "run", "-d", "edge-npu", "-m", f"{path}:Nett", "--input-shape", "8"],
                              capsys)
    flat = " ".join(err.split())
    assert code == 2, out
    assert "has no 'Nett'" in flat and "use one of: Net, build" in flat and "Doubled" not in flat
