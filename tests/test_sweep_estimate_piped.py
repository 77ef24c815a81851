"""`simulate sweep` over a large grid showed how long it would take only in its progress bar, which rich draws only
on a terminal: piped (`| tee`, a script, CI) it gave no word of a sweep of hours. A sweep estimated above a minute
(ESTIMATE_ABOVE_S) now says so on stderr, terminal or not, once ESTIMATE_AFTER_S of designs are timed."""

from __future__ import annotations

import itertools
import json

import pytest
from conftest import run_main

from accelopt.cli import simulate as sim_cli

SWEEP = ["simulate", "sweep", "-m", "alexnet-conv", "--rows", "16,32", "--cols", "16,32", "--sram-kib", "64",
         "--dataflow", "os", "--json"]


def _clock(step_s: float) -> object:
    ticks = itertools.count()
    return lambda: next(ticks) * step_s  # each reading step_s later than the one before


def test_a_long_sweep_says_its_time_on_stderr_when_piped(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sim_cli, "SWEEP_CLOCK", _clock(30.0))  # 30 s a design: 4 designs, 2 min
    code, out, err = run_main(SWEEP, capsys)
    assert code == 0, err
    assert json.loads(out)["evaluated"] == 4  # stdout keeps the document
    text = " ".join(err.split())
    assert "simulate sweep: 4 designs at 30 s each (the first 1 timed): about 90 s left (estimate)" in text, err
    assert text.count("simulate sweep: 4 designs") == 1  # said once


def test_a_short_sweep_says_nothing(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sim_cli, "SWEEP_CLOCK", _clock(2.0))  # 8 s in all: under a minute
    code, _, err = run_main(SWEEP, capsys)
    assert code == 0 and "designs at" not in err, err


@pytest.mark.parametrize(("done", "total", "elapsed", "said"), [
    (1, 1000, 0.5, False),  # under ESTIMATE_AFTER_S: the first design's warm-up alone
    (3, 1000, 2.0, True),   # 0.667 s x 1000 = 11 min
    (5, 10, 2.0, False),    # 4 s in all
    (10, 10, 900.0, False),  # finished: nothing left to estimate
])
def test_when_the_estimate_is_said(done: int, total: int, elapsed: float, said: bool) -> None:
    assert (sim_cli._sweep_estimate(done, total, elapsed) is not None) is said
