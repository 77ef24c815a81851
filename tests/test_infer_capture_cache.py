"""The captures of the built-in inference examples are kept once per process (inference_zoo.captured_example), shared
by `plan infer` and `validate --inference`, handed out as deep copies and forgotten when a test patches the capture
code (tests/conftest.py's monkeypatch). Capturing on the meta device costs seconds per model and batch, and the
tests (test_docs_match, test_plan_infer*, test_bad_inputs) plan the same examples at the same batches again."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import run_main

from accelopt.errors import InputError
from accelopt.workload import inference_zoo

INFER = ["plan", "infer", "kws-dscnn", "--hardware", "h100-sxm", "--batch", "1,2", "--json"]


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Count inference_zoo.capture_inference's calls (the patch itself forgets what was kept)."""
    calls: list[Any] = []
    real = inference_zoo.capture_inference

    def counted(*a: Any, **k: Any) -> Any:
        calls.append(a)
        return real(*a, **k)

    monkeypatch.setattr(inference_zoo, "capture_inference", counted)
    return calls


def test_plan_infer_captures_a_built_in_example_once_per_batch_per_process(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    calls = _counting(monkeypatch)
    first = run_main(INFER, capsys)
    second = run_main(INFER, capsys)
    assert first[0] == 0, first[2]
    assert second == first  # the same document, exit status and stderr
    assert len(calls) == 2, calls  # batches 1 and 2, once each (before: 4, captured again by the second run)


def test_a_kept_capture_is_handed_out_as_a_copy() -> None:
    a = inference_zoo.captured_example("kws-dscnn", 1)
    ops, flops = len(a.ops), a.total_flops()
    a.ops.clear()
    a.meta["params"] = -1
    b = inference_zoo.captured_example("kws-dscnn", 1)
    assert (len(b.ops), b.total_flops()) == (ops, flops) and b.meta["params"] > 0


def test_a_bool_batch_is_refused_even_where_batch_1_is_kept() -> None:
    inference_zoo.captured_example("kws-dscnn", 1)  # True == 1 as a dict key
    with pytest.raises(InputError, match="must be a positive integer"):
        inference_zoo.captured_example("kws-dscnn", True)


def test_patching_the_capture_forgets_the_kept_captures(monkeypatch: pytest.MonkeyPatch) -> None:
    kept = inference_zoo.captured_example("kws-dscnn", 1)
    stand_in = inference_zoo.Workload(name="stand-in", meta={"params": 1.0})
    monkeypatch.setattr(inference_zoo, "capture_inference", lambda bundle: stand_in)
    assert inference_zoo.captured_example("kws-dscnn", 1).name == "stand-in"  # not the capture kept before the patch
    monkeypatch.undo()
    assert inference_zoo.captured_example("kws-dscnn", 1).name == kept.name  # nor the stand-in after the undo
