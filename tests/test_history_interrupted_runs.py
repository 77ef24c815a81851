"""An optimize run stopped by Ctrl-C (`interrupted: true`, the baseline measured, no technique) was listed by
`history list` and `history show` as a finished one: 'recommended (baseline) ...; recommended speed-up 1x', read as
'nothing pays off'. Both now mark it."""

from __future__ import annotations

import json

import pytest
from conftest import run_main_expect as _cli

from accelopt.optimize.results import OptimizeResult, Recommendation, VariantResult
from accelopt.report import history
from accelopt.report.jsonout import to_jsonable


def _optimize(interrupted: bool) -> object:
    base = VariantResult(name="baseline", techniques=[], family="", status="measured", speedup=1.0,
                         step_time_p50_s=1.0e-4)
    return OptimizeResult(name="m", mode="inference", device="cpu", dtype="fp32", batch_size=8, metric="loss",
                          higher_is_better=False, quality_tolerance=1.0, quality_tolerance_unit="percent",
                          variants=[base], interrupted=interrupted,
                          recommendation=Recommendation(name="baseline", techniques=[], speedup=1.0,
                                                                    reason="the model as given"))


def test_list_and_show_mark_an_interrupted_optimize(capsys: pytest.CaptureFixture[str]) -> None:
    done = history.record("optimize", ["optimize", "m.py:build"], to_jsonable(_optimize(False)))
    stopped = history.record("optimize", ["optimize", "m.py:build"], to_jsonable(_optimize(True)))
    assert done and stopped
    runs = {r["id"]: r["summary"] for r in json.loads(_cli(capsys, "history", "list", "--json")[0])["runs"]}
    assert runs[stopped].startswith("INTERRUPTED (Ctrl-C), partial: baseline step time (p50) 100 µs"), runs[stopped]
    assert not runs[done].startswith("INTERRUPTED"), runs[done]
    out = _cli(capsys, "history", "show", stopped)[0]
    assert "INTERRUPTED (Ctrl-C), partial" in " ".join(out.split())
    assert "INTERRUPTED" not in _cli(capsys, "history", "show", done)[0]
