"""A rank that reports the same error as the first failed rank met it itself (a factory that fails on every rank):
the error said 'rank 1 (then rank 0 failed in turn): factory ... raised ValueError: no data', as if rank 1's exit had
felled rank 0. Now such ranks are 'the same', and only ranks with another error 'failed in turn' (2026-12-06,
utdist)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accelopt.distributed.launch import _errors, _rank_error
from accelopt.errors import InputError, MeasurementError


def _write(out_dir: Path, rank: int, when: float, problem: str, **extra: object) -> None:
    (out_dir / f"rank{rank}.error.json").write_text(json.dumps({"time": when, "problem": problem, **extra}))


def test_ranks_with_the_first_ranks_own_error_are_the_same_not_in_turn(tmp_path: Path) -> None:
    factory = "factory 'bad' in 'f.py' raised ValueError: no data on workers"
    _write(tmp_path, 1, 1.0, factory, input=True)
    _write(tmp_path, 0, 1.5, factory, input=True)
    _write(tmp_path, 2, 1.6, factory, input=True)
    _write(tmp_path, 3, 2.0, "RuntimeError: Connection closed by peer", type="RuntimeError")
    err = _rank_error(_errors(tmp_path), tmp_path)
    assert isinstance(err, InputError)
    assert err.problem == f"rank 1 (ranks 0, 2 the same; then rank 3 failed in turn): {factory}"


@pytest.mark.parametrize("second, said", [("RuntimeError: Connection closed by peer", "(then rank 0 failed in turn)"),
                                          ("RuntimeError: boom", "(rank 0 the same)")])
def test_a_crash_names_how_the_other_rank_failed(tmp_path: Path, second: str, said: str) -> None:
    _write(tmp_path, 1, 1.0, "RuntimeError: boom")
    _write(tmp_path, 0, 2.0, second)
    err = _rank_error(_errors(tmp_path), tmp_path)
    assert isinstance(err, MeasurementError) and err.problem == f"rank 1 crashed {said}: RuntimeError: boom"
