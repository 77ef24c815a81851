"""A page's column of words reads from the left: its header over its text, and a run id or a shape (which start
with a digit) with the words, not with the figures.

The defect (ut4hist, 2026-12-06, seen in headless Chromium): every header but the first was right-aligned, so a
wide column of left-aligned sentences (profile's memory 'how', probe's warnings 'what was seen', history compare's
'command') had its header at the far right edge, apart from its text; and history compare's 'runs compared' table
right-aligned the run ids ('20261206T125825.348Z-profile-43da22', taken for a figure since it starts with a digit)
beside its left-aligned commands."""
import re
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.report.html import Table


def _heads(page: str) -> dict[str, str]:
    return {text: cls for cls, text in re.findall(r'<th class="(l?)">([^<]*)', page)}


def _cells(page: str) -> dict[str, str]:
    return {text: cls for cls, text in re.findall(r'<td class="(l?)">([^<]*)</td>', page)}


def test_a_header_sits_over_its_column() -> None:
    t = Table("warnings", ["#", "what was seen", "time", "how"],
              rows=[["1", "load average 10.87 over the last minute exceeds the 2 usable cores", "3.72 ms", "n/a"],
                    ["2", "2-rank run: other processes used 1.35 cores on average", "n/a", "sum of .grad nbytes"]])
    heads = _heads(t.to_html())
    assert heads == {"#": "l", "what was seen": "l", "time": "", "how": "l"}


@pytest.mark.parametrize(("cell", "words"), [
    ("20261206T125825.348Z-profile-43da22", True), ("16x16x16", True), ("2-rank run: other processes", True),
    ("3.72 ms", False), ("1.05x ABOVE BOUND", False), ("$0.133", False), ("2e+07 FLOP", False), ("1.5e-3", False),
    ("45,492 samples/s", False), ("0.539x", False), ("-", False), ("n/a", False)])
def test_a_run_id_or_a_shape_is_words(cell: str, words: bool) -> None:
    t = Table("t", ["name", "x"], rows=[["a", cell]])
    assert _cells(t.to_html())[cell] == ("l" if words else "")


def test_the_compare_pages_run_ids_and_commands_read_from_the_left(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ACCELOPT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ACCELOPT_NO_HISTORY", raising=False)
    topo = tmp_path / "t.csv"
    topo.write_text("Layer, M, N, K,\nfc, 8, 8, 8,\n")
    for design in ("tpu-v1", "edge-npu"):
        code, _, err = run_main(["simulate", "run", "-d", design, "--topology", str(topo), "--json"], capsys)
        assert code == 0, err
    code, out, err = run_main(["history", "list", "--json"], capsys)
    assert code == 0, err
    ids = re.findall(r'"id": "([^"]+)"', out)
    page = tmp_path / "c.html"
    code, _, err = run_main(["history", "compare", ids[1], ids[0], "--html", str(page)], capsys)
    assert code == 0, err
    sides = page.read_text().split("<h2>runs compared</h2>", 1)[1].split("</table>", 1)[0]
    assert _heads(sides)["run id"] == _heads(sides)["command"] == "l"
    assert {_cells(sides)[i] for i in ids[:2]} == {"l"}
