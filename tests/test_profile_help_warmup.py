"""`accelopt profile --help` on --warmup: `--warmup 0` ran one untimed step (the finiteness check; progress said
"warm-up: 1 step(s)") while --help said only "uninstrumented warm-up steps"."""

from __future__ import annotations

import pytest
from conftest import run_main


def test_profile_help_says_warmup_0_still_runs_one_step(capsys: pytest.CaptureFixture[str]) -> None:
    # `--warmup 0` ran one untimed step (the finiteness check; progress said "warm-up: 1 step(s)") while --help said
    # only "uninstrumented warm-up steps"
    code, out, _ = run_main(["profile", "--help"], capsys)
    flat = " ".join(out.replace("│", " ").split())
    assert code == 0 and "0 still runs one, untimed, whose loss is checked to be finite" in flat, flat
