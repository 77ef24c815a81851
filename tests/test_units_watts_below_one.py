"""Power under 1 W reads in mW / µW, as energy under 1 J reads in mJ (user trial, session 33): the Eyeriss page's
key figure and `history list` printed 'power 0.266 W' where the console's line beside it printed '266 mW', and
`plan infer` printed an edge TPU's draw as '0.4 W'."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.units import fmt_quantity, fmt_watts


@pytest.mark.parametrize(("power_w", "text"), [
    (0.266, "266 mW"), (0.4, "400 mW"), (0.0005, "500 µW"), (2e-9, "2 nW"), (0.9996, "1 W"), (1.04, "1.04 W"),
    (700.0, "700 W"), (10_200.0, "10.2 kW"), (0.0, "0 W"), (-0.25, "-250 mW")])
def test_watts(power_w: float, text: str) -> None:
    assert fmt_watts(power_w) == text
    assert fmt_quantity(power_w, "W") == text


def test_missing_power_is_na() -> None:
    assert fmt_quantity(None, "W") == "n/a"
    assert fmt_watts(float("nan")) == "n/a"


def test_eyeriss_power_key_figure_reads_as_the_console(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    page = tmp_path / "eyeriss.html"
    code, out, _ = run_main(["simulate", "published", "--chip", "eyeriss", "--html", str(page)], capsys)
    assert code == 0
    console = re.search(r"power\* (\d+) mW against", out)
    assert console is not None
    figures = re.search(r"<h2>key figures</h2>(.*?)</table>", page.read_text(), flags=re.S)
    assert figures is not None
    row = rf">power(<span[^>]*>estimate</span>)?</td><td[^>]*>{console.group(1)} mW</td>"
    assert re.search(row, figures.group(1), flags=re.S), figures.group(1)


@pytest.mark.parametrize(("value", "watts", "joules"), [
    (0.0009996, "1 mW", "1 mJ"), (9.9996e-7, "1 µW", "1 µJ"), (9.9996e-10, "1 nW", "1 nJ"), (0.9996, "1 W", "1 J"),
    (-0.0009996, "-1 mW", "-1 mJ"), (0.000999, "999 µW", "999 µJ")])
def test_a_figure_that_rounds_up_to_the_next_prefix_reads_in_it(value: float, watts: str, joules: str) -> None:
    """rvC (s33): 0.0009996 W printed '1000 µW' and 0.9996 J '1000 mJ', where _si's rule (and fmt_watts at 1 W)
    reads a figure whose 3 significant digits reach the next prefix in that prefix."""
    from accelopt.units import fmt_joules

    assert fmt_watts(value) == watts
    assert fmt_joules(value) == joules
