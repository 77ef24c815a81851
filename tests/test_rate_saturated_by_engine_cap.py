"""`plan serve --rate 50 --max-batch-size 4` stopped with '50 requests/s exceeds what ... completes (3.12 requests/s
at 4 in flight)' and 'fix: use --rate < 3.12, more devices, or fp8 weights/KV cache', though the 4 was the engine's
--max-batch-size, not memory (the KV cache holds hundreds): the fix now names --max-batch-size where the engine's
cap, not the KV cache, set the requests in flight, and stays as it was where memory did."""

from __future__ import annotations

import pytest
from conftest import run_main

_RUN = ["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--prompt", "512", "--output", "128"]


@pytest.mark.parametrize("layout", [[], ["--pp", "2", "--engine", "vllm"]])
def test_a_rate_saturated_by_the_engines_cap_names_it(layout: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run_main([*_RUN, *layout, "--max-batch-size", "4", "--rate", "50"], capsys)
    text = " ".join(err.split())
    assert code == 2, text
    assert "at 4 in flight" in text and "raise --max-batch-size" in text and "4 here" in text


def test_a_rate_saturated_by_memory_does_not(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run_main([*_RUN, "--rate", "1000"], capsys)
    text = " ".join(err.split())
    assert code == 2 and "the queue grows without bound" in text, text
    assert "--max-batch-size" not in text
