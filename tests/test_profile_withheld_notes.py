"""A profile whose roofline pass disagrees with the headline withholds its diagnosis; the console and the page also
dropped the diagnosis notes, among them the one saying the `--probed` spec was probed on a busy machine (so the
'MFU vs probed peak' printed above reads high) and the one saying a spec is of another kind. The JSON kept them:
the console and page said less than the JSON. Seen: `accelopt profile my.py:build --probed busy_probe.toml` on a
busy 2-core machine printed 'MFU vs probed peak 5.4%' and 'diagnosis withheld', and no word of the busy probe. Now
the notes on the specs and figures stay; the one drawn from the withheld roofline pass does not."""

from __future__ import annotations

import dataclasses
import io

from test_html_warnings import _busy
from test_report_html import _profile_result

from accelopt.measure.diagnose import Diagnosis
from accelopt.report.console import make_console
from accelopt.report.html import render_html
from accelopt.report.profile_view import render

BUSY_PROBE = ("--probed vm-cpu was probed on a busy machine (load average 4.77 [b]x[/b]): its peaks and bandwidth "
              "may be low, and a share of them high; rerun `accelopt probe` on a quiet machine to trust them")
ABOVE_ROOF_NOTE_START = "memory-bound ops take "  # diagnose.ABOVE_ROOF_NOTE_START
ROOFLINE_NOTE = ABOVE_ROOF_NOTE_START + "40% of the step at 130% of the bandwidth roof: at or above it"


def _withheld() -> object:
    d = Diagnosis(bound="compute", verdict="compute-bound", shares={"compute": 0.5}, recommendations=[],
                  notes=["communication: single-process run, no collectives measured", ROOFLINE_NOTE, BUSY_PROBE])
    r = dataclasses.replace(_profile_result(False), diagnosis=d, contention=_busy("roofline", "diagnosis"))
    assert r.conclusions_withheld
    return r


def test_the_console_keeps_the_busy_probe_note_when_the_diagnosis_is_withheld() -> None:
    out = io.StringIO()
    render(_withheld(), make_console(file=out, width=400))
    text = out.getvalue()
    assert "diagnosis withheld" in text
    assert "note: " + BUSY_PROBE in text  # plain text: its brackets are not markup
    assert ABOVE_ROOF_NOTE_START not in text  # drawn from the pass that disagreed: withheld with the diagnosis


def test_the_page_keeps_the_busy_probe_note_when_the_diagnosis_is_withheld() -> None:
    page = render_html("profile", _withheld(), title="p", argv=["profile", "m"]).split("full result (JSON)")[0]
    assert "diagnosis withheld" in page
    assert "load average 4.77 [b]x[/b]): its peaks and bandwidth may be low" in page
    assert ABOVE_ROOF_NOTE_START not in page
