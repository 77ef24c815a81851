"""`profile --threads N`, as optimize has it (utopt4's trial, 2026-12-05): on a busy 2-core machine a 1,030-parameter
model's training step took 163 ms at torch's default 2 threads (each op waiting for a descheduled thread) and 659 µs
with OMP_NUM_THREADS=1; profile only said the machine was busy, and had no flag to run it at 1 thread."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import torch
from conftest import run_main


@pytest.fixture
def threads_kept() -> Iterator[None]:
    """The in-process run sets torch's threads; put them back for the tests after."""
    old = torch.get_num_threads()
    yield
    torch.set_num_threads(old)


def test_threads_run_the_profile_at_that_count(capsys: pytest.CaptureFixture[str], threads_kept: None) -> None:
    code, out, err = run_main(["profile", "mlp", "--threads", "1", "--steps", "3", "--warmup", "0", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["environment"]["threads"] == 1 and doc["contention"]["threads"] == 1


@pytest.mark.parametrize("n", ["0", "100000"])
def test_a_count_outside_the_cpus_is_refused_with_the_fix(n: str, capsys: pytest.CaptureFixture[str],
                                                          threads_kept: None) -> None:
    code, out, err = run_main(["profile", "mlp", "--threads", n], capsys)
    assert code == 2 and out == ""
    assert f"error: --threads {n} is not a count from 1 to this machine's" in err, err
    assert "fix: pass --threads 1 to" in err


def test_threads_with_nproc_is_refused(capsys: pytest.CaptureFixture[str], threads_kept: None) -> None:
    code, _, err = run_main(["profile", "mlp", "--threads", "1", "--nproc", "2"], capsys)
    assert code == 2 and "--threads does not apply to a distributed run (--nproc)" in err, err
