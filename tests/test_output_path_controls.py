"""An output path's control characters reach the terminal as visible escapes, never raw (README: control
characters show as escapes). `simulate run --html $'/tmp/x/\\x1b[31mred.html'` printed the ESC byte: the
"HTML report written to ..." and "wrote ..." lines used print()/typer.echo, not the plain console."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

ESC_NAME = "\x1b[31mred"


def _shown(text: str) -> None:
    assert "\x1b" not in text and "\\x1b[31mred" in text, text


def test_html_path_of_a_run_and_of_history_show(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / f"{ESC_NAME}.html"
    code, _, err = run_main(["simulate", "run", "-d", "tpu-v1", "-m", "resnet50", "--max-rows", "1",
                             "--html", str(page)], capsys)
    assert code == 0 and page.is_file(), err
    _shown(err)
    again = tmp_path / f"{ESC_NAME}-again.html"
    code, _, err = run_main(["history", "show", "latest", "--html", str(again)], capsys)
    assert code == 0 and again.is_file(), err
    _shown(err)


@pytest.mark.parametrize("suffix", [".toml", ".cfg"])
def test_simulate_export_path(suffix: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_path = tmp_path / f"{ESC_NAME}{suffix}"
    code, out, err = run_main(["simulate", "export", "-d", "tpu-v1", "--out", str(out_path)], capsys)
    assert code == 0 and out_path.is_file(), err
    _shown(out)
