"""`--html PATH` over an existing file: a whitespace-only file, a page a browser saved ('<!-- saved from url=... -->'
before <html>) and a page starting at <head> (<html> is optional in HTML) are pages to replace; they were refused as
'not an HTML page'. A markdown file opening with a comment, or a comment never closed, is still kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main_expect as _cli

from accelopt.userio import _looks_like_page

COMPARE = ("catalog", "compare", "h100-sxm", "mi300x")


@pytest.mark.parametrize("old", [
    " \n\t\n",
    "<!-- saved from url=(0014)about:internet -->\n<html><body>old</body></html>",
    "<!-- a -->  <!-- b -->\n<!DOCTYPE html><html></html>",
    "<head><title>old</title></head><body>old</body>",
])
def test_these_pages_are_replaced(tmp_path: Path, capsys: pytest.CaptureFixture[str], old: str) -> None:
    page = tmp_path / "report.html"
    page.write_text(old, encoding="utf-8")
    _cli(capsys, *COMPARE, "--html", str(page))
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("text", ["<!-- badges -->\n# My project\n", "<!-- never closed\nimport torch\n",
                                  "<header>not a page</header>"])
def test_other_files_starting_with_a_tag_or_comment_are_not_pages(text: str) -> None:
    assert not _looks_like_page(text)
