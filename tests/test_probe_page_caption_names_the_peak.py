"""probe's page captions each panel with what its bars compare: the catalog entry the grey peak bars come from, or
why no peak bar is drawn.

The defect (ut4hist, 2026-12-06, seen in headless Chromium): `probe --quick --html probe.html` on an AMD EPYC VM
(no catalog entry: '% of catalog' n/a) drew measured bars alone, captioned 'probe: measured FLOP/s vs catalog
peak' and 'probe: measured B/s vs catalog peak'; a reader looked for a peak that was not there."""
import copy
import json
import re
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.report.html import render_html

CAPTION = re.compile(r"<figcaption>([^<]*)</figcaption>")


def _probe_captions(page: str) -> list[str]:
    return [c for c in CAPTION.findall(page) if c.startswith("probe:")]


def test_the_caption_names_the_compared_entry_or_says_none_is_drawn(
        capsys: pytest.CaptureFixture[str], tiny_probe: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")
    page = tmp_path / "p.html"
    code, out, err = run_main(["probe", "--device", "cpu", "--dtypes", "fp32", "--compare", "epyc-9654",
                               "--no-save", "--json", "--html", str(page)], capsys)
    assert code == 0, err
    shown = _probe_captions(page.read_text())
    assert shown == ["probe: measured FLOP/s vs catalog peak (epyc-9654)",
                     "probe: measured B/s vs catalog peak (epyc-9654)"]
    doc = json.loads(out)
    alone = copy.deepcopy(doc)  # the same run with no entry compared: measured bars only
    alone["catalog_name"] = None
    for f in alone["figures"]:
        f["catalog_peak"] = None
        f["fraction_of_peak"] = None
    shown = _probe_captions(render_html("probe", alone, title="t", argv=["probe"]))
    assert len(shown) == 2 and not any("vs catalog peak" in c for c in shown), shown
    assert all("no catalog peak drawn: no catalog entry compared: --compare names one" in c for c in shown), shown
