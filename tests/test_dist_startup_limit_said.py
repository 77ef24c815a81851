"""The progress line of `profile --nproc` and `probe --collectives` states the limit the launcher keeps: a --timeout-s
under the start-up floor (STARTUP_S, 120 s) was said as 'stopped if no rank finishes a step for 5 s' while a rank
hung in its imports or its factory held the run 120 s (launch._wait) (2026-12-06, utdist)."""

from __future__ import annotations

import pytest
from conftest import run_main

from accelopt.errors import InputError


def _stop(*a: object, **k: object) -> None:
    raise InputError("stopped by the test after the progress line", "none")


@pytest.mark.parametrize("timeout, said", [
    ("5", "; stopped if no rank finishes a step for 5 s; start-up, until the first, gets 120 s)"),
    ("600", "; stopped if no rank finishes a step for 600 s)"),
])
def test_profile_says_the_start_up_limit(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                         timeout: str, said: str) -> None:
    monkeypatch.setattr("accelopt.distributed.run.launch_job", _stop)
    code, _, err = run_main(["profile", "mlp", "--nproc", "2", "--timeout-s", timeout], capsys)
    assert code == 2 and "stopped by the test" in err
    assert said in " ".join(err.split())  # the line wraps where the terminal's width falls (ut3dist lengthened it)


def test_probe_collectives_says_the_start_up_limit(capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from accelopt.cli.probe import _collectives

    monkeypatch.setattr("accelopt.distributed.collectives.measure_collectives", _stop)
    with pytest.raises(InputError, match="stopped by the test"):
        _collectives("cpu", 2, True, [1024, 4096], timeout_s=30.0)
    err = capsys.readouterr().err.replace("\n", " ")
    assert "1 KiB, 4 KiB (stopped if no figure finishes for 30 s; start-up, until the first, gets 120 s) ..." in err
