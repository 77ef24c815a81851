"""The layout search's memory guard projected only the evaluated layouts' arrays (held / done x total, x 2 for the
final join), not what the process grows by while it searches: DeepSeek-V3's config on h100-sxm,b200,mi300x kept
0.47 GB of arrays per device, but its first device's search grew the process by 1.50 GB and the search peaked
3.2 GB above its start where the guard projected 2.8 GB: a machine with 3 GB available passed the check and then ran
short (a user trial, utplan3). The guard now projects from the resident memory too (search.current_rss_bytes)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from conftest import run_main

import accelopt.predict.search as search
import accelopt.workload.hf as hf

ARGV = ["plan", "--model", "gpt3-125m", "--devices", "8", "--top", "1", "--hardware", "h100-sxm,mi300x,tpu-v5p"]
GB = 10**9


def _growing(step: int) -> Iterator[int]:
    n = GB
    while True:
        yield n
        n += step


def test_the_process_growth_is_projected(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # each device's search grows the process by 3 GB (its arrays are a few MB): 5 GB available runs short at the
    # third device, while 2 x the arrays passed
    rss = _growing(3 * GB)
    monkeypatch.setattr(search, "current_rss_bytes", lambda: next(rss))
    monkeypatch.setattr(hf, "available_memory_bytes", lambda: 5 * GB)
    code, _, err = run_main(ARGV, capsys)
    assert code == 2 and "Traceback" not in err
    text = " ".join(err.split())
    assert "would need about 9 GB" in text and "this process grew by 6 GB over those" in text, text
    assert "a narrower --devices range" in text


def test_room_for_the_growth_is_searched(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    rss = _growing(3 * GB)
    monkeypatch.setattr(search, "current_rss_bytes", lambda: next(rss))
    monkeypatch.setattr(hf, "available_memory_bytes", lambda: 10 * GB)
    code, _, err = run_main(ARGV, capsys)
    assert code == 0, err
    monkeypatch.setattr(search, "current_rss_bytes", lambda: None)  # no /proc: the arrays alone, as before
    monkeypatch.setattr(hf, "available_memory_bytes", lambda: 5 * GB)
    code, _, err = run_main(ARGV, capsys)
    assert code == 0, err


def test_current_rss_is_read_here() -> None:
    now = search.current_rss_bytes()
    if not os.path.exists("/proc/self/statm"):  # no /proc (macOS, Windows): nothing to read
        assert now is None
        return
    assert now is not None and now > 10**6, now  # a Python process with numpy holds more than 1 MB
