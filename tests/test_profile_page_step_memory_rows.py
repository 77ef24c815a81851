"""`profile --html` shows the step and memory tables with the console's rows (user trial ut3prof, session 35): the
page's step table had no share column and no 'sum of phases (instrumented pass)' row, the figure its own warning
quotes ('the phased pass summed to 0.195x the headline step'), named the phases by their JSON keys ('data_wait',
'h2d_copy'), and its memory table read 'baseline' and a bare 'peak' where the console read 'before the step' and
'peak (process-rss-hwm-reset)', the kind of peak measured. Both now take their rows from report/profile_view."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from conftest import PROFILER_REFUSING_MODEL, run_main


def _page_rows(page: Path, title: str) -> list[list[str]]:
    text = page.read_text()
    start = text.index(f"<h2>{html.escape(title)}")
    table = text[start:text.index("</table>", start)]
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row,
                                                                                  flags=re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)][1:]


def _console_rows(out: str, first_label: str, width: int) -> list[list[str]]:
    """The rows of the console table whose first row's label starts with first_label: cells split on '│', the first
    `width` cells, wrapped 'how' lines left out."""
    rows: list[list[str]] = []
    for line in out.splitlines():
        cells = [c.strip() for c in line.split("│")[1:-1]]
        if not cells:
            if rows:
                break
            continue
        if not rows and not cells[0].startswith(first_label):
            continue
        if cells[0]:
            rows.append(cells[:width])
    return rows


def test_the_pages_step_and_memory_rows_are_the_consoles(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    page = tmp_path / "profile.html"
    code, out, err = run_main(["profile", "mlp", "--size", "tiny", "--steps", "3", "--html", str(page)], capsys)
    assert code == 0, err
    step = _console_rows(out, "step (", 5)
    assert [r[0] for r in step][-1] == "sum of phases (instrumented pass)", step
    shown = _page_rows(page, "profile — mlp")
    assert shown == step
    memory = _console_rows(out, "peak (", 2)
    assert len(memory) == 7, memory  # peak, before the step, parameters, buffers, gradients, optimizer, activations
    assert [r[:2] for r in _page_rows(page, "memory")] == memory




def test_a_failed_runs_page_shows_the_consoles_step_rows(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A run whose model raised in the roofline pass keeps its step table: on the page with the console's rows (the
    page had no share column and read 'data_wait')."""
    monkeypatch.setenv("COLUMNS", "250")
    model = tmp_path / "late.py"
    model.write_text(PROFILER_REFUSING_MODEL, encoding="utf-8")
    page = tmp_path / "late.html"
    code, out, err = run_main(["profile", f"{model}:build", "--steps", "3", "--html", str(page)], capsys)
    assert code == 2, err
    step = _console_rows(out, "step (", 5)
    assert [r[0] for r in step][1:] == ["data wait", "h2d copy", "forward", "backward", "optimizer"], step
    assert _page_rows(page, "profile — late-fail") == step
