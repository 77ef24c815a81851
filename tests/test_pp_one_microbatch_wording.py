"""`plan serve --pp 2 --pp-microbatches 1` titled its table 'pp=2 x 1 micro-batches' (console and HTML) and its cap
note read 'x 1 micro-batches'; one micro-batch now reads 'x 1 micro-batch', more keep the plural."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

_RUN = ["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--pp", "2", "--concurrency", "max",
        "--prompt", "128", "--output", "16"]


def test_one_microbatch_is_singular(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "serve.html"
    code, out, err = run_main([*_RUN, "--pp-microbatches", "1", "--html", str(page)], capsys)
    text = " ".join(out.split())
    assert code == 0, err
    assert "pp=2 x 1 micro-batch)" in text
    # the cap is TensorRT-LLM's max_batch_size x pp whatever --pp-microbatches (tests/test_trtllm_cap_by_pp.py)
    assert "per micro-batch x 2 micro-batches, one per --pp stage" in text
    assert "1 micro-batches" not in text and "1 micro-batches" not in page.read_text(encoding="utf-8")
    assert "x 1 micro-batch" in page.read_text(encoding="utf-8")


def test_two_microbatches_stay_plural(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(_RUN, capsys)
    assert code == 0, err
    assert "pp=2 x 2 micro-batches)" in " ".join(out.split())
