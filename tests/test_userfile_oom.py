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
    assert code == 2 and "ran out of memory building the model" in err and "160000000000 bytes" in err
    assert "smaller model" in err and "fix the factory" not in err and "Traceback" not in err
