"""`accelopt profile --dtype fp16` of a model whose weights are all bf16 ran it as it is (autocast applies over fp32
weights only) and reported bf16 everywhere without a word about the flag it set aside. It is now a warning on stderr
before the run and the first diagnosis note; a --dtype the step does run in, and the default fp32, add none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

FAST = ["--steps", "3", "--warmup", "0", "--mode", "inference", "--catalog-device", "xeon-8480plus"]

MODEL = '''
import torch
from torch import nn
from accelopt.workload.userfile import ModelBundle


def build(batch_size=2):
    model = nn.Linear(8, 8).to(torch.bfloat16)

    def batches():
        for _ in range(2):
            yield torch.randn(batch_size, 8).to(torch.bfloat16), torch.randn(batch_size, 8).to(torch.bfloat16)
    return ModelBundle(name="small-bf16", model=model, batches=batches, loss_fn=nn.functional.mse_loss,
                       batch_size=batch_size)
'''
NOT_APPLIED = "--dtype fp16 was not applied: every floating weight of the model is bf16 already"


@pytest.fixture
def model(tmp_path: Path) -> str:
    (tmp_path / "bf16_model.py").write_text(MODEL)
    return f"{tmp_path / 'bf16_model.py'}:build"


def test_a_dtype_the_step_does_not_run_in_is_said(model: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["profile", model, "--dtype", "fp16", *FAST, "--json"], capsys)
    assert code == 0, err
    assert f"warning: {NOT_APPLIED}" in err, err
    doc = json.loads(out)
    assert doc["dtype"] == "bf16" and doc["diagnosis"]["notes"][0].startswith(NOT_APPLIED), doc["diagnosis"]["notes"]


@pytest.mark.parametrize("dtype", ["bf16", "fp32"])
def test_a_dtype_it_runs_in_or_the_default_adds_no_note(model: str, dtype: str,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["profile", model, "--dtype", dtype, *FAST, "--json"], capsys)
    assert code == 0, err
    assert "was not applied" not in err + out, err
