"""`probe --collectives --timeout-s`: the limit a hung collective benchmark is stopped by can be set.

utdist3 (2026-12-05): the benchmark's ranks ran under a fixed 300 s watchdog, and its hang error said 'raise
--timeout-s if the step is only slow' (launch._hang_error, shared with `profile --nproc`), a flag `probe` did not
have: a large --sizes message on a slow link (gloo moves a few hundred MB/s between 2 CPU ranks, so one all-to-all
of 2 GiB takes seconds, and a figure is 10 repeats of it) had no way past it. Now --timeout-s (with --collectives;
refused without it, and nan / 0 / negative / inf refused before the device is measured) reaches
measure_collectives."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import run_main

from accelopt.distributed.collectives import COLLECTIVES_TIMEOUT_S


def _no_device(monkeypatch: pytest.MonkeyPatch) -> None:
    from accelopt.cli import probe

    def measured(*a: Any, **k: Any) -> Any:
        raise AssertionError("the device was measured before the flag was refused")

    monkeypatch.setattr(probe, "_run", measured)
    monkeypatch.setattr("accelopt.distributed.launch.check_local_ranks", lambda *a, **k: None)


def test_the_limit_reaches_the_benchmark(monkeypatch: pytest.MonkeyPatch) -> None:
    from accelopt.cli import probe

    seen: list[float] = []

    def measure(nproc: int, **k: Any) -> str:
        seen.append(k["timeout_s"])
        return "measured"

    monkeypatch.setattr("accelopt.distributed.collectives.measure_collectives", measure)
    assert probe._collectives("cpu", 2, True, None, 900.0) == "measured"
    assert probe._collectives("cpu", 2, True) == "measured"
    assert seen == [900.0, COLLECTIVES_TIMEOUT_S]


@pytest.mark.parametrize(("argv", "says"), [
    (["--timeout-s", "900"], "--timeout-s 900 applies to --collectives only"),
    (["--collectives", "--timeout-s", "0"], "--timeout-s 0 must be > 0"),
    (["--collectives", "--timeout-s", "nan"], "--timeout-s nan is not a number of seconds"),
    (["--collectives", "--timeout-s", "inf"], "--timeout-s inf would never stop a hung benchmark"),
    (["--collectives", "--timeout-s", "-5"], "--timeout-s -5 must be > 0"),
])
def test_a_bad_limit_is_refused_before_the_device_is_measured(capsys: pytest.CaptureFixture[str],
                                                              monkeypatch: pytest.MonkeyPatch, argv: list[str],
                                                              says: str) -> None:
    _no_device(monkeypatch)
    code, _, err = run_main(["probe", "--quick", "--device", "cpu", "--no-save", *argv], capsys)
    assert code == 2 and says in err, err
    if "--collectives" in argv:  # probe's own wording: the collectives' limit (default 300), not profile's step
        assert "the longest the collectives may go without a figure finishing" in err, err
        assert "longest a step may take" not in err, err


def test_probe_passes_the_typed_limit(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                      tiny_probe: None) -> None:
    from accelopt.cli import probe

    seen: list[Any] = []

    def collectives(torch_device: str, nproc: int, quick: bool, sizes_bytes: Any = None,
                    timeout_s: Any = None) -> Any:
        seen.append(timeout_s)
        raise KeyboardInterrupt  # stop there: the limit is what this test checks

    monkeypatch.setattr(probe, "_collectives", collectives)
    monkeypatch.setattr("accelopt.distributed.launch.check_local_ranks", lambda *a, **k: None)
    run_main(["probe", "--quick", "--device", "cpu", "--dtypes", "fp32", "--no-save", "--collectives",
              "--timeout-s", "1200"], capsys)
    assert seen == [1200.0]


def test_the_refusal_says_the_library_default(capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """review (s30): the refusal's 'the default is 300' was typed out beside collectives.COLLECTIVES_TIMEOUT_S; it
    is now read from it, so the two cannot part."""
    _no_device(monkeypatch)
    monkeypatch.setattr("accelopt.distributed.collectives.COLLECTIVES_TIMEOUT_S", 450.0)
    code, _, err = run_main(["probe", "--quick", "--device", "cpu", "--no-save", "--collectives", "--timeout-s", "0"],
                            capsys)
    assert code == 2 and "the default is 450;" in err, err


def test_probe_and_launch_share_one_check(capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """utcode (2026-12-05): probe's _check_timeout repeated Launch's three checks with its own copy of the messages;
    both now call launch.check_timeout_s, each with its own fix."""
    from accelopt.distributed import launch

    _no_device(monkeypatch)
    seen: list[tuple[float, str]] = []
    real = launch.check_timeout_s

    def check(timeout_s: float, stopped: str, fix: str) -> None:
        seen.append((timeout_s, stopped))
        real(timeout_s, stopped, fix)

    monkeypatch.setattr(launch, "check_timeout_s", check)
    code, _, err = run_main(["probe", "--quick", "--device", "cpu", "--no-save", "--collectives", "--timeout-s",
                             "inf"], capsys)
    assert code == 2 and seen == [(float("inf"), "a hung benchmark")], (seen, err)
    with pytest.raises(launch.InputError, match="would never stop a hung run"):
        launch.Launch(nproc=2, timeout_s=float("inf"))
    assert seen[-1] == (float("inf"), "a hung run")
