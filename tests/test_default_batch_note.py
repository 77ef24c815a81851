"""Issue #10, no silent fallbacks: `plan` and `plan explain` without --global-batch train on ~4M tokens per step (the
Llama 2 batch, query.DEFAULT_BATCH_TOKENS); the header printed the sequences but not that they were a default. The
default is now said beside the result (text and JSON notes), and not where --global-batch is given."""

from __future__ import annotations

import json

import pytest
from conftest import run_main

NOTE = "default used: global batch"


@pytest.mark.parametrize("command", [
    ["plan", "explain", "--devices", "8", "--hardware", "h100-sxm"],
    ["plan", "--devices", "8", "--hardware", "h100-sxm", "--top", "1"]])
def test_the_default_global_batch_is_said(capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    code, out, err = run_main([*command, "--model", "gpt3-125m", "--tokens", "1e9", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    (said,) = [n for n in doc["notes"] if n.startswith(NOTE)]
    # gpt3-125m trains on 2048-token sequences: round(4 x 2**20 / 2048) = 2048 sequences, 4,194,304 tokens
    assert "2,048 sequences x 2,048 tokens = 4,194,304 tokens" in said
    code, out, err = run_main([*command, "--model", "gpt3-125m", "--tokens", "1e9", "--global-batch", "512",
                               "--json"], capsys)
    assert code == 0, err
    assert not [n for n in json.loads(out)["notes"] if n.startswith(NOTE)]
