"""`profile --nproc N --profile-steps K`: the count of steps traced after the timed ones (DistConfig.profile_steps),
reachable from the command line as from the library (the brief: everything the library can do, the CLI can)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import run_main

from accelopt.distributed.limits import PROFILE_STEPS


def _capture(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    seen: list[Any] = []

    def stopped(cfg: Any, *_: Any, **__: Any) -> None:
        seen.append(cfg)
        raise KeyboardInterrupt  # stop there: no rank is launched

    monkeypatch.setattr("accelopt.distributed.run.profile_distributed", stopped)
    return seen


def test_profile_steps_reaches_the_run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    seen = _capture(monkeypatch)
    code, _, _ = run_main(["profile", "tests/dist_models.py:mlp", "--nproc", "2", "--profile-steps", "3"], capsys)
    assert code == 130 and seen[0].profile_steps == 3


def test_left_out_it_is_the_library_default(monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    from accelopt.distributed.run import DistConfig

    seen = _capture(monkeypatch)
    run_main(["profile", "tests/dist_models.py:mlp", "--nproc", "2"], capsys)
    assert seen[0].profile_steps == PROFILE_STEPS == DistConfig(bundle_ref="m.py:f").profile_steps


def test_zero_is_refused_with_the_fix(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def launched(*_: Any, **__: Any) -> None:
        raise AssertionError("torchrun was started")

    monkeypatch.setattr("accelopt.distributed.run.launch_job", launched)
    code, _, err = run_main(["profile", "tests/dist_models.py:mlp", "--nproc", "2", "--profile-steps", "0"], capsys)
    # the flag as typed, as --steps and --microbatches are named (until ut4dist, 2026-12-06, 'profile_steps 0', the
    # Python field alone)
    assert code == 2 and "--profile-steps 0 (profile_steps) must be 1 or more" in err and "Traceback" not in err


def test_without_nproc_it_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["profile", "tests/dist_models.py:mlp", "--profile-steps", "3"], capsys)
    assert code == 2 and "--profile-steps" in err and "--nproc" in err


def test_the_help_gives_the_default(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(["profile", "--help"], capsys)
    assert code == 0 and "--profile-steps" in out and f"(default {PROFILE_STEPS}; 1 or more)" in " ".join(out.split())
