"""`plan infer` refuses a bad --latency-budget-ms before it captures the model (2026-12-05, cispeed3): it checked
the budget in plan_inference, after capturing every batch (torch imported, the model traced): 23 s to refuse `nan`
from the command line, 3-4 s per bad value in process (tests/test_bad_inputs.py runs eight)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import run_main

from accelopt.cli import plan_infer
from accelopt.errors import InputError


@pytest.mark.parametrize("value", ["nan", "0", "-1", "inf", "-inf", "1e400"])
def test_a_bad_budget_is_refused_before_the_capture(value: str, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    captured: list[Any] = []
    monkeypatch.setattr(plan_infer, "_captured", lambda *a: captured.append(a) or {})
    code, _, err = run_main(["plan", "infer", "resnet50", "--hardware", "h100-sxm", "--batch", "1",
                             "--latency-budget-ms", value], capsys)
    assert code == 2 and "must be a positive number" in err and "fix: give milliseconds" in err, err
    assert captured == []  # before: the capture ran first (the stand-in's empty batches were refused instead)


def test_the_library_check_is_the_one_plan_inference_makes() -> None:
    from accelopt.predict.inference import check_latency_budget  # (here: the test above runs on int's sources)

    check_latency_budget(None)
    check_latency_budget(0.033)
    for bad in (float("nan"), 0.0, -1.0, float("inf")):
        with pytest.raises(InputError, match="must be a positive number"):
            check_latency_budget(bad)
