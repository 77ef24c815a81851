"""A command's --json document given where a workload is read (`simulate run --workload profile.json`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accelopt.errors import InputError
from accelopt.workload.types import Workload


def test_a_profile_result_is_named_as_one_not_a_misspelt_workload(tmp_path: Path) -> None:
    """`simulate run --workload profile.json` (a `profile --json` document) said 'unknown field(s) achieved_flop_per_s,
    ...' and 'did you mean 'ops' for 'flops_per_step'?'; it now says the file is a command's result and how to write a
    workload."""
    p = tmp_path / "profile.json"
    p.write_text(json.dumps({"schema": "accelopt.profile", "schema_version": 2, "name": "m", "flops_per_step": 1.0,
                             "step_time": {"median": 1e-3}}))
    with pytest.raises(InputError) as e:
        Workload.load(p)
    assert "the result of an accelopt command (schema 'accelopt.profile'" in e.value.problem
    assert "--save-workload" in e.value.fix and "did you mean" not in e.value.fix
