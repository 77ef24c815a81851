"""A simulated row past the simulator's exact-count bound (2**53 MACs) names what it holds: a model preset's row
stands for all its layers, so a large prefill passes the bound though each GEMM is an ordinary one."""

from __future__ import annotations

import pytest
from conftest import run_main_expect


def test_a_row_past_the_count_bound_says_it_stands_for_many_gemms(capsys: pytest.CaptureFixture[str]) -> None:
    """utmisc: Llama 3 405B at 64 x 8,192 tokens was refused as 'past any real layer', though each of the 126 q_proj
    GEMMs the preset's row stands for (524,288 x 16,384 x 16,384 = 1.4e14 MACs) is an ordinary prefill GEMM."""
    err = run_main_expect(capsys, "simulate", "run", "-d", "tpu-v1", "-m", "llama3-405b", "--batch", "64",
                          "--seq-len", "8192", code=2)[1]
    assert "past any real layer" not in err
    assert "the row stands for 126 GEMMs (layers, heads or groups) of 1.41e+14 MACs each" in err, err
    assert "a smaller --batch or --seq-len" in err
