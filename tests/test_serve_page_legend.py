"""The plan serve page says what TTFT, TPOT and its other columns mean, as the console does under its tables (the
page had no legend; rev2's leftover, session 35)."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.report.plan_warnings import serve_legend


def _words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("extra, p50", [([], False), (["--hardware", "trn1", "--token-buckets", "neuronx"], True)])
def test_the_page_carries_the_consoles_legend(extra: list[str], p50: bool, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "serve.html"
    args = ["plan", "serve", "--model", "llama3-8b", "--batch", "1,8", "--prompt", "512", "--output", "128"]
    code, out, err = run_main([*args, *(extra or ["--hardware", "h100-sxm"]), "--html", str(page)], capsys)
    assert code == 0, err
    legend = serve_legend(p50)
    assert ("TPOT P50 (--token-buckets) = the median decode step" in legend) is p50
    assert _words(legend) in _words(out)
    assert _words(html.escape(legend, quote=True)) in _words(page.read_text(encoding="utf-8"))
