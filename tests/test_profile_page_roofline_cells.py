"""`profile --html` prints the roofline table with the console's cells (user trial, session 33): the page wrote
each op's intensity to 4 significant digits ('45.46 FLOP/B', '0.1429 FLOP/B') where the console of the same run
printed 3 ('45.5', '0.143'), had no share column, listed up to 15 ops where the console said 'top 12', and titled
the table 'by self_cpu_time'. Both now take their rows from report/profile_view.roofline_rows."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from conftest import run_main


def _page_table(page: Path, title: str) -> list[list[str]]:
    text = page.read_text()
    start = text.index(f"<h2>{html.escape(title)}</h2>")
    table = text[start:text.index("</table>", start)]
    return [[html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row,
                                                                                  flags=re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)][1:]


def test_roofline_rows_as_the_console(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    page = tmp_path / "profile.html"
    code, out, err = run_main(["profile", "mlp", "--size", "tiny", "--steps", "3", "--html", str(page)], capsys)
    assert code == 0, err
    lines = out.splitlines()
    head = next(i for i, line in enumerate(lines) if line.strip().startswith("roofline, top"))
    title = lines[head].strip()
    columns = lines[head + 2].split()
    assert columns[:3] == ["op", "time", "share"], columns
    rows: list[list[str]] = []
    for line in lines[head + 4:]:
        if not line.strip():
            break
        cells = line.split()
        if rows and len(cells) < len(rows[-1]) // 2:  # the op column wrapped a long name: the rest of the name
            rows[-1][0] += "".join(cells)
        else:
            rows.append(cells)
    shown = _page_table(page, title)
    assert len(shown) == len(rows)
    for page_row, console in zip(shown, rows, strict=True):
        tokens = " ".join(page_row).split()
        tail = len(console) - 1  # every cell after the op name, as the console splits them
        assert tokens[-tail:] == console[1:], (page_row, console)
        assert "".join(tokens[:-tail]) == console[0], (page_row, console)  # the op name, spaces and wraps aside
