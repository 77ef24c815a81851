"""A model whose make_optimizer builds torch.optim.LBFGS (step(closure): it re-runs forward and backward inside the
optimizer step) failed `profile` and `optimize --mode train` with the generic "model raised TypeError during its
train step: LBFGS.step() missing 1 required positional argument: 'closure'" and a fix about shapes and dtypes. Now
the error names the optimizer and why a closure step cannot be timed as forward / backward / optimizer phases, and
the fix names a first-order optimizer; exit 2 before any step runs."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

_MODEL = '''
import torch
from torch import nn
from accelopt.workload.userfile import ModelBundle


def build() -> ModelBundle:
    def batches():
        g = torch.Generator().manual_seed(0)
        for _ in range(4):
            yield torch.randn(8, 16, generator=g), torch.randint(0, 4, (8,), generator=g)
    return ModelBundle(name="lbfgs", model=nn.Linear(16, 4), batches=batches, loss_fn=nn.functional.cross_entropy,
                       batch_size=8, make_optimizer=lambda p: torch.optim.{opt})
'''


def _model(tmp_path: Path, opt: str = "LBFGS(p, lr=0.1)") -> str:
    path = tmp_path / "m.py"
    path.write_text(_MODEL.replace("{opt}", opt), encoding="utf-8")
    return f"{path}:build"


@pytest.mark.parametrize("argv", [["profile", "--steps", "3", "--warmup", "1"],
                                  ["optimize", "--mode", "train"],
                                  ["profile", "--nproc", "2", "--steps", "3"]])
def test_a_closure_optimizer_is_refused_naming_the_fix(argv: list[str], tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main([argv[0], _model(tmp_path), *argv[1:]], capsys)
    said = " ".join(err.split())
    assert code == 2, err
    assert "its optimizer LBFGS needs step(closure)" in said
    assert "a first-order optimizer whose step() takes no closure" in said
    assert "missing 1 required positional argument" not in said and "Traceback" not in err


def test_an_optimizer_with_an_optional_closure_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # SGD's step(closure=None): the closure is optional, so nothing is refused
    from accelopt.workload.userfile import load_user_factory

    bundle = load_user_factory(_model(tmp_path, "SGD(p, lr=0.1)"))
    assert type(bundle.optimizer()).__name__ == "SGD"
