"""`simulate run --input-dtype int64` into a model whose first layer is nn.Linear simulated it: shape-only capture
on the meta device does not check dtypes (F.linear of int64 by float32 weights returns float32 there; on the CPU it
raises 'mat1 and mat2 must have the same dtype'), so a user got numbers for a model that cannot run. The first
PyTorch layer with floating-point weights that the integer input reaches is named now, exit 2; token ids into an
nn.Embedding still simulate."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

MODEL = '''
from torch import nn


class Lin(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        return self.fc(x)


class Ids(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(100, 8)
        self.fc = nn.Linear(8, 8)

    def forward(self, x):
        return self.fc(self.emb(x))
'''


def _run(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> tuple[int, str, str]:
    path = tmp_path / "m.py"
    path.write_text(MODEL)
    return run_main(["simulate", "run", "-d", "edge-npu", "-m", f"{path}:{name}", "--input-shape", "8",
                     "--input-dtype", "int64"], capsys)


def test_int64_into_a_linear_layer_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(tmp_path, capsys, "Lin")
    flat = " ".join(err.split())
    assert code == 2, out
    assert "layer 'fc' (Linear)" in flat and "int64" in flat and "--input-dtype float32" in flat.split("fix:")[1]


def test_int64_token_ids_into_an_embedding_still_simulate(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(tmp_path, capsys, "Ids")
    assert code == 0 and "fc" in out, err
