"""`--html PATH` replaced any existing HTML page: a user's own hand-written index.html was overwritten by a report
(user trial utreport, `history show latest --html site/index.html`), and `--html results.json` wrote an HTML page
under a JSON name without a word (user trial utopt3). One rule now, in userio.check_writable, for every command's
--html, checked before the work (cli/html_first.py): an existing file is replaced only when accelopt wrote it (its
head carries `<meta name="generator" content="accelopt ...">`) or holds nothing; the page's name ends in .html or
.htm; anything else is exit 2 naming the file and the fix, with the file as it was and nothing run or recorded."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

from accelopt.report import history

COMMANDS = {
    "catalog compare": ["catalog", "compare", "h100-sxm", "mi300x"],
    "plan": ["plan", "--model", "gpt3-125m", "--hardware", "h100-sxm", "--devices", "8", "--tokens", "1e9"],
    "simulate run": ["simulate", "run", "-d", "tpu-v1", "-m", "alexnet-conv"],
    "history show": ["history", "show", "latest"],
}
OWN_PAGE = ("<!DOCTYPE html>\n<html><head><title>My notes</title></head>\n"
            "<body><h1>Hand-written</h1><p>three weeks of notes</p></body></html>\n")


def _run(capsys: pytest.CaptureFixture[str], name: str, *more: str) -> tuple[int, str, str]:
    if name == "history show":
        history.record("validate", [], {"runs": []})  # a run to show
    before = history.count()
    code, out, err = run_main([*COMMANDS[name], *more], capsys)
    if code == 2:  # refused before the work: no result printed (--json: the error document), none recorded
        assert (out == "" or '"schema": "accelopt.error"' in out) and history.count() == before, (out, before)
    return code, out, err


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_hand_written_page_is_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    page = tmp_path / "index.html"
    page.write_text(OWN_PAGE, encoding="utf-8")
    code, _, err = _run(capsys, name, "--html", str(page))
    assert code == 2 and "not an HTML page accelopt wrote" in err, err
    assert str(page) in err and "move that file aside (or remove it)" in err
    assert page.read_text(encoding="utf-8") == OWN_PAGE


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_page_accelopt_wrote_is_replaced(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    page = tmp_path / "report.HTM"  # any case of .htm or .html
    assert _run(capsys, name, "--html", str(page))[0] == 0
    page.write_text(page.read_text(encoding="utf-8").replace("</body>", "<p>a note of mine</p></body>"),
                    encoding="utf-8")  # accelopt's page, edited: still accelopt's (the README says so)
    assert _run(capsys, name, "--html", str(page))[0] == 0
    assert "a note of mine" not in page.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_name_that_is_not_html_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    new = tmp_path / "results.json"  # not there yet: the page was written under this name
    code, _, err = _run(capsys, name, "--html", str(new))
    assert code == 2 and "does not end in .html or .htm" in err and f"--html {tmp_path / 'results.html'}" in err
    assert not new.exists()
    kept = tmp_path / "kept.json"  # there: kept, and named as a file of yours first
    kept.write_text('{"a": 1}\n', encoding="utf-8")
    code, _, err = _run(capsys, name, "--html", str(kept))
    assert code == 2 and "not an HTML page accelopt wrote" in err and kept.read_text(encoding="utf-8") == '{"a": 1}\n'


@pytest.mark.parametrize("name", ["catalog compare", "plan", "simulate run"])
def test_a_flag_taken_as_the_path_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """`--html --json` (the path left out): click takes '--json' as the path; a page named '--json' was written."""
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(capsys, name, "--html", "--json")
    assert code == 2 and "looks like an option" in err and "--html report.html --json" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("argv", [
    ["plan", "--model", "gpt3-125m", "--hardware", "h100-sxm", "--devices", "8", "--tokens", "1e9"],
    ["plan", "serve", "--model", "gpt3-125m", "--hardware", "h100-sxm", "--batch", "4"],
    ["plan", "infer", "mobilenet-v2", "--hardware", "h100-sxm"],
    ["catalog", "compare", "h100-sxm", "mi300x"],
], ids=" ".join)
def test_the_path_is_checked_before_the_work(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             argv: list[str]) -> None:
    """plan, plan serve, plan infer, validate and catalog compare ran, printed and recorded their result, and only
    then refused a page path whose folder is missing; probe, profile, optimize and simulate checked it first."""
    code, out, err = run_main([*argv, "--html", str(tmp_path / "nope" / "p.html")], capsys)
    assert code == 2 and "mkdir -p" in err and out == "" and history.count() == 0, out


@pytest.mark.parametrize("name", ["catalog compare", "plan", "history show"])
def test_a_pipe_is_refused_and_kept(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    """A named pipe at the path: the writability try waited for a reader (forever, with none), then the page was
    moved onto the pipe's name (write_text_whole), so the pipe was gone. A reader is held open here so that the
    try does not wait."""
    import os
    import stat

    pipe = tmp_path / "page.html"
    os.mkfifo(pipe)
    reader = os.open(pipe, os.O_RDONLY | os.O_NONBLOCK)
    try:
        code, _, err = _run(capsys, name, "--html", str(pipe))
    finally:
        os.close(reader)
    assert code == 2 and "not a regular file" in err, err
    assert stat.S_ISFIFO(pipe.lstat().st_mode)
