"""`profile f.py:build --nproc 2` on a batch of 3 said "pass --batch-size a multiple of 2"; a factory without a
batch_size parameter then refused --batch-size ("takes no batch_size argument ... add batch_size=..."): the first
fix did not work. Now the fix names what works for that factory: its ModelBundle's batch_size when it takes no
batch_size argument, --batch-size when it does. Both refusals come before any rank is launched."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelopt.cli.main import main

FACTORIES = '''
import torch
from torch import nn
from accelopt.workload.userfile import ModelBundle


def _bundle(batch_size):
    def batches():
        for _ in range(2):
            yield torch.randn(batch_size, 4), torch.randn(batch_size, 2)
    # an nn.Sequential, so that `--parallel pipeline` gets as far as the batch check: a model that does not split is
    # refused before it since utopt2 (2026-12-04)
    model = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 2))
    return ModelBundle(name="odd", model=model, batches=batches, loss_fn=nn.functional.mse_loss,
                       batch_size=batch_size)


def fixed():
    return _bundle(3)


def sized(batch_size=3):
    return _bundle(batch_size)
'''


@pytest.fixture
def model_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import accelopt.distributed.run as run

    def no_launch(*args: object, **kwargs: object) -> None:
        raise AssertionError("the batch was to be refused before any rank was launched")

    monkeypatch.setattr(run, "launch_job", no_launch)
    path = tmp_path / "odd model.py"
    path.write_text(FACTORIES)
    return path


def _refusal(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    with pytest.raises(SystemExit) as e:
        main(["profile", *argv, "--nproc", "2"])
    err = " ".join(capsys.readouterr().err.split())
    assert e.value.code == 2 and "global batch 3 does not split into 2" in err, err
    return err


def test_factory_without_batch_size_is_told_to_change_its_bundle(model_file: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = _refusal(capsys, [f"{model_file}:fixed"])
    assert "pass --batch-size a multiple" not in out  # the factory would refuse it
    assert "fixed return a ModelBundle whose batch_size" in out and "multiple of 2, e.g. 4" in out


def test_factory_with_batch_size_is_told_to_pass_it(model_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "pass --batch-size a multiple of 2 (e.g. --batch-size 4)" in _refusal(capsys, [f"{model_file}:sized"])


def test_pipeline_micro_batches_fix_follows_the_factory_too(model_file: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    out = _refusal(capsys, [f"{model_file}:fixed", "--parallel", "pipeline", "--microbatches", "2"])
    assert "pass --microbatches dividing 3 (1 or 3), or make" in out and "pass --batch-size a multiple" not in out
