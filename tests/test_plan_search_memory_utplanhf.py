"""`plan` refuses a layout search that would not fit this machine's memory, before the kernel kills it (a user trial,
utplanhf).

`accelopt plan --model DeepSeek-V3/config.json --devices 64..8192 --hardware all` held ~0.8M evaluated layouts per
device (1.5 GB resident for one device) and was ended by the OOM killer after 4 minutes on a 23 GB machine, exit 137
and no word. search() now measures what the first devices' layouts hold and exits 2 when all of them would not fit
(twice the projection: the final np.concatenate copies them), naming the flags that narrow the search.
"""

from __future__ import annotations

import pytest
from conftest import run_main

import accelopt.workload.hf as hf

ARGV = ["plan", "--model", "gpt3-125m", "--devices", "8", "--top", "1"]


def test_a_search_past_the_available_memory_exits_2_naming_the_fix(monkeypatch: pytest.MonkeyPatch,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(hf, "available_memory_bytes", lambda: 1000)
    code, _, err = run_main([*ARGV, "--hardware", "h100-sxm,mi300x,tpu-v5p"], capsys)
    assert code == 2 and "Traceback" not in err
    text = " ".join(err.split())
    assert "the layout search of gpt3-125m over 3 devices x 1 device counts would need about" in text
    assert "measured on the first 1" in text and "more than the 1 kB this machine has available" in text
    assert "fewer --hardware names than 'all', a narrower --devices range" in text


def test_one_device_or_enough_memory_is_searched(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # one device: nothing left to project (its layouts are already held); unknown memory: no check
    monkeypatch.setattr(hf, "available_memory_bytes", lambda: 1000)
    code, _, err = run_main([*ARGV, "--hardware", "h100-sxm"], capsys)
    assert code == 0, err
    monkeypatch.setattr(hf, "available_memory_bytes", lambda: None)
    code, _, err = run_main([*ARGV, "--hardware", "h100-sxm,mi300x,tpu-v5p"], capsys)
    assert code == 0, err
