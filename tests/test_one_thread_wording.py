"""'1 threads': the profile title, the probe footer and page, and the busy-machine warning said it on every run
at one torch thread (OMP_NUM_THREADS=1, the usual setting on a shared machine)."""

from __future__ import annotations

import dataclasses

from test_report_html import _probe_result, _profile_result

from accelopt.measure.contention import ContentionReport, check_setup
from accelopt.report.html import render_html
from accelopt.report.profile_view import step_table


def test_one_thread_is_singular_everywhere() -> None:
    r = _profile_result(False)
    r = dataclasses.replace(r, environment={**r.environment, "threads": 1})
    assert str(step_table(r).title).endswith("batch 4, 1 thread")
    r2 = dataclasses.replace(r, environment={**r.environment, "threads": 2})
    assert str(step_table(r2).title).endswith("batch 4, 2 threads")
    page = render_html("probe", dataclasses.replace(_probe_result(), threads=1), title="p", argv=["probe"])
    assert "with 1 torch thread, torch" in page
    report = ContentionReport()
    check_setup(report, threads=1, load_1min=1e6)
    assert any("plus this process's 1 thread at the start" in w for w in report.warnings), report.warnings
