"""`plan explain --html` names the layout's choices and the flags given, as the console's headline does (a user
trial, uttrialC, 2026-12-06). The page's layout table showed the columns tp .. zero, recompute, calibration and stack
only: a run with --no-sp, --p2p-overlap and --fp8-recipe current read on the page as one with sequence parallelism
on and neither flag, which changes the prediction (the terms shown beside it come from the flags). The table's note
now holds the headline's layout text (report.plan_warnings.explain_layout_text), on a page re-rendered by `history
show --html` too."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.report import history

ARGV = ["plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "16", "--tp", "2", "--pp",
        "2", "--no-sp", "--p2p-overlap", "--dtype", "fp8", "--fp8-recipe", "current"]


def _page_text(path: Path) -> str:
    return " ".join(html.unescape(re.sub("<[^>]+>", " ", path.read_text(encoding="utf-8"))).split())


def test_the_page_names_the_layout_and_flags_as_the_console(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "explain.html"
    code, out, err = run_main([*ARGV, "--html", str(page)], capsys)
    assert code == 0, err
    headline = " ".join(out.split())
    said = ("tp=2 pp=2 dp=4 cp=1 ep=1 vp=1 mbs=1 m=128 zero=1 recompute=selective sp=off, p2p overlap, fp8 recipe "
            "current")
    assert said in headline
    assert f"as the console's headline: {said}" in _page_text(page)
    again = tmp_path / "again.html"
    code, _, err = run_main(["history", "show", history.list_runs(limit=1)[0].id, "--html", str(again)], capsys)
    assert code == 0, err
    assert f"as the console's headline: {said}" in _page_text(again)


def test_the_search_page_names_the_flags_and_schedule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`plan --html`'s search table named model, tokens, batch, dtype and stack, not the flags nor the schedule the
    console's headline names ('..., bf16, p2p overlap, megatron stack, 1f1b schedule')."""
    page = tmp_path / "plan.html"
    code, out, err = run_main(["plan", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "16",
                               "--p2p-overlap", "--top", "2", "--html", str(page)], capsys)
    assert code == 0, err
    assert "bf16, p2p overlap, megatron stack, 1f1b schedule" in " ".join(out.split())
    text = _page_text(page)
    assert "schedule 1f1b" in text and "flags p2p overlap" in text, text[:2000]
