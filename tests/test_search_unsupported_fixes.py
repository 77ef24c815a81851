"""`plan` over devices that each cannot run a different setting (mi300x: --tp-comm-overlap, no cited SM count;
tpu-v5p: --eager-cross-entropy, CUDA passes off a GPU) exited 2 with the fix 'use --fp8-recipe delayed or current, or
add a Blackwell device' in a bf16 run: the fix was picked by matching words in the problems, and a mix fell through to
the FP8 one. Each left-out device's setting now carries its own fix, and the error gives every one of them."""

from __future__ import annotations

import pytest
from conftest import run_main

_PLAN = ["plan", "--model", "gpt3-125m", "--devices", "8", "--tokens", "1e9", "--top", "1"]


def test_a_mix_of_settings_gets_each_fix(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main([*_PLAN, "--hardware", "tpu-v5p,mi300x", "--tp-comm-overlap", "--eager-cross-entropy"],
                            capsys)
    said = " ".join(err.split())
    assert code == 2, err
    assert "mi300x: --tp-comm-overlap on 'mi300x'" in said and "tpu-v5p: --eager-cross-entropy charges" in said
    assert "leave --tp-comm-overlap out or add a device with a cited SM count" in said
    assert "leave --eager-cross-entropy out, or add a GPU to --hardware" in said
    assert "--fp8-recipe" not in said
    assert "Traceback" not in err


def test_one_setting_keeps_its_one_fix(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main([*_PLAN, "--hardware", "tpu-v5p", "--attention-kernel", "flash2"], capsys)
    said = " ".join(err.split())
    assert code == 2, err
    assert ("fix: give --attention-kernel fused (the default) or unfused, or add an NVIDIA GPU of Ampere or newer or "
            "an AMD MI200/MI300 (e.g. a100-sxm-80gb, h100-sxm, mi300x) to --hardware") in said
    assert "; " not in said.split("fix:")[1]
