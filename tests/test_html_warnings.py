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


def test_profile_page_shows_the_diagnosis_notes_shares_and_roofs() -> None:
    """The console prints, under the verdict, the step shares and notes (a --catalog-device of another kind, a
    --probed spec measured on a busy machine) and, under the roofline, the roofs with their source and the roof that
    judged each op; the page showed none of them outside its folded JSON."""
    from accelopt.measure.roofline import RooflineRow

    row = RooflineRow(op="aten::add", calls_per_step=2, time_s=1e-3, flops=1e6, bytes=1.2e7,
                      intensity_flop_per_byte=0.083, attained_flop_per_s=1e9, attained_byte_per_s=1.2e10,
                      roofline_time_s=1.2e-4, efficiency=0.12, verdict="memory-bound", kinds=("elementwise",),
                      dtypes=("fp32",), roof="L2")
    note = "--catalog-device h100-sxm is a gpu but the step ran on cpu [bold]x[/]"
    r = dataclasses.replace(_profile_result(False), roofline=[row], diagnosis=Diagnosis(
        bound="memory-bound ops", verdict="memory-bound ops (9% of the step)", shares={"memory-bound ops": 0.09},
        recommendations=[], notes=[note]))
    page = render_html("profile", r, title="p", argv=["profile", "m"]).split("full result (JSON)")[0]
    assert "h100-sxm is a gpu but the step ran on cpu [bold]x[/]" in page  # plain text, outside the JSON
    assert "step shares: memory-bound ops 9" in page
    assert "roofs: 1 TFLOP/s (fp32)" in page and "— test" in page  # the roofs and their source
    assert ">L2</td>" in page  # the roof that decided the verdict


def test_profile_page_work_table_says_which_peak_and_how_as_the_console_does() -> None:
    """The page's work table had no matmul share and no 'how' column: its MFU named the catalog entry but not the
    peak value or dtype it divides by, which the console prints ('h100-sxm, fp32 peak 67 TFLOP/s')."""
    r = dataclasses.replace(_profile_result(False), catalog_name="h100-sxm", catalog_peak_flop_per_s=6.7e13,
                            mfu_catalog=1e11 / 6.7e13, matmul_flops_per_step=8e8)
    page = render_html("profile", r, title="p", argv=["profile", "m"]).split("full result (JSON)")[0]
    assert "h100-sxm, fp32 peak 67 TFLOP/s" in page
    assert "of which matmul/conv/attention" in page and "800 MFLOP" in page
    assert "FLOPs per step / median step time" in page and "batch size / median step time" in page
