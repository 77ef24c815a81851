"""The HTML page of probe and profile says what the console says about a disturbed measurement: the busy-machine
and noisy-figure warnings, and a diagnosis withheld when the profiled pass disagrees (the page showed the
figures and the withheld diagnosis as if nothing had happened)."""

from __future__ import annotations

import dataclasses

from test_report_html import _probe_result, _profile_result

from accelopt.measure.contention import ContentionReport
from accelopt.measure.diagnose import Diagnosis, Recommendation
from accelopt.report.html import render_html

BUSY = "other processes used 1.60 cores on average while measuring [red]x[/red]"


def _busy(*figures: str) -> ContentionReport:
    c = ContentionReport()
    c.add(BUSY, *figures)
    return c


def test_probe_page_shows_the_warnings() -> None:
    page = render_html("probe", dataclasses.replace(_probe_result(), contention=_busy("matmul.fp32", "step time")),
                       title="p", argv=["probe"]).split("full result (JSON)")[0]  # the tables, not the JSON
    assert "1.60 cores on average while measuring [red]x[/red]" in page  # plain text, not markup
    assert "affected: matmul.fp32, step time" in page


def test_profile_page_shows_the_warnings_and_withholds_the_diagnosis() -> None:
    rec = Recommendation(action="use bf16 autocast", evidence="e", share=0.5, speedup_max=1.5, formula="f",
                         category="compute")
    quiet = dataclasses.replace(_profile_result(False), diagnosis=Diagnosis(
        bound="compute", verdict="compute-bound", shares={"compute": 0.5}, recommendations=[rec]))
    assert "use bf16 autocast" in render_html("profile", quiet, title="p", argv=["profile", "m"])
    busy = dataclasses.replace(quiet, contention=_busy("roofline", "diagnosis"), nonfinite="loss is nan")
    assert busy.conclusions_withheld
    page = render_html("profile", busy, title="p", argv=["profile", "m"]).split("full result (JSON)")[0]
    assert "use bf16 autocast" not in page and "diagnosis withheld" in page
    assert "1.60 cores" in page and "NOT FINITE: loss is nan" in page
