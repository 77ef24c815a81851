"""`optimize --quality-tolerance -0` (utopt5, 2026-12-05): accepted as 0 (it is not negative), but the
recommendation read 'within -0 accuracy points of the baseline', the table 'Quality tolerance: -0 accuracy points'
and the JSON -0.0. And a tolerance over 100 accuracy points (1e308) ran, and would recommend a variant scoring 0%."""

from __future__ import annotations

import json
import math

import pytest
from conftest import run_main


def test_minus_zero_is_zero_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["optimize", "digits", "--quality-tolerance=-0", "--only", "bf16", "--rounds", "3", "--block-s", "0.01",
            "--warmup", "0", "--no-profile-bounds", "--threads", "1"]
    code, out, err = run_main([*argv, "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["quality_tolerance"] == 0 and math.copysign(1.0, doc["quality_tolerance"]) == 1.0
    assert "-0 " not in doc["recommendation"]["reason"]
    code, out, err = run_main(argv, capsys)
    assert code == 0 and "-0 accuracy points" not in " ".join(out.split())
    assert "Quality tolerance: 0 accuracy points" in " ".join(out.split())


def test_more_than_100_accuracy_points_is_refused_before_measuring(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["optimize", "digits", "--quality-tolerance", "1e308", "--only", "bf16"], capsys)
    assert code == 2 and "--quality-tolerance 1e+308 accuracy points, more than accuracy's whole range" in err
    assert "fix: pass --quality-tolerance 0 to 100" in err and "measuring the baseline" not in err


def test_100_points_and_a_large_loss_percent_still_run() -> None:
    """100 points is the whole range (allowed); a loss's percent has no such bound (a loss may grow 10x)."""
    from accelopt.optimize.runner import RunOptions, _Run
    from accelopt.workload import examples, zoo

    assert _Run(examples.build("digits"), RunOptions(quality_tolerance=100)).result.quality_tolerance == 100
    assert _Run(zoo.build("mlp", "tiny"), RunOptions(quality_tolerance=1e6)).result.quality_tolerance == 1e6
