"""`--html PATH` over an existing file: a whitespace-only file is written over, and a page accelopt wrote (its
generator <meta>, in any case and spacing) is replaced by a rerun.

2026-12-05, htmlsafe: this file held that a page a browser saved ('<!-- saved from url=... -->' before <html>) and a
page starting at <head> were pages to replace, as any HTML page was. A user's own index.html was replaced by a
report that way (user trial utreport). Only a page accelopt wrote is replaced now, so those pages are kept
(tests/test_html_replaces_only_its_own.py); the old cases are turned round here."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main_expect as _cli

COMPARE = ("catalog", "compare", "h100-sxm", "mi300x")


@pytest.mark.parametrize("old", [
    " \n\t\n",
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>t</title>'
    '<meta name="generator" content="accelopt plan"></head><body>an older run</body></html>',
    '\ufeff<!doctype HTML><html><head><META NAME="generator"  CONTENT="accelopt catalog-compare"></head></html>',
])
def test_these_files_are_replaced(tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str) -> None:
    page = tmp_path / "report.html"
    page.write_text(old, encoding="utf-8")
    _cli(capsys, *COMPARE, "--html", str(page))
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "catalog compare" in page.read_text(encoding="utf-8")


@pytest.mark.parametrize("old", [
    "<!-- saved from url=(0014)about:internet -->\n<html><body>old</body></html>",
    "<head><title>old</title></head><body>old</body>",
    '<html><head><meta name="generator" content="Hugo 0.120"></head><body>my site</body></html>',
    # the mark in the body (a page quoting accelopt's head as text) is not accelopt's head
    '<html><head></head><body><meta name="generator" content="accelopt plan"></body></html>',
])
def test_pages_accelopt_did_not_write_are_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str) -> None:
    page = tmp_path / "report.html"
    page.write_text(old, encoding="utf-8")
    _, err = _cli(capsys, *COMPARE, "--html", str(page), code=2)
    assert "not an HTML page accelopt wrote" in err and "fix:" in err
    assert page.read_text(encoding="utf-8") == old
