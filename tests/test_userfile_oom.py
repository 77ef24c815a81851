"""A factory whose model does not fit in memory is an out-of-memory error naming the model and a fix that fits
(a smaller model, more memory, or plan), not 'fix the factory': the factory is not wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

FILE = '''
def huge():
    raise RuntimeError("[enforce fail at alloc_cpu.cpp:127] DefaultCPUAllocator: can't allocate memory: you tried to "
                       "allocate 160000000000 bytes")
'''


def test_factory_out_of_memory_says_the_model_does_not_fit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "m.py").write_text(FILE)
    code, _, err = run_main(["profile", f"{tmp_path / 'm.py'}:huge"], capsys)
    assert code == 2 and "ran out of memory building the model or its batches" in err and "160000000000 bytes" in err
    assert "called with" not in err  # no size was passed
    assert "smaller model" in err and "fix the factory" not in err and "Traceback" not in err


SIZED = '''
def build(batch_size=4):
    raise RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 2764800000000 bytes")
'''


def test_factory_out_of_memory_at_a_batch_size_names_the_batch(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """`profile f.py:build --batch-size 100000000` ran out of memory making its batches and was told to 'build a
    smaller model'; the error now names the batch size it was called with and the batch size first."""
    (tmp_path / "m.py").write_text(SIZED)
    code, _, err = run_main(["profile", f"{tmp_path / 'm.py'}:build", "--batch-size", "100000000"], capsys)
    assert code == 2 and "(called with batch_size=100000000)" in err
    assert "pass a smaller batch_size, or build a smaller model" in err and "Traceback" not in err

