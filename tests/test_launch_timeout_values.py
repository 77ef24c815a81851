"""`--timeout-s` of `profile --nproc` takes a finite number of seconds above 0: inf was accepted and a hung rank then
held the run for ever with no rank named (the stop it promises never came); nan read 'must be > 0'. Each is refused
at the command line (exit 2) before any rank is started (2026-12-05, utprobe)."""

from __future__ import annotations

import pytest
from conftest import run_main

import accelopt.distributed.launch as launch_module
import accelopt.distributed.run as run_module
from accelopt.distributed.launch import Launch
from accelopt.errors import InputError


@pytest.mark.parametrize("value, problem", [
    ("inf", "--timeout-s inf would never stop a hung run nor name its stuck rank"),
    ("nan", "--timeout-s nan is not a number of seconds"),
    ("0", "--timeout-s 0 must be > 0"),
    ("-5", "--timeout-s -5 must be > 0"),
])
def test_a_timeout_that_cannot_stop_a_hung_run_is_refused(capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch, value: str,
                                                          problem: str) -> None:
    def never(*a: object, **k: object) -> None:
        raise AssertionError("a rank was launched")

    # distributed.run binds launch_job when first imported: it is imported above, with the real one, and patched
    # where the CLI calls it, so the stub cannot stay in it for the tests after this one (as in a4016676)
    monkeypatch.setattr(run_module, "launch_job", never)
    monkeypatch.setattr(launch_module, "launch_job", never)
    code, out, err = run_main(["profile", "mlp", "--nproc", "2", "--timeout-s", value], capsys)
    assert code == 2 and out == ""
    assert f"error: {problem}" in err and "fix: give the longest a step may take, in s (e.g. --timeout-s 600" in err


def test_a_finite_timeout_is_kept() -> None:
    assert Launch(nproc=2, timeout_s=1e6).timeout_s == 1e6
    with pytest.raises(InputError):
        Launch(nproc=2, timeout_s=float("-inf"))


def test_the_refusals_leave_the_real_launcher_bound() -> None:
    """After the refusals above, which patch the launcher, distributed.run holds the real one again: the stub stayed
    in it when run was first imported under a patch of launch.launch_job alone (2026-12-06, utleft6)."""
    assert run_module.launch_job is launch_module.launch_job
    assert launch_module.launch_job.__qualname__ == "launch_job"
