"""A new user's `profile --nproc` mistakes refused before torchrun starts (no rank is launched): each is exit 2 with
the problem and a fix that applies to a distributed run."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import run_main


@pytest.fixture
def no_launch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any torchrun launch fails the test: these refusals must come first."""
    def launched(*_: Any, **__: Any) -> None:
        raise AssertionError("torchrun was started")

    monkeypatch.setattr("accelopt.distributed.run.launch_job", launched)


@pytest.mark.parametrize("parallel", ["ddp", "fsdp", "pipeline"])
def test_no_trainable_parameter_is_refused_before_launch(parallel: str, no_launch: None,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["profile", "tests/dist_models.py:frozen", "--nproc", "2", "--parallel", parallel], capsys)
    assert code == 2 and "no trainable parameters" in err and "Traceback" not in err
    assert "without --nproc" in err  # not '--mode inference' alone, which --nproc refuses


def test_steps_beyond_the_limit_are_refused_before_launch(no_launch: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["profile", "tests/dist_models.py:mlp", "--nproc", "2", "--steps", "100000000"], capsys)
    assert code == 2 and "at most 1,000,000" in err


def test_ctrl_c_says_the_run_was_stopped(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def interrupted(*_: Any, **__: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("accelopt.distributed.run.profile_distributed", interrupted)
    code, out, err = run_main(["profile", "tests/dist_models.py:mlp", "--nproc", "2"], capsys)
    assert code == 130 and out == "" and "interrupted (Ctrl-C)" in err and "none of its processes is left" in err


def test_ctrl_c_leaves_no_run_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    import tempfile

    from accelopt.distributed import launch
    from accelopt.distributed.types import Job

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the run's folder is made here
    monkeypatch.setattr(launch, "torchrun_command", lambda *_: ["sleep", "30"])

    def interrupted(*_: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(launch, "_wait", interrupted)
    with pytest.raises(KeyboardInterrupt):
        launch.launch_job(Job(), launch.Launch(nproc=2))
    assert list(tmp_path.iterdir()) == []


def test_more_stages_than_layers_is_refused_before_profiling(no_launch: None, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    def profiled(*_: Any, **__: Any) -> None:
        raise AssertionError("the layers were profiled")

    monkeypatch.setattr("accelopt.distributed.partition.profile_layers", profiled)
    code, _, err = run_main(["profile", "tests/dist_models.py:one_layer", "--nproc", "2", "--parallel", "pipeline"],
                            capsys)
    assert code == 2 and "1 layer" in err and "2 pipeline stages" in err
    assert "2 .. 1" not in err and "--parallel ddp" in err  # the fix names what works: not a range that is empty


def test_fewer_layers_than_stages_names_the_ranks_that_fit() -> None:
    from accelopt.distributed.partition import balanced_bounds
    from accelopt.distributed.types import LayerCost
    from accelopt.errors import InputError

    layers = [LayerCost(name=str(i), fwd_bwd_s=1.0, activation_bytes=1.0, param_bytes=1.0) for i in range(3)]
    with pytest.raises(InputError) as e:
        balanced_bounds(layers, 4)
    assert "3 layers" in e.value.problem and "--nproc 2 .. 3" in e.value.fix
