"""--eager-cross-entropy charges the eager loss's passes in time but leaves mem/dev at the 4 B fp32 logits per
element; neither --help nor the README said so, and a user reads a flag that names fp32 casts and log_softmax
buffers as counting them. Both say it now, and the memory is pinned: the flag does not change mem/dev."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

README = Path(__file__).resolve().parent.parent / "README.md"
ARGV = ["plan", "explain", "--model", "llama2-7b", "--hardware", "a100-sxm-80gb", "--devices", "8", "--seq-len",
        "2048", "--global-batch", "64seq", "--json"]


def test_help_and_readme_say_what_memory_counts(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(["plan", "explain", "--help"], capsys)
    assert code == 0
    text = " ".join(out.replace("│", " ").split())
    assert "mem/dev keeps the 4 B fp32 logits per element (the passes' other fp32 buffers are not counted)" in text
    assert "mem/dev still counts the 4 B fp32 logits per element, not the passes' other fp32 buffers" in " ".join(
        README.read_text(encoding="utf-8").split())


def test_the_flag_leaves_memory_as_it_was(capsys: pytest.CaptureFixture[str]) -> None:
    mem = []
    for extra in ([], ["--eager-cross-entropy"]):
        code, out, err = run_main([*ARGV, *extra], capsys)
        assert code == 0, err
        mem.append(json.loads(out)["prediction"]["mem_total_bytes"])
    assert mem[0] == mem[1]
