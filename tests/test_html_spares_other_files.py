"""`--html PATH` naming an existing file that is not an HTML page (a slip: `--html my_model.py`, `--html
results.json`) replaced that file with the page. A page is now written only over a missing or empty file or an
HTML page (a rerun replaces its own page), checked before the work, and the file is left as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main_expect as _cli

COMPARE = ("catalog", "compare", "h100-sxm", "mi300x")


def test_an_existing_file_that_is_not_a_page_is_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = tmp_path / "my_model.py"
    model.write_text("import torch\n")
    _, err = _cli(capsys, *COMPARE, "--html", str(model), code=2)
    assert "is not an HTML page" in err and "fix:" in err
    assert model.read_text() == "import torch\n"


def test_a_page_is_replaced_and_an_empty_or_missing_file_written(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "report.html"
    _cli(capsys, *COMPARE, "--html", str(page))
    first = page.read_text()
    assert first.startswith("<!DOCTYPE html>")
    _cli(capsys, *COMPARE, "--html", str(page))  # a rerun replaces its own page
    assert page.read_text().startswith("<!DOCTYPE html>")
    # 2026-12-05, htmlsafe: any HTML page was replaced here (this one too); only a page accelopt wrote is now, so
    # an HTML page of someone else's is kept (tests/test_html_replaces_only_its_own.py)
    older = "\ufeff  <!doctype HTML><html>an older page</html>"
    page.write_text(older)
    _cli(capsys, *COMPARE, "--html", str(page), code=2)
    assert page.read_text() == older
    empty = tmp_path / "empty.html"
    empty.touch()
    _cli(capsys, *COMPARE, "--html", str(empty))
    assert empty.read_text().startswith("<!DOCTYPE html>")
