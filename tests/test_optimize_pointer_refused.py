"""A not-applicable reason that sends the user to other techniques says so when this run tried those and they did
not apply or failed: a user CNN calling torch.linalg.eigvalsh was sent from int8-dynamic, int8-weight-only and
onnx-int8 to onnx-int8-static ('— use onnx-int8-static'), whose ONNX export failed two rows below, unsaid (each
reason is decided before the techniques it names are tried; base.applicable_of cannot see an export fail)."""

from __future__ import annotations

from accelopt.optimize.results import VariantResult
from accelopt.optimize.runner import note_pointers_refused


def _row(name: str, status: str, reason: str = "") -> VariantResult:
    return VariantResult(name=name, techniques=[name], family="quantization", status=status, reason=reason)


def test_a_reason_pointing_at_a_technique_that_did_not_apply_says_so() -> None:
    rows = [_row("int8-dynamic", "not-applicable", "odd has no nn.Linear layer, which is what torchao quantizes — "
                 "use onnx-int8-static"),
            _row("onnx-int8", "not-applicable", "odd has no Linear/MatMul layer for dynamic int8 to speed up — use "
                 "onnx-int8-static (calibrated, for convolutions)"),
            _row("onnx-int8-static", "not-applicable", "torch.onnx.export failed (fix: ...)")]
    note_pointers_refused(rows)
    for r in rows[:2]:
        assert r.reason.endswith("(but in this run onnx-int8-static did not apply: see its row)"), r.reason
    assert rows[2].reason == "torch.onnx.export failed (fix: ...)"


def test_a_reason_pointing_at_a_measured_or_untried_technique_is_left_as_it_was() -> None:
    text = "float8-dynamic runs on NVIDIA GPUs of compute capability 8.9+; the target is cpu — use int8-dynamic or " \
           "onnx-int8 on a CPU"
    measured = [_row("float8-dynamic", "not-applicable", text), _row("int8-dynamic", "not-applicable", "x"),
                _row("onnx-int8", "measured")]  # one of the two it names applied: the advice holds
    untried = [_row("float8-dynamic", "not-applicable", text)]  # --only float8-dynamic: nothing tried to contradict
    for rows in (measured, untried):
        note_pointers_refused(rows)
        assert rows[0].reason == text
