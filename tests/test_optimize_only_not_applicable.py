"""`optimize MODEL --only power-limit` on a CPU (utopt, 2026-12-04) profiled and measured the baseline, listed
power-limit as not applicable ('power limits are an NVIDIA GPU feature') and exited 0 recommending the baseline,
while an --only technique of the other mode was already exit 2 before anything was measured. Now --only naming no
technique that applies here is exit 2 before the baseline is measured, each technique named with its reason; one
that applies runs, and the table says why the others did not."""

from __future__ import annotations

import json

import pytest
from conftest import run_main

FAST = ["--rounds", "3", "--block-s", "0.005", "--warmup", "0", "--no-profile-bounds", "--combinations", "0"]


def test_only_techniques_that_never_apply_here_is_exit_2_before_measuring(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["optimize", "mlp", "--only", "power-limit,channels-last", *FAST], capsys)
    assert code == 2, (code, out, err)
    assert "no technique of --only applies to mlp-tiny (inference, cpu, fp32)" in err, err
    assert "power-limit: power limits are an NVIDIA GPU feature" in err, err
    assert "channels-last: the model has no 2-D convolutions" in err, err
    assert "fix:" in err and "leave out --only" in err, err
    assert "measuring the baseline" not in err, err


def test_one_that_applies_runs_and_the_others_are_listed(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["optimize", "mlp", "--only", "power-limit,int8-dynamic", "--json", *FAST], capsys)
    assert code == 0, err
    rows = {v["name"]: v for v in json.loads(out)["variants"]}
    assert rows["power-limit"]["status"] == "not-applicable", rows
    assert rows["int8-dynamic"]["status"] == "measured", rows["int8-dynamic"]
