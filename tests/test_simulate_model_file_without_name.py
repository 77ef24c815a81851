"""`simulate run -m net.py` (a model file without ':Name') was looked up as a model name: 'unknown model 'net.py'',
'did you mean 'mlp'?' (utsim's trial). It now says the file needs the model's name after ':' and lists the nn.Module
classes and functions the file defines (exit 2); a missing file is said as for net.py:Name."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

NET = """import torch
from torch import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        return self.fc(x)


def build():
    return Net()
"""


@pytest.mark.parametrize("suffix", ["", ":"])
def test_a_model_file_without_its_name_is_told_the_form_and_the_names(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str) -> None:
    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")
    (tmp_path / "mlp.py").write_text(NET)  # named like the zoo's 'mlp', which the old message suggested
    monkeypatch.chdir(tmp_path)
    code, _out, err = run_main(["simulate", "run", "-d", "tpu-v1", "-m", f"mlp.py{suffix}"], capsys)
    assert code == 2
    said = " ".join(err.split())
    assert "names a model file but not the model in it" in said and "unknown model" not in said
    assert "mlp.py defines Net, build" in said and "--model mlp.py:Net" in said
    code, _out, err = run_main(["simulate", "run", "-d", "tpu-v1", "-m", "mlp.py:Net", "--input-shape", "8",
                                "--max-rows", "0"], capsys)
    assert code == 0, err  # the form the fix names runs


def test_a_missing_model_file_without_its_name_is_said_missing(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _out, err = run_main(["simulate", "sweep", "-m", "gone.py", "--rows", "4", "--cols", "4",
                                "--sram-kib", "1"], capsys)
    assert code == 2 and "model file 'gone.py' does not exist" in err
