"""`accelopt history compare A B` had no `--html`, though every other results command (and `history show`) writes
a self-contained page from the same typed result as its `--json`. It now takes `--html PATH`: the page holds both
runs' command lines and subjects, the console's warnings and the B vs A table, rendered from the
HistoryCompareDocument the JSON prints (the folded JSON on the page is that document). User text on the page
(a run's command line, a model name in a result) is escaped: a `<script>` in it is text. Before the change the
option was refused (exit 2, 'No such option: --html')."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from _pages import check_shown
from conftest import run_main, run_main_expect

from accelopt.report import history

_EXPLAIN = ("plan", "explain", "--hardware", "h100-sxm", "--devices", "64", "--tp", "8", "--json")
_HOSTILE = "<script>window.pwned=1</script><b>bold</b>"


def _two_runs(capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    run_main_expect(capsys, *_EXPLAIN, "--model", "llama3-8b")
    run_main_expect(capsys, *_EXPLAIN, "--model", "llama3-70b")
    id_b, id_a = (r.id for r in history.list_runs(limit=2))
    return id_a, id_b


def _rows(page: str) -> list[tuple[str, str, str, str]]:
    """(figure, A, B, B / A) as the page's compare table shows them, tags and the estimate label removed."""
    cells = re.findall(r'<tr class="cf"><td class="l">(.*?)</td><td class="a"[^>]*>(.*?)</td>'
                       r'<td class="b"[^>]*>(.*?)</td><td class="ratio">(.*?)</td></tr>', page)
    return [tuple(html.unescape(re.sub(r"<span.*?</span>", "", c)) for c in row) for row in cells]  # type: ignore[misc]


def test_page_holds_the_json_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    id_a, id_b = _two_runs(capsys)
    doc = json.loads(run_main_expect(capsys, "history", "compare", id_a, id_b, "--json")[0])
    page_path = tmp_path / "compare.html"
    out, err = run_main_expect(capsys, "history", "compare", id_a, id_b, "--json", "--html", str(page_path))
    assert json.loads(out) == doc and "HTML report written to" in err
    page = page_path.read_text(encoding="utf-8")
    rows = _rows(page)
    assert [r[0] for r in rows] == [f["figure"] for f in doc["figures"]] and len(rows) >= 5
    for (_, a, b, ratio), f in zip(rows, doc["figures"], strict=True):
        check_shown(a, f["a"], f["unit"])
        check_shown(b, f["b"], f["unit"])
        check_shown(ratio, f["ratio_b_over_a"], "x")
    labelled = ['class="est"' in r for r in re.findall(r'<tr class="cf">.*?</tr>', page)]
    assert labelled == [f["estimate"] for f in doc["figures"]] and any(labelled)  # plan explain: predictions
    folded = re.search(r"<details><summary>show</summary><pre>(.*?)</pre></details>", page, re.S)
    assert folded is not None and json.loads(html.unescape(folded.group(1))) == doc
    warning = doc["subject_warning"]  # llama3-8b vs llama3-70b: the subjects differ, and the page says so
    assert isinstance(warning, str) and html.escape(f"warning: {warning}") in page
    for side in (doc["a"], doc["b"]):
        assert html.escape(side["command_line"]) in page


def test_user_text_on_the_page_is_escaped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    id_a, id_b = _two_runs(capsys)
    for run_id in (id_a, id_b):  # the same runs, their command line and model name replaced by hostile text
        run = history.load(run_id)
        history.record(run.command, [*run.argv, "--note", _HOSTILE], {**run.result, "model": _HOSTILE})
    id_b, id_a = (r.id for r in history.list_runs(limit=2))
    page_path = tmp_path / "compare.html"
    run_main_expect(capsys, "history", "compare", id_a, id_b, "--html", str(page_path))
    page = page_path.read_text(encoding="utf-8")
    assert "<script" not in page and "<b>bold" not in page
    assert page.count(html.escape(_HOSTILE)) >= 4  # each side's command line and model cell, and the JSON


def test_a_bad_path_is_an_error_before_anything_is_printed(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    id_a, id_b = _two_runs(capsys)
    code, out, err = run_main(["history", "compare", id_a, id_b, "--html", str(tmp_path / "no" / "c.html")], capsys)
    assert code == 2 and out == "" and "folder" in err and "mkdir -p" in err
    model = tmp_path / "model.py"
    model.write_text("import torch\n")
    code, _, err = run_main(["history", "compare", id_a, id_b, "--html", str(model)], capsys)
    assert code == 2 and "not an HTML page" in err and model.read_text() == "import torch\n"
