"""`optimize --quality-tolerance -0` (utopt5, 2026-12-05): accepted as 0 (it is not negative), but the
recommendation read 'within -0 accuracy points of the baseline', the table 'Quality tolerance: -0 accuracy points'
and the JSON -0.0."""

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
