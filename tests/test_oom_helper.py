"""One helper turns an allocator's refusal into an InfeasibleError (errors.out_of_memory_as_infeasible): the CLI's
measure.memory.out_of_memory_as_error and simulate's capture both go through it (each once wrote the catch, the
is_out_of_memory test and the 200-character first line)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest

import accelopt.errors as errors
from accelopt.errors import InfeasibleError

_REFUSAL = "DefaultCPUAllocator: can't allocate memory: you tried to allocate " + "9" * 300 + " bytes\nsecond line"


def test_the_helper_quotes_the_first_line_and_passes_other_errors() -> None:
    with pytest.raises(InfeasibleError) as e, errors.out_of_memory_as_infeasible(lambda s: f"too big: {s}", "shrink"):
        raise RuntimeError(_REFUSAL)
    assert e.value.problem.startswith("too big: DefaultCPUAllocator") and "second line" not in e.value.problem
    assert len(e.value.problem) == len("too big: ") + 200 and e.value.fix == "shrink"
    with pytest.raises(RuntimeError, match="shape mismatch"), errors.out_of_memory_as_infeasible(str, "x"):
        raise RuntimeError("shape mismatch")


def _recording(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = errors.out_of_memory_as_infeasible

    def wrapped(problem: Callable[[str], str], fix: str) -> AbstractContextManager[None]:
        calls.append(fix)
        return real(problem, fix)

    monkeypatch.setattr(errors, "out_of_memory_as_infeasible", wrapped)
    return calls


def test_measure_and_simulate_use_the_one_helper(monkeypatch: pytest.MonkeyPatch) -> None:
    from accelopt.measure.memory import out_of_memory_as_error
    from accelopt.simulate.models import _capture_within_memory

    calls = _recording(monkeypatch)
    with pytest.raises(InfeasibleError) as e, out_of_memory_as_error("--batch-size 9", "cpu", "use less"):
        raise RuntimeError(_REFUSAL)
    assert "--batch-size 9 does not fit in the memory of cpu" in e.value.problem

    def refuse(*_: Any, **__: Any) -> Iterator[None]:
        raise MemoryError()

    with pytest.raises(InfeasibleError) as e:
        _capture_within_memory(object(), "gpt:tiny at --batch 9", refuse)
    assert "one forward pass of gpt:tiny at --batch 9" in e.value.problem and "MemoryError" in e.value.problem
    assert len(calls) == 2 and calls[0] == "use less"


@pytest.mark.parametrize(("model", "names_size"), [
    ("gpt", True), ("mlp:small", True), ("digits", False), ("my_model.py:make", False), ("my_model.py", False),
    ("configs/llama/config.json", False), ("configs/llama", False)])
def test_the_memory_fix_names_size_only_for_zoo_models(model: str, names_size: bool) -> None:
    """--size sizes zoo models only (profile/optimize refuse it for a model file, an HF config or a built-in
    example): the fix said 'use a smaller --batch-size (or --seq-len / --size)' for every model."""
    from accelopt.cli.profile import oom_fix

    fix = oom_fix(model)
    assert "smaller --batch-size" in fix and "--seq-len" in fix
    assert ("--size" in fix) is names_size


def test_profile_of_a_model_file_past_memory_does_not_suggest_size(tmp_path: Any,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from conftest import run_main
    from test_capture_step import _OOM_FILE

    f = tmp_path / "oom.py"
    f.write_text(_OOM_FILE)
    code, _, err = run_main(["profile", f"{f}:make", "--steps", "3", "--warmup", "0"], capsys)
    assert code == 2 and "does not fit in the memory of cpu" in err and "--size" not in err
