"""A command line holding bytes that are not UTF-8 (a Latin-1 file name such as `rapport_\\xe9t\\xe9.html`, legal
on Linux; Python hands it to accelopt as lone surrogates, '\\udce9') is user text like any other: the HTML page
shows it as a visible escape, as the console does a control character. `--html $'x\\xff.html'` raised
UnicodeEncodeError (a traceback, exit 1, no page) after the whole run, and `history show ID --html` of that run
called the run damaged."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import run_main

LATIN1_NAME = os.fsdecode(b"rapport_\xe9t\xe9.html")  # 'rapport_\udce9t\udce9.html'
SHOWN = "rapport_\\udce9t\\udce9.html"  # as error messages and the console show it


def test_printable_shows_a_lone_surrogate_as_an_escape() -> None:
    from accelopt.report.console import printable
    from accelopt.report.html import esc

    assert printable(LATIN1_NAME) == SHOWN
    assert esc(LATIN1_NAME) == SHOWN
    assert printable("caf\u00e9 \u4e2d \U0001f600") == "caf\u00e9 \u4e2d \U0001f600"  # real text unchanged


@pytest.mark.skipif(os.fsencode(LATIN1_NAME) != b"rapport_\xe9t\xe9.html",
                    reason="the file system encoding does not round-trip undecodable bytes")
def test_html_page_of_a_latin1_file_name_is_written(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a bare name: `history list` shortens a long command line (pytest-xdist's longer
    page = Path(LATIN1_NAME)  # tmp_path cut the name off it, so the check below failed under -n)
    code, _, err = run_main(["simulate", "run", "-d", "tpu-v1", "-m", "alexnet-conv", "--max-rows", "0",
                             "--html", str(page)], capsys)
    assert code == 0, err
    text = page.read_bytes().decode("utf-8")  # valid UTF-8: the name is shown escaped, not as raw bytes
    assert SHOWN in text
    assert "HTML report written to" in err

    again = tmp_path / "again.html"  # the recorded run (its argv holds the name) re-renders too
    code, _, err = run_main(["history", "show", "latest", "--html", str(again)], capsys)
    assert code == 0, err
    assert "damaged" not in err
    assert SHOWN in again.read_text(encoding="utf-8")

    code, out, err = run_main(["history", "list"], capsys)
    assert code == 0, err
    assert SHOWN in out
