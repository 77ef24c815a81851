"""A second Ctrl-C (or SIGTERM) while a stopped optimize records and prints what it measured does not lose it.

The first Ctrl-C stops the measuring; recording the run and printing its tables or --json document come after. A
second signal there (a user pressing twice, a script's timeout after its first signal) raised KeyboardInterrupt
inside that printing: 'interrupted (Ctrl-C) before `accelopt optimize` finished: nothing to show, save or record',
the measured variants gone. The signal here is a real one, sent to this process while the run is being recorded."""

from __future__ import annotations

import json
import os
import signal
import time
from typing import Any

import pytest
from conftest import run_main

from accelopt.optimize.results import OptimizeResult


def _stopped_run() -> OptimizeResult:
    return OptimizeResult(name="mlp-tiny", mode="train", device="cpu", dtype="fp32", batch_size=8, metric="loss",
                          higher_is_better=False, quality_tolerance=1.0, quality_tolerance_unit="percent",
                          variants=[], interrupted=True,
                          notes=["interrupted (Ctrl-C) during compile; the results measured before are kept"])


@pytest.mark.skipif(os.name != "posix", reason="sends a signal to this process")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_second_signal_while_recording_keeps_the_json(monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str], sig: int) -> None:
    from accelopt.cli import optimize as cli_optimize
    from accelopt.report import runs

    monkeypatch.setattr(cli_optimize, "_run", lambda o: (_stopped_run(), None))

    def second_signal(*args: Any, **kwargs: Any) -> None:
        os.kill(os.getpid(), sig)
        time.sleep(0.2)  # the handler runs here

    monkeypatch.setattr(runs, "finish_run", second_signal)
    before = signal.signal(signal.SIGINT, signal.default_int_handler)  # not the SIG_IGN a shell's child may inherit
    try:
        code, out, err = run_main(["optimize", "mlp", "--size", "tiny", "--json"], capsys)
    finally:
        signal.signal(signal.SIGINT, before)
    assert code == 130, err
    doc = json.loads(out)
    assert doc["interrupted"] is True and doc["name"] == "mlp-tiny"
    assert f"{signal.Signals(sig).name} received: stopping already" in err
